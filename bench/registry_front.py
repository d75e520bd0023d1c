"""Pull overhead through the registry front: directly, through nginx + auth_request (the
front tenlayer ships), and through two Python streaming proxies (the alternatives).

    .venv/bin/python bench/registry_front.py [--runs 7] [--megabytes 100] [--layers 4]

Pushes an image of random (incompressible) uncompressed layers, `--megabytes` in all, to a
`docker-registry` on 127.0.0.1, then times `skopeo copy docker://… dir:DIR` (an empty DIR
each run) side by side, round after round (bench/measure.py), median of `--runs`:

- `direct`: from distribution itself;
- `nginx`: through `python -m tenlayer.registry.front` — nginx (Debian's nginx-light) with
  `auth_request` to tenlayer's decision endpoint for every request (the gate for manifest
  GET/HEAD), buffering off both ways, with the static rule-set gate;
- `nginx+rules`: the same front as `tenlayer registry front --config` runs it, with the
  project-rules gate reading the registry store (threshold and grade rules on the pulled
  project, the image recorded as scanned clean);
- `py-httpx`: a Python front on uvicorn (h11) + httpx streaming (`--serve httpx`);
- `py-asyncio`: a Python front on plain asyncio sockets, 1 MiB reads, no HTTP library on
  the data path (`--serve asyncio`).

Both Python fronts consult the same gate (routes, RuleSetGate) on manifest GET/HEAD and
stream everything else. The py-asyncio one is a measuring prototype: enough HTTP/1.1 for
registry pulls and pushes (Content-Length and chunked bodies, keep-alive), not hardened.

Prints the median wall time, its ratio to `direct`, skopeo's peak RSS (GNU time), the
front's own peak RSS (VmHWM of its processes: nginx master and worker plus the decision
endpoint, or the Python process) and the CPU time the front spent per pull (user +
system of its processes): on a shared machine the wall-time ratio swings with the load,
the CPU a front burns per 100 MB does not. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from measure import ROOT, Contender, compare

sys.path.insert(0, str(ROOT))

from tenlayer.registry.front.decision import error_document
from tenlayer.registry.front.gate import PullRequest, RuleSetGate
from tenlayer.registry.front.nginx import find_nginx
from tenlayer.registry.front.routes import UncleanPath, manifest_path, routed_path
from tests.support import registry as support

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GATE = RuleSetGate()
HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
    b"trailer", b"transfer-encoding", b"upgrade", b"proxy-connection",
})


def denial(method: str, raw_path: bytes) -> bytes | None:
    """The gate as both Python fronts ask it: an error document, or None to go on."""
    try:
        path = routed_path(raw_path)
    except UncleanPath as refused:
        return error_document("UNSUPPORTED", str(refused)).encode()
    found = manifest_path(path) if method in ("GET", "HEAD") else None
    if found is None:
        return None
    decision = GATE.decide(PullRequest(None, found.repository, found.reference, method))
    return None if decision.allowed else error_document("DENIED", decision.reason).encode()


# -- py-httpx: uvicorn + httpx streaming ---------------------------------------------------

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def httpx_front(upstream: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    import anyio
    import httpx

    client = httpx.AsyncClient(
        timeout=httpx.Timeout(300.0, connect=10.0), trust_env=False,
        limits=httpx.Limits(max_connections=256, max_keepalive_connections=32),
    )
    base = httpx.URL(upstream)

    async def body(receive: Receive) -> AsyncIterator[bytes]:
        while True:
            message = await receive()
            if message.get("body"):
                yield message["body"]
            if not message.get("more_body", False):
                return

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw: bytes = scope["raw_path"]
        refused = denial(scope["method"], raw)
        if refused is not None:
            await send({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(refused)).encode())]})
            await send({"type": "http.response.body", "body": refused})
            return
        target = raw + (b"?" + scope["query_string"] if scope["query_string"] else b"")
        has_body = any(k == b"transfer-encoding" or (k == b"content-length" and v != b"0")
                       for k, v in scope["headers"])
        request = client.build_request(
            scope["method"], base.copy_with(raw_path=target),
            headers=[(k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP],
            content=body(receive) if has_body else None,
        )
        response = await client.send(request, stream=True)
        try:
            headers = [(k.lower(), v) for k, v in response.headers.raw
                       if k.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": headers})
            async with anyio.create_task_group() as group:
                async def watch() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()
                group.start_soon(watch)
                if scope["method"] != "HEAD":
                    async for chunk in response.aiter_raw():
                        await send({"type": "http.response.body", "body": chunk,
                                    "more_body": True})
                await send({"type": "http.response.body", "body": b""})
                group.cancel_scope.cancel()
        finally:
            await response.aclose()

    return app


# -- py-asyncio: plain asyncio streams, 1 MiB reads ------------------------------------------

CHUNK = 1 << 20


class Head:
    def __init__(self, block: bytes) -> None:
        lines = block.split(b"\r\n")
        self.start = lines[0]
        self.headers = [tuple(line.split(b":", 1)) for line in lines[1:] if line]
        self.fields = {k.strip().lower(): v.strip() for k, v in self.headers}

    def framing(self) -> tuple[str, int]:
        if b"chunked" in self.fields.get(b"transfer-encoding", b"").lower():
            return "chunked", 0
        if b"content-length" in self.fields:
            return "length", int(self.fields[b"content-length"])
        return "none", 0


async def copy_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, kind: str, length: int
) -> None:
    if kind == "length":
        while length > 0:
            chunk = await reader.read(min(length, CHUNK))
            if not chunk:
                raise ConnectionError("body ended early")
            writer.write(chunk)
            await writer.drain()
            length -= len(chunk)
    elif kind == "chunked":
        while True:
            size_line = await reader.readuntil(b"\r\n")
            writer.write(size_line)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while True:  # trailers, then the empty line
                    line = await reader.readuntil(b"\r\n")
                    writer.write(line)
                    if line == b"\r\n":
                        await writer.drain()
                        return
            await copy_body(reader, writer, "length", size + 2)
    elif kind == "close":
        while chunk := await reader.read(CHUNK):
            writer.write(chunk)
            await writer.drain()


def asyncio_front(upstream: str) -> Callable[..., Awaitable[None]]:
    host, _, port = upstream.removeprefix("http://").rpartition(":")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader = up_writer = None
        try:
            while True:
                try:
                    first = await reader.readexactly(1)
                    if not first.isalpha():  # a TLS ClientHello (skopeo tries https first)
                        return
                    block = first + await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                head = Head(block[:-4])
                method, target, _ = head.start.split(b" ", 2)
                refused = denial(method.decode(), target.partition(b"?")[0])
                if refused is not None:
                    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(refused), refused))
                    await writer.drain()
                    continue
                if up_writer is None:
                    up_reader, up_writer = await asyncio.open_connection(
                        host, int(port), limit=CHUNK
                    )
                assert up_reader is not None
                up_writer.write(block)
                kind, length = head.framing()
                await copy_body(reader, up_writer, kind, length)
                response = Head((await up_reader.readuntil(b"\r\n\r\n"))[:-4])
                writer.write(response.start + b"\r\n" + b"".join(
                    k + b":" + v + b"\r\n" for k, v in response.headers) + b"\r\n")
                status = int(response.start.split(b" ")[1])
                kind, length = response.framing()
                if method == b"HEAD" or status in (204, 304) or 100 <= status < 200:
                    kind = "none"
                elif kind == "none":
                    kind = "close"
                await copy_body(up_reader, writer, kind, length)
                await writer.drain()
                if kind == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()
            if up_writer is not None:
                up_writer.close()

    return serve


def serve(kind: str, upstream: str, port: int) -> None:
    if kind == "httpx":
        import uvicorn

        uvicorn.run(httpx_front(upstream), host="127.0.0.1", port=port, log_level="error",
                    access_log=False, http="h11", loop="asyncio", lifespan="off")
        return

    async def main() -> None:
        server = await asyncio.start_server(
            asyncio_front(upstream), "127.0.0.1", port, limit=CHUNK
        )
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# -- the benchmark ---------------------------------------------------------------------------


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} exited with {process.returncode}")
        try:
            support.httpx.get(url, timeout=1)
            return
        except support.httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def descendants(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(child) for child in path.read_text().split()] if path.exists() else []
    return [pid, *[d for child in found for d in descendants(child)]]


def peak_rss_mib(pids: Sequence[int]) -> float:
    """Sum of the processes' VmHWM (each one's own peak resident set), MiB."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rules_config(directory: Path, upstream: str, digest: str) -> Path:
    """`tenlayer registry front --config` as deployed: the project-rules gate over the
    registry store, with project `bench` refusing images at or above high severity or
    below grade C and `bench/big:v1` recorded as pushed and scanned clean, so that every
    manifest pull reads the project, the tag and the scan from the store (SQLite)."""
    import datetime

    from tenlayer.registry.keys import write_key
    from tenlayer.registry.store import ProjectSettings, ScanOutcome, Store

    write_key(directory / "keys", "bench")
    config = directory / "tenlayer-registry.yml"
    config.write_text(json.dumps({
        "issuer": "bench", "service": "bench-registry", "upstream": upstream,
        "keys": [{"certificate": "keys/token.crt", "key": "keys/token.key"}],
    }))
    store = Store(f"sqlite:///{directory / 'tenlayer-registry.db'}")
    now = datetime.datetime.now(datetime.UTC)
    store.add_project("bench", settings=ProjectSettings(severity_threshold="high",
                                                        minimum_grade="C"))
    store.record_push("bench/big", digest, "v1", now=now)
    store.record_scan("bench/big", digest, ScanOutcome(now, "A", None))
    store.close()
    return config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--serve", nargs=3, metavar=("KIND", "UPSTREAM", "PORT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    work = Path(tempfile.mkdtemp(prefix="tenlayer-bench-front-"))
    processes: list[subprocess.Popen[bytes]] = []
    registry = support.start_registry(work / "registry")
    try:
        per_layer = args.megabytes * 1_000_000 // args.layers
        layers = [{f"/data/{n}.bin": os.urandom(per_layer)} for n in range(args.layers)]
        pushed = support.push_plain_image(registry.url, "bench/big", "v1", layers)
        size = sum(len(support.tar_layer(files)) for files in layers)
        del layers
        print(f"bench/big:v1: {args.layers} random uncompressed layers, {size / 1e6:.1f} MB "
              f"of blobs, manifest {pushed.manifest_digest}")

        fronts: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
        commands = {
            "py-httpx": [PYTHON, __file__, "--serve", "httpx", registry.url],
            "py-asyncio": [PYTHON, __file__, "--serve", "asyncio", registry.url],
        }
        if find_nginx():
            config = rules_config(work / "rules", registry.url, pushed.manifest_digest)
            commands = {
                "nginx": [PYTHON, "-m", "tenlayer.registry.front", "--upstream", registry.url,
                          "--prefix", str(work / "nginx"), "--listen"],
                "nginx+rules": [PYTHON, "-m", "tenlayer", "registry", "front", "--config",
                                str(config), "--prefix", str(work / "nginx-rules"), "--listen"],
                **commands,
            }
        else:
            print("nginx is not installed (apt-get install nginx-light): nginx left out")
        for name, command in commands.items():
            port = support.free_port()
            argument = f"127.0.0.1:{port}" if name.startswith("nginx") else str(port)
            process = subprocess.Popen([*command, argument], stdin=subprocess.DEVNULL)
            processes.append(process)
            wait_for(f"http://127.0.0.1:{port}/v2/", process)
            fronts[name] = (f"127.0.0.1:{port}", process)

        destination = work / "pulled"
        policy = work / "policy.json"
        policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))

        def empty() -> None:
            shutil.rmtree(destination, ignore_errors=True)

        def pull(address: str) -> list[str]:
            return ["skopeo", "--policy", str(policy), "copy", "--quiet",
                    "--src-tls-verify=false", f"docker://{address}/bench/big:v1",
                    f"dir:{destination}"]

        contenders = [Contender("direct", pull(registry.address), before_each=empty)]
        contenders += [Contender(name, pull(address), before_each=empty)
                       for name, (address, _) in fronts.items()]
        cpu_before = {name: cpu_seconds(descendants(p.pid)) for name, (_, p) in fronts.items()}
        results = compare(contenders, runs=args.runs)
        pulls = args.runs + 1  # compare() warms each contender up with one untimed run
        cpu = {name: (cpu_seconds(descendants(p.pid)) - cpu_before[name]) / pulls
               for name, (_, p) in fronts.items()}
        direct = results[0].median
        print(f"\nskopeo copy docker://…/bench/big:v1 dir:DIR, median of {args.runs} runs "
              f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")
        print(f"  {'path':<12} {'median s':>9} {'min s':>7} {'ratio':>6} {'MB/s':>6} "
              f"{'skopeo MiB':>11} {'front MiB':>10} {'front CPU s/pull':>17}")
        for result in results:
            front = fronts.get(result.name)
            front_mib = f"{peak_rss_mib(descendants(front[1].pid)):.1f}" if front else "-"
            front_cpu = f"{cpu[result.name]:.3f}" if front else "-"
            print(f"  {result.name:<12} {result.median:>9.3f} {min(result.seconds):>7.3f} "
                  f"{result.median / direct:>5.2f}x {size / 1e6 / result.median:>6.0f} "
                  f"{result.peak_mib:>11.1f} {front_mib:>10} {front_cpu:>17}")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

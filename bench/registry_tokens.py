"""Token issuance of `tenlayer registry serve` under load: 50 concurrent clients from a
second process on 127.0.0.1, tokens per second and latency percentiles.

    .venv/bin/python bench/registry_tokens.py [--runs 3] [--seconds 10] [--clients 50]

Each run starts a real `tenlayer registry serve --config FILE` subprocess (uvicorn, one
process) on 127.0.0.1 with a fresh SQLite store: project `team` (public), user `dev` with
the developer role, robot `robot$ci` with pull and push on `team`. This process then drives
`--clients` concurrent keep-alive clients (httpx.AsyncClient, one connection each) for
`--seconds` (after `--warmup` seconds not counted) asking
`GET /token?service=…&scope=repository:team/app:pull,push`:

- `user`: Basic auth as `dev` (granted pull,push);
- `anonymous`: no credentials (granted pull: the project is public);
- `robot`: Basic auth as `robot$ci` (granted pull,push);
- `wrong-pw`: wrong passwords, every client from one address (127.0.0.2), each client its
  own account name (`dev` and 49 unknown ones) so only the per-address throttle can stop
  them; no warm-up. Counts 401 (a password was checked) against 429 (throttled) and
  compares the 401s with what a strict throttle lets through in the window
  (`free_per_client` guesses, then one per lock expiry). Then asks once as `dev` with the
  right password from 127.0.0.1: `dev`'s account was guessed at, so a lock there is
  expected.

A token counts only if its answer is 200 and the token verifies with
`tenlayer.registry.tokens.verify_token` (the service's key ring, audience, issuer) and
grants exactly the expected access; every token is verified after the timed window
(`--sample N` verifies N of them at random and scales). Prints per scenario the median over
`--runs` of tokens/s, p50/p95/p99 latency (ms), errors (non-200 or invalid tokens), the
service's peak RSS (VmHWM of its process, reset through /proc/PID/clear_refs before each
scenario when the kernel allows it, max over runs), the service's CPU use during the window
(100% = one core: uvicorn serves from one process, so one core is its ceiling) and this
process's CPU per request (the load generator shares the machine). The service's log is
scanned afterwards for anything other than its per-request lines (tracebacks, errors).

`tenlayer registry serve` has no worker-count option (it calls uvicorn.run with an app
object, which cannot fork workers), so there is nothing to measure for two workers.
The service is stopped by its PID at the end, on error and on Ctrl-C. Not collected by
pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
from measure import VENV_BIN

from tenlayer.registry.access import Role
from tenlayer.registry.config import RegistryConfig, load_config
from tenlayer.registry.keys import KeyRing, write_key
from tenlayer.registry.store import Store
from tenlayer.registry.tokens import TokenError, verify_token

SERVICE, ISSUER = "bench-registry", "bench-issuer"
PROJECT, REPOSITORY = "team", "team/app"
SCOPE = f"repository:{REPOSITORY}:pull,push"
USER, PASSWORD = "dev", "bench-password-1"
ROBOT = "ci"
ATTACKER_ADDRESS = "127.0.0.2"
THROTTLE = {"free": 5, "free_per_client": 20, "base": 1, "cap": 300}  # the service's defaults


@dataclass
class Scenario:
    name: str
    credentials: tuple[str, str] | None
    expected: tuple[str, ...]
    """The actions a valid token grants on team/app."""


@dataclass
class Outcome:
    """One scenario of one run."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    valid: int = 0
    seconds: float = 0.0
    service_cpu: float = 0.0
    bench_cpu: float = 0.0
    peak_kib: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.valid / self.seconds

    @property
    def errors(self) -> int:
        return self.requests - self.valid

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


# -- the service -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    url: str
    config: RegistryConfig
    keys: KeyRing
    robot_secret: str
    log: Path

    def status_kib(self, field_name: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        return 0

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux >= 4.0, `echo 5 > clear_refs`)."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_service(directory: Path, keys_dir: Path) -> Service:
    """A fresh store and a `tenlayer registry serve` subprocess answering on 127.0.0.1."""
    directory.mkdir(parents=True)
    port = free_port()
    config_path = directory / "registry.yml"
    config_path.write_text(json.dumps({
        "listen": f"127.0.0.1:{port}", "issuer": ISSUER, "service": SERVICE,
        "keys": [{"certificate": str(keys_dir / "token.crt"),
                  "key": str(keys_dir / "token.key")}],
        "database": f"sqlite:///{directory / 'registry.db'}",
        "throttle": THROTTLE,
    }))
    config = load_config(config_path)
    store = Store(config.database)
    try:
        store.add_project(PROJECT, public=True)
        store.add_user(USER, PASSWORD)
        store.add_member(PROJECT, "user", USER, Role.DEVELOPER)
        robot = store.add_robot(ROBOT, {PROJECT: ["pull", "push"]}, expires_at=None)
    finally:
        store.close()
    log = directory / "service.log"
    with log.open("wb") as output:  # a file, not a pipe: the service logs every token
        process = subprocess.Popen(
            [str(VENV_BIN / "tenlayer"), "registry", "serve", "--config", str(config_path)],
            stdin=subprocess.DEVNULL, stdout=output, stderr=output,
            start_new_session=True,  # Ctrl-C reaches the bench only; it stops the service
        )
    service = Service(process, f"http://127.0.0.1:{port}", config, config.key_ring(),
                      robot.secret, log)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise SystemExit(f"tenlayer registry serve exited with {process.returncode}: "
                             f"{log.read_text(errors='replace').strip()}")
        try:
            if httpx.get(f"{service.url}/health", timeout=1, trust_env=False).is_success:
                return service
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            service.stop()
            raise SystemExit(f"{service.url} did not answer within 30 s")
        time.sleep(0.05)


# -- the load ----------------------------------------------------------------------------------


def basic(account: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{account}:{password}".encode()).decode()


async def drive(
    url: str, clients: int, headers_of: Sequence[dict[str, str]], seconds: float,
    warmup: float, local_address: str | None, outcome: Outcome,
) -> None:
    """`clients` loops, each on its own keep-alive connection, asking for tokens until the
    window closes; answers in the warm-up are not kept."""
    params = {"service": SERVICE, "scope": SCOPE}
    started = time.perf_counter()
    window_start = started + warmup
    window_end = window_start + seconds

    async def client(number: int) -> None:
        transport = httpx.AsyncHTTPTransport(local_address=local_address, retries=0)
        async with httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(60.0), trust_env=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        ) as http:
            headers = headers_of[number % len(headers_of)]
            while True:
                sent = time.perf_counter()
                if sent >= window_end:
                    return
                try:
                    response = await http.get(url, params=params, headers=headers)
                    status, body = response.status_code, response.content
                except httpx.HTTPError as error:
                    status, body = 0, type(error).__name__.encode()
                done = time.perf_counter()
                if sent < window_start or done > window_end:
                    continue  # warm-up, or finished after the window: not counted
                outcome.requests += 1
                outcome.statuses[status] += 1
                outcome.latencies.append(done - sent)
                if status == 200:
                    outcome.tokens.append(json.loads(body)["token"])
                elif status == 0:
                    outcome.failures[body.decode()] += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    outcome.seconds = seconds


def verify(service: Service, outcome: Outcome, scenario: Scenario, sample: int) -> None:
    """outcome.valid: the 200 answers whose token verifies and grants what is expected."""
    tokens = outcome.tokens
    checked = tokens if sample <= 0 or sample >= len(tokens) else random.sample(tokens, sample)
    subject = "" if scenario.credentials is None else scenario.credentials[0]
    good = 0
    now = datetime.datetime.now(datetime.UTC)
    for token in checked:
        try:
            claims = verify_token(token, service.keys, audience=SERVICE, issuer=ISSUER, now=now)
        except TokenError as error:
            outcome.failures[f"invalid token: {error}"] += 1
            continue
        access = [(a.type, a.name, a.actions) for a in claims.access]
        if claims.subject != subject or access != [("repository", REPOSITORY,
                                                    scenario.expected)]:
            outcome.failures[f"unexpected claims: sub={claims.subject!r} {access}"] += 1
            continue
        good += 1
    outcome.valid = round(good * len(tokens) / len(checked)) if checked else 0


def run_scenario(
    service: Service, scenario: Scenario, args: argparse.Namespace,
) -> Outcome:
    outcome = Outcome()
    if scenario.credentials is None:
        headers: list[dict[str, str]] = [{}]
    else:
        headers = [{"Authorization": basic(*scenario.credentials)}]
    peak_reset = service.reset_peak()
    cpu_before, bench_before = service.cpu_seconds(), time.process_time()
    asyncio.run(drive(f"{service.url}/token", args.clients, headers, args.seconds,
                      args.warmup, None, outcome))
    outcome.service_cpu = service.cpu_seconds() - cpu_before
    outcome.bench_cpu = time.process_time() - bench_before
    outcome.peak_kib = service.status_kib("VmHWM") if peak_reset else -1
    verify(service, outcome, scenario, args.sample)
    return outcome


@dataclass
class Attack:
    outcome: Outcome
    allowed: int
    """What a strict throttle lets through in the window: `free`, then one per expiry."""
    after: int
    """Status of one right-password request as `dev` from 127.0.0.1 right after."""


def strict_allowance(seconds: float) -> int:
    """For guesses from one address at many accounts: the address's key binds."""
    free = THROTTLE["free_per_client"]
    allowed, locked_until, failures = free, 0.0, free
    while True:
        failures += 1
        over = failures - free
        locked_until += min(THROTTLE["cap"], THROTTLE["base"] * 2.0 ** (over - 1))
        if locked_until >= seconds:
            return allowed + 1  # the guess that set this last lock
        allowed += 1


def run_attack(service: Service, args: argparse.Namespace) -> Attack:
    outcome = Outcome()
    headers = [{"Authorization": basic(USER if n == 0 else f"guess{n}", f"wrong-{n}")}
               for n in range(args.clients)]
    service.reset_peak()
    cpu_before, bench_before = service.cpu_seconds(), time.process_time()
    asyncio.run(drive(f"{service.url}/token", args.clients, headers, args.seconds, 0.0,
                      ATTACKER_ADDRESS, outcome))
    outcome.service_cpu = service.cpu_seconds() - cpu_before
    outcome.bench_cpu = time.process_time() - bench_before
    outcome.peak_kib = service.status_kib("VmHWM")
    after = httpx.get(f"{service.url}/token", params={"service": SERVICE, "scope": SCOPE},
                      headers={"Authorization": basic(USER, PASSWORD)}, trust_env=False,
                      timeout=60).status_code
    return Attack(outcome, strict_allowance(args.seconds), after)


ODD_FREE = ("token issued", "login refused", "login throttled", "token service on",
            "Started server", "Waiting for application", "Application startup",
            "Uvicorn running", "Shutting down", "Application shutdown", "Finished server",
            "Waiting for connections")


def odd_log_lines(log: Path) -> Counter[str]:
    """The service's log lines other than its expected ones, counted."""
    odd: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if line.strip() and not any(expected in line for expected in ODD_FREE):
            odd[line.split(" ", 2)[-1][:160]] += 1
    return odd


# -- the report --------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def report(scenarios: Sequence[Scenario], results: dict[str, list[Outcome]],
           attacks: list[Attack], args: argparse.Namespace) -> None:
    print(f"\nGET /token?scope={SCOPE}, {args.clients} clients, {args.seconds:g} s per "
          f"scenario, median of {args.runs} runs ({os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f})")
    print(f"  {'scenario':<10} {'tokens/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'errors':>7} {'peak MiB':>9} {'svc CPU':>8} {'bench CPU ms/req':>17}")
    for scenario in scenarios:
        outcomes = results[scenario.name]
        peaks = [o.peak_kib for o in outcomes]
        peak = f"{max(peaks) / 1024:.1f}" if min(peaks) >= 0 else "?"
        print(
            f"  {scenario.name:<10} {median([o.tokens_per_second for o in outcomes]):>9.0f} "
            f"{median([o.percentile(0.50) for o in outcomes]):>7.1f} "
            f"{median([o.percentile(0.95) for o in outcomes]):>7.1f} "
            f"{median([o.percentile(0.99) for o in outcomes]):>7.1f} "
            f"{median([o.errors for o in outcomes]):>7.0f} {peak:>9} "
            f"{median([o.service_cpu / o.seconds for o in outcomes]) * 100:>7.0f}% "
            f"{median([o.bench_cpu / max(1, o.requests) for o in outcomes]) * 1000:>17.2f}"
        )
        runs = ", ".join(f"{o.tokens_per_second:.0f}" for o in outcomes)
        print(f"  {'':<10} tokens/s per run: {runs}")
        failures: Counter[str] = Counter()
        for outcome in outcomes:
            failures.update({f"HTTP {s}": n for s, n in outcome.statuses.items() if s != 200})
            failures.update(outcome.failures)
        for what, count in failures.most_common(5):
            print(f"  {'':<10} ! {count} x {what}")
    if attacks:
        print(f"\nwrong passwords, {args.clients} clients from {ATTACKER_ADDRESS} "
              f"(one address, 50 account names), {args.seconds:g} s, throttle "
              f"free={THROTTLE['free']} per client {THROTTLE['free_per_client']} "
              f"base={THROTTLE['base']} cap={THROTTLE['cap']}")
        print(f"  {'run':<4} {'requests':>9} {'401':>6} {'429':>7} {'other':>6} "
              f"{'strict max 401':>15} {'p99 ms':>7} {'peak MiB':>9}  dev after (right pw)")
        for number, attack in enumerate(attacks, 1):
            o = attack.outcome
            other = o.requests - o.statuses[401] - o.statuses[429]
            print(f"  {number:<4} {o.requests:>9} {o.statuses[401]:>6} {o.statuses[429]:>7} "
                  f"{other:>6} {attack.allowed:>15} {o.percentile(0.99):>7.1f} "
                  f"{o.peak_kib / 1024:>9.1f}  {attack.after}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds of load before each window, not counted")
    parser.add_argument("--sample", type=int, default=0,
                        help="verify this many tokens per scenario (0: all)")
    parser.add_argument("--no-attack", action="store_true", help="skip the wrong-password run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    def interrupted(_number: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)  # stop the service on SIGTERM as on Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    work = Path(tempfile.mkdtemp(prefix="tenlayer-bench-tokens-"))
    write_key(work / "keys", ISSUER)
    service: Service | None = None
    scenarios: list[Scenario] = []
    results: dict[str, list[Outcome]] = {}
    attacks: list[Attack] = []
    odd: Counter[str] = Counter()
    try:
        for run in range(args.runs):
            service = start_service(work / f"run{run}", work / "keys")
            scenarios = [
                Scenario("user", (USER, PASSWORD), ("pull", "push")),
                Scenario("anonymous", None, ("pull",)),
                Scenario("robot", (f"robot${ROBOT}", service.robot_secret), ("pull", "push")),
            ]
            idle_kib = service.status_kib("VmRSS")
            for scenario in scenarios:
                outcome = run_scenario(service, scenario, args)
                results.setdefault(scenario.name, []).append(outcome)
                print(f"run {run + 1} {scenario.name:<10} {outcome.tokens_per_second:7.0f} "
                      f"tokens/s p99 {outcome.percentile(0.99):6.1f} ms "
                      f"errors {outcome.errors} (idle RSS {idle_kib / 1024:.0f} MiB)",
                      flush=True)
            if not args.no_attack:
                attack = run_attack(service, args)
                attacks.append(attack)
                print(f"run {run + 1} wrong-pw   401: {attack.outcome.statuses[401]} "
                      f"429: {attack.outcome.statuses[429]}", flush=True)
            service.stop()
            odd.update(odd_log_lines(service.log))
            service = None
    except KeyboardInterrupt:
        print("interrupted: stopping the service", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        if service is not None:
            service.stop()
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(scenarios, results, attacks, args)
    if odd:
        print("\nservice log lines other than its per-request ones:")
        for line, count in odd.most_common(10):
            print(f"  {count} x {line}")


if __name__ == "__main__":
    main()

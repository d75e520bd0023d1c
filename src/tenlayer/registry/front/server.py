"""Run the front: `python -m tenlayer.registry.front --upstream URL --listen HOST:PORT`.

One process serves the decision endpoint (uvicorn, on 127.0.0.1) and runs nginx as its
child on `--listen`; stopping the process (SIGTERM, SIGINT) stops nginx.

The policy file is JSON: `{"rules": [{"repository": "secret/*", "reason": "...",
"exempt": ["robot$scanner"]}], "exempt": ["robot$scanner"]}`; `--audit FILE` appends one
JSON line per decision; `--trust CERTS --audience SERVICE --issuer ISSUER` lets the gate
know who holds a bearer token (the certificates distribution trusts, `rootcertbundle`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import orjson
import uvicorn
from cryptography import x509

from tenlayer.errors import BadInput
from tenlayer.registry.front.decision import DecisionApp
from tenlayer.registry.front.gate import AuditRecord, RuleSetGate, rules_from_document
from tenlayer.registry.front.identity import (
    TokenVerifier,
    ring_from_certificates,
    ring_verifier,
)
from tenlayer.registry.front.nginx import Nginx, find_nginx, start_nginx


class JsonLinesAudit:
    """Appends each AuditRecord to a file as one JSON line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, record: AuditRecord) -> None:
        with self.path.open("ab") as sink:
            sink.write(orjson.dumps(dataclasses.asdict(record)) + b"\n")


def policy_gate(path: Path | None) -> RuleSetGate:
    if path is None:
        return RuleSetGate()
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BadInput(f"{path}: not a readable JSON policy ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("rules", []), list):
        raise BadInput(f"{path}: the policy must be an object with a list of rules")
    exempt = document.get("exempt", [])
    if not isinstance(exempt, list) or not all(isinstance(name, str) for name in exempt):
        raise BadInput(f"{path}: exempt must be a list of names")
    try:
        rules = rules_from_document(document.get("rules", []))
    except (ValueError, AttributeError) as error:
        raise BadInput(f"{path}: {error}") from None
    return RuleSetGate(rules=rules, exempt_everywhere=frozenset(exempt))


def decision_app(arguments: argparse.Namespace) -> DecisionApp:
    verify: TokenVerifier | None = None
    if arguments.trust:
        try:
            certificates = x509.load_pem_x509_certificates(Path(arguments.trust).read_bytes())
        except (OSError, ValueError) as error:
            raise BadInput(f"{arguments.trust}: not readable PEM certificates ({error})") from None
        verify = ring_verifier(
            ring_from_certificates(certificates),
            audience=arguments.audience, issuer=arguments.issuer,
        )
    audit = JsonLinesAudit(Path(arguments.audit)) if arguments.audit else None
    gate = policy_gate(Path(arguments.policy) if arguments.policy else None)
    return DecisionApp(gate, arguments.upstream, verify=verify, on_decision=audit)


def watch_nginx(nginx: Nginx) -> None:
    """If nginx dies, the front ends too (SIGTERM to itself, exit 3): a decision endpoint
    with no nginx before it would look alive to a supervisor while refusing nothing."""

    def wait() -> None:
        code = nginx.process.wait()
        if not nginx.stopping:
            nginx.kill_leftovers()
            last = nginx.last_error() or "nothing in its error log"
            print(f"tenlayer registry front: nginx exited ({code}): {last}", file=sys.stderr)
            global exit_code
            exit_code = 3
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait, name="nginx-watch", daemon=True).start()


exit_code = 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tenlayer.registry.front")
    parser.add_argument("--upstream", required=True, help="distribution's base URL (http)")
    parser.add_argument("--listen", default="127.0.0.1:5080", help="HOST:PORT for nginx")
    parser.add_argument("--policy", help="JSON rules for the in-memory gate")
    parser.add_argument("--audit", help="append one JSON line per decision to this file")
    parser.add_argument("--trust", help="PEM certificates that sign the bearer tokens")
    parser.add_argument("--audience", default="", help="the registry's token service name")
    parser.add_argument("--issuer", default="", help="the token issuer")
    parser.add_argument("--prefix", help="nginx's directory (default: a new temporary one)")
    arguments = parser.parse_args(argv)
    upstream = arguments.upstream.rstrip("/")
    parsed = urllib.parse.urlsplit(upstream)
    if parsed.scheme != "http" or not parsed.port or parsed.path or parsed.query:
        parser.error("--upstream must be http://HOST:PORT (distribution on a private address)")
    if arguments.trust and not (arguments.audience and arguments.issuer):
        parser.error("--trust needs --audience and --issuer (the token service's names)")
    try:
        app = decision_app(arguments)
    except BadInput as error:
        print(f"tenlayer registry front: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    run_front(app, upstream=upstream, listen=arguments.listen, prefix=arguments.prefix)


def run_front(
    app: DecisionApp, *, upstream: str, listen: str, prefix: str | None,
    program: str = "tenlayer registry front",
) -> None:
    """Serve the decision endpoint and run nginx before `upstream` until SIGTERM/SIGINT."""
    if find_nginx() is None:
        print(f"{program}: nginx is not installed (Debian: apt-get install "
              "nginx-light)", file=sys.stderr)
        raise SystemExit(3)
    # uvicorn re-raises the SIGTERM it caught once it has shut down; exit through the
    # `finally` below then, so nginx is stopped with us (and PDEATHSIG covers SIGKILL)
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(exit_code))
    # the decision endpoint's socket listens before nginx starts: nginx's first
    # subrequests wait in its backlog for uvicorn instead of failing (a 500 to the client)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    decision_port = int(listener.getsockname()[1])
    with listener, tempfile.TemporaryDirectory(prefix="tenlayer-front-") as scratch:
        directory = Path(prefix) if prefix else Path(scratch)
        try:
            nginx = start_nginx(
                directory, listen=listen, upstream=upstream.removeprefix("http://"),
                decision=f"127.0.0.1:{decision_port}",
            )
        except RuntimeError as error:
            first = str(error).splitlines()[0]
            print(f"{program}: nginx did not start: {first}", file=sys.stderr)
            raise SystemExit(3) from None
        watch_nginx(nginx)
        try:
            server = uvicorn.Server(uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="on", http="h11",
                loop="asyncio",
            ))
            server.run(sockets=[listener])
        finally:
            nginx.stop()

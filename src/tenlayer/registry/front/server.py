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
import signal
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import orjson
import uvicorn
from cryptography import x509

from tenlayer.registry.front.decision import DecisionApp
from tenlayer.registry.front.gate import AuditRecord, RuleSetGate, rules_from_document
from tenlayer.registry.front.identity import (
    TokenVerifier,
    ring_from_certificates,
    ring_verifier,
)
from tenlayer.registry.front.nginx import start_nginx


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
    document = json.loads(path.read_text())
    return RuleSetGate(
        rules=rules_from_document(document.get("rules", [])),
        exempt_everywhere=frozenset(document.get("exempt", [])),
    )


def decision_app(arguments: argparse.Namespace) -> DecisionApp:
    verify: TokenVerifier | None = None
    if arguments.trust:
        certificates = x509.load_pem_x509_certificates(Path(arguments.trust).read_bytes())
        verify = ring_verifier(
            ring_from_certificates(certificates),
            audience=arguments.audience, issuer=arguments.issuer,
        )
    audit = JsonLinesAudit(Path(arguments.audit)) if arguments.audit else None
    gate = policy_gate(Path(arguments.policy) if arguments.policy else None)
    return DecisionApp(gate, arguments.upstream, verify=verify, on_decision=audit)


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
    if not upstream.startswith("http://"):
        parser.error("--upstream must be an http:// URL (distribution on a private address)")
    app = decision_app(arguments)
    # uvicorn re-raises the SIGTERM it caught once it has shut down; exit through the
    # `finally` below then, so nginx is stopped with us (and PDEATHSIG covers SIGKILL)
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
    decision_port = free_port()
    with tempfile.TemporaryDirectory(prefix="tenlayer-front-") as scratch:
        prefix = Path(arguments.prefix) if arguments.prefix else Path(scratch)
        nginx = start_nginx(
            prefix, listen=arguments.listen, upstream=upstream.removeprefix("http://"),
            decision=f"127.0.0.1:{decision_port}",
        )
        try:
            uvicorn.run(
                app, host="127.0.0.1", port=decision_port, log_level="warning",
                access_log=False, lifespan="on", http="h11", loop="asyncio",
            )
        finally:
            nginx.stop()

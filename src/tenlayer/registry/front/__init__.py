"""The front before distribution that lets tenlayer see, and refuse, manifest pulls.

nginx (Debian's `nginx-light`) proxies every request to distribution and asks tenlayer's
decision endpoint first (`auth_request`); the endpoint consults a `Gate` for manifest
GET/HEAD only and lets everything else through at once. A refusal reaches the client as
distribution's own `403 {"errors":[{"code":"DENIED","message":REASON}]}`, which skopeo,
podman and docker print.

Chosen by measurement (bench/registry_front.py: `skopeo copy docker://… dir:` of a 100 MB
image of random uncompressed layers from a docker-registry on 127.0.0.1; 2 cores shared
with other work; median of 9–15 interleaved runs):

    run (load average)   nginx + auth_request   uvicorn + httpx   plain asyncio
    15 runs (2.8)        1.04x                  1.07x             1.06x
    15 runs (2.7)        1.07x                  1.31x             1.13x
     9 runs (2.5)        1.03x                  1.22x             1.15x
    front CPU per pull   0.031-0.041 s          0.128-0.136 s     0.101-0.104 s
    front peak RSS       54.6 MiB (with the     50.0 MiB          52.5 MiB
                         decision endpoint)

All three can meet the 1.15x target on a quiet machine; only nginx meets it every time
when the cores are shared, because it spends a quarter of the CPU per byte (C, 256 KiB reads with
`proxy_buffer_size`; Python's fronts cross a dozen frames per 64 KiB chunk and hold one
core at most). The faster Python one has no HTTP library on the data path, so it would
put a hand-written HTTP/1.1 parser on a security boundary, where a framing disagreement
with distribution is a request-smuggling bypass; nginx's parser is the hardened one
registries are already run behind. Operation stays one command: `python -m
tenlayer.registry.front` serves the decision endpoint and runs nginx as its child, from a
generated configuration under a private prefix; the cost is one Debian package
(`nginx-light`, which has auth_request).

- gate.py: `PullRequest`, `Decision`, the `Gate` protocol, `RuleSetGate`, audit records;
- routes.py: which requests are manifest requests, decided on the path as distribution
  decodes and routes it; unclean paths refused;
- identity.py: the verified subject of the bearer token (tokens.verify_token);
- decision.py: the `auth_request` endpoint; nginx.py: configuration and process;
- server.py: the command that runs both.
"""

from tenlayer.registry.front.decision import DecisionApp
from tenlayer.registry.front.gate import (
    AuditRecord,
    AuditTrail,
    Decision,
    Gate,
    PullRequest,
    Rule,
    RuleSetGate,
)

__all__ = [
    "AuditRecord", "AuditTrail", "Decision", "DecisionApp", "Gate", "PullRequest", "Rule",
    "RuleSetGate",
]

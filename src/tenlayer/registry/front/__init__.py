"""The front before distribution that lets tenlayer see, and refuse, manifest pulls.

nginx (Debian's `nginx-light`) proxies every request to distribution and asks tenlayer's
decision endpoint first (`auth_request`); the endpoint consults a `Gate` for manifest
GET/HEAD only and lets everything else through at once. A refusal reaches the client as
distribution's own `403 {"errors":[{"code":"DENIED","message":REASON}]}`, which skopeo,
podman and docker print.

Chosen by measurement (bench/registry_front.py: `skopeo copy docker://… dir:` of a 100 MB
image of random layers from a local docker-registry, median of 7 runs, 2 cores): nginx
with auth_request 1.04× the direct pull, tenlayer's own streaming proxy (uvicorn + httpx,
no uvloop/httptools) 1.20× — over the 1.15× target, because every 32–64 KiB chunk crosses
a dozen Python frames on both sides while skopeo and distribution want the same two
cores. nginx moves the bytes in C with buffering off; Python sees only a body-less
subrequest per request. The operation story stays one process to run: `python -m
tenlayer.registry.front` serves the decision endpoint and runs nginx as its child, with a
generated configuration under a private prefix.

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

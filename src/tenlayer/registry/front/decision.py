"""The decision endpoint nginx asks, by `auth_request`, before it forwards any request.

nginx sends a body-less subrequest carrying the client's headers and the original request
line (`X-Original-URI: $request_uri`, `X-Original-Method: $request_method`). The answer:

- 204: go on (any request that is not a manifest GET/HEAD, and allowed pulls; a manifest
  PUT is asked of gates that also judge pushes, `PushGate`, for tag immutability);
- 403 with `X-Tenlayer-Denied: <distribution error document>`: nginx answers the client
  403 with that document as the body, which skopeo, podman and docker print as
  `denied: <reason>`.

The path is read from `$request_uri` — exactly what nginx forwards (it passes the request
line unchanged when `proxy_pass` has no URI) — and decoded as distribution routes it
(routes.py); nginx's own normalised `$uri` is never trusted for the decision.

An anonymous client that the gate refuses may simply not have logged in yet: the
endpoint asks distribution the same request, and if distribution wants a login (401) lets
it through, so that the client gets distribution's challenge (the token realm), logs in and
comes back with a token, which the gate then judges.

A delete (`skopeo delete`, the registry API) first GETs the manifest to learn its digest,
so a refused image could never be deleted through the front: a manifest read whose token
grants `delete` on the repository is let through, and audited as such. It follows that
whoever may delete an image (maintainers, project admins, robots given delete) can also
read it by asking for a delete token; the gate guards what deployments pull with their
pull credentials, and every such read is in the audit log with who made it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx

from tenlayer.registry.front.gate import (
    AuditRecord,
    Decision,
    Gate,
    OnDecision,
    PullRequest,
    PushGate,
)
from tenlayer.registry.front.identity import (
    TokenVerifier,
    asked_delete,
    bearer_claims,
    granted_actions,
    grants,
    may_delete,
)
from tenlayer.registry.front.routes import (
    RepositoryRoute,
    UncleanPath,
    manifest_path,
    repository_route,
    routed_path,
)
from tenlayer.registry.tokens import Claims, TokenError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)

GATED_METHODS = frozenset({"GET", "HEAD"})
DENIED_HEADER = "X-Tenlayer-Denied"
CHALLENGE_HEADER = "X-Tenlayer-Challenge"


def error_document(code: str, message: str, detail: object = None) -> str:
    """distribution's error document (registry/api/errcode), ASCII-only JSON on one line,
    so that it travels in a header."""
    document = {"errors": [{"code": code, "message": message, "detail": detail}]}
    return json.dumps(document, ensure_ascii=True, separators=(",", ":"))


@dataclass(frozen=True)
class Refusal:
    """How the front answers a request it stops: 403 with distribution's error document,
    or 401 with a token challenge too (`challenge`: the WWW-Authenticate value), which
    makes a client fetch a token for the scope it needs, as distribution's own 401 does."""

    document: str
    challenge: str | None = None


Challenge = Callable[[str, str, str], str]
"""(repository, action, reason) -> the WWW-Authenticate value distribution would send for
it, `Bearer realm="…",service="…",scope="repository:NAME:ACTION",error="insufficient_scope"`,
with the reason as `error_description`: a client reads that one even from the body-less
answer to a HEAD (skopeo prints `denied: REASON`)."""


@runtime_checkable
class AccessExplainer(Protocol):
    """A gate that can say why an account may not act on a repository (its role)."""

    def why_not(
        self, identity: str, repository: str, action: str, granted: tuple[str, ...] = ()
    ) -> str: ...


class DecisionApp:
    """The ASGI decision endpoint. `upstream` is distribution's base URL, asked only to
    tell a client that has yet to log in from one that may not pull.

    With `challenge` (the token service's realm and service), the front also checks every
    repository request's bearer token itself, as distribution will: a token that does not
    verify, or that does not grant the action, is answered 401 with the reason (the
    gate's `why_not`, e.g. the account's role) and a challenge, before the project's
    rules are asked; so a client with no access learns nothing of the project's images."""

    def __init__(
        self,
        gate: Gate,
        upstream: str,
        *,
        verify: TokenVerifier | None = None,
        on_decision: OnDecision | None = None,
        challenge: Challenge | None = None,
    ) -> None:
        self.gate = gate
        self.upstream = upstream.rstrip("/")
        self.verify = verify
        self.on_decision = on_decision
        self.challenge = challenge
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = await self.refusal(headers, _client_address(scope, headers))
        out = []
        status = 204
        if refusal is not None:
            status = 403 if refusal.challenge is None else 401
            out.append((DENIED_HEADER.lower().encode(), refusal.document.encode()))
            if refusal.challenge is not None:
                out.append((CHALLENGE_HEADER.lower().encode(), refusal.challenge.encode()))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def denial(self, headers: dict[str, str], client: str) -> str | None:
        """None to let the request through, else the error document to answer it with."""
        refusal = await self.refusal(headers, client)
        return refusal.document if refusal is not None else None

    async def refusal(self, headers: dict[str, str], client: str) -> Refusal | None:
        """None to let the request through, else how to refuse it."""
        uri = headers.get("x-original-uri", "")
        method = headers.get("x-original-method", "")
        try:
            path = routed_path(uri.partition("?")[0].encode("latin-1"))
        except (UncleanPath, UnicodeEncodeError) as refused:
            return Refusal(error_document("UNSUPPORTED", f"tenlayer refuses the path: {refused}"))
        route = repository_route(path)
        authorization = headers.get("authorization")
        if route is not None and self.challenge is not None and _bearer(authorization):
            stopped = await asyncio.to_thread(
                self._access_refusal, route, method, authorization or "", client)
            if stopped is not None:
                return stopped
        pushes = method == "PUT" and isinstance(self.gate, PushGate)
        manifest = manifest_path(path) if method in GATED_METHODS or pushes else None
        if manifest is None:
            return None
        claims = bearer_claims(authorization, self.verify)  # None: anonymous to the gate
        who = (claims.subject or None) if claims is not None else None
        request = PullRequest(who, manifest.repository, manifest.reference, method)
        # in a thread: a gate may read a database or ask the registry (signatures), and the
        # event loop keeps answering every other request meanwhile
        decision = await asyncio.to_thread(self._decide, request)
        if decision.allowed:
            return None
        if who is None and await self._wants_login(uri, headers):
            return None  # not a refusal: distribution asks the client to log in first
        if method in GATED_METHODS and may_delete(claims, manifest.repository):
            self._record(request, Decision(True, (
                f"{decision.reason}; let through: {who} may delete {manifest.repository} "
                "(a delete reads the manifest first)")), client)
            return None
        if (claims is not None and self.challenge is not None and method in GATED_METHODS
                and asked_delete(claims, manifest.repository)):
            # a delete its role forbids, reading the manifest first: say so, not the rule
            reason = self._why_not(claims, manifest.repository, "delete")
            return self._unauthorized(who, manifest.repository, "delete", "DELETE", reason,
                                      client)
        self._record(request, decision, client)
        detail = {"repository": manifest.repository, "reference": manifest.reference}
        return Refusal(error_document("DENIED", decision.reason, detail))

    def _access_refusal(
        self, route: RepositoryRoute, method: str, authorization: str, client: str
    ) -> Refusal | None:
        """The 401 distribution would answer a bearer token that does not verify or does
        not grant the action, with tenlayer's reason; None when the token will do."""
        if self.verify is None:
            return None
        action = route.action(method)
        try:
            claims = bearer_claims(authorization, self.verify, raise_errors=True)
        except TokenError as error:
            reason = f"the token is not valid ({error}); sign in again"
            return self._unauthorized(None, route.repository, action, method, reason, client)
        assert claims is not None  # the caller saw a bearer token
        if grants(claims, route.repository, action):
            return None
        reason = self._why_not(claims, route.repository, action)
        return self._unauthorized(claims.subject or None, route.repository, action, method,
                                  reason, client)

    def _unauthorized(
        self, who: str | None, repository: str, action: str, method: str, reason: str,
        client: str,
    ) -> Refusal:
        """Audit the refusal; the 401 with the reason and distribution's challenge."""
        assert self.challenge is not None
        self._record(PullRequest(who, repository, "", method), Decision(False, reason), client)
        detail = {"repository": repository, "action": action}
        return Refusal(error_document("DENIED", reason, detail),
                       self.challenge(repository, action, reason))

    def _why_not(self, claims: Claims, repository: str, action: str) -> str:
        if isinstance(self.gate, AccessExplainer):
            try:
                return self.gate.why_not(claims.subject, repository, action,
                                         granted_actions(claims, repository))
            except Exception:  # the explanation is a courtesy; the refusal stands
                log.exception("explaining a refusal of %s failed", claims.subject)
        return f"{claims.subject or 'anonymous'} may not {action} {repository}"

    def _decide(self, request: PullRequest) -> Decision:
        try:
            if request.method == "PUT" and isinstance(self.gate, PushGate):
                return self.gate.decide_push(request)
            return self.gate.decide(request)
        except Exception:  # a broken rule must refuse, not open the registry
            log.exception("the pull gate failed on %s", request)
            return Decision(False, "the pull gate failed; pulls are refused until it works")

    def _record(self, request: PullRequest, decision: Decision, client: str) -> None:
        """Audit a refusal (or a let-through before a delete). The pulls, pushes and deletes
        that happen are recorded from distribution's notifications, which know whether
        distribution itself allowed them."""
        if self.on_decision is None:
            return
        record = AuditRecord(
            request.identity, request.repository, request.reference, request.method,
            decision.allowed, decision.reason, client,
        )
        try:
            self.on_decision(record)
        except Exception:
            log.exception("the audit hook failed on %s", record)

    async def _wants_login(self, uri: str, headers: dict[str, str]) -> bool:
        """Whether distribution answers this manifest request with 401 (a HEAD, so no
        manifest is fetched), with the client's own Authorization header if any."""
        sent = {"Accept": headers.get("accept", "*/*")}
        if "authorization" in headers:
            sent["Authorization"] = headers["authorization"]
        try:
            response = await self.client.head(self.upstream + uri, headers=sent)
        except httpx.HTTPError as failed:
            log.warning("distribution did not answer the login probe: %s", failed)
            return False
        return response.status_code == 401

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0, trust_env=False)
        return self._client

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _bearer(authorization: str | None) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _client_address(scope: Scope, headers: dict[str, str]) -> str:
    """The pulling client's address: nginx's X-Real-IP/port headers, not nginx's own."""
    if "x-real-ip" in headers:
        return f"{headers['x-real-ip']}:{headers.get('x-real-port', '')}"
    client = scope.get("client") or ("", 0)
    return f"{client[0]}:{client[1]}"

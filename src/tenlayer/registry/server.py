"""`tenlayer registry serve`: the Starlette app (token endpoint and admin API) and uvicorn.

GET /token follows Docker's token specification (service, scope..., account, offline_token;
Basic credentials or anonymous); POST /token is its OAuth2 form (grant_type password or
refresh_token, client_id, access_type=offline). Answers carry `token` and `access_token`,
`expires_in`, `issued_at` and, when asked for, `refresh_token`.
"""

from __future__ import annotations

import datetime
import hmac
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tenlayer.registry.access import ANONYMOUS, Principal, parse_scopes
from tenlayer.registry.service import Grant, LoginRefused, Throttled, TokenService
from tenlayer.registry.web import (
    HttpError,
    basic_credentials,
    bearer_token,
    client_address,
    read_body,
)

if TYPE_CHECKING:
    from tenlayer.registry.scanner import ScanQueue


def _login(service: TokenService, account: str, password: str, client: str) -> Principal:
    try:
        return service.login(account, password, client)
    except Throttled as error:
        raise HttpError(429, "TOOMANYREQUESTS", str(error),
                        {"Retry-After": str(error.retry_after)}) from None
    except LoginRefused as error:
        raise HttpError(401, "UNAUTHORIZED", str(error)) from None


def _token_body(grant: Grant, *, oauth: bool) -> dict[str, Any]:
    token = grant.token
    body: dict[str, Any] = {
        "token": token.token,
        "access_token": token.token,
        "expires_in": int((token.expires_at - token.issued_at).total_seconds()),
        "issued_at": token.issued_at.isoformat().replace("+00:00", "Z"),
    }
    if oauth:
        body["token_type"] = "Bearer"
        body["scope"] = " ".join(
            f"{a.type}:{a.name}:{','.join(a.actions)}" for a in grant.access
        )
    if grant.refresh_token is not None:
        body["refresh_token"] = grant.refresh_token
    return body


def _check_service(service: TokenService, requested: str | None) -> None:
    if requested and requested != service.config.service:
        raise HttpError(400, "invalid_request", f"unknown service {requested!r}")


def _get_token(service: TokenService, request: Request) -> JSONResponse:
    params = request.query_params
    _check_service(service, params.get("service"))
    scopes = parse_scopes(params.getlist("scope"))
    credentials = basic_credentials(request)
    principal = ANONYMOUS
    if credentials is not None:
        principal = _login(service, *credentials, client_address(request))
        account = params.get("account")
        if account and account != principal.name:
            raise HttpError(400, "invalid_request",
                            "the account parameter is not the signed-in account")
    offline = params.get("offline_token", "").lower() == "true"
    grant = service.issue(principal, scopes, offline=offline,
                          client=client_address(request))
    return JSONResponse(_token_body(grant, oauth=False), headers={"Cache-Control": "no-store"})


def _post_token(service: TokenService, request: Request, body: bytes) -> JSONResponse:
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise HttpError(400, "invalid_request", "the form is not UTF-8") from None

    def one(name: str) -> str:
        values = form.get(name, [])
        if len(values) > 1:
            raise HttpError(400, "invalid_request", f"{name} given more than once")
        return values[0] if values else ""

    _check_service(service, one("service"))
    if not one("client_id"):
        raise HttpError(400, "invalid_request", "client_id is required")
    scopes = parse_scopes(form.get("scope", []))
    grant_type = one("grant_type")
    if grant_type == "password":
        if not one("username"):
            raise HttpError(400, "invalid_request", "username is required")
        principal = _login(service, one("username"), one("password"), client_address(request))
    elif grant_type == "refresh_token":
        try:
            principal = service.refresh(one("refresh_token"), client_address(request))
        except LoginRefused as error:
            raise HttpError(401, "UNAUTHORIZED", str(error)) from None
    else:
        raise HttpError(400, "unsupported_grant_type",
                        "grant_type must be password or refresh_token")
    offline = one("access_type") == "offline" and grant_type == "password"
    grant = service.issue(principal, scopes, offline=offline,
                          client=client_address(request))
    return JSONResponse(_token_body(grant, oauth=True), headers={"Cache-Control": "no-store"})


def _oauth_error(error: HttpError) -> JSONResponse:
    """RFC 6749's error fields beside the registry's `errors` list."""
    oauth = {400: "invalid_request", 401: "invalid_grant", 429: "slow_down"}
    code = error.code if error.code.islower() else oauth.get(error.status, "invalid_request")
    document = {
        "error": code,
        "error_description": error.message,
        "errors": [{"code": error.code.upper(), "message": error.message}],
        "details": error.message,
    }
    return JSONResponse(document, status_code=error.status, headers=error.headers)


def token_routes(service: TokenService) -> list[BaseRoute]:
    async def get_token(request: Request) -> Response:
        try:
            return await run_in_threadpool(_get_token, service, request)
        except HttpError as error:
            return error.response()

    async def post_token(request: Request) -> Response:
        try:
            body = await read_body(request)
            return await run_in_threadpool(_post_token, service, request, body)
        except HttpError as error:
            return _oauth_error(error)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "time": datetime.datetime.now(
            datetime.UTC).isoformat()})

    return [
        Route("/token", get_token, methods=["GET"]),
        Route("/token", post_token, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]


def event_routes(scans: ScanQueue, secret: str) -> list[BaseRoute]:
    """`POST /events`: distribution's notifications (`Authorization: Bearer SECRET`)."""
    import orjson

    from tenlayer.registry.scanner import MAX_EVENTS_BODY, BadEnvelope, registry_events

    expected = secret.encode("utf-8")

    async def events(request: Request) -> Response:
        try:
            given = bearer_token(request) or ""
            if not hmac.compare_digest(given.encode("utf-8"), expected):
                raise HttpError(401, "UNAUTHORIZED", "the events secret is missing or wrong")
            body = await read_body(request, MAX_EVENTS_BODY)
            try:
                reported = registry_events(orjson.loads(body))
            except (orjson.JSONDecodeError, BadEnvelope) as error:
                raise HttpError(400, "invalid_request", f"not a notification envelope: "
                                f"{error}") from None
            for event in reported:
                await run_in_threadpool(scans.handle, event)
            return JSONResponse({"events": len(reported)})
        except HttpError as error:
            return error.response()

    return [Route("/events", events, methods=["POST"])]


def create_app(service: TokenService, scans: ScanQueue | None = None) -> Starlette:
    from tenlayer.registry.api import api_routes

    routes = [*token_routes(service), *api_routes(service)]
    secret = service.config.events_secret()
    if scans is not None and secret is not None:
        routes.extend(event_routes(scans, secret))
    return Starlette(routes=routes, exception_handlers={
        404: _unrouted, 405: _unrouted})


async def _unrouted(request: Request, error: Exception) -> Response:
    """Unknown paths and methods answer the same JSON error document as everything else."""
    from starlette.exceptions import HTTPException

    status = error.status_code if isinstance(error, HTTPException) else 404
    if status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        return HttpError(405, "METHOD_NOT_ALLOWED", message).response()
    return HttpError(404, "NOT_FOUND", f"no such endpoint: {request.url.path}").response()


def serve(service: TokenService, scans: ScanQueue | None = None) -> None:
    """Run until SIGINT or SIGTERM; SIGHUP re-reads the signing keys (rotation). With
    `scans`, serve distribution's notifications at /events and scan what is pushed."""
    import signal

    import uvicorn

    signal.signal(signal.SIGHUP, lambda _number, _frame: service.reload_keys())
    config = service.config
    if scans is not None:
        scans.start()
    try:
        uvicorn.run(
            create_app(service, scans), host=config.host, port=config.port,
            log_level="warning", access_log=False, server_header=False,
            # the client address feeds the login throttle: never taken from X-Forwarded-For,
            # which any client on loopback could set to spray passwords from "other" hosts
            proxy_headers=False,
        )
    finally:
        service.audit.close()
        if scans is not None:
            scans.stop()

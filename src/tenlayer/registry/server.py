"""`tenlayer registry serve`: the Starlette app (token endpoint and admin API) and uvicorn.

GET /token follows Docker's token specification (service, scope..., account, offline_token;
Basic credentials or anonymous); POST /token is its OAuth2 form (grant_type password or
refresh_token, client_id, access_type=offline). Answers carry `token` and `access_token`,
`expires_in`, `issued_at` and, when asked for, `refresh_token`.
"""

from __future__ import annotations

import datetime
from typing import Any
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
    client_address,
    read_body,
)


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
    grant = service.issue(principal, scopes, offline=offline)
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
            principal = service.refresh(one("refresh_token"))
        except LoginRefused as error:
            raise HttpError(401, "UNAUTHORIZED", str(error)) from None
    else:
        raise HttpError(400, "unsupported_grant_type",
                        "grant_type must be password or refresh_token")
    offline = one("access_type") == "offline" and grant_type == "password"
    grant = service.issue(principal, scopes, offline=offline)
    return JSONResponse(_token_body(grant, oauth=True), headers={"Cache-Control": "no-store"})


def _oauth_error(error: HttpError) -> JSONResponse:
    """RFC 6749's error fields beside the registry's `errors` list."""
    oauth = {400: "invalid_request", 401: "invalid_grant", 429: "slow_down"}
    code = error.code if error.code.islower() else oauth.get(error.status, "invalid_request")
    document = {
        "error": code,
        "error_description": error.message,
        "errors": [{"code": error.code, "message": error.message}],
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


def create_app(service: TokenService) -> Starlette:
    from tenlayer.registry.api import api_routes

    return Starlette(routes=[*token_routes(service), *api_routes(service)])


def serve(service: TokenService) -> None:
    """Run until SIGINT or SIGTERM; SIGHUP re-reads the signing keys (rotation)."""
    import signal

    import uvicorn

    signal.signal(signal.SIGHUP, lambda _number, _frame: service.reload_keys())
    config = service.config
    uvicorn.run(
        create_app(service), host=config.host, port=config.port, log_level="warning",
        access_log=False, server_header=False,
    )

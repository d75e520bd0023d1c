"""Small HTTP helpers shared by the token endpoint and the admin API (Starlette)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

MAX_BODY = 64 * 1024


class HttpError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        """distribution's error document (codes upper-case, as distribution writes them),
        with `details` beside it: what docker's token client prints."""
        body: dict[str, Any] = {
            "errors": [{"code": self.code.upper(), "message": self.message}],
            "details": self.message,
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def client_host(address: str) -> str:
    """`192.0.2.7` of `192.0.2.7:4000`: the audit names clients by host alone, however the
    address came (distribution names its TCP peer with the port, a client it read from
    X-Forwarded-For without; the front has nginx's X-Real-IP and port)."""
    host, colon, port = address.rpartition(":")
    return host.strip("[]") if colon and port.isdigit() and host else address


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(account, password) from a Basic Authorization header; None when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise HttpError(400, "invalid_request", "malformed Basic credentials") from None
    account, colon, password = decoded.partition(":")
    if not colon or not account:
        raise HttpError(400, "invalid_request", "malformed Basic credentials")
    return account, password


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request's body; 413 as soon as it is (or claims to be) over `limit` bytes."""
    too_large = HttpError(413, "too_large", f"the body is larger than {limit} bytes")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise too_large
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return body

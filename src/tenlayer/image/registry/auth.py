"""Registry authentication: `WWW-Authenticate` challenges, HTTP basic and bearer tokens.

The bearer flow is the one Docker's token specification describes: a 401 names a token
server (`realm`), the `service` and the `scope`; the client asks the realm for a token for
that scope, with basic credentials when it has some (anonymous otherwise), and repeats its
request with `Authorization: Bearer TOKEN`. With an identity token (`identitytoken` in
config.json) it uses the OAuth2 refresh-token grant instead (a POST to the same realm).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from tenlayer.errors import BadInput, EnvironmentProblem
from tenlayer.image.registry.credentials import CredentialLookup
from tenlayer.image.registry.transport import read_limited, transport_error

if TYPE_CHECKING:
    import httpx

MAX_TOKEN_RESPONSE = 1 << 20
CLIENT_ID = "tenlayer"

_ITEM = re.compile(
    r"""[\s,]*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[^\s,]*))?"""
)


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str
    """Lowercase: `basic`, `bearer`."""
    params: dict[str, str]


def parse_challenges(values: list[str]) -> list[Challenge]:
    """Parse `WWW-Authenticate` header values (each may hold several challenges)."""
    challenges: list[Challenge] = []
    for value in values:
        position = 0
        while True:
            match = _ITEM.match(value, position)
            if match is None or match.end() == position:
                break
            position = match.end()
            name, raw = match.group(1), match.group(2)
            if raw is None:
                challenges.append(Challenge(name.lower(), {}))
            elif challenges:
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                challenges[-1].params[name.lower()] = raw
    return challenges


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


class Authenticator:
    """Holds the `Authorization` header for one repository and renews it on a challenge."""

    def __init__(
        self,
        client: httpx.Client,
        lookup: CredentialLookup,
        *,
        scope: str,
        insecure: bool,
        context: str,
        registry: str,
    ) -> None:
        self._client = client
        self._lookup = lookup
        self._scope = scope
        self._insecure = insecure
        self._context = context
        self._registry = registry
        self.header: str | None = None

    def answer(self, response: httpx.Response) -> None:
        """Set `header` to answer the challenge of a 401 response."""
        challenges = parse_challenges(response.headers.get_list("www-authenticate"))
        by_scheme = {c.scheme: c for c in challenges}
        if "bearer" in by_scheme:
            self.header = "Bearer " + self._fetch_token(by_scheme["bearer"])
            return
        if "basic" in by_scheme:
            credentials = self._lookup.credentials
            if credentials is None or not credentials.username:
                raise BadInput(
                    f"{self._context}: registry {self._registry} requires a login "
                    f"({self._lookup.describe()}; run docker login or podman login)"
                )
            self.header = basic_header(credentials.username, credentials.password)
            return
        offered = ", ".join(sorted(by_scheme)) or "none"
        raise EnvironmentProblem(
            f"{self._context}: registry {self._registry} asks for an unsupported "
            f"authentication scheme ({offered})"
        )

    def _fetch_token(self, challenge: Challenge) -> str:
        import httpx

        realm = challenge.params.get("realm", "")
        try:
            url = httpx.URL(realm)
        except httpx.InvalidURL:
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise EnvironmentProblem(
                f"{self._context}: registry {self._registry} names an invalid token "
                f"realm {realm!r}"
            )
        where = f"{url.host}:{url.port}" if url.port else url.host
        if url.scheme == "http" and not self._insecure:
            raise EnvironmentProblem(
                f"{self._context}: registry {self._registry} names a plain-HTTP token server "
                f"({where}); pass --insecure to allow it"
            )
        scopes = [self._scope]
        if challenge.params.get("scope") and challenge.params["scope"] != self._scope:
            scopes.insert(0, challenge.params["scope"])
        service = challenge.params.get("service", "")
        credentials = self._lookup.credentials
        try:
            if credentials is not None and credentials.identity_token:
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": credentials.identity_token,
                    "service": service,
                    "scope": " ".join(scopes),
                    "client_id": CLIENT_ID,
                    "access_type": "offline",
                }
                request = self._client.build_request("POST", url, data=form)
            else:
                params: list[tuple[str, str | int | float | bool | None]] = (
                    [("service", service)] if service else []
                )
                params += [("scope", scope) for scope in scopes]
                headers = {}
                if credentials is not None and credentials.username:
                    params.append(("account", credentials.username))
                    headers["Authorization"] = basic_header(
                        credentials.username, credentials.password
                    )
                request = self._client.build_request("GET", url, params=params, headers=headers)
            response = self._client.send(request, stream=True)
            try:
                body = read_limited(response, MAX_TOKEN_RESPONSE)
            finally:
                response.close()
        except httpx.HTTPError as error:
            raise transport_error(
                error, context=self._context, host=f"token server {where}",
                timeout=self._client.timeout.read,
            ) from None
        return self._token_from(response, body, where)

    def _token_from(self, response: httpx.Response, body: bytes | None, host: str) -> str:
        status = response.status_code
        if status in (401, 403):
            raise BadInput(
                f"{self._context}: not authorized: token server {host} refused "
                f"{self._lookup.describe()} (HTTP {status})"
            )
        if status != 200:
            raise EnvironmentProblem(
                f"{self._context}: token server {host} answered HTTP {status}"
            )
        if body is None:
            raise EnvironmentProblem(f"{self._context}: token server {host} answer is too large")
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            document = None
        if isinstance(document, dict):
            for key in ("token", "access_token"):
                token = document.get(key)
                if isinstance(token, str) and token:
                    return token
        raise EnvironmentProblem(f"{self._context}: token server {host} sent no token")

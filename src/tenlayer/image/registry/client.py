"""A client for the Distribution API v2 (the OCI distribution specification): pulls, and
with `push=True` the few pushes signing needs (blob upload, manifest PUT).

One client serves one repository. `connect()` finds how to reach the registry — HTTPS with
verified TLS; with `insecure`, HTTPS without verification and then plain HTTP, as skopeo's
`--tls-verify=false` does — and answers the authentication challenge of `GET /v2/`.
Every later request carries the `Authorization` header; a 401 renews it once (tokens
expire during long pulls) before it counts as a refusal.

Redirects (blob downloads are often sent to a CDN or object store) are followed here rather
than by httpx so that the credentials go only to the registry's own origin, and a download
is never moved from HTTPS to plain HTTP unless `insecure` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import orjson

from tenlayer import __version__
from tenlayer.errors import BadInput, EnvironmentProblem, TenlayerError
from tenlayer.image.blobs import MAX_JSON_BLOB
from tenlayer.image.oci import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from tenlayer.image.registry.auth import Authenticator
from tenlayer.image.registry.credentials import CredentialLookup
from tenlayer.image.registry.reference import Reference
from tenlayer.image.registry.transport import (
    ResponseStream,
    one_line,
    read_limited,
    transport_error,
)

if TYPE_CHECKING:
    import httpx

MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
MAX_REDIRECTS = 10
MAX_ERROR_BODY = 64 << 10
PAGE_SIZE = 1000
MAX_LISTED = 1_000_000

T = TypeVar("T")


class RegistryClient:
    def __init__(
        self,
        reference: Reference,
        lookup: CredentialLookup,
        *,
        insecure: bool,
        timeout: float,
        push: bool = False,
    ) -> None:
        import httpx

        self.reference = reference
        self.lookup = lookup
        self._context = str(reference)
        self._insecure = insecure
        self._timeout = timeout
        self._client = httpx.Client(
            timeout=timeout,
            verify=not insecure,
            follow_redirects=False,
            headers={"User-Agent": f"tenlayer/{__version__}", "Accept-Encoding": "identity"},
        )
        self._auth = Authenticator(
            self._client,
            lookup,
            scope=f"repository:{reference.repository}:{'pull,push' if push else 'pull'}",
            insecure=insecure,
            context=self._context,
            registry=reference.registry,
        )
        self._base: httpx.URL | None = None
        self._body: bytes | None = None

    # -- connection ---------------------------------------------------------------------
    def connect(self) -> None:
        """Settle on a scheme and authenticate (`GET /v2/`, the API's version check)."""
        import httpx

        host = self.reference.host
        schemes = ("https", "http") if self._insecure else ("https",)
        failure: httpx.HTTPError | None = None
        for scheme in schemes:
            base = httpx.URL(f"{scheme}://{host}")
            try:
                response = self._client.send(
                    self._client.build_request("GET", base.join("/v2/")), stream=True
                )
                try:
                    body = read_limited(response, MAX_ERROR_BODY)
                finally:
                    response.close()
            except httpx.ConnectError as error:
                failure = error  # TLS spoken to a plain-HTTP server lands here too
                continue
            except httpx.HTTPError as error:
                raise self._transport(error) from None
            self._base = base
            break
        else:
            assert failure is not None
            problem = self._transport(failure)
            text = str(failure)
            if not self._insecure and "SSL" in text and "CERTIFICATE_VERIFY_FAILED" not in text:
                problem = EnvironmentProblem(
                    f"{problem}; if {self.reference.registry} serves plain HTTP, pass --insecure"
                )
            raise problem
        status = response.status_code
        if status == 401:
            self._guarded(lambda: self._auth.answer(response))
        elif status >= 500 or status == 429:
            raise self._status_problem(response, body, "the API version check (GET /v2/)")
        elif status == 404:
            raise EnvironmentProblem(
                f"{self._context}: {self.reference.registry} does not serve the registry "
                "API v2 (GET /v2/ answered 404)"
            )

    def close(self) -> None:
        self._client.close()

    # -- content ------------------------------------------------------------------------
    def get_manifest(self, ref: str, *, accept: str = MANIFEST_ACCEPT) -> tuple[bytes, str, str]:
        """The manifest's bytes, its Content-Type and its Docker-Content-Digest (or "")."""
        path = f"/v2/{self.reference.repository}/manifests/{ref}"
        not_found = (
            f"{self._context}: image not found (registry {self.reference.registry} has no "
            f"manifest {ref} in repository {self.reference.repository})"
        )
        response = self._get(path, accept=accept, what=f"manifest {ref}", not_found=not_found)
        try:
            data = self._read_json_body(response, f"manifest {ref}")
        finally:
            response.close()
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        return data, content_type, response.headers.get("docker-content-digest", "").strip()

    def get_blob(self, digest: str) -> bytes:
        """A small blob (a config) read whole, at most MAX_JSON_BLOB bytes."""
        response = self._get_blob(digest)
        try:
            return self._read_json_body(response, f"blob {digest}")
        finally:
            response.close()

    def open_blob(self, digest: str, size: int, *, context: str) -> ResponseStream:
        """A layer blob as a stream of its raw bytes (the caller verifies the digest)."""
        response = self._get_blob(digest)
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) != size:
            response.close()
            raise BadInput(
                f"{context}: registry {self.reference.registry} serves {length} bytes for "
                f"blob {digest}, the manifest says {size}"
            )
        return ResponseStream(
            response, context=context, host=f"registry {self.reference.registry}",
            timeout=self._timeout,
        )

    def find_manifest(self, ref: str, *, accept: str) -> tuple[bytes, str] | None:
        """The manifest's bytes and Content-Type, or None when the registry has no `ref`."""
        path = f"/v2/{self.reference.repository}/manifests/{ref}"
        response = self._request("GET", path, headers={"Accept": accept})
        try:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                self._refuse(response, f"manifest {ref}", "pull")
            data = self._read_json_body(response, f"manifest {ref}")
        finally:
            response.close()
        return data, response.headers.get("content-type", "").split(";")[0].strip()

    # -- listing --------------------------------------------------------------------------
    def catalog(self) -> list[str]:
        """Every repository the credentials may list (`GET /v2/_catalog`, all pages)."""
        return self._listing("/v2/_catalog", "repositories", "the catalog")

    def tags(self) -> list[str]:
        """Every tag of the reference's repository (`GET /v2/NAME/tags/list`, all pages)."""
        repository = self.reference.repository
        return self._listing(f"/v2/{repository}/tags/list", "tags", f"the tags of {repository}")

    def _listing(self, path: str, key: str, what: str) -> list[str]:
        """A paginated list, following `Link: <…>; rel="next"` on the same origin, at most
        MAX_LISTED names (a registry that never stops paginating is refused)."""
        import re

        names: list[str] = []
        target: str | httpx.URL = f"{path}?n={PAGE_SIZE}"
        while True:
            response = self._request("GET", target)
            try:
                if response.status_code != 200:
                    self._refuse(response, what, "pull")
                body = self._read_json_body(response, what)
            finally:
                response.close()
            document = orjson.loads(body)
            page = document.get(key) if isinstance(document, dict) else None
            if page is None:
                page = []
            if not isinstance(page, list) or not all(isinstance(n, str) for n in page):
                raise BadInput(f"{self._context}: {what}: `{key}` is not a list of names")
            names.extend(page)
            if len(names) > MAX_LISTED:
                raise BadInput(f"{self._context}: {what}: more than {MAX_LISTED} names")
            link = re.match(r'\s*<([^>]+)>\s*;\s*rel="?next"?', response.headers.get("link", ""))
            if link is None:
                return names
            assert self._base is not None
            following = self._base.join(link.group(1))
            if _origin(following) != _origin(self._base):
                raise BadInput(f"{self._context}: {what}: the next page is on another host")
            target = following

    # -- pushing --------------------------------------------------------------------------
    def has_blob(self, digest: str) -> bool:
        response = self._request("HEAD", f"/v2/{self.reference.repository}/blobs/{digest}")
        response.close()
        if response.status_code in (200, 404):
            return response.status_code == 200
        self._refuse(response, f"blob {digest}", "pull")
        raise AssertionError("unreachable")

    def upload_blob(self, data: bytes, digest: str) -> None:
        """A monolithic upload (POST a session, PUT the bytes with ?digest=), unless the
        repository has the blob already."""
        if self.has_blob(digest):
            return
        what = f"the upload of blob {digest}"
        response = self._request("POST", f"/v2/{self.reference.repository}/blobs/uploads/")
        response.close()
        if response.status_code != 202 or "location" not in response.headers:
            self._refuse(response, what, "push")
        assert self._base is not None
        location = self._base.join(f"/v2/{self.reference.repository}/blobs/uploads/").join(
            response.headers["location"]
        )
        response = self._request(
            "PUT", location.copy_merge_params({"digest": digest}), content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        response.close()
        if response.status_code != 201:
            self._refuse(response, what, "push")

    def put_manifest(self, ref: str, data: bytes, media_type: str) -> None:
        response = self._request(
            "PUT", f"/v2/{self.reference.repository}/manifests/{ref}", content=data,
            headers={"Content-Type": media_type},
        )
        response.close()
        if response.status_code not in (200, 201):
            self._refuse(response, f"the push of manifest {ref}", "push")

    def _request(
        self, method: str, target: str | httpx.URL, *, headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """One request with the credentials (renewed once on a 401), redirects not followed;
        the body is read here, so the caller only looks at status, headers and `content`."""
        base = self._base
        assert base is not None, "connect() first"
        url = base.join(target) if isinstance(target, str) else target

        def send() -> httpx.Response:
            sent = dict(headers or {})
            if self._auth.header and _origin(url) == _origin(base):
                sent["Authorization"] = self._auth.header
            request = self._client.build_request(method, url, headers=sent, content=content)
            response = self._client.send(request, stream=True)
            self._body = read_limited(response, MAX_ERROR_BODY) if method != "GET" else None
            return response

        response = self._guarded(send)
        if response.status_code == 401:
            response.close()
            self._guarded(lambda: self._auth.answer(response))
            response = self._guarded(send)
        return response

    def _refuse(self, response: httpx.Response, what: str, action: str) -> None:
        """Raise the one-line error for a refused request."""
        body = self._body if response.request.method != "GET" else self._guarded(
            lambda: read_limited(response, MAX_ERROR_BODY)
        )
        status = response.status_code
        if status in (401, 403):
            raise BadInput(
                f"{self._context}: not authorized to {action} {self.reference.repository} on "
                f"{self.reference.registry} ({self._refusal()}; HTTP {status}"
                f"{_registry_errors(body)})"
            )
        if 400 <= status < 500 and status != 429:
            reason = f" {response.reason_phrase}" if response.reason_phrase else ""
            raise BadInput(
                f"{self._context}: registry {self.reference.registry} refused {what} "
                f"(HTTP {status}{reason}{_registry_errors(body)})"
            )
        raise self._status_problem(response, body, what)

    def _get_blob(self, digest: str) -> httpx.Response:
        not_found = (
            f"{self._context}: blob {digest} not found in repository "
            f"{self.reference.repository} on {self.reference.registry}"
        )
        return self._get(
            f"/v2/{self.reference.repository}/blobs/{digest}", accept=None,
            what=f"blob {digest}", not_found=not_found,
        )

    def _read_json_body(self, response: httpx.Response, what: str) -> bytes:
        length = response.headers.get("content-length")
        too_large = BadInput(
            f"{self._context}: {what} is too large (over {MAX_JSON_BLOB} bytes; "
            "real ones are kilobytes)"
        )
        if length is not None and length.isdigit() and int(length) > MAX_JSON_BLOB:
            raise too_large
        data = self._guarded(lambda: read_limited(response, MAX_JSON_BLOB, raw=True))
        if data is None:
            raise too_large
        return data

    # -- requests -----------------------------------------------------------------------
    def _get(
        self, path: str, *, accept: str | None, what: str, not_found: str
    ) -> httpx.Response:
        """A streamed 200 response for GET `path`; anything else raises a one-line error."""
        assert self._base is not None, "connect() first"
        url = self._base.join(path)
        headers = {"Accept": accept} if accept else {}
        response = self._guarded(lambda: self._follow(url, headers))
        if response.status_code == 401:
            response.close()
            self._guarded(lambda: self._auth.answer(response))
            response = self._guarded(lambda: self._follow(url, headers))
        if response.status_code == 200:
            return response
        try:
            body = self._guarded(lambda: read_limited(response, MAX_ERROR_BODY))
        finally:
            response.close()
        status = response.status_code
        if status in (401, 403):
            raise BadInput(
                f"{self._context}: not authorized to pull {self.reference.repository} from "
                f"{self.reference.registry} ({self._refusal()}; HTTP {status}"
                f"{_registry_errors(body)})"
            )
        if status == 404:
            raise BadInput(not_found)
        raise self._status_problem(response, body, what)

    def _follow(self, url: httpx.URL, headers: dict[str, str]) -> httpx.Response:
        """GET `url`, following redirects; credentials go to the registry's origin only."""
        assert self._base is not None
        for _ in range(MAX_REDIRECTS + 1):
            sent = dict(headers)
            if self._auth.header and _origin(url) == _origin(self._base):
                sent["Authorization"] = self._auth.header
            response = self._client.send(
                self._client.build_request("GET", url, headers=sent), stream=True
            )
            if not response.is_redirect:
                return response
            response.close()
            target = url.join(response.headers["location"])
            if target.scheme not in ("http", "https") or (
                target.scheme == "http" and url.scheme == "https" and not self._insecure
            ):
                raise EnvironmentProblem(
                    f"{self._context}: registry {self.reference.registry} redirected to "
                    f"{target.scheme}://{target.host} (not HTTPS); pass --insecure to allow it"
                )
            url = target
        raise EnvironmentProblem(
            f"{self._context}: registry {self.reference.registry} redirected more than "
            f"{MAX_REDIRECTS} times"
        )

    def _guarded(self, action: Callable[[], T]) -> T:
        import httpx

        try:
            return action()
        except httpx.HTTPError as error:
            raise self._transport(error) from None

    # -- messages -----------------------------------------------------------------------
    def _transport(self, error: Exception) -> TenlayerError:
        return transport_error(
            error, context=self._context, host=f"registry {self.reference.registry}",
            timeout=self._timeout,
        )

    def _refusal(self) -> str:
        if self.lookup.credentials is not None:
            return f"{self.lookup.describe()} were refused"
        return (
            f"the repository may not exist, or needs a login: {self.lookup.describe()}"
        )

    def _status_problem(
        self, response: httpx.Response, body: bytes | None, what: str
    ) -> EnvironmentProblem:
        status = response.status_code
        reason = f" {response.reason_phrase}" if response.reason_phrase else ""
        if status == 429:
            return EnvironmentProblem(
                f"{self._context}: registry {self.reference.registry} is rate-limiting "
                f"pulls (HTTP 429 while fetching {what}); try again later"
            )
        return EnvironmentProblem(
            f"{self._context}: registry {self.reference.registry} answered HTTP {status}"
            f"{reason} for {what}{_registry_errors(body)}"
        )


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _registry_errors(body: bytes | None) -> str:
    """`: CODE: message` from the registry's error document, when it sent one."""
    if not body:
        return ""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ""
    code, message = errors[0].get("code"), errors[0].get("message")
    text = ": ".join(str(part) for part in (code, message) if part)
    return f": {one_line(Exception(text))}" if text else ""

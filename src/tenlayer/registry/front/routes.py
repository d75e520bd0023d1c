"""Which requests are manifest requests: decided on the path exactly as distribution routes it.

distribution 2.8 routes `/v2/{name}/manifests/{reference}` with the patterns of its
`reference` package (registry/api/v2/routes.go, reference/regexp.go). Go's HTTP server
percent-decodes the request path (`URL.Path`), and gorilla mux matches its patterns against
that decoded path, after redirecting an unclean one (`//`, `.` and `..` segments) to its
clean form. So the front does the same decoding — strictly, as Go does: a bad escape is
refused, `+` stays `+` — and then matches distribution's patterns against the decoded
path: `/v2/secret%2Frepo/manifests/x` is a pull of `secret/repo`, as distribution sees it.
It does not try to reproduce mux's cleaning: a decoded path with an empty, `.` or `..`
segment, a backslash, a control or non-ASCII character is refused before anything is
forwarded (no client makes one; names, tags, digests and upload ids never contain them).
The front forwards the request path as the client wrote it, so distribution decodes the
very bytes the gate decided on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ALPHA_NUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
"""distribution writes `[-]*`; an empty separator only joins two alphanumeric runs, which
`[a-z0-9]+` already matches, so `-+` is the same language without the exponential
backtracking Python's engine (unlike Go's RE2) would do on a long name."""
_NAME_COMPONENT = rf"{_ALPHA_NUMERIC}(?:{_SEPARATOR}{_ALPHA_NUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?"
NAME = rf"(?:{_DOMAIN}/)?{_NAME_COMPONENT}(?:/{_NAME_COMPONENT})*"
TAG = r"[\w][\w.-]{0,127}"
DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"

NAME_PATTERN = re.compile(NAME, re.ASCII)
REFERENCE_PATTERN = re.compile(rf"{TAG}|{DIGEST}", re.ASCII)

MAX_NAME = 255
"""reference.NameTotalLengthMax: distribution answers NAME_INVALID beyond it."""
MAX_PATH = 2048
"""Longer request paths are refused: no route distribution serves is that long (a name is
at most 255 characters, a digest at most sha512's), and no pattern runs on them."""


@dataclass(frozen=True)
class ManifestPath:
    repository: str
    reference: str


class UncleanPath(ValueError):
    """A path distribution would decode or clean before routing: refused, never guessed."""


_UNSAFE = re.compile(r"[\\\x00-\x20\x7f-\U0010ffff]")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")


def routed_path(raw_path: bytes) -> str:
    """The path distribution routes for the request path `raw_path` (as sent, without the
    query); raise UncleanPath when distribution would decode it to something unclean or
    could not decode it at all."""
    if not raw_path.startswith(b"/"):
        raise UncleanPath("the request path must start with /")
    if len(raw_path) > MAX_PATH:
        raise UncleanPath(f"the request path is longer than {MAX_PATH} bytes")
    if raw_path.count(b"%") != len(_ESCAPE.findall(raw_path)):
        raise UncleanPath("the request path has a malformed percent-escape")
    decoded = _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), raw_path)
    path = decoded.decode("latin-1")
    if _UNSAFE.search(path):
        raise UncleanPath("backslashes, control and non-ASCII characters are refused")
    segments = path[1:].split("/")
    # a trailing slash leaves one empty last segment (`/v2/`, `/v2/x/blobs/uploads/`)
    inner = segments[:-1] if segments[-1] == "" else segments
    for segment in inner:
        if segment in ("", ".", ".."):
            raise UncleanPath("empty, '.' and '..' path segments are refused")
    return path


def manifest_path(path: str) -> ManifestPath | None:
    """The repository and reference of a manifest route, or None for any other route.

    `path` is what `routed_path` returned.
    """
    # routes.go: `^/v2/{name}/manifests/{reference}$`. A reference has no `/`, so only the
    # last `/manifests/` can end the name: the same split mux's backtracking finds.
    prefix, found, reference = path.rpartition("/manifests/")
    if not found or not prefix.startswith("/v2/"):
        return None
    name = prefix[len("/v2/"):]
    if len(name) > MAX_NAME or len(reference) > MAX_PATH:
        return None
    if NAME_PATTERN.fullmatch(name) is None or REFERENCE_PATTERN.fullmatch(reference) is None:
        return None
    return ManifestPath(name, reference)


@dataclass(frozen=True)
class RepositoryRoute:
    """A request under one repository, and the action distribution requires for it."""

    repository: str
    kind: str
    """`manifests`, `blobs`, `uploads` or `tags`."""

    def action(self, method: str) -> str:
        """distribution's access check (registry/handlers/app.go): reads need pull, writes
        push, deletes of manifests and blobs delete (cancelling an upload is a write)."""
        if method in ("GET", "HEAD"):
            return "pull"
        if method == "DELETE" and self.kind in ("manifests", "blobs"):
            return "delete"
        return "push"


def repository_route(path: str) -> RepositoryRoute | None:
    """The repository a request path is under (routes.go: manifests, blobs, blob uploads,
    tags), or None for `/v2/`, `/v2/_catalog` and anything distribution does not route.

    `path` is what `routed_path` returned."""
    for marker, kind, rest_pattern in (
        ("/blobs/uploads/", "uploads", _UPLOAD_ID),
        ("/blobs/", "blobs", DIGEST_PATTERN),
        ("/manifests/", "manifests", REFERENCE_PATTERN),
        ("/tags/list", "tags", None),
    ):
        prefix, found, rest = path.rpartition(marker)
        if not found or not prefix.startswith("/v2/"):
            continue
        if rest_pattern is None and rest:
            continue
        if rest_pattern is not None and rest and rest_pattern.fullmatch(rest) is None:
            continue
        if kind in ("blobs", "manifests") and not rest:
            continue
        name = prefix[len("/v2/"):]
        if len(name) <= MAX_NAME and NAME_PATTERN.fullmatch(name) is not None:
            return RepositoryRoute(name, kind)
    return None


DIGEST_PATTERN = re.compile(DIGEST, re.ASCII)
_UPLOAD_ID = re.compile(r"[a-zA-Z0-9_.=-]+", re.ASCII)

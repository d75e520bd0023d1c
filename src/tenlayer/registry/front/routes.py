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
_SEPARATOR = r"(?:[._]|__|[-]*)"
_NAME_COMPONENT = rf"{_ALPHA_NUMERIC}(?:{_SEPARATOR}{_ALPHA_NUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?"
NAME = rf"(?:{_DOMAIN}/)?{_NAME_COMPONENT}(?:/{_NAME_COMPONENT})*"
TAG = r"[\w][\w.-]{0,127}"
DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"

MANIFEST_ROUTE = re.compile(
    rf"/v2/(?P<name>{NAME})/manifests/(?P<reference>{TAG}|{DIGEST})", re.ASCII
)
"""routes.go's manifest route; `fullmatch`, as mux anchors its patterns."""

MAX_NAME = 255
"""reference.NameTotalLengthMax: distribution answers NAME_INVALID beyond it."""


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
    match = MANIFEST_ROUTE.fullmatch(path)
    if match is None or len(match["name"]) > MAX_NAME:
        return None
    return ManifestPath(match["name"], match["reference"])

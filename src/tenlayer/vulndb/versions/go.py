"""Go module and toolchain versions, ordered as `golang.org/x/mod/semver` orders them.

Module versions are SemVer with a `v`: `v1.2.3`, `v2.0.0+incompatible` (build metadata,
ignored), and pseudo-versions, which are ordinary prereleases and so need no rule of their
own: `v0.0.0-20210101010101-abcdef123456` (no earlier tag), `v1.2.4-0.20210101010101-abcdef`
(after v1.2.3, before v1.2.4) and `v1.2.3-pre.0.20210101010101-abcdef` (after v1.2.3-pre).
As in Go, `v1` and `v1.2` are shorthands for `v1.0.0` and `v1.2.0`, numbers have no leading
zeros, and a prerelease or build needs all three numbers.

Accepted spellings: with or without the `v` (OSV's Go records write `1.6.0`), and Go release
tags for the standard library and toolchain, mapped as the Go vulnerability database maps
them (`GoTagToSemver`): `go1.22.5` -> `1.22.5`, `go1.20` -> `1.20.0`, `go1.21rc2` ->
`1.21.0-rc.2`, `go1.9beta2` -> `1.9.0-beta.2`, `go1.20-pre4` -> `1.20.0-pre.4`, `go1` ->
`1.0.0`; only the first field counts (`go1.22.5 X:boringcrypto`, as `runtime.Version()`
reports experiments). Other `go`-prefixed strings are read as the SemVer after `go`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tenlayer.vulndb.versions.base import CACHE_SIZE, InvalidVersion, KeyedScheme, check_length
from tenlayer.vulndb.versions.semver import Key, prerelease_key

NAME = "go"
_NUMBER = r"(?:0|[1-9][0-9]*)"
_IDENTIFIER = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_GO_SEMVER = re.compile(
    rf"(?P<major>{_NUMBER})(?:\.(?P<minor>{_NUMBER})(?:\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?"
)
_GO_TAG = re.compile(r"go([0-9]+\.[0-9]+)(\.[0-9]+|)(?:(beta|rc|-pre)([0-9]+))?")


def tag_to_semver(tag: str) -> str | None:
    """A Go release tag as SemVer without `v` (`go1.21rc2` -> `1.21.0-rc.2`), else None."""
    fields = tag.split()
    if not fields:
        return None
    tag = fields[0]
    if tag == "go1":
        return "1.0.0"
    match = _GO_TAG.fullmatch(tag)
    if match is None:
        return None
    minor, patch, kind, number = match.groups()
    version = minor + (patch or ".0")
    if kind:
        version += ("" if kind.startswith("-") else "-") + kind + "." + number
    return version


@lru_cache(maxsize=CACHE_SIZE)
def key(version: str) -> Key:
    """The ordering key of a Go module or toolchain version; raises InvalidVersion."""
    check_length(version, NAME)
    if version.startswith("go"):
        text = tag_to_semver(version) or version[2:]
    elif version.startswith("v"):
        text = version[1:]
    else:
        text = version
    match = _GO_SEMVER.fullmatch(text)
    if match is None:
        raise InvalidVersion(version, NAME, _why_invalid(text))
    out: list[int | str] = [
        int(match["major"]),
        int(match["minor"] or 0),
        int(match["patch"] or 0),
    ]
    prerelease_key(match["pre"], out)
    return tuple(out)


def _why_invalid(text: str) -> str:
    if not text:
        return "version string is empty"
    core = re.split(r"[-+]", text, maxsplit=1)[0]
    parts = core.split(".")
    if len(parts) > 3 or not all(re.fullmatch(_NUMBER, part) for part in parts):
        return "needs MAJOR[.MINOR[.PATCH]], numbers without leading zeros"
    if len(parts) < 3:
        return "a prerelease or build needs MAJOR.MINOR.PATCH"
    return "bad prerelease or build identifiers (dot-separated [0-9A-Za-z-], no leading zeros)"


SCHEME = KeyedScheme(NAME, key)

"""Manifest routes as distribution decodes and routes them; unclean paths refused."""

from __future__ import annotations

import time

import pytest

from tenlayer.registry.front.routes import ManifestPath, UncleanPath, manifest_path, routed_path

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"/v2/library/app/manifests/v1", ManifestPath("library/app", "v1")),
        (b"/v2/app/manifests/" + DIGEST.encode(), ManifestPath("app", DIGEST)),
        # percent-decoded first, as Go's server does before mux matches
        (b"/v2/secret%2Fapp/manifests/v1", ManifestPath("secret/app", "v1")),
        (b"/v2/secret/app/manifests/%76%31", ManifestPath("secret/app", "v1")),
        (b"/v2/app/manifests/sha256%3A" + b"ab" * 32, ManifestPath("app", DIGEST)),
        (b"/v2/secret/app/manifest%73/v1", ManifestPath("secret/app", "v1")),
        # a name may contain `manifests` as a component: mux's pattern backtracks the same
        (b"/v2/a/manifests/b/manifests/c", ManifestPath("a/manifests/b", "c")),
        # a domain-like first component may have capitals (reference.NameRegexp)
        (b"/v2/Example.com:5000/app/manifests/v1", ManifestPath("Example.com:5000/app", "v1")),
    ],
)
def test_manifest_routes(raw: bytes, expected: ManifestPath) -> None:
    assert manifest_path(routed_path(raw)) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"/v2/",
        b"/v2/_catalog",
        b"/v2/app/tags/list",
        b"/v2/app/blobs/" + DIGEST.encode(),
        b"/v2/app/blobs/uploads/",
        b"/v2/a/manifests/x/blobs/" + DIGEST.encode(),  # a blob of repository a/manifests/x
        b"/v2/App/manifests/v1",  # no capitals in a path component: distribution says 404
        b"/v2/app/manifests/.hidden",  # not a tag: distribution says 404
        b"/v2/app/manifests/" + b"t" * 129,  # tags are at most 128 characters
        b"/v2/" + b"a/" * 130 + b"manifests/v1",  # names are at most 255 characters
    ],
)
def test_not_manifest_routes(raw: bytes) -> None:
    assert manifest_path(routed_path(raw)) is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"/v2/a/../b/manifests/x", "empty, '.' and '..' path segments are refused"),
        (b"/v2/a/%2E%2E/b/manifests/x", "empty, '.' and '..' path segments are refused"),
        (b"/v2/a/%2e/b/manifests/x", "empty, '.' and '..' path segments are refused"),
        (b"//v2/b/manifests/x", "empty, '.' and '..' path segments are refused"),
        (b"/v2/b//manifests/x", "empty, '.' and '..' path segments are refused"),
        (b"/v2/b%2F%2Fc/manifests/x", "empty, '.' and '..' path segments are refused"),
        (b"/v2/b/manifests/x%2", "the request path has a malformed percent-escape"),
        (b"/v2/b/manifests/x%zz", "the request path has a malformed percent-escape"),
        (b"/v2/b/manifests/x%00", "backslashes, control and non-ASCII characters are refused"),
        (b"/v2/b\\c/manifests/x", "backslashes, control and non-ASCII characters are refused"),
        (b"/v2/b/manifests/x%C3%A9", "backslashes, control and non-ASCII characters are refused"),
        (b"http://evil/v2/b/manifests/x", "the request path must start with /"),
        (b"*", "the request path must start with /"),
    ],
)
def test_unclean_paths_refused(raw: bytes, message: str) -> None:
    with pytest.raises(UncleanPath) as refused:
        routed_path(raw)
    assert str(refused.value) == message


def test_trailing_slash_is_clean() -> None:
    assert routed_path(b"/v2/app/blobs/uploads/") == "/v2/app/blobs/uploads/"


def test_overlong_path_refused() -> None:
    with pytest.raises(UncleanPath) as refused:
        routed_path(b"/v2/" + b"a" * 2100 + b"/manifests/v1")
    assert str(refused.value) == "the request path is longer than 2048 bytes"


def test_adversarial_names_are_matched_in_linear_time() -> None:
    """distribution's `[-]*` separator backtracks exponentially in Python's engine on a name
    like `aaaa…!`; the equivalent pattern here must not (Go's RE2 never does)."""
    started = time.perf_counter()
    for name in (b"a" * 254 + b"!", b"a-" * 127 + b"!", (b"a" * 50 + b"/") * 5 + b"!"):
        assert manifest_path(routed_path(b"/v2/" + name + b"/manifests/v1")) is None
    assert time.perf_counter() - started < 0.5

"""The readers' purl parser agrees with packageurl-python, the oracle, on canonical purls."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from tenlayer.sbom.read_purl import Purl, parse_purl


def oracle(text: str) -> tuple[str, str, str, str, dict[str, str], str] | None:
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    return (purl.type, purl.namespace or "", purl.name, purl.version or "",
            dict(qualifiers), purl.subpath or "")


def ours(text: str) -> tuple[str, str, str, str, dict[str, str], str] | None:
    purl = parse_purl(text)
    if purl is None:
        return None
    return (purl.type, purl.namespace, purl.name, purl.version, purl.qualifiers, purl.subpath)


KNOWN = [
    "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12"
    "&upstream=util-linux%402.38.1-5%2Bdeb12u3",
    "pkg:npm/%40types/node@20.14.10",
    "pkg:golang/github.com/charmbracelet/x@v0.4.5#ansi",
    "pkg:golang/github.com/Masterminds/semver@v3.3.0#v3",
    "pkg:maven/org.apache.commons/commons-lang3@3.14.0?type=jar",
    "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&epoch=1"
    "&upstream=openssl-3.0.7-27.el9.src.rpm",
    "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.1",
    "pkg:oci/app@sha256%3Aabcd?arch=amd64&repository_url=registry.example.com%2Fapp",
    "pkg:golang/stdlib@go1.23.4",
    "pkg:generic/openssl@3.0.0?download_url=https%3A%2F%2Fexample.com%2Fa%20b",
    "pkg:deb/debian/libc6",
    "pkg:deb/debian/@1.0",
]


@pytest.mark.parametrize("text", KNOWN)
def test_known_purls(text: str) -> None:
    assert ours(text) == oracle(text)


@pytest.mark.parametrize("text", [
    "", "pkg:", "pkg:deb", "pkg:deb/", "pkg:/name@1", "not-a-purl", "http://x/y",
    "pkg:1deb/x@1", "pkg:de b/x@1",
])
def test_not_purls(text: str) -> None:
    assert parse_purl(text) is None


def test_unencoded_at_in_a_scope_and_case_of_scheme() -> None:
    assert parse_purl("PKG:npm/@types/node@1.0") == Purl("npm", "@types", "node", "1.0")


SEGMENT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/"),
    min_size=1, max_size=12,
).filter(lambda s: s.strip() not in ("", ".", ".."))


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(["deb", "rpm", "apk", "npm", "golang", "maven", "generic", "cargo"]),
    namespace=st.lists(SEGMENT, max_size=3),
    name=SEGMENT,
    version=st.one_of(st.none(), SEGMENT),
    qualifiers=st.dictionaries(st.sampled_from(["arch", "distro", "epoch", "upstream"]),
                               SEGMENT, max_size=3),
    subpath=st.lists(SEGMENT, max_size=2),
)
def test_agrees_with_packageurl_python(
    kind: str, namespace: list[str], name: str, version: str | None,
    qualifiers: dict[str, str], subpath: list[str],
) -> None:
    try:
        text = PackageURL(type=kind, namespace="/".join(namespace) or None, name=name,
                          version=version, qualifiers=qualifiers,
                          subpath="/".join(subpath) or None).to_string()
    except ValueError:
        return
    expected = oracle(text)
    if expected is None or not expected[2].strip():
        return
    assert ours(text) == expected, text

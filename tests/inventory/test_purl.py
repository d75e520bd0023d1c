"""tenlayer's purl builder agrees with packageurl-python (the reference implementation)."""

from __future__ import annotations

import pytest
from packageurl import PackageURL

from tenlayer.inventory.purl import build_purl
from tenlayer.inventory.scan import inventory_image
from tests.support.fixtures import fixture

CASES = [
    ("deb", "debian", "libc6", "2.36-9+deb12u7", {"arch": "amd64", "distro": "debian-12",
                                                  "upstream": "glibc"}),
    ("deb", "ubuntu", "libssl3", "3.0.2-0ubuntu1.15", {"upstream": "openssl@3.0.2-0ubuntu1"}),
    ("rpm", "redhat", "bash", "5.1.8-6.el9", {"arch": "x86_64", "epoch": "1", "distro": "rhel-9"}),
    ("apk", "Alpine", "Busybox", "1.36.1-r15", {"arch": "x86_64"}),
    ("pypi", None, "Typing_Extensions", "4.12.2", None),
    ("npm", "@types", "node", "20.14.9", None),
    ("npm", None, "JSONStream", "1.3.5", None),
    ("golang", None, "github.com/Azure/go-ansiterm", "v0.0.0-20230124172434-306776ec8161", None),
    ("golang", None, "stdlib", "1.22.5", None),
    ("maven", "org.apache.logging.log4j", "log4j-core", "2.17.1", None),
    ("deb", "debian", "weird name", "1:2.0~rc1 beta", {"arch": "", "note": "ü & = ?"}),
    ("npm", None, "a/b", "1.0.0#x", {"Repository_URL": "https://example.com/x?y=1"}),
]


@pytest.mark.parametrize(("kind", "namespace", "name", "version", "qualifiers"), CASES)
def test_matches_packageurl_python(
    kind: str, namespace: str | None, name: str, version: str, qualifiers: dict[str, str] | None
) -> None:
    expected = PackageURL(
        type=kind, namespace=namespace, name=name, version=version, qualifiers=qualifiers
    ).to_string()
    assert build_purl(kind, namespace, name, version, qualifiers) == expected


def test_every_purl_of_the_app_image_matches_packageurl_python() -> None:
    for package in inventory_image(str(fixture("app").docker_archive)).packages:
        parsed = PackageURL.from_string(package.purl)
        assert parsed.to_string() == package.purl, package

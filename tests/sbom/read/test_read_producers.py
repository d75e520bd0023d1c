"""How each producer's way of saying things becomes tenlayer's: small documents written the
way tenlayer, Syft, Trivy and others write them (the peer tests run the real tools)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tenlayer.model import Ecosystem, Inventory, Package
from tenlayer.sbom.read import SbomInput, parse_sbom


def cyclonedx(components: list[dict[str, Any]], *, tool: str = "syft", spec: str = "1.6",
              subject: dict[str, Any] | None = None, **extra: Any) -> SbomInput:
    tools: Any = {"components": [{"type": "application", "name": tool}]}
    if spec == "1.4":
        tools = [{"vendor": "someone", "name": tool}]
    document = {"bomFormat": "CycloneDX", "specVersion": spec, "version": 1,
                "metadata": {"tools": tools, "component": subject or {
                    "type": "container", "name": "app:1"}},
                "components": components, **extra}
    return parse_sbom(json.dumps(document).encode(), "sbom.json")


def spdx(packages: list[dict[str, Any]], *, tool: str = "syft", version: str = "SPDX-2.3",
         **extra: Any) -> SbomInput:
    document = {"spdxVersion": version, "SPDXID": "SPDXRef-DOCUMENT", "name": "app",
                "creationInfo": {"creators": [f"Tool: {tool}-1.0.0"]},
                "packages": packages, **extra}
    return parse_sbom(json.dumps(document).encode(), "sbom.spdx.json")


def library(purl: str, name: str | None = None, version: str | None = None,
            **properties: str) -> dict[str, Any]:
    component: dict[str, Any] = {"type": "library", "purl": purl}
    if name is not None:
        component["name"] = name
    if version is not None:
        component["version"] = version
    if properties:
        component["properties"] = [{"name": k.replace("__", ":"), "value": v}
                                   for k, v in properties.items()]
    return component


def only(inventory: Inventory) -> Package:
    assert len(inventory.packages) == 1, inventory.packages
    return inventory.packages[0]


def trivy(key: str) -> str:
    return f"aquasecurity__trivy__{key}"


# -- names -------------------------------------------------------------------------------

@pytest.mark.parametrize(("component", "expected"), [
    ({"type": "library", "group": "com.example", "name": "hello", "version": "1.2.3",
      "purl": "pkg:maven/com.example/hello@1.2.3"}, "com.example:hello"),
    (library("pkg:maven/com.example/hello@1.2.3", "com.example:hello", "1.2.3"),
     "com.example:hello"),
    ({"type": "library", "group": "@types", "name": "node", "version": "20.14.10",
      "purl": "pkg:npm/%40types/node@20.14.10"}, "@types/node"),
    (library("pkg:npm/%40types/node@20.14.10"), "@types/node"),
    (library("pkg:golang/github.com/charmbracelet/x@v0.4.5#ansi"),
     "github.com/charmbracelet/x/ansi"),
    (library("pkg:golang/github.com/burntsushi/toml@v1.3.2", "github.com/BurntSushi/toml",
             "v1.3.2"), "github.com/BurntSushi/toml"),
    (library("pkg:pypi/pyyaml@6.0.1", "PyYAML", "6.0.1"), "PyYAML"),
    (library("pkg:pypi/pyyaml@6.0.1", "something-else", "6.0.1"), "pyyaml"),
])
def test_names_as_tenlayer_writes_them(component: dict[str, Any], expected: str) -> None:
    assert only(cyclonedx([component]).inventory).name == expected


# -- versions ----------------------------------------------------------------------------

@pytest.mark.parametrize(("purl", "stated", "expected"), [
    ("pkg:deb/debian/bsdutils@2.38.1-5?distro=debian-12&epoch=1", None, "1:2.38.1-5"),
    ("pkg:deb/debian/bsdutils@2.38.1-5?distro=debian-12&epoch=1", "1:2.38.1-5", "1:2.38.1-5"),
    ("pkg:deb/debian/bsdutils@1:2.38.1-5?distro=debian-12", None, "1:2.38.1-5"),
    ("pkg:rpm/redhat/openssl@3.0.7-27.el9?distro=rhel-9.4&epoch=1", "3.0.7-27.el9",
     "1:3.0.7-27.el9"),
    ("pkg:golang/stdlib@v1.23.4", "v1.23.4", "go1.23.4"),
    ("pkg:golang/stdlib@1.23.4", "go1.23.4", "go1.23.4"),
    ("pkg:golang/github.com/anchore/syft@1.18.1", "1.18.1", "v1.18.1"),
    ("pkg:golang/example.com/app@(devel)", "(devel)", "(devel)"),
])
def test_versions_as_the_ecosystem_writes_them(purl: str, stated: str | None,
                                               expected: str) -> None:
    assert only(cyclonedx([library(purl, version=stated)]).inventory).version == expected


# -- source packages ---------------------------------------------------------------------

@pytest.mark.parametrize(("purl", "version", "source"), [
    ("pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?distro=debian-12"
     "&upstream=util-linux%402.38.1-5%2Bdeb12u3", None, ("util-linux", "2.38.1-5+deb12u3")),
    ("pkg:deb/debian/libgmp10@2:6.2.1%2Bdfsg1-1.1?distro=debian-12&upstream=gmp", None,
     ("gmp", "2:6.2.1+dfsg1-1.1")),
    ("pkg:deb/debian/adduser@3.134?distro=debian-12", None, ("adduser", "3.134")),
    ("pkg:apk/alpine/ssl_client@1.36.1-r29?distro=alpine-3.20.1&upstream=busybox", None,
     ("busybox", "1.36.1-r29")),
    ("pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?distro=rhel-9.4&epoch=1"
     "&upstream=openssl-3.0.7-27.el9.src.rpm", "1:3.0.7-27.el9", ("openssl", "1:3.0.7-27.el9")),
    ("pkg:rpm/redhat/bash@5.1.8-9.el9?distro=rhel-9.4", "5.1.8-9.el9", (None, None)),
])
def test_syft_sources_from_the_upstream_qualifier(
    purl: str, version: str | None, source: tuple[str | None, str | None]
) -> None:
    for read in (cyclonedx([library(purl, version=version)]),
                 spdx([{"SPDXID": "SPDXRef-P", "name": "p", "versionInfo": version,
                        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                          "referenceType": "purl",
                                          "referenceLocator": purl}]}])):
        package = only(read.inventory)
        assert (package.source_name, package.source_version) == source


def test_syft_metadata_names_the_source_when_the_purl_does_not() -> None:
    component = library("pkg:deb/debian/bsdutils@1:2.38.1-5?distro=debian-12",
                        syft__metadata__source="util-linux",
                        syft__metadata__sourceVersion="2.38.1-5")
    package = only(cyclonedx([component]).inventory)
    assert (package.source_name, package.source_version) == ("util-linux", "2.38.1-5")


def test_trivy_source_properties() -> None:
    components = [
        library("pkg:deb/debian/bsdutils@2.38.1-5?distro=debian-12.15&epoch=1",
                "bsdutils", "1:2.38.1-5", **{trivy("SrcName"): "util-linux",
                                              trivy("SrcVersion"): "2.38.1",
                                              trivy("SrcRelease"): "5"}),
        library("pkg:deb/debian/libgmp10@6.2.1-1.1?distro=debian-12.15&epoch=2",
                "libgmp10", "2:6.2.1-1.1", **{trivy("SrcName"): "gmp",
                                               trivy("SrcEpoch"): "2",
                                               trivy("SrcVersion"): "6.2.1",
                                               trivy("SrcRelease"): "1.1"}),
        library("pkg:deb/debian/adduser@3.134?distro=debian-12.15", "adduser", "3.134",
                **{trivy("SrcName"): "adduser", trivy("SrcVersion"): "3.134"}),
    ]
    read = cyclonedx(components, tool="trivy", spec="1.4")
    assert read.producer == "trivy"
    assert {p.name: (p.source_name, p.source_version) for p in read.inventory.packages} == {
        "bsdutils": ("util-linux", "2.38.1-5"),
        "libgmp10": ("gmp", "2:6.2.1-1.1"),
        "adduser": ("adduser", "3.134"),
    }


def test_trivy_spdx_built_package_from() -> None:
    packages = [{"SPDXID": "SPDXRef-P", "name": "libgmp10", "versionInfo": "2:6.2.1-1.1",
                 "sourceInfo": "built package from: gmp 2:6.2.1-1.1",
                 "annotations": [{"comment": "LayerDiffID: sha256:abc"}],
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                   "referenceType": "purl", "referenceLocator":
                                   "pkg:deb/debian/libgmp10@6.2.1-1.1?distro=debian-12.15&epoch=2"}]}]
    package = only(spdx(packages, tool="trivy").inventory)
    assert (package.version, package.source_name, package.source_version) == (
        "2:6.2.1-1.1", "gmp", "2:6.2.1-1.1")
    assert package.layer_digest == "sha256:abc"


def test_tenlayer_without_source_properties_has_no_source() -> None:
    """tenlayer writes `tenlayer:source:*` whenever it knows; silence means unknown."""
    component = library("pkg:deb/debian/tzdata@2024a-0?distro=debian-12", "tzdata",
                        "2024a-0", **{"tenlayer__found-in": "/var/lib/dpkg/status"})
    package = only(cyclonedx([component], tool="tenlayer").inventory)
    assert (package.source_name, package.source_version) == (None, None)
    assert package.found_in == "var/lib/dpkg/status"


# -- distributions -----------------------------------------------------------------------

@pytest.mark.parametrize(("purl", "family", "version"), [
    ("pkg:deb/debian/bash@5.2.15-2?distro=debian-12", "debian", "12"),
    ("pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=ubuntu-22.04", "ubuntu", "22.04"),
    ("pkg:apk/alpine/musl@1.2.5-r0?distro=alpine-3.20.1", "alpine", "3.20.1"),
    ("pkg:apk/alpine/musl@1.2.5-r0?distro=3.20.1", "alpine", "3.20.1"),  # Trivy
    ("pkg:rpm/redhat/bash@5.1.8-9.el9?distro=rhel-9.4", "rhel", "9.4"),
    ("pkg:rpm/redhat/bash@5.1.8-9.el9?distro=redhat-9.4", "rhel", "9.4"),  # Trivy
    ("pkg:rpm/opensuse/bash@5.2-1?distro=opensuse-leap-15.5", "opensuse-leap", "15.5"),
])
def test_distribution_from_purls(purl: str, family: str, version: str) -> None:
    read = spdx([{"SPDXID": "SPDXRef-P", "name": "p", "versionInfo": "1",
                  "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                    "referenceType": "purl", "referenceLocator": purl}]}])
    assert read.inventory.os is not None
    assert (read.inventory.os.family, read.inventory.os.version_id) == (family, version)
    assert read.inventory.warnings == ()


@pytest.mark.parametrize(("name", "family"), [
    ("redhat", "rhel"), ("alma", "almalinux"), ("amazon", "amzn"), ("oracle", "ol"),
    ("opensuse.leap", "opensuse-leap"), ("cbl-mariner", "mariner"), ("debian", "debian"),
])
def test_trivy_os_component_names_become_os_release_ids(name: str, family: str) -> None:
    read = cyclonedx([{"type": "operating-system", "name": name, "version": "9.4"}],
                     tool="trivy")
    assert read.inventory.os is not None and read.inventory.os.family == family


def test_os_packages_without_a_release_warn() -> None:
    read = cyclonedx([library("pkg:deb/debian/bash@5.2.15-2")], tool="someone")
    assert read.inventory.os is not None and read.inventory.os.family == "debian"
    assert read.inventory.warnings == (
        "the SBOM names no distribution release; OS packages cannot be matched by release",
    )


# -- structure ---------------------------------------------------------------------------

def test_nested_components_are_read() -> None:
    inner = library("pkg:maven/org.yaml/snakeyaml@2.2", "snakeyaml", "2.2")
    outer = {**library("pkg:maven/com.example/app@1.0", "app", "1.0"), "components": [inner]}
    read = cyclonedx([outer])
    assert {p.name for p in read.inventory.packages} == {"com.example:app", "org.yaml:snakeyaml"}


def test_what_cannot_be_matched_is_counted_in_one_line() -> None:
    components = [
        library("pkg:generic/openssl@3.0.0"),
        library("pkg:generic/zlib@1.3"),
        library("pkg:gem/rails@7.0.0"),
        {"type": "file", "name": "/etc/passwd"},
        library("pkg:"),
        library("not a purl at all"),
        library("pkg:npm/left-pad"),
        library("pkg:npm/left-pad@1.3.0"),
    ]
    read = cyclonedx(components)
    assert [p.name for p in read.inventory.packages] == ["left-pad"]
    assert read.inventory.warnings == (
        "left out 7 SBOM entries tenlayer cannot match: 2 pkg:generic, 2 with a purl that "
        "does not parse, 1 pkg:gem, 1 without a purl, 1 without a version",
    )


def test_image_from_trivy_subject() -> None:
    subject = {"type": "container", "name": "registry.example.com/app:1",
               "purl": "pkg:oci/app@sha256%3Aaaaa?arch=arm64"
                       "&repository_url=registry.example.com%2Fapp",
               "properties": [
                   {"name": "aquasecurity:trivy:ImageID", "value": "sha256:cccc"},
                   {"name": "aquasecurity:trivy:RepoDigest",
                    "value": "registry.example.com/app@sha256:aaaa"},
                   {"name": "aquasecurity:trivy:RepoTag", "value": "registry.example.com/app:1"},
               ]}
    image = cyclonedx([], tool="trivy", subject=subject).inventory.image
    assert (image.reference, image.source_kind, image.manifest_digest, image.config_digest,
            image.platform, image.repo_tags) == (
        "registry.example.com/app:1", "sbom", "sha256:aaaa", "sha256:cccc", "linux/arm64",
        ("registry.example.com/app:1",))


def test_trivy_binary_modules_get_the_binary_as_their_file() -> None:
    target = {"type": "application", "name": "usr/local/bin/app", "bom-ref": "t",
              "properties": [{"name": "aquasecurity:trivy:Class", "value": "lang-pkgs"},
                             {"name": "aquasecurity:trivy:Type", "value": "gobinary"}]}
    main = {**library("pkg:golang/example.com/app@v1.0.0", "example.com/app", "v1.0.0",
                      **{trivy("PkgType"): "gobinary"}), "bom-ref": "m"}
    dep = {**library("pkg:golang/golang.org/x/net@v0.1.0", "golang.org/x/net", "v0.1.0",
                     **{trivy("PkgType"): "gobinary"}), "bom-ref": "d"}
    read = cyclonedx([target, main, dep], tool="trivy",
                     dependencies=[{"ref": "t", "dependsOn": ["m"]},
                                   {"ref": "m", "dependsOn": ["d", "m"]}])
    assert {p.name: p.found_in for p in read.inventory.packages} == {
        "example.com/app": "usr/local/bin/app", "golang.org/x/net": "usr/local/bin/app"}
    assert read.inventory.warnings == ()


def test_spdx_2_2_document_describes_and_underscored_categories() -> None:
    packages = [
        {"SPDXID": "SPDXRef-Image", "name": "app:1", "versionInfo": "sha256:aaaa"},
        {"SPDXID": "SPDXRef-P", "name": "left-pad", "versionInfo": "1.3.0",
         "licenseDeclared": "MIT",
         "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
                           "referenceLocator": "pkg:npm/left-pad@1.3.0"}]},
    ]
    read = spdx(packages, tool="someone", version="SPDX-2.2",
                documentDescribes=["SPDXRef-Image"])
    assert read.format == "SPDX-2.2"
    assert read.inventory.image.reference == "app:1"
    assert read.inventory.image.manifest_digest == "sha256:aaaa"
    package = only(read.inventory)
    assert (package.name, package.version, package.licenses) == ("left-pad", "1.3.0", ("MIT",))


BSDUTILS = ("pkg:deb/debian/bsdutils@1:2.38.1-5?arch=amd64&distro=debian-12"
            "&upstream=util-linux%402.38.1-5")
TAG_VALUE = f"""\
SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: app
Creator: Tool: syft-1.18.1

##### Package: bsdutils

PackageName: bsdutils
SPDXID: SPDXRef-Package-deb-bsdutils
PackageVersion: 1:2.38.1-5
PackageSourceInfo: <text>acquired package info from DPKG DB: /usr/share/doc/bsdutils/copyright,
/var/lib/dpkg/status</text>
PackageLicenseDeclared: GPL-2.0-only AND (BSD-3-Clause OR MIT)
ExternalRef: SECURITY cpe23Type cpe:2.3:a:bsdutils:bsdutils:1\\:2.38.1-5:*:*:*:*:*:*:*
ExternalRef: PACKAGE-MANAGER purl {BSDUTILS}

##### Package: image

PackageName: app
SPDXID: SPDXRef-DocumentRoot-Image-app
PackageVersion: sha256:aaaa
PrimaryPackagePurpose: CONTAINER

FileName: usr/share/doc/bsdutils/copyright
SPDXID: SPDXRef-File-copyright
FileComment: layerID: sha256:abc

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-DocumentRoot-Image-app
Relationship: SPDXRef-DocumentRoot-Image-app CONTAINS SPDXRef-Package-deb-bsdutils
"""


def test_spdx_tag_value() -> None:
    read = parse_sbom(TAG_VALUE.encode(), "sbom.spdx")
    assert (read.format, read.producer) == ("SPDX-2.3 (tag-value)", "syft")
    package = only(read.inventory)
    assert (package.name, package.version, package.ecosystem, package.arch) == (
        "bsdutils", "1:2.38.1-5", Ecosystem.DEB, "amd64")
    assert (package.source_name, package.source_version) == ("util-linux", "2.38.1-5")
    assert package.licenses == ("GPL-2.0-only", "BSD-3-Clause OR MIT")
    assert package.found_in == "var/lib/dpkg/status"
    assert read.inventory.image.reference == "app"
    assert read.inventory.os is not None and read.inventory.os.version_id == "12"


def test_tag_value_with_an_unterminated_text_block_ends() -> None:
    text = TAG_VALUE.replace("PackageName: app", "PackageComment: <text>never closed\n"
                             "PackageName: app")
    read = parse_sbom(text.encode(), "sbom.spdx")
    assert [p.name for p in read.inventory.packages] == ["bsdutils"]

"""Inventories built by hand: every kind of package the SBOM writers must carry.

A Debian image with source packages and licenses as Debian writes them (`GPL-2+`,
`public-domain`, `GPL-1+ or Artistic`), Python packages (one installed by a deb), npm with a
scope, a Go binary's standard library and modules, a Spring Boot jar with nested jars, and a
package that declares no license.
"""

from __future__ import annotations

from dataclasses import replace

from tenlayer.inventory.purl import language_purl, os_purl, pypi_purl
from tenlayer.model import Ecosystem, Image, ImageLayer, Inventory, OSInfo, Package

MANIFEST_DIGEST = "sha256:" + "a1" * 32
CONFIG_DIGEST = "sha256:" + "b2" * 32
LAYERS = (
    ImageLayer(
        index=0,
        digest="sha256:" + "c3" * 32,
        diff_id="sha256:" + "d4" * 32,
        media_type="application/vnd.oci.image.layer.v1.tar+gzip",
        size=29_000_000,
        created_by="debootstrap",
    ),
    ImageLayer(
        index=1,
        digest="sha256:" + "e5" * 32,
        diff_id="sha256:" + "f6" * 32,
        media_type="application/vnd.oci.image.layer.v1.tar+gzip",
        size=12_000_000,
        created_by="COPY app /app",
    ),
)
DEBIAN = OSInfo(
    family="debian",
    version_id="12",
    name="Debian GNU/Linux",
    pretty_name="Debian GNU/Linux 12 (bookworm)",
    codename="bookworm",
    found_in="etc/os-release",
)
SPRING_PURL = "pkg:maven/org.springframework.boot/spring-boot@3.2.0"
JACKSON_JAR = "app/app.jar!/BOOT-INF/lib/jackson-core-2.15.3.jar"


def _deb(name: str, version: str, licenses: tuple[str, ...], source: str | None = None,
         source_version: str | None = None) -> Package:
    package = Package(
        name=name,
        version=version,
        ecosystem=Ecosystem.DEB,
        purl="",
        found_in="var/lib/dpkg/status",
        licenses=licenses,
        source_name=source,
        source_version=source_version,
        arch="amd64",
        layer_index=0,
        layer_digest=LAYERS[0].diff_id,
    )
    return replace(package, purl=os_purl(package, DEBIAN))


def _lang(ecosystem: Ecosystem, name: str, version: str, purl: str, found_in: str,
          licenses: tuple[str, ...] = (), layer: int = 1, **extra: str) -> Package:
    return Package(
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=purl,
        found_in=found_in,
        licenses=licenses,
        layer_index=layer,
        layer_digest=LAYERS[layer].diff_id,
        **extra,  # type: ignore[arg-type]
    )


def debian_packages() -> tuple[Package, ...]:
    return (
        _deb("libc6", "2.36-9+deb12u4", ("LGPL-2.1-or-later", "GPL-2+", "public-domain"),
             source="glibc", source_version="2.36-9+deb12u4"),
        _deb("perl-base", "5.36.0-7+deb12u1", ("GPL-1+ or Artistic",), source="perl"),
        _deb("bash", "5.2.15-2+b2", ("GPL-3.0-or-later",), source="bash",
             source_version="5.2.15-2"),
        _deb("tzdata", "2024a-0+deb12u1", ()),
        _deb("python3-six", "1.16.0-4", ("MIT",), source="six"),
    )


def language_packages() -> tuple[Package, ...]:
    go_binary = "usr/local/bin/app"
    spring_jar = "app/app.jar"
    return (
        _lang(Ecosystem.PYPI, "six", "1.16.0", pypi_purl("six", "1.16.0"),
              "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", ("MIT",),
              layer=0, owned_by="deb:python3-six"),
        _lang(Ecosystem.PYPI, "cryptography", "42.0.5", pypi_purl("cryptography", "42.0.5"),
              "usr/local/lib/python3.11/site-packages/cryptography-42.0.5.dist-info/METADATA",
              ("Apache-2.0 OR BSD-3-Clause",)),
        _lang(Ecosystem.NPM, "@types/node", "20.11.5",
              language_purl(Ecosystem.NPM, "node", "20.11.5", namespace="@types"),
              "app/node_modules/@types/node/package.json", ("MIT",)),
        _lang(Ecosystem.NPM, "left-pad", "1.3.0",
              language_purl(Ecosystem.NPM, "left-pad", "1.3.0"),
              "app/node_modules/left-pad/package.json"),
        _lang(Ecosystem.GO, "stdlib", "1.22.1", language_purl(Ecosystem.GO, "stdlib", "1.22.1"),
              go_binary, ("BSD-3-Clause",), parent=go_binary),
        _lang(Ecosystem.GO, "github.com/spf13/cobra", "v1.8.0",
              language_purl(Ecosystem.GO, "cobra", "v1.8.0", namespace="github.com/spf13"),
              go_binary, parent=go_binary),
        _lang(Ecosystem.MAVEN, "org.springframework.boot:spring-boot", "3.2.0", SPRING_PURL,
              spring_jar, ("Apache-2.0",)),
        # as tenlayer's Java analyzer writes nested archives: found in the image file,
        # parent = the virtual path of the archive the package's metadata is in
        _lang(Ecosystem.MAVEN, "com.fasterxml.jackson.core:jackson-core", "2.15.3",
              language_purl(Ecosystem.MAVEN, "jackson-core", "2.15.3",
                            namespace="com.fasterxml.jackson.core"),
              spring_jar, ("Apache-2.0",), parent=JACKSON_JAR),
        _lang(Ecosystem.MAVEN, "ch.randelshofer:fastdoubleparser", "0.8.0",
              language_purl(Ecosystem.MAVEN, "fastdoubleparser", "0.8.0",
                            namespace="ch.randelshofer"),
              spring_jar, ("MIT",),
              parent=f"{JACKSON_JAR}!/META-INF/lib/fastdoubleparser-0.8.0.jar"),
        # parent named by path, the nested archive as found_in
        _lang(Ecosystem.MAVEN, "org.yaml:snakeyaml", "2.2",
              language_purl(Ecosystem.MAVEN, "snakeyaml", "2.2", namespace="org.yaml"),
              f"{spring_jar}!/BOOT-INF/lib/snakeyaml-2.2.jar", ("Apache-2.0",),
              parent=spring_jar),
        # parent named by purl
        _lang(Ecosystem.MAVEN, "org.slf4j:slf4j-api", "2.0.9",
              language_purl(Ecosystem.MAVEN, "slf4j-api", "2.0.9", namespace="org.slf4j"),
              f"{spring_jar}!/BOOT-INF/lib/slf4j-api-2.0.9.jar", ("MIT",), parent=SPRING_PURL),
    )


def make_image(**changes: object) -> Image:
    image = Image(
        reference="registry.example.com/team/app:1.2",
        source_kind="registry",
        manifest_digest=MANIFEST_DIGEST,
        config_digest=CONFIG_DIGEST,
        os="linux",
        architecture="amd64",
        layers=LAYERS,
    )
    return replace(image, **changes)  # type: ignore[arg-type]


def make_inventory(**changes: object) -> Inventory:
    inventory = Inventory(
        image=make_image(),
        os=DEBIAN,
        packages=debian_packages() + language_packages(),
    )
    return replace(inventory, **changes)  # type: ignore[arg-type]


def many_packages(count: int) -> tuple[Package, ...]:
    """`count` packages, half Debian and half PyPI, for timing."""
    packages = []
    for n in range(count // 2):
        packages.append(_deb(f"lib{n}", f"1.{n}-1", ("GPL-2+", "MIT"), source=f"src{n}"))
        packages.append(_lang(Ecosystem.PYPI, f"pkg{n}", f"0.{n}", pypi_purl(f"pkg{n}", f"0.{n}"),
                              f"usr/lib/python3/site-packages/pkg{n}.dist-info/METADATA",
                              ("Apache-2.0",)))
    return tuple(packages)

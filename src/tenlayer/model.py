"""The records every part of tenlayer speaks: layers, severities, findings, packages, images.

Frozen dataclasses with no framework types, so any part of the pipeline can build, compare
and sort them, and any report format can render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class Layer(IntEnum):
    """The ten layers of the container life cycle (DESIGN.md)."""

    HOST = 1
    CONTENT = 2
    REGISTRY = 3
    BUILD = 4
    DEPLOYMENT = 5
    ORCHESTRATION = 6
    NETWORK = 7
    STORAGE = 8
    API = 9
    FEDERATION = 10

    @property
    def label(self) -> str:
        return _LAYER_LABELS[self]


_LAYER_LABELS = {
    Layer.HOST: "host & multitenancy",
    Layer.CONTENT: "content",
    Layer.REGISTRY: "registries",
    Layer.BUILD: "build",
    Layer.DEPLOYMENT: "deployment",
    Layer.ORCHESTRATION: "orchestration",
    Layer.NETWORK: "network isolation",
    Layer.STORAGE: "storage",
    Layer.API: "API management",
    Layer.FEDERATION: "federation",
}


class Severity(IntEnum):
    """Ordered so that `severity >= Severity.HIGH` reads naturally."""

    UNKNOWN = 0
    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a case-insensitive severity name; ValueError names the accepted ones."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


class Ecosystem(StrEnum):
    """Where a package comes from. Values are the package-url types of each ecosystem."""

    DEB = "deb"
    APK = "apk"
    RPM = "rpm"
    PYPI = "pypi"
    NPM = "npm"
    GO = "golang"
    MAVEN = "maven"
    CARGO = "cargo"
    """Rust crates (from SBOMs; no image analyzer reads Rust binaries yet)."""

    @property
    def is_os(self) -> bool:
        return self in _OS_ECOSYSTEMS


_OS_ECOSYSTEMS = frozenset((Ecosystem.DEB, Ecosystem.APK, Ecosystem.RPM))


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found, in one place, by one check of the catalogue."""

    check_id: str
    layer: Layer
    severity: Severity
    title: str
    subject: str
    location: str = ""
    evidence: tuple[tuple[str, str], ...] = ()
    remediation: str = ""
    references: tuple[str, ...] = ()
    file: str = ""
    """The file the finding is in, when it came from one (a manifest, a Dockerfile)."""
    line: int = 0
    """1-based line in `file`; 0 when unknown."""

    def sort_key(self) -> tuple[int, int, str, str, int, str, str]:
        return (
            -self.severity, self.layer, self.check_id, self.file, self.line, self.subject,
            self.location,
        )


NESTED_SEPARATOR = "!/"
"""Joins an archive's path to a path inside it: `app.war!/WEB-INF/lib/x.jar`."""


@dataclass(frozen=True, slots=True)
class Package:
    """One installed package, with the file that proves it and the image layer that added it.

    `version` is the full version as the ecosystem writes it (dpkg and rpm include the epoch
    as `E:`). OS packages carry their source package, which vulnerability matching needs.
    """

    name: str
    version: str
    ecosystem: Ecosystem
    purl: str
    found_in: str
    licenses: tuple[str, ...] = ()
    source_name: str | None = None
    source_version: str | None = None
    arch: str | None = None
    layer_index: int | None = None
    layer_digest: str | None = None
    owned_by: str | None = None
    """For a language package: the OS package (`deb:python3-six`) whose files include it."""
    parent: str | None = None
    """For a package found inside another artifact: the purl or path of that artifact."""

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.ecosystem.value, self.name, self.version, self.found_in)


@dataclass(frozen=True, slots=True)
class OSInfo:
    """The distribution an image is built on, as os-release (or its older cousins) tell."""

    family: str
    """Lower-case distribution id: debian, ubuntu, alpine, rhel, fedora, rocky, wolfi, …"""
    version_id: str
    name: str = ""
    pretty_name: str = ""
    codename: str = ""
    found_in: str = ""


@dataclass(frozen=True, slots=True)
class ImageLayer:
    """One filesystem layer. `digest` is the blob as stored, `diff_id` the uncompressed tar."""

    index: int
    digest: str
    diff_id: str
    media_type: str
    size: int
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class Image:
    """What tenlayer knows about an image before reading its layers."""

    reference: str
    source_kind: str
    """docker-archive, oci-layout, oci-archive, rootfs, registry"""
    manifest_digest: str | None
    config_digest: str | None
    os: str
    architecture: str
    variant: str = ""
    layers: tuple[ImageLayer, ...] = ()
    repo_tags: tuple[str, ...] = ()
    config: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def platform(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file an analyzer wanted but did not read because it is over the analyzer's limit."""

    path: str
    analyzer: str
    size: int
    limit: int
    layer_index: int


class FixStatus(StrEnum):
    """What the advisory's source says of a fix for the package."""

    FIXED = "fixed"
    """A fixed version exists (the installed one is older)."""
    NOT_FIXED = "not-fixed"
    """Affected, and no fix released yet."""
    WONT_FIX = "wont-fix"
    """The distribution decided not to fix it (Debian no-dsa/ignored, Red Hat will not fix)."""


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One advisory, with its aliases merged (CVE, GHSA, PYSEC, GO ids name one problem)."""

    id: str
    """The id shown first: the record's own id (`GO-2024-2687`, `DSA-5678-1`, `CVE-…`)."""
    aliases: tuple[str, ...] = ()
    summary: str = ""
    severity: Severity = Severity.UNKNOWN
    severity_source: str = ""
    """Where the severity comes from: `CVSS:3.1 (NVD)`, `Debian urgency`, `GHSA rating`, …"""
    cvss_vector: str = ""
    cvss_score: float | None = None
    published: str = ""
    """RFC 3339 date the advisory was first published (the health grade counts from it)."""
    modified: str = ""
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VulnerabilityMatch:
    """An installed package that an advisory affects."""

    package: Package
    vulnerability: Vulnerability
    status: FixStatus
    fixed_version: str | None
    ecosystem: str
    """The advisory ecosystem that matched (`Debian:12`, `PyPI`, …)."""
    suppressed_by: str = ""
    """Why it is not reported (an ignore-file entry, a VEX `not_affected` statement)."""

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (
            -self.vulnerability.severity,
            self.vulnerability.id,
            self.package.ecosystem.value,
            self.package.name,
            self.package.found_in,
        )


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything in an image: the result of `tenlayer image sbom`."""

    image: Image
    os: OSInfo | None
    packages: tuple[Package, ...]
    warnings: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()

"""From what one SBOM entry says to a tenlayer `Package`: what both SBOM readers share.

Each reader (CycloneDX, SPDX) collects the facts its format and producer give for an entry
into a `ComponentFacts`; `PackageBuilder` turns them into packages the way tenlayer's own
analyzers would have written them, so that matching an SBOM finds what matching the image
finds:

- ecosystem and name from the purl (maven `group:artifact`, npm `@scope/name`, the full Go
  module path), keeping the producer's spelling when it only differs in case;
- the version as the ecosystem writes it: dpkg and rpm with their epoch (`E:V-R`), whether
  the producer put it in the version or in the purl's `epoch` qualifier; Go module versions
  with their `v`, the Go toolchain as `go1.x` (Trivy writes `v1.23.4` and `1.18.1`);
- for OS packages the source package, from the producer's own statement when it makes one,
  else the purl's `upstream` qualifier, else (dpkg, apk) the binary package itself, which is
  what dpkg and apk mean when they name no source;
- the distribution from the operating-system component, else the purls' `distro`.

Entries tenlayer cannot match (no purl, `pkg:generic`, an ecosystem it has no analyzer for,
a purl that does not parse) are counted, and reported in one warning line.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.model import Ecosystem, OSInfo, Package
from tenlayer.sbom.read_purl import Purl, parse_purl

MAX_DEPTH = 64
"""Components nested deeper than this (CycloneDX) are left out and counted."""
DEBIAN_PYTHON = "usr/lib/python3/dist-packages/"
MAX_ENTRIES = 2_000_000
"""More SBOM entries than this is not an image's SBOM; refused rather than read."""


class Producer(StrEnum):
    """Who wrote the SBOM, as far as its tool list tells. Decides which facts to trust."""

    TENLAYER = "tenlayer"
    SYFT = "syft"
    TRIVY = "trivy"
    OTHER = "other"


def producer_from_tool_names(names: list[str]) -> Producer:
    for name in names:
        lowered = name.lower()
        for producer in (Producer.TENLAYER, Producer.SYFT, Producer.TRIVY):
            if lowered == producer.value or lowered.startswith(producer.value + "-"):
                return producer
    return Producer.OTHER


@dataclass(slots=True)
class ComponentFacts:
    """What an SBOM says about one package, in the producer's own terms."""

    purl: str | None
    name: str | None = None
    version: str | None = None
    found_in: str = ""
    layer_index: int | None = None
    layer_digest: str | None = None
    source_name: str | None = None
    source_version: str | None = None
    source_stated: bool = False
    """The producer said what the source is (or, for tenlayer, that there is none): no
    fall-back to the purl's `upstream` or to the binary package."""
    upstream: str | None = None
    """The source as the producer's metadata spells it, read like the purl's `upstream`
    (Syft: `glibc@2.36-9`, `busybox`, `glibc-2.34-100.el9.src.rpm`)."""
    owned_by: str | None = None
    parent: str | None = None
    licenses: tuple[str, ...] = ()


_ECOSYSTEMS = {e.value: e for e in Ecosystem}
_OS_FAMILIES = {
    # Trivy names distributions its own way; tenlayer (and Syft) use the os-release ID.
    "redhat": "rhel",
    "alma": "almalinux",
    "amazon": "amzn",
    "oracle": "ol",
    "opensuse.leap": "opensuse-leap",
    "opensuse.tumbleweed": "opensuse-tumbleweed",
    "suse linux enterprise server": "sles",
    "suse linux enterprise micro": "sle-micro",
    "cbl-mariner": "mariner",
}
_RPM_NAMESPACE_FAMILIES = {"redhat": "rhel", "amazon": "amzn", "oracle": "ol", "suse": "sles"}
_DISTRO = re.compile(r"^(?P<family>[A-Za-z][\w.\-]*?)-(?P<version>\d[\w.\-+~]*)$")
_DIGITS = re.compile(r"^\d")


def os_family(name: str) -> str:
    """A distribution name as an SBOM writes it -> tenlayer's family (os-release ID)."""
    lowered = name.strip().lower()
    return _OS_FAMILIES.get(lowered, lowered)


@dataclass(slots=True)
class _Skipped:
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str) -> None:
        self.reasons[reason] += 1

    def summary(self) -> str | None:
        total = sum(self.reasons.values())
        if not total:
            return None
        details = ", ".join(
            f"{count} {reason}" for reason, count in sorted(
                self.reasons.items(), key=lambda item: (-item[1], item[0])
            )
        )
        noun = "entry" if total == 1 else "entries"
        return f"left out {total} SBOM {noun} tenlayer cannot match: {details}"


class PackageBuilder:
    """Collects packages from facts; remembers what it left out and which distros it saw."""

    def __init__(self, producer: Producer) -> None:
        self.producer = producer
        self.packages: list[Package] = []
        self._seen: set[Package] = set()
        self._skipped = _Skipped()
        self._distros: Counter[tuple[str, str]] = Counter()
        self._os_namespaces: Counter[str] = Counter()
        self.entries = 0

    def skip(self, reason: str) -> None:
        self._skipped.add(reason)

    def count_entry(self) -> None:
        """Called by the readers for every entry they walk, before building anything."""
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            raise BadInput(
                f"more than {MAX_ENTRIES:,} components or packages: not an image's SBOM"
            )

    def add(self, facts: ComponentFacts) -> None:
        if not facts.purl:
            self._skipped.add("without a purl")
            return
        purl = parse_purl(facts.purl)
        if purl is None:
            self._skipped.add("with a purl that does not parse")
            return
        ecosystem = _ECOSYSTEMS.get(purl.type)
        if ecosystem is None:
            self._skipped.add(f"pkg:{purl.type}")
            return
        version = _version(ecosystem, purl, facts.version)
        if not version:
            self._skipped.add("without a version")
            return
        name = _name(ecosystem, purl, facts.name)
        source_name, source_version = self._source(ecosystem, purl, facts, name, version)
        qualifiers = purl.qualifiers
        if ecosystem.is_os:
            self._note_distro(purl.namespace or "", qualifiers.get("distro", ""))
        package = Package(
            name=name,
            version=version,
            ecosystem=ecosystem,
            purl=facts.purl,
            found_in=facts.found_in.lstrip("/"),
            licenses=facts.licenses,
            source_name=source_name,
            source_version=source_version,
            arch=qualifiers.get("arch") or None,
            layer_index=facts.layer_index,
            layer_digest=facts.layer_digest,
            owned_by=facts.owned_by,
            parent=facts.parent,
        )
        if package not in self._seen:
            self._seen.add(package)
            self.packages.append(package)

    def _source(
        self, ecosystem: Ecosystem, purl: Purl, facts: ComponentFacts, name: str,
        version: str,
    ) -> tuple[str | None, str | None]:
        if not ecosystem.is_os:
            return None, None
        if facts.source_stated:  # tenlayer: exactly as written, unknowns included
            return facts.source_name, facts.source_version
        if facts.source_name:  # a source without a version is built at the binary's
            return facts.source_name, facts.source_version or version
        qualifiers = purl.qualifiers
        for upstream in (facts.upstream, qualifiers.get("upstream")):
            if upstream:
                parsed = parse_upstream(ecosystem, upstream, version)
                if parsed is not None:
                    return parsed
        if self.producer is Producer.TENLAYER or ecosystem is Ecosystem.RPM:
            return None, None
        return name, version  # dpkg without Source, apk without origin: its own source

    def _note_distro(self, namespace: str, distro: str) -> None:
        if namespace:
            self._os_namespaces[namespace] += 1
        if not distro:
            return
        match = _DISTRO.match(distro)
        if match:
            self._distros[(os_family(match["family"]), match["version"])] += 1
        elif _DIGITS.match(distro) and namespace:  # Trivy's apk: `distro=3.20.1`
            self._distros[(os_family(namespace), distro)] += 1

    def os_from_purls(self) -> OSInfo | None:
        """The distribution most OS packages' purls name, for SBOMs without an OS entry."""
        if self._distros:
            (family, version), _ = self._distros.most_common(1)[0]
            return OSInfo(family=family, version_id=version)
        if self._os_namespaces:
            namespace = self._os_namespaces.most_common(1)[0][0].lower()
            return OSInfo(family=_RPM_NAMESPACE_FAMILIES.get(namespace, os_family(namespace)),
                          version_id="")
        return None

    def infer_os_owners(self) -> None:
        """Mark Debian's own Python packages `owned_by` their deb, as tenlayer's analyzer does.

        Only for producers that do not say it (Syft's CycloneDX, Trivy, others): a
        distribution under `usr/lib/python3/dist-packages/` is installed by dpkg (pip
        installs under /usr/local), and the deb is the one named `python3-NAME`, or the
        only one built from source `NAME` or `python-NAME`. The matcher checks such a
        package against the distribution's advisories only.
        """
        if self.producer is Producer.TENLAYER:
            return
        debs = {p.name for p in self.packages if p.ecosystem is Ecosystem.DEB}
        by_source: dict[str, set[str]] = {}
        for package in self.packages:
            if package.ecosystem is Ecosystem.DEB and package.source_name:
                by_source.setdefault(package.source_name, set()).add(package.name)
        for index, package in enumerate(self.packages):
            if (
                package.ecosystem is not Ecosystem.PYPI
                or package.owned_by
                or not package.found_in.startswith(DEBIAN_PYTHON)
            ):
                continue
            key = _pep503(package.name)
            owner = f"python3-{key}" if f"python3-{key}" in debs else None
            if owner is None:
                built = by_source.get(key, set()) | by_source.get(f"python-{key}", set())
                owner = next(iter(built)) if len(built) == 1 else None
            if owner is not None:
                self.packages[index] = replace(package, owned_by=f"deb:{owner}")

    def has_os_packages(self) -> bool:
        return any(p.ecosystem.is_os for p in self.packages)

    def warnings(self) -> list[str]:
        summary = self._skipped.summary()
        return [summary] if summary else []


def _name(ecosystem: Ecosystem, purl: Purl, stated: str | None) -> str:
    namespace = purl.namespace or ""
    name: str = purl.name
    if ecosystem is Ecosystem.MAVEN and namespace:
        name = f"{namespace.replace('/', '.')}:{name}"
    elif ecosystem is Ecosystem.NPM and namespace:
        name = f"{namespace if namespace.startswith('@') else '@' + namespace}/{name}"
    elif ecosystem is Ecosystem.GO:
        # Syft puts a module path's segments after the third in the subpath:
        # `pkg:golang/github.com/charmbracelet/x@v0.4.5#ansi`
        name = "/".join(part for part in (namespace, name, purl.subpath or "") if part)
    if stated and _same_name(ecosystem, stated, name):
        return stated  # the producer's spelling: `PyYAML`, Go paths Trivy lower-cased
    return name


def _same_name(ecosystem: Ecosystem, stated: str, derived: str) -> bool:
    if ecosystem is Ecosystem.PYPI:
        return _pep503(stated) == _pep503(derived)
    return stated.lower() == derived.lower()


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(ecosystem: Ecosystem, purl: Purl, stated: str | None) -> str:
    version = (stated or "").strip() or (purl.version or "").strip()
    if not version:
        return ""
    if ecosystem in (Ecosystem.DEB, Ecosystem.RPM):
        qualifiers = purl.qualifiers
        epoch = qualifiers.get("epoch", "")
        if epoch.isdigit() and not _has_epoch(version):
            version = f"{epoch}:{version}"
    elif ecosystem is Ecosystem.GO:
        version = _go_version(purl.name if not purl.namespace else "", version)
    return version


def _has_epoch(version: str) -> bool:
    epoch, sep, _ = version.partition(":")
    return bool(sep) and epoch.isdigit()


def _go_version(name: str, version: str) -> str:
    """`stdlib` as the toolchain writes it (`go1.23.4`); modules with their `v`.

    Trivy writes the toolchain as `v1.23.4` and a main module's -ldflags version without
    its `v`; Go module versions are `v`-prefixed semver, so both are respelled.
    """
    if name == "stdlib":
        if version.startswith("v") and _DIGITS.match(version[1:]):
            return "go" + version[1:]
        return version
    if _DIGITS.match(version):
        return "v" + version
    return version


def parse_upstream(
    ecosystem: Ecosystem, upstream: str, version: str
) -> tuple[str, str] | None:
    """The purl's `upstream` qualifier (Syft, tenlayer) -> source (name, version).

    deb and apk: `NAME` or `NAME@VERSION`, the binary's version when none is given. rpm: the
    source rpm's file name (`glibc-2.34-100.el9.src.rpm`) carrying the binary's epoch, as
    tenlayer's rpm analyzer does, or `NAME@EVR`.
    """
    upstream = upstream.strip()
    if ecosystem is Ecosystem.RPM and upstream.endswith(".rpm"):
        from tenlayer.inventory.rpm.package import split_source_rpm

        split = split_source_rpm(upstream)
        if split is None:
            return None
        name, source_version, release = split
        epoch, sep, _ = version.partition(":")
        prefix = f"{epoch}:" if sep and epoch.isdigit() else ""
        return name, f"{prefix}{source_version}-{release}"
    name, _, source_version = upstream.partition("@")
    if not name:
        return None
    return name, source_version or version


def join_version(epoch: str | None, version: str | None, release: str | None) -> str | None:
    """Trivy's SrcEpoch / SrcVersion / SrcRelease -> `E:V-R` (epoch 0 is not written)."""
    if not version:
        return None
    text = version
    if release:
        text += f"-{release}"
    if epoch and epoch.isdigit() and int(epoch) != 0:
        text = f"{epoch}:{text}"
    return text


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_int(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) > 6:
        return None
    return int(text)

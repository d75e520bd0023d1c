"""Java archives (jar, war, ear and kin): the Maven artifacts inside, nested archives included.

For each archive, as Syft and Trivy read one:

- every `META-INF/maven/<group>/<artifact>/pom.properties` is one package (a shaded or fat jar
  carries one per artifact it bundles);
- when none of them describes the archive itself (see `_own`), the archive is described by
  its file name and `META-INF/MANIFEST.MF`, as Syft does: artifact and version from
  `name-1.2.3.jar`, else from the manifest (`Implementation-Title`/`-Version`, `Bundle-*`,
  `Specification-*`); the group from the manifest (see `manifest_group`), else the artifact
  name, as Syft does. An archive without a manifest, or with no version anywhere, gives no
  such package (Syft reports those without a version). Trivy looks archives without
  pom.properties up by their SHA-1 in its Java DB, which an offline scan cannot do, and then
  reports nothing for them;
- the archive's own package carries the manifest's `Bundle-License`;
- archives inside (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, `lib/*.jar`, any `*.jar`) are
  read the same way, recursively; their packages have `parent` = the virtual path of the
  archive that holds them (`app.war!/WEB-INF/lib/x.jar`), and `found_in` = the file in the
  image.

Package names are `group:artifact` (OSV's and Trivy's form); purls `pkg:maven/group/artifact@v`.

A zip needs random access, so each archive is read into memory (`max_file_size`). Nested
archives are decompressed into memory too, within `Limits`: how deep they nest, how many
there are, how many entries one may list, and how many bytes they may declare in all. Sizes
are checked as declared in the zip directory before anything is decompressed, and zipfile
never inflates an entry past its declared size, so a zip bomb costs at most the budget.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from tenlayer.image.walker import FileContent
from tenlayer.inventory.javameta import (
    Coordinates,
    bundle_licenses,
    manifest_group,
    manifest_name,
    manifest_version,
    name_from_filename,
    parse_manifest,
    parse_properties,
    pom_coordinates,
)
from tenlayer.inventory.purl import language_purl
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import NESTED_SEPARATOR, Ecosystem, Package

if TYPE_CHECKING:
    import zipfile

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".par", ".sar", ".nar", ".jpi", ".hpi")
MANIFEST = "META-INF/MANIFEST.MF"

@cache
def _zip_errors() -> tuple[type[BaseException], ...]:
    """What zipfile raises on damaged archives (zipfile is imported only when a jar is met:
    its import costs ~10 ms, paid by every image otherwise)."""
    import zipfile

    return (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        RuntimeError,  # encrypted entries
        NotImplementedError,  # unsupported compression methods
        struct.error,
        UnicodeDecodeError,
        IndexError,  # zipfile on hostile directories (an entry with an empty name)
    )


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on the work one archive (with everything nested in it) may cause."""

    max_depth: int = 5
    """Archives nested deeper than this are not opened (an ear > war > jar is depth 2)."""
    max_archives: int = 10_000
    """Nested archives opened per file."""
    max_total_bytes: int = 1 << 30
    """Uncompressed bytes all nested archives and metadata files may declare, per file."""
    max_entries: int = 500_000
    """Entries one archive may list; each costs memory before anything is read."""
    max_metadata_size: int = 1 << 20
    """A MANIFEST.MF or pom.properties larger than this is not read."""


class JavaArchiveAnalyzer:
    name = "java-archive"
    max_file_size = 512 << 20

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path.lower().endswith(ARCHIVE_SUFFIXES)

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        walk = _Walk(path, self.limits)
        walk.archive(content.read(), path, 0)
        if not walk.packages and not walk.warnings:
            return None
        packages = sorted(walk.packages.values(), key=_order)
        return AnalysisResult(packages=tuple(packages), warnings=tuple(walk.warnings))


def _order(package: Package) -> tuple[str, str, str]:
    return (package.parent or "", package.name, package.version)


@dataclass
class _Walk:
    """One file of the image and everything nested in it."""

    path: str
    limits: Limits
    packages: dict[tuple[str, str, str], Package] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    archives: int = 0
    declared: int = 0
    _warned_limits: set[str] = field(default_factory=set)

    def archive(self, data: bytes, virtual: str, depth: int) -> None:
        entries = _declared_entries(data)
        if entries is not None and entries > self.limits.max_entries:
            self.warnings.append(
                f"{virtual}: lists {entries} entries, over the limit of "
                f"{self.limits.max_entries}; not read (zip bomb?)"
            )
            return
        try:
            import zipfile

            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except _zip_errors() as error:
            self.warnings.append(f"{virtual}: not a readable zip archive ({_reason(error)})")
            return
        with archive:
            self._describe(archive, infos, virtual, depth)
            for info in infos:
                name = info.filename
                if not name.endswith("/") and name.lower().endswith(ARCHIVE_SUFFIXES):
                    self._nested(archive, info, virtual, depth)

    def _describe(
        self, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], virtual: str, depth: int
    ) -> None:
        """The packages of one archive, not counting those of archives nested in it."""
        manifest: dict[str, str] | None = None
        coordinates: list[Coordinates] = []
        for info in infos:
            name = info.filename
            if name.endswith("/"):
                continue
            if name.upper() == MANIFEST.upper() and manifest is None:
                text = self._small(archive, info, virtual)
                manifest = parse_manifest(text) if text is not None else None
            elif "META-INF/maven/" in name and name.endswith("/pom.properties"):
                text = self._small(archive, info, virtual)
                found = pom_coordinates(name, parse_properties(text)) if text else None
                if found is not None:
                    coordinates.append(found)
        file_artifact, file_version = name_from_filename(virtual.rsplit("/", 1)[-1])
        if manifest is not None:
            file_version = file_version or manifest_version(manifest)
        own = _own(coordinates, file_artifact, file_version)
        if own is None and manifest is not None:
            artifact = file_artifact or manifest_name(manifest)
            if artifact and file_version:
                group = manifest_group(manifest, artifact) or artifact
                own = Coordinates(group, artifact, file_version)
                coordinates.append(own)
        licenses = bundle_licenses(manifest.get("Bundle-License", "")) if manifest else ()
        parent = virtual if depth > 0 else None
        for found in coordinates:
            self._add(found, licenses if found == own else (), parent)

    def _add(self, found: Coordinates, licenses: tuple[str, ...], parent: str | None) -> None:
        name = f"{found.group}:{found.artifact}"
        self.packages.setdefault(
            (parent or "", name, found.version),
            Package(
                name=name,
                version=found.version,
                ecosystem=Ecosystem.MAVEN,
                purl=language_purl(Ecosystem.MAVEN, found.artifact, found.version, found.group),
                found_in=self.path,
                licenses=licenses,
                parent=parent,
            ),
        )

    def _small(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, virtual: str) -> str | None:
        """A metadata file's text, if it is small enough and the budget allows."""
        where = f"{virtual}{NESTED_SEPARATOR}{info.filename}"
        if info.file_size > self.limits.max_metadata_size:
            self.warnings.append(
                f"{where}: {info.file_size} bytes, over the limit of "
                f"{self.limits.max_metadata_size} for metadata; not read"
            )
            return None
        if not self._spend(info.file_size, where):
            return None
        try:
            return archive.read(info).decode("utf-8", "replace")
        except _zip_errors() as error:
            self.warnings.append(f"{where}: unreadable ({_reason(error)})")
            return None

    def _nested(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, virtual: str, depth: int
    ) -> None:
        inner = f"{virtual}{NESTED_SEPARATOR}{info.filename}"
        if depth + 1 > self.limits.max_depth:
            self._limit_warning(
                "depth",
                f"{inner}: nested more than {self.limits.max_depth} archives deep; not read",
            )
            return
        if self.archives >= self.limits.max_archives:
            self._limit_warning(
                "archives",
                f"{self.path}: more than {self.limits.max_archives} nested archives; "
                "the rest are not read",
            )
            return
        if not self._spend(info.file_size, inner):
            return
        self.archives += 1
        try:
            data = archive.read(info)
        except _zip_errors() as error:
            self.warnings.append(f"{inner}: unreadable ({_reason(error)})")
            return
        self.archive(data, inner, depth + 1)

    def _spend(self, size: int, where: str) -> bool:
        if self.declared + size > self.limits.max_total_bytes:
            self._limit_warning(
                "bytes",
                f"{where}: declares {size} bytes, which would take {self.path} over "
                f"{self.limits.max_total_bytes} uncompressed bytes; it and the rest are not "
                "read (zip bomb?)",
            )
            return False
        self.declared += size
        return True

    def _limit_warning(self, kind: str, message: str) -> None:
        if kind not in self._warned_limits:
            self._warned_limits.add(kind)
            self.warnings.append(message)


def _own(coordinates: list[Coordinates], file_artifact: str, version: str) -> Coordinates | None:
    """The pom.properties that describes the archive itself, if one does.

    Its artifactId is the file's name; or it is the only one, and the file's name starts it
    (Syft's rule) or it has the version the file name or manifest gives (a jar renamed by a
    distribution, as Debian's `maven3-core.jar` holding `maven-core` 3.8.7).
    """
    for found in coordinates:
        if found.artifact == file_artifact:
            return found
    if len(coordinates) != 1:
        return None
    lone = coordinates[0]
    if file_artifact and lone.artifact.startswith(file_artifact):
        return lone
    return lone if version and lone.version == version else None


def _declared_entries(data: bytes) -> int | None:
    """The entry count in the end-of-central-directory record (zip64 aware), if found."""
    tail_start = max(0, len(data) - (0xFFFF + 22))
    at = data.rfind(b"PK\x05\x06", tail_start)
    if at < 0 or at + 22 > len(data):
        return None
    (entries,) = struct.unpack_from("<H", data, at + 10)
    if entries != 0xFFFF or at < 20 or data[at - 20 : at - 16] != b"PK\x06\x07":
        return int(entries)
    (zip64_at,) = struct.unpack_from("<Q", data, at - 20 + 8)
    if zip64_at + 56 > len(data) or data[zip64_at : zip64_at + 4] != b"PK\x06\x06":
        return int(entries)
    (total,) = struct.unpack_from("<Q", data, zip64_at + 32)
    return int(total)


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text or type(error).__name__

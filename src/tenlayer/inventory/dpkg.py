"""Debian packages: the dpkg status database, distroless `status.d/`, file lists, copyrights.

- `var/lib/dpkg/status`: one paragraph per package (Package, Status, Version, Source, …).
- `var/lib/dpkg/status.d/NAME`: the same paragraphs, one file per package (distroless
  images have no `status`); the `*.md5sums` files beside them are not paragraphs.
- `var/lib/dpkg/info/NAME[:ARCH].list`: the files a package installed, used to tell
  whether a Python or npm package on disk belongs to the OS package manager.
- `usr/share/doc/NAME/copyright`: the declared licenses (DEP-5 `License:` lines, or
  references to `/usr/share/common-licenses/…`).
"""

from __future__ import annotations

import re

from tenlayer.image.walker import AnalysisFailed, FileContent
from tenlayer.inventory.licenses import declared
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Ecosystem, Package

STATUS = "var/lib/dpkg/status"
STATUS_DIR = "var/lib/dpkg/status.d/"
INFO_DIR = "var/lib/dpkg/info/"
DOC_DIR = "usr/share/doc/"

_NOT_INSTALLED = frozenset(("not-installed", "config-files"))
_SOURCE = re.compile(r"^(?P<name>\S+)(?:\s+\((?P<version>[^)\s]+)\))?$")
_LICENSE_LINE = re.compile(rb"^License:[ \t]*(\S[^\n]*)$", re.MULTILINE)
_COMMON_LICENSE = re.compile(
    rb"/usr/share/common-licenses/([A-Za-z0-9][A-Za-z0-9_.+-]*[A-Za-z0-9+])"
)


class DpkgAnalyzer:
    name = "dpkg"
    max_file_size = 256 << 20

    def wants(self, path: str, mode: int, size: int) -> bool:
        if path == STATUS:
            return True
        if path.startswith(STATUS_DIR):
            return "/" not in path[len(STATUS_DIR) :] and not path.endswith(".md5sums")
        if path.startswith(INFO_DIR):
            return path.endswith(".list") and "/" not in path[len(INFO_DIR) :]
        return (
            path.startswith(DOC_DIR)
            and path.endswith("/copyright")
            and path.count("/") == 4
        )

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        data = content.read()
        if path.startswith(INFO_DIR):
            return _file_list(path, data)
        if path.startswith(DOC_DIR):
            return _copyright(path, data)
        return AnalysisResult(packages=tuple(parse_status(data, path)))


def parse_status(data: bytes, path: str) -> list[Package]:
    """Parse a dpkg status file into the packages it records as installed."""
    if b"\0" in data:
        raise AnalysisFailed("dpkg database is corrupt (binary data in a text file)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    packages = []
    for number, paragraph in enumerate(text.split("\n\n")):
        fields = _fields(paragraph, number)
        if not fields:
            continue
        package = _package(fields, path, number)
        if package is not None:
            packages.append(package)
    return packages


def _fields(paragraph: str, number: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in paragraph.split("\n"):
        if not line or line[0] in " \t" or line[0] == "#":
            continue  # continuation lines belong to fields this analyzer does not need
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key:
            raise AnalysisFailed(
                f"dpkg database is corrupt (paragraph {number + 1}: line {line[:60]!r})"
            )
        fields[key] = value.strip()
    return fields


def _package(fields: dict[str, str], path: str, number: int) -> Package | None:
    name = fields.get("Package")
    if not name:
        raise AnalysisFailed(f"dpkg database is corrupt (paragraph {number + 1} has no Package)")
    status = fields.get("Status", "install ok installed").split()
    if len(status) == 3 and (status[0] in ("deinstall", "purge") or status[2] in _NOT_INSTALLED):
        return None
    version = fields.get("Version")
    if not version:
        raise AnalysisFailed(f"dpkg database is corrupt (package {name} has no Version)")
    source_name, source_version = name, version
    source = fields.get("Source")
    if source:
        match = _SOURCE.match(source)
        if match is None:
            raise AnalysisFailed(f"dpkg database is corrupt (package {name}: Source {source!r})")
        source_name = match.group("name")
        source_version = match.group("version") or version
    return Package(
        name=name,
        version=version,
        ecosystem=Ecosystem.DEB,
        purl="",
        found_in=path,
        source_name=source_name,
        source_version=source_version,
        arch=fields.get("Architecture") or None,
    )


def _file_list(path: str, data: bytes) -> AnalysisResult:
    stem = path[len(INFO_DIR) : -len(".list")]
    owner = f"deb:{stem.partition(':')[0]}"
    owned = {}
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        line = line.strip().lstrip("/")
        if line and line != ".":
            owned[line] = owner
    return AnalysisResult(owned_files=owned)


def _copyright(path: str, data: bytes) -> AnalysisResult | None:
    names = [m.decode("utf-8", "replace") for m in _LICENSE_LINE.findall(data)]
    names += [m.decode("utf-8", "replace") for m in _COMMON_LICENSE.findall(data)]
    if not names:
        return None
    package = path[len(DOC_DIR) : -len("/copyright")]
    return AnalysisResult(licenses={f"deb:{package}": declared(names)})

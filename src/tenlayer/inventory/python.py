"""Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and `*.egg-info` files.

Whether the OS package manager owns a distribution (Debian's `python3-*` packages) is not
decided here but by the assembler, from the file lists of the OS packages.
"""

from __future__ import annotations

from tenlayer.image.walker import FileContent
from tenlayer.inventory.licenses import declared
from tenlayer.inventory.purl import pypi_purl
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Ecosystem, Package

_CLASSIFIER_LICENSES = {
    "MIT License": "MIT",
    "Apache Software License": "Apache-2.0",
    "BSD License": "BSD",
    "ISC License (ISCL)": "ISC",
    "Python Software Foundation License": "PSF-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "The Unlicense (Unlicense)": "Unlicense",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
}
_MAX_LICENSE_FIELD = 100
"""A License field longer than this is the license text itself, not its name."""


class PythonPackageAnalyzer:
    name = "python"
    max_file_size = 8 << 20

    def wants(self, path: str, mode: int, size: int) -> bool:
        if path.endswith("/METADATA"):
            return path.endswith(".dist-info/METADATA")
        if path.endswith("/PKG-INFO"):
            return path.endswith((".egg-info/PKG-INFO", "/EGG-INFO/PKG-INFO"))
        return path.endswith(".egg-info")

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        headers = parse_headers(content.read())
        name = headers.get("Name", [""])[0].strip()
        version = headers.get("Version", [""])[0].strip()
        if not name or not version:
            return AnalysisResult(warnings=(f"{path}: no Name or Version, not a distribution",))
        return AnalysisResult(
            packages=(
                Package(
                    name=name,
                    version=version,
                    ecosystem=Ecosystem.PYPI,
                    purl=pypi_purl(name, version),
                    found_in=path,
                    licenses=_licenses(headers),
                ),
            )
        )


def parse_headers(data: bytes) -> dict[str, list[str]]:
    """The RFC 822 header block of core metadata (the body after a blank line is ignored)."""
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in data.decode("utf-8", "replace").splitlines():
        if not line:
            break
        if line[0] in " \t":
            if last:
                last[-1] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            break
        last = headers.setdefault(key.strip(), [])
        last.append(value.strip())
    return headers


def _licenses(headers: dict[str, list[str]]) -> tuple[str, ...]:
    expression = headers.get("License-Expression", [""])[0]
    if expression:
        return (expression,)
    field = headers.get("License", [""])[0]
    if field and "\n" not in field and len(field) <= _MAX_LICENSE_FIELD and field != "UNKNOWN":
        return declared([field])
    from_classifiers = []
    for classifier in headers.get("Classifier", []):
        parts = [p.strip() for p in classifier.split("::")]
        if parts[0] == "License" and len(parts) > 1 and parts[-1] != "OSI Approved":
            from_classifiers.append(_CLASSIFIER_LICENSES.get(parts[-1], parts[-1]))
    return tuple(sorted(set(from_classifiers)))

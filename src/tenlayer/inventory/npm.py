"""npm packages: every `package.json` that names a package and its version.

Both inside `node_modules` (dependencies) and outside (the application itself, which Syft
and Trivy list too). A `package.json` without a name or version (the `{"type": "module"}`
markers inside packages) is not a package.
"""

from __future__ import annotations

import json

from tenlayer.image.walker import FileContent
from tenlayer.inventory.licenses import to_spdx
from tenlayer.inventory.purl import language_purl
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Ecosystem, Package


class NpmPackageAnalyzer:
    name = "npm"
    max_file_size = 4 << 20

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path.endswith("/package.json") or path == "package.json"

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        try:
            document = json.loads(content.read())
        except (ValueError, RecursionError) as error:
            return AnalysisResult(warnings=(f"{path}: malformed package.json ({error})",))
        if not isinstance(document, dict):
            return None
        name, version = document.get("name"), document.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
            return None
        scope, _, bare = name.rpartition("/")
        return AnalysisResult(
            packages=(
                Package(
                    name=name,
                    version=version,
                    ecosystem=Ecosystem.NPM,
                    purl=language_purl(Ecosystem.NPM, bare, version, scope or None),
                    found_in=path,
                    licenses=_licenses(document),
                ),
            )
        )


def _licenses(document: dict[str, object]) -> tuple[str, ...]:
    found: list[str] = []
    for value in (document.get("license"), *_as_list(document.get("licenses"))):
        if isinstance(value, dict):
            value = value.get("type")
        if isinstance(value, str) and value.strip():
            found.append(to_spdx(value.strip()))
    return tuple(sorted(set(found)))


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []

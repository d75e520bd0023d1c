"""npm packages: `package.json` of every package inside a `node_modules` directory."""

from __future__ import annotations

import orjson

from tenlayer.image.walker import FileContent
from tenlayer.inventory.licenses import to_spdx
from tenlayer.inventory.purl import language_purl
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Ecosystem, Package


class NpmPackageAnalyzer:
    name = "npm"
    max_file_size = 4 << 20

    def wants(self, path: str, mode: int, size: int) -> bool:
        if not path.endswith("/package.json"):
            return False
        parts = path.split("/")
        if len(parts) >= 3 and parts[-3] == "node_modules":
            return True
        return len(parts) >= 4 and parts[-4] == "node_modules" and parts[-3].startswith("@")

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        try:
            document = orjson.loads(content.read())
        except orjson.JSONDecodeError as error:
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

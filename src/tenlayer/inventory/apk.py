"""Alpine and Wolfi packages: `lib/apk/db/installed`.

One paragraph per package, one `K:value` line per field: P name, V version, A arch,
L license, o origin (the source package), F a directory and R a file in it.
"""

from __future__ import annotations

from tenlayer.image.walker import AnalysisFailed, FileContent
from tenlayer.inventory.licenses import declared
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Ecosystem, Package

INSTALLED = "lib/apk/db/installed"


class ApkAnalyzer:
    name = "apk"
    max_file_size = 256 << 20

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path == INSTALLED

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        data = content.read()
        if b"\0" in data:
            raise AnalysisFailed("apk database is corrupt (binary data in a text file)")
        packages: list[Package] = []
        owned: dict[str, str] = {}
        text = data.decode("utf-8", "replace")
        for number, paragraph in enumerate(text.split("\n\n")):
            if paragraph.strip():
                packages.append(_paragraph(paragraph, number, path, owned))
        return AnalysisResult(packages=tuple(packages), owned_files=owned)


def _paragraph(paragraph: str, number: int, path: str, owned: dict[str, str]) -> Package:
    fields: dict[str, str] = {}
    files: list[str] = []
    directory = ""
    for line in paragraph.splitlines():
        if not line:
            continue
        if len(line) < 2 or line[1] != ":":
            raise AnalysisFailed(
                f"apk database is corrupt (entry {number + 1}: line {line[:60]!r})"
            )
        key, value = line[0], line[2:]
        if key == "F":
            directory = value.strip("/")
        elif key == "R":
            files.append(f"{directory}/{value}" if directory else value)
        else:
            fields.setdefault(key, value)
    name, version = fields.get("P"), fields.get("V")
    if not name or not version:
        raise AnalysisFailed(
            f"apk database is corrupt (entry {number + 1} lacks a package name or version)"
        )
    for file in files:
        owned[file] = f"apk:{name}"
    return Package(
        name=name,
        version=version,
        ecosystem=Ecosystem.APK,
        purl="",
        found_in=path,
        licenses=declared([fields["L"]]) if fields.get("L") else (),
        source_name=fields.get("o") or name,
        source_version=version,
        arch=fields.get("A") or None,
    )

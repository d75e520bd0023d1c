"""The distribution of an image: os-release first, then the older release files.

`etc/os-release` is often a symlink to `usr/lib/os-release`; links are not files, so both
paths are wanted and the assembler prefers the first that exists as a regular file.
"""

from __future__ import annotations

import re

from tenlayer.image.walker import FileContent
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import OSInfo

OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
RELEASE_FILES = {
    "etc/alpine-release": "alpine",
    "etc/debian_version": "debian",
    "etc/redhat-release": "rhel",
    "etc/centos-release": "centos",
    "etc/fedora-release": "fedora",
    "etc/rocky-release": "rocky",
    "etc/almalinux-release": "almalinux",
    "etc/SuSE-release": "sles",
}
PRIORITY = (*OS_RELEASE_PATHS, *RELEASE_FILES)
"""Which file wins when several are present: os-release, then the distribution's own."""

_ASSIGNMENT = re.compile(r"^([A-Z0-9_]+)=(.*)$")
_RELEASE_VERSION = re.compile(r"(\d+(?:\.\d+)*)")
_REDHAT_NAMES = (
    ("centos", "centos"), ("rocky", "rocky"), ("alma", "almalinux"), ("fedora", "fedora"),
    ("red hat", "rhel"),
)


class OSReleaseAnalyzer:
    name = "os-release"
    max_file_size = 64 << 10

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path in OS_RELEASE_PATHS or path in RELEASE_FILES

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        text = content.read().decode("utf-8", "replace")
        info = parse_os_release(text, path) if path in OS_RELEASE_PATHS else _release_file(
            text, path
        )
        return AnalysisResult(os=info) if info else None


def parse_os_release(text: str, path: str) -> OSInfo | None:
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            values[match.group(1)] = _unquote(match.group(2))
    family = values.get("ID", "").lower()
    if not family:
        return None
    return OSInfo(
        family=family,
        version_id=values.get("VERSION_ID", ""),
        name=values.get("NAME", ""),
        pretty_name=values.get("PRETTY_NAME", ""),
        codename=values.get("VERSION_CODENAME", ""),
        found_in=path,
    )


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


def _release_file(text: str, path: str) -> OSInfo | None:
    first = text.strip().splitlines()[0] if text.strip() else ""
    family = RELEASE_FILES[path]
    if family == "rhel":
        lowered = first.lower()
        family = next((f for key, f in _REDHAT_NAMES if key in lowered), "rhel")
    match = _RELEASE_VERSION.search(first)
    if not match:
        return None
    return OSInfo(family=family, version_id=match.group(1), pretty_name=first, found_in=path)

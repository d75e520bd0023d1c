"""What a Java archive says about itself: pom.properties, MANIFEST.MF and its file name.

Pure functions over text; `java.py` decides which of them describe which package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenlayer.inventory.licenses import to_spdx


@dataclass(frozen=True, slots=True)
class Coordinates:
    """A Maven artifact: `group:artifact@version`."""

    group: str
    artifact: str
    version: str


# --- pom.properties (java.util.Properties format) ------------------------------------------


def parse_properties(text: str) -> dict[str, str]:
    """Java properties: `key=value`, `key: value` or `key value`, `#`/`!` comments, `\\`
    continuations and escapes (`\\t`, `\\n`, `\\uXXXX`). The first of a repeated key wins."""
    found: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].lstrip(" \t\f")
        index += 1
        if not line or line[0] in "#!":
            continue
        while _continues(line) and index < len(lines):
            line = line[:-1] + lines[index].lstrip(" \t\f")
            index += 1
        key, value = _split_property(line)
        found.setdefault(_unescape(key), _unescape(value))
    return found


def _continues(line: str) -> bool:
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


def _split_property(line: str) -> tuple[str, str]:
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char in "=: \t\f":
            break
        index += 1
    key = line[:index]
    rest = line[index:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        escape = text[index + 1]
        digits = text[index + 2 : index + 6]
        if escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", digits):
            out.append(chr(int(digits, 16)))
            index += 6
        else:
            out.append(_ESCAPES.get(escape, escape))
            index += 2
    return "".join(out)


def pom_coordinates(entry: str, properties: dict[str, str]) -> Coordinates | None:
    """The artifact a `META-INF/maven/<group>/<artifact>/pom.properties` describes.

    The group falls back to the directory it sits in (some builds leave groupId out).
    """
    artifact = properties.get("artifactId", "").strip()
    version = properties.get("version", "").strip()
    group = properties.get("groupId", "").strip()
    if not group:
        parts = entry.split("/")
        group = parts[-3] if len(parts) >= 4 and parts[-4] == "maven" else ""
    if not artifact or not version or not group:
        return None
    return Coordinates(group, artifact, version)


# --- MANIFEST.MF ----------------------------------------------------------------------------


def parse_manifest(text: str) -> dict[str, str]:
    """The main section of a JAR manifest (attributes up to the first blank line).

    A line starting with one space continues the one before, joined without the space, as
    java.util.jar.Manifest does. Individual sections after the blank line describe entries
    inside the archive, not the archive, and are not read.
    """
    main: dict[str, str] = {}
    current: list[str] = []

    def flush() -> None:
        if current:
            name, sep, value = "".join(current).partition(":")
            if sep and name.strip():
                main.setdefault(name.strip(), value.strip())
            current.clear()

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if current or main:
                break
            continue
        if line.startswith(" "):
            current.append(line[1:])
            continue
        flush()
        current.append(line)
    flush()
    return main


_GROUP_LIKE = re.compile(r"[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+")


def manifest_group(manifest: dict[str, str], artifact: str) -> str:
    """A Maven group from the manifest, or "".

    In order: `Group-Id` (Jenkins plugins) or `Implementation-Vendor-Id`;
    `Bundle-SymbolicName`, less its last segment when that segment ends the artifact name
    (`com.fasterxml.jackson.core.jackson-databind` -> `com.fasterxml.jackson.core`,
    `org.apache.commons.lang3` for commons-lang3 -> `org.apache.commons`) and whole otherwise
    (`com.google.inject` for guice; Trivy always cuts, Syft never does);
    `Implementation-Vendor` or `Specification-Vendor` only when they read like a group
    (`org.example`, not `The Apache Software Foundation`).
    """
    for explicit in ("Group-Id", "Implementation-Vendor-Id"):  # Group-Id: Jenkins plugins
        value = manifest.get(explicit, "").strip()
        if value:
            return value
    symbolic = manifest.get("Bundle-SymbolicName", "").split(";", 1)[0].strip()
    if _GROUP_LIKE.fullmatch(symbolic):
        group, _, last = symbolic.rpartition(".")
        return group if artifact.endswith(last) else symbolic
    for field in ("Implementation-Vendor", "Specification-Vendor"):
        value = manifest.get(field, "").strip()
        if _GROUP_LIKE.fullmatch(value):
            return value
    return ""


_NAME_FIELDS = ("Name", "Bundle-Name", "Short-Name", "Extension-Name", "Implementation-Title")
_VERSION_FIELDS = (
    "Implementation-Version",
    "Specification-Version",
    "Plugin-Version",
    "Bundle-Version",
)


def manifest_name(manifest: dict[str, str]) -> str:
    """The artifact name a manifest gives, in Syft's order of fields."""
    for field in _NAME_FIELDS:
        value = manifest.get(field, "").strip()
        if value:
            return value
    return ""


def manifest_version(manifest: dict[str, str]) -> str:
    """The version a manifest gives; `1.3 2244 October 5 2008` becomes `1.3`, as in Syft."""
    for field in _VERSION_FIELDS:
        value = manifest.get(field, "").strip()
        if value:
            return value.split()[0]
    return ""


_LICENSE_URLS = {
    "apache.org/licenses/license-2.0": "Apache-2.0",
    "opensource.org/licenses/apache-2.0": "Apache-2.0",
    "opensource.org/licenses/mit": "MIT",
    "opensource.org/licenses/bsd-license": "BSD-2-Clause",
    "opensource.org/licenses/bsd-3-clause": "BSD-3-Clause",
    "eclipse.org/legal/epl-v10": "EPL-1.0",
    "eclipse.org/legal/epl-2.0": "EPL-2.0",
    "eclipse.org/legal/epl-v20": "EPL-2.0",
    "gnu.org/licenses/lgpl-2.1": "LGPL-2.1-only",
    "gnu.org/licenses/old-licenses/lgpl-2.1": "LGPL-2.1-only",
    "gnu.org/licenses/lgpl-3.0": "LGPL-3.0-only",
    "gnu.org/licenses/gpl-2.0": "GPL-2.0-only",
    "gnu.org/licenses/old-licenses/gpl-2.0": "GPL-2.0-only",
    "gnu.org/licenses/gpl-3.0": "GPL-3.0-only",
    "mozilla.org/mpl/2.0": "MPL-2.0",
}


def bundle_licenses(header: str) -> tuple[str, ...]:
    """SPDX ids from an OSGi `Bundle-License` header.

    The header is a comma-separated list of `name;link=...;description=...` entries whose
    name is an SPDX id or a license URL. Known URLs map to their id; other names are kept as
    written (through the shared alias table); `<<EXTERNAL>>` is dropped.
    """
    found: list[str] = []
    for entry in _split_unquoted(header, ","):
        name = _split_unquoted(entry, ";")[0].strip().strip('"').strip()
        if not name or name == "<<EXTERNAL>>":
            continue
        found.append(_license_from_url(name) or to_spdx(name))
    return tuple(dict.fromkeys(found))


def _license_from_url(name: str) -> str:
    if "://" not in name:
        return ""
    bare = name.split("://", 1)[1].lower().removeprefix("www.").rstrip("/")
    for suffix in (".txt", ".html", ".htm", ".php"):
        bare = bare.removesuffix(suffix)
    return _LICENSE_URLS.get(bare, "")


def _split_unquoted(text: str, separator: str) -> list[str]:
    parts = []
    quoted = False
    start = 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


# --- file names -----------------------------------------------------------------------------

_SECONDARY_VERSION = re.compile(r"(?P<name>.+?)[._](?P<version>\d[\w.+~-]*)")


def name_from_filename(filename: str) -> tuple[str, str]:
    """(artifact, version) from `commons-lang3-3.12.0.jar`; version "" when there is none.

    The version starts at the first dash-separated part that starts with a digit
    (`netty-codec-http2-4.1.100.Final` -> `netty-codec-http2`, `4.1.100.Final`); failing
    that, at a `_` or `.` followed by a digit (`org.eclipse.osgi_3.18.0.v2022`).
    """
    stem = filename.rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    parts = stem.split("-")
    for index in range(1, len(parts)):
        if parts[index][:1].isdigit():
            return "-".join(parts[:index]), "-".join(parts[index:])
    match = _SECONDARY_VERSION.fullmatch(stem)
    if match:
        return match.group("name"), match.group("version")
    return stem, ""

"""The entry check for layer files: special modes from entry headers, secrets from contents.

One `LayerFileCheck` runs inside the inventory's walk (image/traces.py), so each layer is
still read once. Modes cost nothing for ordinary files: `note` is only called for entries
with a setuid, setgid or other-write bit. Contents are read for text-like files outside
package documentation trees, up to `MAX_SECRET_FILE` bytes.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass

from tenlayer.image.tarstream import EntryKind
from tenlayer.image.traces import Content
from tenlayer.secrets.content import BINARY_PROBE, SecretMatch, is_binary, scan_content
from tenlayer.secrets.files import scanner_for

MAX_SECRET_FILE = 2 << 20
"""Files above 2 MiB are not read for secrets (credential files are far smaller)."""

SKIPPED_TREES = (
    "usr/share/doc/", "usr/share/man/", "usr/share/info/", "usr/share/locale/",
    "usr/share/zoneinfo/", "usr/share/i18n/", "usr/share/common-licenses/",
    "usr/share/perl/", "usr/share/X11/locale/", "usr/lib/locale/", "var/lib/dpkg/",
    "var/cache/debconf/", "var/lib/apt/", "var/lib/rpm/", "lib/apk/db/",
)
"""Documentation, locales and package databases: package-manager owned, measured to give
nothing but noise and time."""

BINARY_SUFFIXES = (
    ".so", ".a", ".o", ".pyc", ".pyo", ".mo", ".gmo", ".gz", ".xz", ".bz2", ".zst", ".zip",
    ".jar", ".war", ".whl", ".egg", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".ttf",
    ".otf", ".woff", ".woff2", ".pdf", ".db", ".sqlite", ".class", ".wasm", ".node",
)
KEY_NAMES = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")
KEY_SUFFIXES = (".pem", ".key", ".p8", ".pk8", ".ppk")
SPECIAL_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_IWOTH


@dataclass(frozen=True, slots=True)
class SpecialMode:
    """An entry with the setuid/setgid bit, or writable by others."""

    kind: EntryKind
    mode: int

    @property
    def setuid(self) -> bool:
        return bool(self.mode & (stat.S_ISUID | stat.S_ISGID))

    @property
    def world_writable(self) -> bool:
        return bool(self.mode & stat.S_IWOTH)


@dataclass(frozen=True, slots=True)
class SecretsFound:
    matches: tuple[SecretMatch, ...]


LayerFileResult = SpecialMode | SecretsFound


def credential_like(path: str) -> bool:
    """A name that says the file may hold credentials: worth a note when it is too large."""
    name = path[path.rfind("/") + 1 :]
    if name.startswith(KEY_NAMES) or name.endswith(KEY_SUFFIXES):
        return True
    scanner = scanner_for(path)  # configuration files, but not every large JSON document
    return scanner is not None and (not name.endswith(".json") or name in ("config.json",
                                                                            "auth.json"))


class LayerFileCheck:
    name = "secrets"
    max_file_size = MAX_SECRET_FILE

    def __init__(self, *, modes: bool, secrets: bool) -> None:
        self.mode_mask = SPECIAL_BITS if modes else 0
        self._secrets = secrets

    def note(self, path: str, kind: EntryKind, mode: int) -> SpecialMode | None:
        if kind is EntryKind.SYMLINK or kind is EntryKind.OTHER:
            return None  # symlinks are 0777 by nature; devices and fifos hold no files
        if kind is EntryKind.DIR:
            sticky = mode & stat.S_ISVTX
            if mode & stat.S_IWOTH and not sticky:
                return SpecialMode(kind, mode & ~(stat.S_ISUID | stat.S_ISGID))
            return None  # setgid directories only pass their group on to new files
        return SpecialMode(kind, mode)

    def wants(self, path: str, mode: int, size: int) -> bool:
        """Text-like files outside the skipped trees, of any size: above MAX_SECRET_FILE the
        walk records the file as skipped, unread."""
        return (
            self._secrets
            and size > 0
            and not path.startswith(SKIPPED_TREES)
            and not path.endswith(BINARY_SUFFIXES)
            and ".so." not in path
        )

    def analyze(self, path: str, content: Content) -> SecretsFound | None:
        head = content.read(BINARY_PROBE)
        if is_binary(head):
            return None  # the rest is never read: the walker skips it
        found = scan_content(path, head + content.read())
        return SecretsFound(found) if found else None

"""RPM packages: the rpm database in any of its three formats, read without rpm.

| format        | file                       | used by                          |
|---------------|----------------------------|----------------------------------|
| SQLite        | rpmdb.sqlite               | rpm >= 4.16: RHEL 9, Fedora 33+  |
| NDB           | Packages.db                | SUSE since 2021                  |
| Berkeley DB   | Packages                   | RHEL 7/8, UBI 8, CentOS, AL2     |

each in `var/lib/rpm/` or `usr/lib/sysimage/rpm/`. The format is told by the file's
magic, not its name. Each record is one installed package's header blob.
"""

from __future__ import annotations

from tenlayer.image.walker import FileContent
from tenlayer.inventory.result import AnalysisResult

DB_DIRS = ("var/lib/rpm/", "usr/lib/sysimage/rpm/")
DB_NAMES = ("Packages", "Packages.db", "rpmdb.sqlite")
DB_PATHS = frozenset(d + n for d in DB_DIRS for n in DB_NAMES)

class RpmAnalyzer:
    """Installed RPM packages and the files they own, from the rpm database."""

    name = "rpm"
    max_file_size = 1 << 30

    def __init__(self, *, skip_gpg_pubkeys: bool = False) -> None:
        # Syft and Trivy both list the `gpg-pubkey` entries `rpm --import` creates, so
        # they are kept by default; they own no files and match no vulnerability.
        self.skip_gpg_pubkeys = skip_gpg_pubkeys

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path in DB_PATHS

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        # The readers are imported when an rpm database is met: most images have none.
        from tenlayer.inventory.rpm.database import read_headers
        from tenlayer.inventory.rpm.package import GPG_PUBKEY, owned_files, to_package

        data = content.read()
        if not data:
            return None  # an empty file is an empty database
        headers = read_headers(data)
        if self.skip_gpg_pubkeys:
            headers = [h for h in headers if h.name != GPG_PUBKEY]
        return AnalysisResult(
            packages=tuple(to_package(h, path) for h in headers),
            owned_files=owned_files(headers),
        )

"""Random access to the members of an uncompressed tar archive, without extracting it.

docker-archive and OCI archive files are plain tars holding JSON documents and layer blobs.
The member table is read once; each member is then read in place with `os.pread`, so the
archive is never copied and layers stream straight from the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tenlayer.errors import BadInput
from tenlayer.image.mapped import FileRegion, MemberReader
from tenlayer.image.paths import normalize, parent
from tenlayer.image.tarstream import EntryKind, TarStream

_MAX_LINK_HOPS = 16


@dataclass(frozen=True, slots=True)
class _Member:
    offset: int
    size: int
    link: str | None  # normalized target of a symlink or hard link


class TarArchive:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._context = str(path)
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError as error:
            raise BadInput(f"{path}: cannot open ({error.strerror})") from None
        self._members = self._index()

    def _index(self) -> dict[str, _Member]:
        """Every member's place in the file: headers are read, data is passed over unread."""
        members: dict[str, _Member] = {}
        size = os.fstat(self._fd).st_size
        stream = TarStream(MemberReader(self._fd, 0, size), context=self._context)
        try:
            for entry in stream:
                link = None
                if entry.kind is EntryKind.SYMLINK:
                    target = entry.linkname
                    if not target.startswith("/"):
                        target = f"{parent(entry.path)}/{target}"
                    link = normalize(target, context=self._context)
                elif entry.kind is EntryKind.HARDLINK:
                    link = normalize(entry.linkname, context=self._context)
                members[entry.path] = _Member(stream.data_offset, entry.size, link)
        except BadInput as error:
            if "truncated" in str(error):
                raise BadInput(f"{self._context}: archive is truncated") from None
            raise
        for name, member in members.items():
            if member.link is None and member.offset + member.size > size:
                raise BadInput(f"{self._context}: archive is truncated (member {name!r})")
        return members

    def has(self, name: str) -> bool:
        return name in self._members

    def names(self) -> list[str]:
        return list(self._members)

    def size(self, name: str) -> int:
        return self._resolve(name).size

    def open(self, name: str) -> MemberReader:
        member = self._resolve(name)
        return MemberReader(self._fd, member.offset, member.size)

    def region(self, name: str) -> tuple[FileRegion, bool]:
        """Where the member lies in the archive file (the archive keeps the descriptor)."""
        member = self._resolve(name)
        return FileRegion(self._fd, member.offset, member.size), False

    def read(self, name: str, *, limit: int) -> bytes:
        member = self._resolve(name)
        if member.size > limit:
            raise BadInput(f"{self._context}: {name} is too large ({member.size} bytes)")
        return os.pread(self._fd, member.size, member.offset)

    def _resolve(self, name: str) -> _Member:
        member = self._members.get(name)
        for _ in range(_MAX_LINK_HOPS):
            if member is None:
                raise BadInput(f"{self._context}: archive has no {name!r}")
            if member.link is None:
                return member
            name = member.link
            member = self._members.get(name)
        raise BadInput(f"{self._context}: too many links while resolving {name!r}")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

"""Random access to the members of an uncompressed tar archive, without extracting it.

docker-archive and OCI archive files are plain tars holding JSON documents and layer blobs.
The member table is read once; each member is then read in place with `os.pread`, so the
archive is never copied and layers stream straight from the file.
"""

from __future__ import annotations

import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from tenlayer.errors import BadInput
from tenlayer.image.paths import normalize, parent

_MAX_LINK_HOPS = 16


@dataclass(frozen=True, slots=True)
class _Member:
    offset: int
    size: int
    link: str | None  # normalized target of a symlink or hard link


class MemberReader:
    """A read-only window onto one member of the archive."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self._fd = fd
        self._pos = offset
        self._end = offset + size

    def read(self, n: int = -1) -> bytes:
        left = self._end - self._pos
        if n < 0 or n > left:
            n = left
        if n <= 0:
            return b""
        data = os.pread(self._fd, n, self._pos)
        if not data:
            raise BadInput("archive ended inside a member (truncated file)")
        self._pos += len(data)
        return data

    def close(self) -> None:
        """The archive owns the file descriptor; nothing to release here."""


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
        members: dict[str, _Member] = {}
        try:
            with open(self._fd, "rb", closefd=False) as handle, tarfile.open(
                fileobj=handle, mode="r:"
            ) as archive:
                for info in archive:
                    name = normalize(info.name, context=self._context)
                    link = None
                    if info.issym():
                        link = normalize(
                            info.linkname if info.linkname.startswith("/")
                            else f"{parent(name)}/{info.linkname}",
                            context=self._context,
                        )
                    elif info.islnk():
                        link = normalize(info.linkname, context=self._context)
                    members[name] = _Member(info.offset_data, info.size, link)
        except tarfile.ReadError as error:
            if "unexpected end" in str(error):
                raise BadInput(f"{self._context}: archive is truncated") from None
            raise BadInput(f"{self._context}: not a readable tar archive ({error})") from None
        except EOFError:
            raise BadInput(f"{self._context}: archive is truncated") from None
        size = os.fstat(self._fd).st_size
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

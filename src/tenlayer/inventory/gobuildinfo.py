"""Find and decode the build information the Go linker writes into every Go binary, in one pass.

The Go linker leaves a 32-byte header at a 16-byte-aligned offset of the data section:

    0..14   magic `\\xff Go buildinf:`
    14      pointer size (4 or 8)
    15      flags: bit 0 big-endian, bit 1 strings inline (Go >= 1.18)
    16..32  two pointers (Go 1.13-1.17), or zeros

Go >= 1.18 writes the Go version and the module information right after the header, each as a
uvarint length followed by the bytes. Go 1.13-1.17 stores instead the virtual addresses of
two Go string headers (`runtime.buildVersion`, `runtime.modinfo`), each a (data address,
length) pair pointing into read-only data. The module information is framed by two 16-byte
sentinels that cmd/go writes around it; they are checked, not just stripped.

The binary is streamed once, front to back, in chunks (`content` cannot seek), and memory stays
flat: a chunk, a few bytes of overlap, and at most `MAX_MODINFO_SIZE` for the text itself.

**Go < 1.18 (pointer format).** Resolving an address needs random access: the string headers
sit in the data segment after the build-info header, but the strings they point to sit in the
read-only data *before* it, already streamed past. Rather than keep the whole binary, the
scanner remembers, while it searches, the only things those pointers can land on: every run of
module information (it starts with the sentinel, so it can be recognised and cut out by itself)
and the first bytes after every `go1.` (a Go version string), both bounded in count and size.
Addresses are mapped to file offsets with the program headers (ELF), section table (PE) or
load commands (Mach-O), which sit at the front of the file. When a pointer lands on nothing
remembered the result says so in a warning instead of guessing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from tenlayer.image.walker import FileContent
from tenlayer.inventory.goexe import AddressMap, ExeFormat, address_map, elf_layout

MAGIC = b"\xff Go buildinf:"
INFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
INFO_END = bytes.fromhex("f932433186182072008242104116d8f2")
HEADER_SIZE = 32
_ALIGN = 16
_FLAG_BIG_ENDIAN = 1
_FLAG_INLINE = 2
_VERSION_PREFIX = b"go1."

CHUNK_SIZE = 1 << 20
HEAD_SIZE = 64 << 10
"""The front of the file kept for its executable headers (address mapping)."""
MAX_VERSION_SIZE = 1 << 10
MAX_MODINFO_SIZE = 8 << 20
"""Far above real module information (a few hundred KiB for the largest binaries)."""
_MAX_VERSION_CAPTURES = 4096
_VERSION_CAPTURE_SIZE = 64
_MAX_MODINFO_CAPTURES = 16
_MAX_VARINT = 10
_LIMITS = {"Go version": MAX_VERSION_SIZE, "module information": MAX_MODINFO_SIZE}


@dataclass(frozen=True, slots=True)
class BuildInfo:
    go_version: str
    """As the binary records it: `go1.22.5`, `go1.22.5 X:boringcrypto`, `devel go1.23-…`."""
    modinfo: str
    """The module information between the sentinels; empty when the binary has none."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    info: BuildInfo | None
    problems: tuple[str, ...] = ()
    """Why build info that was there could not be (fully) read."""


def scan(content: FileContent, fmt: ExeFormat, head: bytes) -> ScanResult:
    """Search the rest of `content` (whose first bytes, `head`, were already read)."""
    return _Scanner(_Window(content, head), fmt).run()


class _Window:
    """A sliding window over a read-once stream: bytes [start, end) of the file are in `buf`."""

    def __init__(self, content: FileContent, head: bytes) -> None:
        self._content = content
        self.buf = bytearray(head)
        self.start = 0
        self.eof = False

    @property
    def end(self) -> int:
        return self.start + len(self.buf)

    def more(self, size: int = CHUNK_SIZE) -> bool:
        """Read one more chunk; False at the end of the stream."""
        if self.eof:
            return False
        data = self._content.read(size)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def ensure(self, offset: int, size: int) -> int:
        """Read on until [offset, offset+size) is in the window; how many of those bytes are."""
        while self.end < offset + size and self.more(offset + size - self.end):
            pass
        return max(0, min(size, self.end - offset))

    def get(self, offset: int, size: int) -> bytes:
        at = offset - self.start
        return bytes(self.buf[at : at + size])

    def find(self, needle: bytes, offset: int) -> int:
        at = self.buf.find(needle, max(0, offset - self.start))
        return -1 if at < 0 else at + self.start

    def skip_to(self, offset: int) -> None:
        """Move the window to start at `offset`, passing over the bytes before it unread."""
        if offset <= self.end:
            self.discard_before(offset)
            return
        wanted = offset - self.end
        skipped = self._content.skip(wanted)
        self.start = self.end + skipped
        self.buf = bytearray()
        if skipped < wanted:
            self.eof = True

    def discard_before(self, offset: int) -> None:
        drop = min(offset, self.end) - self.start
        if drop > 0:
            del self.buf[:drop]
            self.start += drop


class _Scanner:
    def __init__(self, window: _Window, fmt: ExeFormat) -> None:
        self._win = window
        self._fmt = fmt
        self._front = b""
        self._captures: dict[int, bytes] = {}
        self._version_captures = 0
        self._modinfo_captures = 0
        self._problems: list[str] = []

    def run(self) -> ScanResult:
        win = self._win
        win.ensure(0, HEAD_SIZE)
        self._front = win.get(0, HEAD_SIZE)
        needles: tuple[bytes, ...] = (MAGIC, INFO_START, _VERSION_PREFIX)
        start, stop = 0, 0
        layout = elf_layout(self._front) if self._fmt is ExeFormat.ELF else None
        if layout is not None and layout.go_note:
            start = layout.code_end  # machine code: neither build info nor its strings
        elif layout is not None and layout.writable_end > layout.writable_start:
            # Most executables in an image are not Go (everything gcc built). Without Go's
            # note, look for the header only where it can be, the writable segments; an
            # old-format (Go < 1.18) header found there can then not be resolved.
            needles = (MAGIC,)
            start, stop = layout.writable_start, layout.writable_end
        if start > win.end:
            win.skip_to(start)
        resume = [start] * len(needles)
        while True:
            end = win.end
            hits: list[tuple[int, int]] = []
            for kind, needle in enumerate(needles):
                found = self._find_all(needle, resume[kind], kind)
                hits.extend((at, kind) for at in found)
                last = found[-1] + 1 if found else 0
                resume[kind] = max(resume[kind], end - len(needle) + 1, last)
            hits.sort()
            for at, kind in hits:
                if kind == 0:
                    outcome = self._header(at)
                    if outcome is not None:
                        return outcome
                elif kind == 1:
                    self._capture_modinfo(at)
                else:
                    self._capture_version(at)
            win.discard_before(min(resume))
            if (stop and win.end >= stop + HEADER_SIZE) or not win.more():
                return ScanResult(None, tuple(self._problems))

    def _find_all(self, needle: bytes, offset: int, kind: int) -> list[int]:
        if kind == 1 and self._modinfo_captures >= _MAX_MODINFO_CAPTURES:
            return []
        if kind == 2 and self._version_captures >= _MAX_VERSION_CAPTURES:
            return []
        found = []
        at = self._win.find(needle, offset)
        while at >= 0:
            found.append(at)
            at = self._win.find(needle, at + 1)
        return found

    def _capture_version(self, at: int) -> None:
        if self._version_captures >= _MAX_VERSION_CAPTURES:
            return
        size = self._win.ensure(at, _VERSION_CAPTURE_SIZE)
        self._captures[at] = self._win.get(at, size)
        self._version_captures += 1

    def _capture_modinfo(self, at: int) -> None:
        if self._modinfo_captures >= _MAX_MODINFO_CAPTURES:
            return
        win = self._win
        search_from = at + len(INFO_START)
        while True:
            end = win.find(INFO_END, search_from)
            if end >= 0 and end + len(INFO_END) - at <= MAX_MODINFO_SIZE:
                self._captures[at] = win.get(at, end + len(INFO_END) - at)
                self._modinfo_captures += 1
                return
            if end >= 0 or win.end - at > MAX_MODINFO_SIZE:
                return
            search_from = max(search_from, win.end - len(INFO_END) + 1)
            if not win.more():
                return

    def _header(self, at: int) -> ScanResult | None:
        """Decode the header at `at`; a result ends the scan, None searches on."""
        if at % _ALIGN:
            return None
        got = self._win.ensure(at, HEADER_SIZE)
        header = self._win.get(at, got)
        if got < HEADER_SIZE:
            self._problems.append(f"Go build info at offset {at} is cut off by the end of the file")
            return None
        pointer_size, flags = header[14], header[15]
        if pointer_size not in (4, 8) or flags & ~(_FLAG_BIG_ENDIAN | _FLAG_INLINE):
            return None
        if flags & _FLAG_INLINE:
            earlier = len(self._problems)
            info = self._inline(at)
            if info is None:
                return None
            # problems of damaged candidates before this good one do not matter any more
            return ScanResult(info, tuple(self._problems[earlier:]))
        return self._pointers(at, header)

    def _inline(self, at: int) -> BuildInfo | None:
        version, after = self._varint_string(at + HEADER_SIZE, MAX_VERSION_SIZE, "Go version")
        if version is None:
            return None
        if not _plausible_version(version):
            self._problems.append(f"Go build info at offset {at} has no readable Go version")
            return None
        modinfo, _ = self._varint_string(after, MAX_MODINFO_SIZE, "module information")
        if modinfo is None:
            return None
        return BuildInfo(version.decode("ascii"), self._unframe(modinfo))

    def _varint_string(self, at: int, limit: int, what: str) -> tuple[bytes | None, int]:
        win = self._win
        got = win.ensure(at, _MAX_VARINT)
        length, size = _uvarint(win.get(at, got))
        if size == 0:
            self._problems.append(f"Go build info: {what} is cut off by the end of the file")
            return None, at
        if size < 0 or length > limit:
            self._problems.append(
                f"Go build info: {what} claims an absurd length"
                f" ({length if size > 0 else 'overflowing'} bytes; at most {limit} expected)"
            )
            return None, at
        if win.ensure(at + size, length) < length:
            self._problems.append(f"Go build info: {what} is cut off by the end of the file")
            return None, at
        return win.get(at + size, length), at + size + length

    def _unframe(self, modinfo: bytes) -> str:
        """The text between the sentinels; "" (with a problem noted) when they are not there."""
        if not modinfo:
            return ""
        framed = (
            len(modinfo) >= len(INFO_START) + len(INFO_END) + 1
            and modinfo.startswith(INFO_START)
            and modinfo.endswith(INFO_END)
            and modinfo[-len(INFO_END) - 1] == ord("\n")
        )
        if not framed:
            self._problems.append(
                "Go build info: module information is not framed by Go's sentinels; ignored"
            )
            return ""
        return modinfo[len(INFO_START) : -len(INFO_END)].decode("utf-8", "replace")

    def _pointers(self, at: int, header: bytes) -> ScanResult:
        """Go 1.13-1.17: follow the two string pointers, streaming on for what lies ahead."""
        amap = address_map(self._fmt, self._front)
        if not amap:
            self._problems.append(
                f"Go < 1.18 build info in a {self._fmt.value} binary whose headers could not be"
                " mapped; its modules could not be read"
            )
            return ScanResult(None, tuple(self._problems))
        pointer_size, flags = header[14], header[15]
        order = ">" if flags & _FLAG_BIG_ENDIAN else "<"
        word = "I" if pointer_size == 4 else "Q"
        version_at, modinfo_at = struct.unpack_from(order + word * 2, header, 16)
        resolver = _PointerResolver(self._win, amap, self._captures, order + word * 2)
        version, modinfo = resolver.resolve(version_at, modinfo_at, 2 * pointer_size)
        self._problems.extend(resolver.problems)
        if version is None and modinfo is None:
            return ScanResult(None, tuple(self._problems))
        if version is not None and not _plausible_version(version):
            self._problems.append("Go build info has no readable Go version")
            version = None
        text = self._unframe(modinfo) if modinfo else ""
        go_version = version.decode("ascii") if version else ""
        return ScanResult(BuildInfo(go_version, text), tuple(self._problems))


class _PointerResolver:
    """Reads Go string headers, then their data, from addresses ahead of or behind the stream.

    Ahead: streams on until the bytes pass through the window. Behind: only what the scanner
    captured while searching (module information and `go1.` runs) can be found.
    """

    def __init__(
        self, win: _Window, amap: AddressMap, captures: dict[int, bytes], pair: str
    ) -> None:
        self._win = win
        self._amap = amap
        self._captures = captures
        self._pair = pair
        self._pending: dict[str, tuple[bool, int, int]] = {}  # what -> (is data, offset, size)
        self._results: dict[str, bytes] = {}
        self.problems: list[str] = []

    def resolve(
        self, version_at: int, modinfo_at: int, header_size: int
    ) -> tuple[bytes | None, bytes | None]:
        for what, vaddr in (("Go version", version_at), ("module information", modinfo_at)):
            offset = self._amap.offset(vaddr, header_size)
            if offset is None:
                self.problems.append(f"Go < 1.18 build info: {what} points outside the file")
            else:
                self._pending[what] = (False, offset, header_size)
        win = self._win
        while self._pending:
            while self._step():
                pass
            if not self._pending:
                break
            win.discard_before(min(offset for _, offset, _ in self._pending.values()))
            if not win.more():
                for what in self._pending:
                    self.problems.append(
                        f"Go < 1.18 build info: {what} is cut off by the end of the file"
                    )
                break
        return self._results.get("Go version"), self._results.get("module information")

    def _step(self) -> bool:
        """Settle every pending read the window allows; True if any was settled."""
        changed = False
        for what, (is_data, offset, size) in list(self._pending.items()):
            if offset < self._win.start:
                del self._pending[what]
                self._from_captures(what, is_data, offset, size)
                changed = True
            elif offset + size <= self._win.end:
                data = self._win.get(offset, size)
                del self._pending[what]
                if is_data:
                    self._results[what] = data
                else:
                    self._follow(what, data)
                changed = True
        return changed

    def _from_captures(self, what: str, is_data: bool, offset: int, size: int) -> None:
        captured = self._captures.get(offset) if is_data else None
        if captured is not None and len(captured) >= size:
            self._results[what] = captured[:size]
        else:
            self.problems.append(
                f"Go < 1.18 build info: {what} lies where the stream has passed"
                " and was not recognised on the way; it could not be read"
            )

    def _follow(self, what: str, string_header: bytes) -> None:
        address, length = struct.unpack_from(self._pair, string_header)
        if length == 0:
            self._results[what] = b""
            return
        target = self._amap.offset(address, length) if length <= _LIMITS[what] else None
        if target is None:
            self.problems.append(
                f"Go < 1.18 build info: {what} has an impossible address or length"
            )
        else:
            self._pending[what] = (True, target, length)


def _uvarint(data: bytes) -> tuple[int, int]:
    """Go's binary.Uvarint: (value, bytes used); used 0 if too short, negative on overflow."""
    value = 0
    shift = 0
    for index, byte in enumerate(data[:_MAX_VARINT]):
        if byte < 0x80:
            if index == _MAX_VARINT - 1 and byte > 1:
                return 0, -(index + 1)
            return value | byte << shift, index + 1
        value |= (byte & 0x7F) << shift
        shift += 7
    if len(data) >= _MAX_VARINT:
        return 0, -(_MAX_VARINT + 1)
    return 0, 0


def _plausible_version(version: bytes) -> bool:
    return (
        version.startswith((b"go", b"devel"))
        and version.isascii()
        and all(0x20 <= byte < 0x7F for byte in version)
    )

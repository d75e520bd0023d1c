"""The image's own `/etc/passwd`: which UID a user name in `config.User` stands for.

`USER toor` runs as root when the image's passwd says `toor:x:0:0:...`; the runtime resolves
the name in the container's file system, so the check must too. The file is read in the
walk the inventory already makes (an `EntryCheck`, image/traces.py), up to
`MAX_ACCOUNT_FILE` bytes; the passwd of the final file system is the one that counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tenlayer.image.tarstream import EntryKind
from tenlayer.image.traces import Content, Trace
from tenlayer.imagecheck.layerfiles import LayerFileResult

PASSWD = "etc/passwd"
MAX_ACCOUNT_FILE = 1 << 20
"""A real passwd is a few kilobytes; one over 1 MiB is not read (names are not resolved)."""


@dataclass(frozen=True, slots=True)
class Passwd:
    uids: Mapping[str, int]
    """User name -> UID; the first line for a name wins, as getpwnam(3) finds it."""


TraceResult = LayerFileResult | Passwd
"""What the checks of one walk leave: layer-file results and the passwd."""


def parse_passwd(text: str) -> Passwd:
    """`name:password:uid:gid:gecos:home:shell` lines; others (comments, NIS `+` lines,
    malformed ones) are ignored, as the C library ignores them."""
    uids: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) < 4 or not fields[0] or fields[0].startswith(("#", "+", "-")):
            continue
        uid = fields[2].strip()
        if uid.isdigit() and fields[0] not in uids:
            uids[fields[0]] = int(uid)
    return Passwd(uids)


class AccountFileCheck:
    """Reads the image's /etc/passwd in the walk."""

    name = "accounts"
    max_file_size = MAX_ACCOUNT_FILE
    mode_mask = 0

    def note(self, path: str, kind: EntryKind, mode: int) -> None:
        return None

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path == PASSWD

    def analyze(self, path: str, content: Content) -> Passwd:
        return parse_passwd(content.read().decode("utf-8", errors="replace"))


def final_passwd(traces: Sequence[Trace[TraceResult]]) -> Passwd | None:
    """The passwd of the final file system, or None when there is none (or it was not read)."""
    for trace in traces:
        if trace.path == PASSWD and trace.deleted_in is None and isinstance(trace.result, Passwd):
            return trace.result
    return None

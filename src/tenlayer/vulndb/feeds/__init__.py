"""The distributions' own vulnerability feeds, read into tenlayer's advisory records.

OS packages are matched by source package and release, with the distribution's fix state
(fixed / not yet fixed / will not fix). Each feed has a reader, `iter_<feed>(path)`, taking
a file or a directory and yielding `Advisory` records, and `MalformedRecord` for each entry
it had to skip (the importer counts and names those and goes on):

- Debian security tracker JSON (+ its DSA/DLA lists): `iter_debian` -> `Debian:12`
- Alpine secdb (YAML or JSON, per release and repository): `iter_alpine` -> `Alpine:v3.20`
- Wolfi and Chainguard secdb: `iter_wolfi` -> `Wolfi`, `Chainguard`
- Ubuntu OSV (+ the OpenVEX beside it, for fix states): `iter_ubuntu` -> `Ubuntu:22.04:LTS`,
  `Ubuntu:Pro:16.04:LTS`
- Red Hat CSAF advisories and VEX (files, or Red Hat's `.tar.zst` archive):
  `iter_redhat_csaf` -> `Red Hat:9`
- Red Hat's security data API, one file per CVE: `iter_redhat_hydra` -> `Red Hat:9`

`detect(path)` recognises a feed by content (file names vary between mirrors): for a file,
the feed it belongs to; for a directory, the feed of the files in it, or a reader of all
of them when it holds several feeds. It returns None for what no reader reads: OSV
records of other ecosystems (the OSV importer reads those; a directory mixing them with a
feed is left to it too, so nothing in it is lost), and the feeds' companion files read
only beside their main file (`sniff` names those).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tenlayer.vulndb.feeds._common import FeedItem, files_under, head
from tenlayer.vulndb.feeds.debian import is_advisory_list, is_tracker_json, iter_debian
from tenlayer.vulndb.feeds.redhat_csaf import is_csaf, is_csaf_archive, iter_redhat_csaf
from tenlayer.vulndb.feeds.redhat_hydra import is_hydra_cve, iter_redhat_hydra
from tenlayer.vulndb.feeds.secdb import iter_alpine, iter_wolfi, sniff_secdb
from tenlayer.vulndb.feeds.ubuntu import is_ubuntu_osv, is_ubuntu_vex, iter_ubuntu

Reader = Callable[[Path], Iterator[FeedItem]]


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    sniff: Callable[[str], bool]
    reader: Reader | None
    """None for a companion file, read by another feed's reader beside its main file."""
    what: str


FEEDS = (
    Feed("debian", is_tracker_json, iter_debian, "Debian security tracker JSON"),
    Feed("debian-advisory-list", is_advisory_list, None, "Debian DSA/DLA list (beside the JSON)"),
    Feed("alpine", lambda s: sniff_secdb(s) == "alpine", iter_alpine, "Alpine secdb"),
    Feed("wolfi", lambda s: sniff_secdb(s) == "wolfi", iter_wolfi, "Wolfi/Chainguard secdb"),
    Feed("ubuntu", is_ubuntu_osv, iter_ubuntu, "Ubuntu OSV"),
    Feed("ubuntu-vex", is_ubuntu_vex, None, "Ubuntu OpenVEX (states for the OSV beside it)"),
    Feed("redhat-csaf", is_csaf, iter_redhat_csaf, "Red Hat CSAF advisory or VEX"),
    Feed("redhat-hydra", is_hydra_cve, iter_redhat_hydra, "Red Hat security data API CVE"),
)  # fmt: skip
_BY_NAME = {feed.name: feed for feed in FEEDS}
_RECORD_SUFFIXES = (".json", ".yaml", ".yml")


def sniff(path: Path) -> str | None:
    """The feed (a name of `FEEDS`) a file belongs to, by its first 4 KB; None if none."""
    if is_csaf_archive(path):
        return "redhat-csaf"
    start = head(path)
    for feed in FEEDS:
        if feed.sniff(start):
            return feed.name
    return None


def detect(path: Path) -> Reader | None:
    """The reader for a feed file or directory; None when `path` is not one (see above)."""
    try:
        if path.is_file():
            name = sniff(path)
            return _BY_NAME[name].reader if name else None
        if not path.is_dir():
            return None
        found: dict[str, None] = {}
        for file in files_under(path):
            name = sniff(file)
            if name is not None:
                found.setdefault(name)
            elif file.suffix.lower() in _RECORD_SUFFIXES and _looks_osv(head(file, 2048)):
                return None  # OSV records of no feed: the OSV importer reads the directory
    except OSError:
        return None
    readers = [_BY_NAME[name].reader for name in found if _BY_NAME[name].reader is not None]
    if not readers:
        return None
    if len(readers) == 1:
        return readers[0]
    return _all_of([r for r in readers if r is not None])


def _all_of(readers: list[Reader]) -> Reader:
    def iter_feeds(path: Path) -> Iterator[FeedItem]:
        for reader in readers:
            yield from reader(path)

    return iter_feeds


def _looks_osv(start: str) -> bool:
    compact = start.replace(" ", "")
    has_id = '"id":' in compact or "\nid:" in f"\n{start}"
    return has_id and any(key in start for key in ("modified", "affected", "schema_version"))


__all__ = [
    "FEEDS",
    "Feed",
    "FeedItem",
    "Reader",
    "detect",
    "iter_alpine",
    "iter_debian",
    "iter_redhat_csaf",
    "iter_redhat_hydra",
    "iter_ubuntu",
    "iter_wolfi",
    "sniff",
]

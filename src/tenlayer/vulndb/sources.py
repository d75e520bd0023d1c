"""Where advisories come from: a directory of OSV files, OSV's `all.zip`, a URL, one file, or
a distribution's own feed (`tenlayer.vulndb.feeds`, when it recognises the path).

Every source is read as a stream of `Advisory`. A record that cannot be read is skipped,
counted and named (`SourceStats`), and the import goes on; a source that cannot be read at
all (no such file, not a zip, unreachable URL) stops the import with one line.

Hostile input is bounded: a record larger than `Limits.max_record_bytes` is refused before it
is parsed, zip members are read as streams with their real (not declared) size capped, a zip
with too many members or too much content is refused, and YAML documents with anchors or
aliases are refused (the only way a small YAML document expands into a huge one).
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import yaml

from tenlayer.errors import BadInput, EnvironmentProblem
from tenlayer.model import NESTED_SEPARATOR
from tenlayer.vulndb.osv import parse_record
from tenlayer.vulndb.records import Advisory, MalformedRecord

OSV_BUCKET = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_ECOSYSTEMS = (
    "Debian", "Ubuntu", "Alpine", "Red Hat", "Rocky Linux", "AlmaLinux", "Wolfi", "Chainguard",
    "PyPI", "npm", "Go", "crates.io", "Maven",
)  # fmt: skip
RECORD_SUFFIXES = (".json", ".yaml", ".yml")
NAMED_MALFORMED = 5
"""How many malformed records a summary names before it only counts them."""


def osv_url(ecosystem: str) -> str:
    return f"{OSV_BUCKET}/{quote(ecosystem)}/all.zip"


def default_sources() -> list[str]:
    return [osv_url(ecosystem) for ecosystem in DEFAULT_ECOSYSTEMS]


@dataclass(frozen=True, slots=True)
class Limits:
    max_record_bytes: int = 16 * 1024**2
    """One OSV record; the largest real ones (kernel CVEs in distributions) are ~1 MB."""
    max_zip_members: int = 2_000_000
    max_zip_bytes: int = 32 * 1024**3
    """All members of one zip together, uncompressed (OSV's largest all.zip is a few GB)."""
    max_download_bytes: int = 8 * 1024**3
    download_timeout: float = 60.0


@dataclass(slots=True)
class SourceStats:
    """What one source gave: for the summary, the warnings and the database's metadata."""

    location: str
    kind: str
    records: int = 0
    malformed: int = 0
    malformed_named: list[str] = field(default_factory=list)
    """`where: why` for the first NAMED_MALFORMED malformed records."""

    def skip(self, where: str, why: str) -> None:
        """Count a malformed record; `why` that already starts with `where` is kept whole."""
        self.malformed += 1
        if len(self.malformed_named) < NAMED_MALFORMED:
            named = why.startswith(where) and why[len(where) :].startswith((":", "!", "[", "/"))
            self.malformed_named.append(why if named else f"{where}: {why}")

    def as_meta(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "kind": self.kind,
            "records": self.records,
            "malformed": self.malformed,
        }


def malformed_warnings(stats: list[SourceStats]) -> list[str]:
    """The first few malformed records by name, then how many more."""
    named = [entry for s in stats for entry in s.malformed_named]
    total = sum(s.malformed for s in stats)
    lines = [f"skipped malformed record {entry}" for entry in named[:NAMED_MALFORMED]]
    if total > len(lines):
        lines.append(f"skipped {total - len(lines)} more malformed records")
    return lines


DownloadCallback = Callable[[str, int, int | None], None]
"""(url, bytes so far, total bytes or None)"""


@dataclass(frozen=True, slots=True)
class Source:
    """A `--source` argument, resolved: what it is and where."""

    kind: str
    """url, dir, zip, file, or `feed:<name>` for a distribution feed."""
    location: str
    reader: Callable[[Path], Iterator[Any]] | None = None

    @classmethod
    def resolve(cls, text: str) -> Source:
        if re.match(r"^https?://", text, re.IGNORECASE):
            return cls("url", text)
        path = Path(text).expanduser()
        if not path.exists():
            raise BadInput(f"--source {text}: no such file or directory")
        reader = _feed_reader(path)
        if reader is not None:
            name = getattr(reader, "__name__", "feed").removeprefix("iter_")
            return cls(f"feed:{name}", str(path), reader)
        if path.is_dir():
            return cls("dir", str(path))
        if not path.is_file():
            raise BadInput(f"--source {text}: not a regular file or directory")
        if _is_zip(path):
            return cls("zip", str(path))
        if path.suffix.lower() not in RECORD_SUFFIXES:
            raise BadInput(
                f"--source {text}: not an OSV record (.json, .yaml, .yml), zip or directory"
            )
        return cls("file", str(path))


def _feed_reader(path: Path) -> Callable[[Path], Iterator[Any]] | None:
    """The distribution-feed reader for `path`, if `tenlayer.vulndb.feeds` recognises it."""
    try:
        from tenlayer.vulndb.feeds import detect  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    reader: Callable[[Path], Iterator[Any]] | None = detect(path)
    return reader


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError as error:
        raise BadInput(f"--source {path}: cannot read ({error.strerror})") from None


def iter_source(
    source: Source,
    stats: SourceStats,
    *,
    limits: Limits | None = None,
    work_dir: Path | None = None,
    on_download: DownloadCallback | None = None,
) -> Iterator[Advisory]:
    """Every readable advisory of `source`; malformed records are counted in `stats`."""
    limits = limits or Limits()
    if source.kind == "url":
        yield from _iter_url(source.location, stats, limits, work_dir, on_download)
    elif source.kind == "dir":
        yield from iter_directory(Path(source.location), stats, limits)
    elif source.kind == "zip":
        yield from iter_zip(Path(source.location), stats, limits)
    elif source.kind == "file":
        yield from iter_file(Path(source.location), stats, limits)
    elif source.reader is not None:
        yield from _iter_feed(source, stats)
    else:  # pragma: no cover - Source.resolve makes no other kind
        raise ValueError(source.kind)


def _iter_feed(source: Source, stats: SourceStats) -> Iterator[Advisory]:
    """A feed reader yields Advisory, or MalformedRecord for an entry it could not read."""
    assert source.reader is not None
    try:
        for item in source.reader(Path(source.location)):
            if isinstance(item, Advisory):
                stats.records += 1
                yield item
            elif isinstance(item, MalformedRecord):
                stats.skip(source.location, str(item))
    except MalformedRecord as error:  # the reader gave up on the rest of the feed
        stats.skip(source.location, str(error))
    except (OSError, ValueError) as error:
        raise BadInput(f"--source {source.location}: {error}") from None


# --- records ---------------------------------------------------------------------------


class _OSVYamlLoader(yaml.CSafeLoader):
    """libyaml's safe loader, reading every plain scalar but null and booleans as a string.

    OSV values are strings: YAML 1.1 would read `1.10` as the float 1.1, `0` as an int and
    an unquoted time as a datetime.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class attribute
        first: [(tag, regexp) for tag, regexp in resolvers if tag.endswith((":null", ":bool"))]
        for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
    }


# `&name` or `*name` where YAML could read an anchor or alias: a cheap test that lets most
# documents skip the exact (token-level) check.
_MAYBE_ANCHOR = re.compile(rb"(?:^|[\s\[{,:?-])[&*][^\s\]},]", re.MULTILINE)


def load_yaml(data: bytes) -> object:
    if _MAYBE_ANCHOR.search(data):
        for token in yaml.scan(data, Loader=yaml.CSafeLoader):
            if isinstance(token, yaml.AnchorToken | yaml.AliasToken):
                raise MalformedRecord("YAML anchors and aliases are not accepted in a record")
    return yaml.load(data, Loader=_OSVYamlLoader)  # a safe loader: libyaml + SafeConstructor


def decode(data: bytes, name: str) -> object:
    """JSON or YAML (by the name's suffix) -> Python data; MalformedRecord says why not."""
    try:
        if name.lower().endswith((".yaml", ".yml")):
            return load_yaml(data)
        return orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as error:
        raise MalformedRecord(f"not valid JSON ({error})") from None
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise MalformedRecord(f"not valid YAML ({problem}{at})") from None
    except RecursionError:
        raise MalformedRecord("nested too deeply") from None


def records_in(data: bytes, name: str, stats: SourceStats) -> Iterator[Advisory]:
    """The advisories of one file's bytes: one record, or a list of records."""
    try:
        document = decode(data, name)
    except MalformedRecord as error:
        stats.skip(name, str(error))
        return
    items = document if isinstance(document, list) else [document]
    for index, item in enumerate(items):
        where = name if document is item else f"{name}[{index}]"
        try:
            advisory = parse_record(item, where)
        except MalformedRecord as error:
            stats.skip(where, str(error))
        except RecursionError:
            stats.skip(where, "nested too deeply")
        else:
            stats.records += 1
            yield advisory


def iter_file(path: Path, stats: SourceStats, limits: Limits) -> Iterator[Advisory]:
    name = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(limits.max_record_bytes + 1)
    except OSError as error:
        stats.skip(name, f"cannot read ({error.strerror})")
        return
    if len(data) > limits.max_record_bytes:
        stats.skip(name, f"larger than {limits.max_record_bytes} bytes")
        return
    yield from records_in(data, name, stats)


def iter_directory(root: Path, stats: SourceStats, limits: Limits) -> Iterator[Advisory]:
    """Every `*.json`, `*.yaml`, `*.yml` below `root`, in a stable order."""
    for directory, subdirectories, files in os.walk(root, onerror=_walk_error):
        subdirectories.sort()
        for file_name in sorted(files):
            if file_name.lower().endswith(RECORD_SUFFIXES):
                yield from iter_file(Path(directory, file_name), stats, limits)


def _walk_error(error: OSError) -> None:
    raise BadInput(f"--source {error.filename}: cannot read ({error.strerror})")


def iter_zip(
    path: Path, stats: SourceStats, limits: Limits, display: str | None = None
) -> Iterator[Advisory]:
    """Every record in a zip, streamed member by member; nothing is extracted to disk."""
    display = display or str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise BadInput(f"--source {display}: not a readable zip ({error})") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_zip_members:
            raise BadInput(
                f"--source {display}: {len(members)} members, more than the limit of "
                f"{limits.max_zip_members}"
            )
        expanded = 0
        for member in members:
            if member.is_dir() or not member.filename.lower().endswith(RECORD_SUFFIXES):
                continue
            name = f"{display}{NESTED_SEPARATOR}{member.filename}"
            if member.flag_bits & 0x1:
                stats.skip(name, "encrypted")
                continue
            if member.file_size > limits.max_record_bytes:
                stats.skip(name, f"larger than {limits.max_record_bytes} bytes")
                continue
            expanded += member.file_size
            if expanded > limits.max_zip_bytes:
                raise BadInput(
                    f"--source {display}: expands beyond {limits.max_zip_bytes} bytes"
                )
            data = _read_member(archive, member, name, stats, limits)
            if data is not None:
                yield from records_in(data, name, stats)


def _read_member(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    name: str,
    stats: SourceStats,
    limits: Limits,
) -> bytes | None:
    """A member's content, read only up to the limit whatever its header declares."""
    try:
        with archive.open(member) as stream:
            data = stream.read(limits.max_record_bytes + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        stats.skip(name, f"damaged zip member ({error})")
        return None
    except NotImplementedError as error:  # an unsupported compression method
        stats.skip(name, str(error))
        return None
    if len(data) > limits.max_record_bytes:
        stats.skip(name, f"larger than {limits.max_record_bytes} bytes")
        return None
    return data


# --- downloads -------------------------------------------------------------------------


def _iter_url(
    url: str,
    stats: SourceStats,
    limits: Limits,
    work_dir: Path | None,
    on_download: DownloadCallback | None,
) -> Iterator[Advisory]:
    """Download `url` (a zip) to a temporary file beside the database, then read it."""
    import tempfile

    directory = work_dir or Path(tempfile.gettempdir())
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".download-", suffix=".zip")
    except OSError as error:
        raise EnvironmentProblem(f"{directory}: cannot write ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            download(url, stream, limits, on_download)
        yield from iter_zip(Path(temporary), stats, limits, display=url)
    finally:
        Path(temporary).unlink(missing_ok=True)


def download(
    url: str, stream: Any, limits: Limits, on_download: DownloadCallback | None = None
) -> None:
    """Stream `url` into `stream`; any failure is one line naming the URL (exit 3)."""
    import httpx

    hint = "; without network, import local OSV files with --source DIR|ZIP"
    try:
        with (
            httpx.Client(timeout=limits.download_timeout, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise EnvironmentProblem(
                    f"cannot download {url}: HTTP {response.status_code}{hint}"
                )
            declared = response.headers.get("content-length")
            total = int(declared) if declared and declared.isdigit() else None
            done = 0
            for chunk in response.iter_bytes(1 << 20):
                done += len(chunk)
                if done > limits.max_download_bytes:
                    raise EnvironmentProblem(
                        f"cannot download {url}: larger than {limits.max_download_bytes} bytes"
                    )
                stream.write(chunk)
                if on_download is not None:
                    on_download(url, done, total)
    except httpx.HTTPError as error:
        reason = str(error).strip() or type(error).__name__
        raise EnvironmentProblem(f"cannot download {url}: {reason}{hint}") from None
    except OSError as error:
        raise EnvironmentProblem(f"cannot download {url}: {error.strerror or error}") from None

"""Alpine's secdb (`https://secdb.alpinelinux.org/<release>/<repo>.{json,yaml}`) and the
secdb of the apk distributions built like it: Wolfi (`packages.wolfi.dev/os/security.json`)
and Chainguard (`packages.cgr.dev/chainguard/security.json`).

Each file lists `packages: [{pkg: {name, secfixes: {version: [ids]}}}]`: the version of the
package that fixed each vulnerability. So every entry is FIXED, `introduced 0` /
`fixed <version>`; the feeds do not list what is still open. A version of `0` means the
package was never affected (Alpine's and Wolfi's convention): no entry.

Secdb has no dates: `published` stays empty and `modified` is the newest modification
time of the files naming the vulnerability (when this copy of the feed was taken).

The release comes from the file: Alpine writes `distroversion: v3.20` (ecosystem
`Alpine:v3.20`); Wolfi and Chainguard have no releases and are told apart by `urlprefix`.
The package is the origin (source) package, as the inventory's `source_name` for apk.

One advisory per vulnerability id over everything read in one call (all releases and
repositories of a secdb tree), `ALPINE-CVE-…` / `WOLFI-…` / `CHAINGUARD-…` with the id as
alias, and one entry per (release, package). Read a secdb tree in one call: advisories
built from separate calls on single files carry the same ids with only part of the facts.
A vulnerability listed under two versions of one package (a fix, then a later complete
fix) gets both ranges; the union is affected until the later one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenlayer.vulndb.feeds._common import (
    FeedItem,
    distro_id,
    file_time,
    files_under,
    fixed_affected,
    head,
    load_json,
    malformed,
    vuln_ids,
)
from tenlayer.vulndb.records import Advisory, Affected, MalformedRecord

_SECDB_KEYS = re.compile(
    r'^\s*(?:\{\s*)?"?(?:apkurl|archs|reponame|urlprefix|distroversion|packages)"?\s*:', re.M
)
_ALPINE_RELEASE = re.compile(r"^v\d+\.\d+$|^edge$")
_WOLFI_HOSTS = ("wolfi.dev", "cgr.dev", "chainguard.dev")


def sniff_secdb(start: str) -> str | None:
    """`alpine`, `wolfi` (Wolfi or Chainguard) or None, from the start of a file."""
    if "secfixes" not in start and not ('"packages"' in start or "packages:" in start):
        return None
    if not _SECDB_KEYS.search(start):
        return None
    if "distroversion" in start or "alpinelinux.org" in start:
        return "alpine"
    if any(host in start for host in _WOLFI_HOSTS):
        return "wolfi"
    return None  # another apk distribution: no ecosystem to put it in


def iter_alpine(path: Path) -> Iterator[FeedItem]:
    """Advisories from an Alpine secdb file, or every one under a directory."""
    return _iter(path, "alpine")


def iter_wolfi(path: Path) -> Iterator[FeedItem]:
    """Advisories from a Wolfi or Chainguard secdb file, or every one under a directory."""
    return _iter(path, "wolfi")


def _iter(path: Path, flavour: str) -> Iterator[FeedItem]:
    single = path.is_file()
    by_id: dict[str, _Gathered] = {}
    for file in files_under(path):
        if not single and sniff_secdb(head(file)) != flavour:
            continue
        try:
            document = _load(file)
            ecosystem, prefix = _ecosystem(document, flavour)
        except MalformedRecord as error:
            yield malformed(file, str(error).removeprefix(f"{file}: "))
            continue
        yield from _gather(file, document, ecosystem, prefix, by_id)
    for vuln_id, gathered in by_id.items():
        yield Advisory(
            id=distro_id(gathered.prefix, vuln_id),
            modified=gathered.modified,
            aliases=(vuln_id,),
            affected=tuple(sorted(gathered.affected, key=_entry_order)),
            source=" ".join(gathered.files),
        )


@dataclass
class _Gathered:
    prefix: str
    modified: str
    """The newest of the files that name it (see `file_time`)."""
    affected: list[Affected] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _entry_order(affected: Affected) -> tuple[str, str]:
    return affected.ecosystem, affected.name


def _load(path: Path) -> dict[str, Any]:
    if path.suffix == ".json" or head(path, 64).lstrip().startswith("{"):
        document = load_json(path)
    else:
        document = _load_yaml(path)
    if not isinstance(document, dict):
        raise MalformedRecord("not a secdb document (expected an object)")
    return document


def _load_yaml(path: Path) -> Any:
    """YAML with every scalar a string: `1.10-r0` must not become the float 1.1."""
    import yaml

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    try:
        with path.open("rb") as stream:
            return yaml.load(stream, Loader=loader)  # BaseLoader: strings, lists, dicts only
    except OSError as error:
        raise MalformedRecord(f"cannot be read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise MalformedRecord(f"not valid YAML: {' '.join(str(error).split())}") from None


def _ecosystem(document: dict[str, Any], flavour: str) -> tuple[str, str]:
    if flavour == "alpine":
        release = document.get("distroversion")
        if not isinstance(release, str) or not _ALPINE_RELEASE.match(release.strip()):
            raise MalformedRecord(f"distroversion {release!r} is not an Alpine release (v3.20)")
        return f"Alpine:{release.strip()}", "ALPINE"
    prefix = f"{document.get('urlprefix') or ''} {document.get('apkurl') or ''}"
    if "cgr.dev" in prefix or "chainguard" in prefix:
        return "Chainguard", "CHAINGUARD"
    if "wolfi.dev" in prefix:
        return "Wolfi", "WOLFI"
    raise MalformedRecord(f"urlprefix {prefix.strip()!r} is neither Wolfi's nor Chainguard's")


def _gather(
    path: Path,
    document: dict[str, Any],
    ecosystem: str,
    prefix: str,
    by_id: dict[str, _Gathered],
) -> Iterator[MalformedRecord]:
    """Add the file's fixes to `by_id`; yields what it had to skip."""
    packages = document.get("packages")
    if packages in (None, []):
        return
    if not isinstance(packages, list):
        yield malformed(path, "'packages' is not a list")
        return
    modified = file_time(path)
    for number, item in enumerate(packages):
        try:
            name, fixes = _package(item)
        except MalformedRecord as error:
            yield malformed(path, f"packages[{number}]: {error}")
            continue
        for version, ids in fixes:
            if version == "0":
                continue
            for vuln_id in ids:
                gathered = by_id.setdefault(vuln_id, _Gathered(prefix, modified))
                gathered.affected.append(fixed_affected(ecosystem, name, version))
                gathered.modified = max(gathered.modified, modified)
                if str(path) not in gathered.files:
                    gathered.files.append(str(path))


def _package(item: Any) -> tuple[str, list[tuple[str, list[str]]]]:
    pkg = item.get("pkg") if isinstance(item, dict) else None
    if not isinstance(pkg, dict):
        raise MalformedRecord("expected {pkg: {name, secfixes}}")
    name = pkg.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MalformedRecord("package without a name")
    secfixes = pkg.get("secfixes")
    if secfixes in (None, "", {}):
        return name.strip(), []
    if not isinstance(secfixes, dict):
        raise MalformedRecord(f"{name}: 'secfixes' is not a mapping")
    fixes: list[tuple[str, list[str]]] = []
    for version, listed in secfixes.items():
        ids, junk = vuln_ids(listed)
        if not isinstance(version, str) or not version.strip() or " " in version.strip():
            raise MalformedRecord(f"{name}: bad version {version!r}")
        if junk and not ids:
            raise MalformedRecord(f"{name} {version}: no vulnerability id in {junk!r}")
        fixes.append((version.strip(), ids))
    return name.strip(), fixes

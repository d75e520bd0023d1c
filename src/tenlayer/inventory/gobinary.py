"""Go binaries: the Go toolchain and the modules compiled into every executable Go built.

What is reported, and how it lines up with the peers (checked on syft 1.18 and trivy 0.76):

- `stdlib`, versioned as the Go toolchain that built the binary, in Syft's form: version
  `go1.22.5`, purl `pkg:golang/stdlib@1.22.5` (Trivy writes `v1.22.5` for both). Experiment
  suffixes (`go1.22.5 X:boringcrypto`) are dropped, as both peers do; `devel …` toolchains
  have no release to match, so no stdlib package is reported for them. Unlike Syft, stdlib is
  reported for a binary with no module information (built outside module mode, e.g. by
  Bazel): its standard library is still there and still has its vulnerabilities.
- The main module. A binary built from a checkout records its version as `(devel)` (before Go
  1.24); as Syft does, the version is then taken from a `-X …version=1.2.3` linker flag, or
  else made into a Go pseudo-version from `vcs.revision` and `vcs.time`. A main module with no
  version from any of these is skipped. A binary built from loose files
  (`command-line-arguments`) takes its one unversioned dependency as main module, as Syft does.
  Syft would also guess a version from semver-looking strings anywhere in the binary, and
  makes a main module of the package path when there is no `mod` line (GOPATH-mode and
  distribution builds); neither guess is made here.
- Every `dep`, with its `=>` replacement applied (both peers do). A dependency without a
  version (`(devel)`, or replaced by a local directory) is skipped: there is nothing to match
  it against. The peers keep them (Syft as `(devel)`, Trivy with an empty version).

purls put the whole module path in namespace and name (`pkg:golang/github.com/x/y/v2@v2.1.0`,
as Trivy writes them; Syft 1.18 moves the fourth and later segments to a subpath,
`pkg:golang/github.com/x/y@v2.1.0#v2`) and keep its case, as Syft does: Go module paths are
case-sensitive (Trivy lower-cases them, as the purl spec asks).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tenlayer.image.walker import FileContent
from tenlayer.inventory.purl import language_purl
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Ecosystem, Package

if TYPE_CHECKING:  # imported when a Go binary is met: most images have few or none
    from tenlayer.inventory.gobuildinfo import BuildInfo
    from tenlayer.inventory.gomodinfo import ModInfo, Module

STDLIB = "stdlib"
STDLIB_LICENSE = "BSD-3-Clause"
DEVEL = "(devel)"
_LOOSE_FILES = "command-line-arguments"
_MIN_SIZE = 64
_EXECUTABLE_BITS = 0o111


class GoBinaryAnalyzer:
    """Executable files built by Go, read as a stream with flat memory (see gobuildinfo)."""

    name = "go-binary"
    max_file_size = 1 << 40
    """Memory does not grow with the file, so no practical limit."""

    def wants(self, path: str, mode: int, size: int) -> bool:
        return bool(mode & _EXECUTABLE_BITS) and size >= _MIN_SIZE

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        from tenlayer.inventory.gobuildinfo import scan
        from tenlayer.inventory.goexe import MAGIC_SIZE, detect

        head = _read_exactly(content, MAGIC_SIZE)
        fmt = detect(head)
        if fmt is None:
            return None
        scanned = scan(content, fmt, head)
        warnings = [f"{path}: {problem}" for problem in scanned.problems]
        if scanned.info is None:
            return AnalysisResult(warnings=tuple(warnings)) if warnings else None
        packages, problems = go_packages(path, scanned.info)
        warnings.extend(f"{path}: {problem}" for problem in problems)
        return AnalysisResult(packages=packages, warnings=tuple(warnings))


def _read_exactly(content: FileContent, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = content.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def go_packages(path: str, info: BuildInfo) -> tuple[tuple[Package, ...], list[str]]:
    """The packages one binary's build info describes, and any problems reading it."""
    from tenlayer.inventory.gomodinfo import parse_modinfo

    modinfo = parse_modinfo(info.modinfo)
    problems = [f"Go module information, {problem}" for problem in modinfo.problems]
    found: dict[tuple[str, str], Package] = {}

    def add(name: str, version: str, purl_version: str, licenses: tuple[str, ...] = ()) -> None:
        found.setdefault(
            (name, version),
            Package(
                name=name,
                version=version,
                ecosystem=Ecosystem.GO,
                purl=language_purl(Ecosystem.GO, name, purl_version),
                found_in=path,
                licenses=licenses,
            ),
        )

    stdlib = stdlib_version(info.go_version)
    if stdlib:
        add(STDLIB, stdlib, stdlib.removeprefix("go"), (STDLIB_LICENSE,))
    main = main_module(modinfo)
    if main is not None:
        add(main.path, main.version, main.version)
    for dep in modinfo.deps:
        module = dep.effective
        if module.path and _has_version(module.version):
            add(module.path, module.version, module.version)
    return tuple(sorted(found.values(), key=Package.sort_key)), problems


_GO_RELEASE = re.compile(r"go\d+(\.\d+)*")


def stdlib_version(go_version: str) -> str:
    """`go1.22.5` from `go1.22.5 X:boringcrypto`; "" for devel toolchains and the unreadable."""
    first = go_version.split(" ", 1)[0]
    return first if _GO_RELEASE.match(first) else ""


def _has_version(version: str) -> bool:
    return bool(version) and version != DEVEL


def main_module(modinfo: ModInfo) -> Module | None:
    """The main module with a usable version, or None (see the module docstring)."""
    from tenlayer.inventory.gomodinfo import Module

    main = modinfo.main
    if main is None or main.path == _LOOSE_FILES:
        # Built from loose files (`go build main.go`): the module holding them shows up as the
        # one dependency without a version. Syft takes it as the main module; so does this.
        unversioned = [dep for dep in modinfo.deps if dep.version == DEVEL]
        main = unversioned[0] if len(unversioned) == 1 else None
    if main is None:
        return None
    main = main.effective
    if not main.path or main.path == _LOOSE_FILES:
        return None
    if _has_version(main.version):
        return main
    version = version_from_ldflags(modinfo.settings.get("-ldflags", ""), main.path)
    if not version:
        version = pseudo_version(
            modinfo.settings.get("vcs.revision", ""), modinfo.settings.get("vcs.time", "")
        )
    return Module(main.path, version) if version else None


_VERSION_VARIABLE = re.compile(r"[A-Za-z0-9]*[vV]er(sion)?")
_TAG_VARIABLE = re.compile(r"[A-Za-z0-9]*[tT]ag")
_SEMVER_PREFIX = re.compile(r"v?\d+\.\d+\.\d+(?:[-+][-+.\w]*)?")


def version_from_ldflags(ldflags: str, main_path: str) -> str:
    """The version a `-X pkg.var=1.2.3` linker flag stamps into the main module, `v`-prefixed.

    As Syft: the variable lives in package `main` or a package of the main module, its name
    ends in `ver`/`version` (`gitVersion`, `Version`), or else in `tag`; its value (after any
    `refs/tags/`-like prefix) starts with a three-part version. The first such flag wins.
    """
    assignments = _x_flags(ldflags)
    for pattern in (_VERSION_VARIABLE, _TAG_VARIABLE):
        for key, value in assignments:
            package, _, variable = key.rpartition(".")
            in_main = package == "main" or package == main_path
            if not (in_main or package.startswith(main_path + "/")):
                continue
            if not pattern.fullmatch(variable):
                continue
            match = _SEMVER_PREFIX.match(value.rsplit("/", 1)[-1])
            if match:
                version = match.group(0)
                return version if version.startswith("v") else "v" + version
    return ""


def _x_flags(ldflags: str) -> list[tuple[str, str]]:
    """The `-X key=value` assignments of an -ldflags value (split as a shell would)."""
    try:
        import shlex  # only for binaries with linker flags

        words = shlex.split(ldflags)
    except ValueError:
        return []
    found = []
    for index, word in enumerate(words):
        if word in ("-X", "--X"):
            assignment = words[index + 1] if index + 1 < len(words) else ""
        elif word.startswith(("-X=", "--X=")):
            assignment = word.split("=", 1)[1]
        else:
            continue
        key, sep, value = assignment.partition("=")
        if sep and key:
            found.append((key, value))
    return found


def pseudo_version(revision: str, timestamp: str) -> str:
    """Go's `v0.0.0-YYYYMMDDhhmmss-abcdefabcdef` for a commit, as Syft makes it; "" without one.

    An unreadable time gives Go's zero time (`00010101000000`), as Syft's does.
    """
    if not revision or not timestamp:
        return ""
    stamp = "00010101000000"
    try:
        from datetime import UTC, datetime

        moment = datetime.fromisoformat(timestamp)
        if moment.tzinfo is not None:  # RFC 3339 always has a zone
            stamp = moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    except (ValueError, OverflowError):
        pass
    return f"v0.0.0-{stamp}-{revision[:12]}"

"""Reading Dockerfiles: files, directories and stdin.

A file or stdin named on the command line must be a Dockerfile: anything wrong (binary, too
large, not parseable) is `BadInput` naming it (exit 2), whatever its name.

Text that is not UTF-8 is read as Latin-1 (one character a byte), with a warning: BuildKit's
parser reads bytes and builds such a Dockerfile (checked with its Go parser through the
`dockerfile` package), so refusing it would miss what gets built. Line numbers are the same
either way; only non-ASCII text shows differently.

Directories are walked in sorted order for `Dockerfile`, `Containerfile`, `Dockerfile.*`,
`Dockerfile-*`, `*.Dockerfile`, `*.dockerfile` and `*Dockerfile` (`debian_bookworm_Dockerfile`);
hidden files and directories, `*.dockerignore` and names that say they are something else
(`Dockerfile.md`, `Dockerfile.txt`, `Dockerfile.orig`, …) are passed over. A file found there
that is not a Dockerfile after all is skipped with its reason, as `tenlayer k8s check` does
with manifests, and the rest is linted; a directory where no file could be read is BadInput.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from tenlayer.dockerfile.parser import parse_nodes, validate
from tenlayer.dockerfile.syntax import Dockerfile, DockerfileError, LintWarning
from tenlayer.dockerfile.template import blank_blocks, is_template, join_placeholders
from tenlayer.errors import BadInput

MAX_BYTES = 1024 * 1024
"""The largest Dockerfile read. The 219 official-image Dockerfiles are at most 20 KB (php's
template); BuildKit itself has no cap, but a megabyte of instructions is not a Dockerfile."""
STDIN = "-"
_SNIFF = 8192


_NOT_DOCKERFILES = (
    ".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".html", ".htm", ".pdf",
    ".json", ".yaml", ".yml", ".toml", ".ini", ".xml", ".sh", ".bash", ".ps1", ".py", ".bat",
    ".cmd", ".orig", ".rej", ".bak", ".swp", ".swo", ".tmp", ".old", ".patch", ".diff", ".log",
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".lock", ".sig", ".asc", ".sha256", ".zip",
    ".gz", ".tgz", ".tar", ".dockerignore",
)
"""Name endings of documentation, scripts, backups and data that sit next to Dockerfiles
(`Dockerfile.md`, `Dockerfile.orig`): passed over by the walk, case-insensitively."""


def is_dockerfile_name(name: str) -> bool:
    if name.startswith(".") or name.endswith("~") or name.lower().endswith(_NOT_DOCKERFILES):
        return False
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith(("Dockerfile.", "Dockerfile-", "Containerfile."))
        or name.endswith(("Dockerfile", ".dockerfile"))
    )


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file found in a directory that is not a Dockerfile after all."""

    path: str
    reason: str


@dataclass(slots=True)
class Loaded:
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def load_dockerfiles(paths: Sequence[str], stdin: BinaryIO | None = None) -> Loaded:
    """Each input once, in order; directories walked (BadInput when one holds no Dockerfile
    name, or none of the files it holds can be read)."""
    loaded = Loaded()
    seen: dict[str, Skipped | None] = {}
    for text in paths:
        if text == STDIN or not Path(text).is_dir():
            earlier = seen.get(text, False)
            if isinstance(earlier, Skipped):  # named, so it must be read after all
                raise BadInput(f"{earlier.path}: {earlier.reason}")
            if earlier is None:
                continue
            loaded.dockerfiles.append(read_dockerfile(text, stdin))
            seen[text] = None
            continue
        found = list(_walk(Path(text)))
        if not found:
            raise BadInput(f"{text}: no Dockerfiles in this directory (looked for Dockerfile, "
                           "Dockerfile.*, Dockerfile-*, *.Dockerfile, *.dockerfile, "
                           "*Dockerfile, Containerfile)")
        for path in found:
            if path in seen:
                continue
            try:
                loaded.dockerfiles.append(read_dockerfile(path))
                seen[path] = None
            except BadInput as error:
                skipped = Skipped(path, str(error).removeprefix(f"{path}: "))
                loaded.skipped.append(skipped)
                seen[path] = skipped
        if all(isinstance(seen[path], Skipped) for path in found):
            first = seen[found[0]]
            assert first is not None
            raise BadInput(f"{text}: no readable Dockerfiles in this directory; {len(found)} "
                           f"skipped, e.g. {first.path}: {first.reason}")
    return loaded


def _walk(root: Path) -> Iterator[str]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if is_dockerfile_name(name):
                yield str(Path(directory, name))


def read_dockerfile(path: str, stdin: BinaryIO | None = None) -> Dockerfile:
    """Read, decode and parse one input; BadInput names it and says what is wrong."""
    name = "<stdin>" if path == STDIN else path
    data = (stdin or sys.stdin.buffer).read(MAX_BYTES + 1) if path == STDIN else _read_file(path)
    text, warning = decode_text(data, name)
    dockerfile = parse_text(text, name)
    return replace(dockerfile, warnings=(warning,)) if warning else dockerfile


def _read_file(path: str) -> bytes:
    try:
        with Path(path).open("rb") as stream:
            return stream.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read ({error.strerror})") from None


def decode_text(data: bytes, name: str) -> tuple[str, LintWarning | None]:
    """The text, and a warning when it was not UTF-8 (then read as Latin-1)."""
    if len(data) > MAX_BYTES:
        raise BadInput(f"{name}: larger than {MAX_BYTES // 1024} KiB, not a Dockerfile")
    if b"\x00" in data[:_SNIFF]:
        raise BadInput(f"{name}: binary file (NUL bytes), not a Dockerfile")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return data.decode("latin-1"), LintWarning(
            name, line, f"not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "read as Latin-1")


def parse_text(text: str, name: str) -> Dockerfile:
    try:
        if is_template(name):
            blanked_text, blanked = blank_blocks(text)
            dockerfile = join_placeholders(parse_nodes(blanked_text, name), blanked)
        else:
            dockerfile = parse_nodes(text, name)
        for error in validate(dockerfile):
            raise error
        return dockerfile
    except DockerfileError as error:
        raise BadInput(f"{name}: {error}") from None

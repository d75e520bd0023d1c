"""Reading Dockerfiles: files, directories and stdin, each refused with one line naming it
when it cannot be a Dockerfile (binary, too large, not UTF-8, not parseable).

Directories are walked in sorted order for `Dockerfile`, `Containerfile`, `Dockerfile.*`,
`Dockerfile-*`, `*.Dockerfile`, `*.dockerfile` and `*Dockerfile` (`debian_bookworm_Dockerfile`);
`*.dockerignore` files and hidden directories are passed over. A file named on the command
line is read whatever its name.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from tenlayer.dockerfile.parser import parse_nodes, validate
from tenlayer.dockerfile.syntax import Dockerfile, DockerfileError
from tenlayer.dockerfile.template import blank_blocks, is_template, join_placeholders
from tenlayer.errors import BadInput

MAX_BYTES = 1024 * 1024
"""The largest Dockerfile read. The 219 official-image Dockerfiles are at most 20 KB (php's
template); BuildKit itself has no cap, but a megabyte of instructions is not a Dockerfile."""
STDIN = "-"
_SNIFF = 8192


def is_dockerfile_name(name: str) -> bool:
    if name.endswith(".dockerignore"):
        return False
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith(("Dockerfile.", "Dockerfile-", "Containerfile."))
        or name.endswith(("Dockerfile", ".dockerfile"))
    )


def dockerfile_paths(paths: Sequence[str]) -> Iterator[str]:
    """Each input once, in order; directories expanded (BadInput when one holds none)."""
    seen: set[str] = set()
    for text in paths:
        found = [text] if text == STDIN or not Path(text).is_dir() else list(_walk(Path(text)))
        if not found:
            raise BadInput(f"{text}: no Dockerfiles in this directory (looked for Dockerfile, "
                           "Dockerfile.*, Dockerfile-*, *.Dockerfile, *.dockerfile, *Dockerfile, "
                           "Containerfile)")
        for path in found:
            if path not in seen:
                seen.add(path)
                yield path


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
    return parse_text(decode(data, name), name)


def _read_file(path: str) -> bytes:
    try:
        with Path(path).open("rb") as stream:
            return stream.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read ({error.strerror})") from None


def decode(data: bytes, name: str) -> str:
    if len(data) > MAX_BYTES:
        raise BadInput(f"{name}: larger than {MAX_BYTES // 1024} KiB, not a Dockerfile")
    if b"\x00" in data[:_SNIFF]:
        raise BadInput(f"{name}: binary file (NUL bytes), not a Dockerfile")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BadInput(f"{name}: line {line}: not UTF-8 (byte 0x{data[error.start]:02x} at "
                       f"offset {error.start})") from None


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

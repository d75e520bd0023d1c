"""Manifest inputs: files, directories and stdin, read once and safely.

A file or stdin named on the command line must be readable manifests: anything wrong is
`BadInput` (exit 2). Files found by walking a directory are a different matter: a folder of
manifests often also holds Helm templates with `{{ }}`, values files, or notes; those are
skipped with a reason the report shows, and the rest is still checked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from tenlayer.errors import BadInput
from tenlayer.kube.documents import DEFAULT_LIMITS, Limits, load_documents
from tenlayer.kube.objects import KubeObject, objects_of

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str
    reason: str


@dataclass(slots=True)
class Manifests:
    objects: list[KubeObject] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0


def load_manifests(
    paths: Sequence[str], *, stdin: BinaryIO | None = None, limits: Limits = DEFAULT_LIMITS
) -> Manifests:
    """Every object in `paths` (`-` is stdin), in the order given, directories walked in
    sorted order."""
    manifests = Manifests()
    for text in paths:
        if text == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = _read_limited(stream, "<stdin>", limits)
            manifests.objects.extend(_objects(data, "<stdin>", limits))
            manifests.files += 1
            continue
        path = Path(text)
        if path.is_dir():
            _walk(path, manifests, limits)
            continue
        manifests.objects.extend(_objects(_read_file(path, limits), text, limits))
        manifests.files += 1
    return manifests


def _objects(data: bytes, source: str, limits: Limits) -> list[KubeObject]:
    """All of a file's objects, or BadInput: a file is taken whole or not at all."""
    return list(objects_of(load_documents(data, source, limits=limits)))


def _walk(root: Path, manifests: Manifests, limits: Limits) -> None:
    for directory, subdirectories, names in os.walk(root, onerror=_raise):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(names):
            if not name.endswith(MANIFEST_SUFFIXES) or name.startswith("."):
                continue
            path = Path(directory, name)
            try:
                objects = _objects(_read_file(path, limits), str(path), limits)
            except BadInput as error:
                manifests.skipped.append(Skipped(str(path), _reason(str(error), str(path))))
                continue
            manifests.objects.extend(objects)
            manifests.files += 1


def _reason(message: str, source: str) -> str:
    return message.removeprefix(f"{source}: ")


def _raise(error: OSError) -> None:
    raise BadInput(f"{error.filename}: cannot read ({error.strerror})")


def _read_file(path: Path, limits: Limits) -> bytes:
    try:
        with path.open("rb") as stream:
            return _read_limited(stream, str(path), limits)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file or directory") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read ({error.strerror})") from None


def _read_limited(stream: BinaryIO, source: str, limits: Limits) -> bytes:
    """Reads at most the limit (pipes and devices have no size to check beforehand)."""
    data = stream.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise BadInput(
            f"{source}: more than the {limits.max_file_bytes}-byte limit for one manifest file"
        )
    return data

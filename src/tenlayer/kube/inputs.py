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
    sources: list[str] = field(default_factory=list)
    """Every file read, skipped ones included (so `-o` can refuse to replace one)."""
    repeats: int = 0
    """Files met again (already read through another path): not counted in `files`."""
    read: set[tuple[int, int]] = field(default_factory=set)
    typed_lists: bool = False
    """(device, inode) of every file read: a file named and also inside a named directory
    (or reached twice through links) is read once, so its findings are not doubled."""

    def first_time(self, path: Path) -> bool:
        try:
            status = path.stat()
        except OSError:  # reading it will say what is wrong
            return True
        key = (status.st_dev, status.st_ino)
        if key in self.read:
            return False
        self.read.add(key)
        return True


def load_manifests(
    paths: Sequence[str], *, stdin: BinaryIO | None = None, limits: Limits = DEFAULT_LIMITS,
    typed_lists: bool = False,
) -> Manifests:
    """Every object in `paths` (`-` is stdin), in the order given, directories walked in
    sorted order. `typed_lists`: see `objects_of` (items of a PodList need no kind)."""
    manifests = Manifests(typed_lists=typed_lists)
    for text in dict.fromkeys(paths):  # a path named twice is read once
        if text == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = _read_limited(stream, "<stdin>", limits)
            manifests.objects.extend(_named_objects(data, "<stdin>", limits, manifests))
            manifests.files += 1
            continue
        path = Path(text)
        if path.is_dir():
            before = (manifests.files + manifests.repeats, len(manifests.skipped))
            _walk(path, manifests, limits)
            if manifests.files + manifests.repeats == before[0]:
                raise BadInput(_nothing_in(text, manifests.skipped[before[1]:]))
            continue
        manifests.sources.append(text)
        if manifests.first_time(path):
            manifests.objects.extend(
                _named_objects(_read_file(path, limits), text, limits, manifests))
            manifests.files += 1
    return manifests


def _named_objects(
    data: bytes, source: str, limits: Limits, manifests: Manifests
) -> list[KubeObject]:
    """A file named on the command line (or stdin) must hold objects: an empty one is most
    often a rendering step (`helm template`, `kustomize build`) that failed."""
    objects = _objects(data, source, limits, manifests.typed_lists)
    if not objects:
        raise BadInput(f"{source}: no Kubernetes objects in it (empty, or only comments)")
    return objects


def _nothing_in(directory: str, skipped: list[Skipped]) -> str:
    if not skipped:
        return f"{directory}: no manifests in it ({', '.join(MANIFEST_SUFFIXES)} files)"
    first = skipped[0]
    return (f"{directory}: no readable manifests in it; {len(skipped)} skipped, e.g. "
            f"{first.source}: {first.reason}")


def _objects(
    data: bytes, source: str, limits: Limits, typed_lists: bool = False
) -> list[KubeObject]:
    """All of a file's objects, or BadInput: a file is taken whole or not at all."""
    if source.endswith(".json"):
        _check_json(data, source)
    try:
        return list(objects_of(load_documents(data, source, limits=limits),
                               typed_lists=typed_lists))
    except BadInput as error:
        message = str(error)
        if b"{{" in data and ("not valid YAML" in message or "not a scalar" in message):
            raise BadInput(f"{error} (an unrendered template? render it first: helm template, "
                           "kustomize build)") from None
        raise


def _check_json(data: bytes, source: str) -> None:
    """A .json file is read as JSON is: strictly (YAML would forgive a trailing comma)."""
    import orjson

    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise BadInput(f"{source}: not valid JSON: {error}") from None


def _walk(root: Path, manifests: Manifests, limits: Limits) -> None:
    for directory, subdirectories, names in os.walk(root, onerror=_raise):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(names):
            if not name.endswith(MANIFEST_SUFFIXES) or name.startswith("."):
                continue
            path = Path(directory, name)
            if not manifests.first_time(path):
                manifests.repeats += 1
                continue
            manifests.sources.append(str(path))
            try:
                objects = _objects(_read_file(path, limits), str(path), limits,
                                   manifests.typed_lists)
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

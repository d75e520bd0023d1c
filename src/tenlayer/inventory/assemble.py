"""From per-file analysis to one `Inventory`: OS, packages, layers, purls, owners, licenses.

The walker keeps, for each surviving file, what its analyzer found in every layer that wrote
it. A package was introduced by the earliest layer from which every later version of its
file still lists it: a dpkg status rewritten by five layers credits each package to the
layer that first installed it (or re-installed it after a removal), not to the last writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from tenlayer.image.walker import Record, WalkResult
from tenlayer.inventory.osrelease import PRIORITY
from tenlayer.inventory.purl import os_purl
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Image, ImageLayer, Inventory, OSInfo, Package


def assemble(image: Image, walked: WalkResult[AnalysisResult]) -> Inventory:
    files = walked.files
    os_info = _os(files)
    owners: dict[str, str] = {}
    licenses: dict[str, tuple[str, ...]] = {}
    warnings: list[str] = []
    for history in files.values():
        final = history[-1].result
        owners.update(final.owned_files)
        licenses.update(final.licenses)
        warnings.extend(final.warnings)
    packages: set[Package] = set()
    for history in files.values():
        for package in history[-1].result.packages:
            packages.add(_complete(package, history, walked.layers, os_info, owners, licenses))
    return Inventory(
        image=image,
        os=os_info,
        packages=tuple(sorted(packages, key=Package.sort_key)),
        warnings=tuple(sorted(set(warnings))),
        skipped=tuple(sorted(walked.skipped, key=lambda s: (s.path, s.analyzer))),
    )


def _os(files: dict[str, list[Record[AnalysisResult]]]) -> OSInfo | None:
    for path in PRIORITY:
        history = files.get(path)
        if history and history[-1].result.os is not None:
            return history[-1].result.os
    return None


def _complete(
    package: Package,
    history: Sequence[Record[AnalysisResult]],
    layers: Sequence[ImageLayer],
    os_info: OSInfo | None,
    owners: dict[str, str],
    licenses: dict[str, tuple[str, ...]],
) -> Package:
    layer = layers[_introduced_in(package, history)] if layers else None
    changes: dict[str, object] = {}
    if layer is not None:
        changes["layer_index"] = layer.index
        changes["layer_digest"] = layer.diff_id or None
    if package.ecosystem.is_os:
        changes["purl"] = os_purl(package, os_info)
        if not package.licenses:
            found = licenses.get(f"{package.ecosystem.value}:{package.name}")
            if found:
                changes["licenses"] = found
    else:
        owner = _owner(package.found_in, owners)
        if owner:
            changes["owned_by"] = owner
    return replace(package, **changes)  # type: ignore[arg-type]


def _introduced_in(package: Package, history: Sequence[Record[AnalysisResult]]) -> int:
    identity = (package.name, package.version, package.arch)
    index = history[-1].layer_index
    for record in reversed(history[:-1]):
        if not any(_same(identity, p) for p in record.result.packages):
            break
        index = record.layer_index
    return index


def _same(identity: tuple[str, str, str | None], package: Package) -> bool:
    return (package.name, package.version, package.arch) == identity


def _owner(found_in: str, owners: dict[str, str]) -> str | None:
    """The OS package owning a language package's metadata file or the directory holding it."""
    for path in _self_and_parent(found_in):
        owner = owners.get(path)
        if owner:
            return owner
    return None


def _self_and_parent(path: str) -> Iterable[str]:
    yield path
    cut = path.rfind("/")
    if cut > 0:
        yield path[:cut]

"""Inventory an image: open the source, walk its layers with every analyzer, assemble."""

from __future__ import annotations

from typing import Any

from tenlayer.image.open import OpenOptions, open_image
from tenlayer.image.traces import TraceBook
from tenlayer.image.walker import FileAnalyzer, LayerCallback, walk
from tenlayer.inventory.assemble import assemble
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Inventory


def default_analyzers() -> list[FileAnalyzer[AnalysisResult]]:
    from tenlayer.inventory.apk import ApkAnalyzer
    from tenlayer.inventory.dpkg import DpkgAnalyzer
    from tenlayer.inventory.gobinary import GoBinaryAnalyzer
    from tenlayer.inventory.java import JavaArchiveAnalyzer
    from tenlayer.inventory.npm import NpmPackageAnalyzer
    from tenlayer.inventory.osrelease import OSReleaseAnalyzer
    from tenlayer.inventory.python import PythonPackageAnalyzer
    from tenlayer.inventory.rpm import RpmAnalyzer

    return [
        OSReleaseAnalyzer(),
        DpkgAnalyzer(),
        ApkAnalyzer(),
        RpmAnalyzer(),
        PythonPackageAnalyzer(),
        NpmPackageAnalyzer(),
        JavaArchiveAnalyzer(),
        GoBinaryAnalyzer(),
    ]


def inventory_image(
    spec: str,
    options: OpenOptions | None = None,
    *,
    on_layer: LayerCallback | None = None,
    traces: TraceBook[Any] | None = None,
) -> Inventory:
    """`traces`: entry checks of the built image to run in the same walk (image/traces.py)."""
    opened = open_image(spec, options)
    try:
        walked = walk(opened, default_analyzers, on_layer=on_layer, traces=traces)
    finally:
        opened.close()
    return assemble(opened.image, walked)

"""Progress on a terminal: one bar over the image's layers, on stderr, only when interactive."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tenlayer.image.walker import LayerCallback
from tenlayer.model import ImageLayer


@contextmanager
def layer_progress(*, enabled: bool) -> Iterator[LayerCallback | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]reading layers"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("", total=None)

    def on_layer(layer: ImageLayer, total: int) -> None:
        short = (layer.digest or layer.diff_id).partition(":")[2][:12]
        progress.update(task, total=total, completed=layer.index, description=short)

    with progress:
        yield on_layer

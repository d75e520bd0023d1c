"""Progress on a terminal, on stderr, only when interactive: one bar over the image's layers;
the steps of a long command (`k8s netpol`) and the bytes it has written."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tenlayer.image.walker import LayerCallback
from tenlayer.model import ImageLayer

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


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


class StepProgress:
    """What a long command is doing (`step`) and how much it has written (`wrote`); this
    base shows nothing."""

    def step(self, description: str) -> None:
        """Start the next step."""

    def wrote(self, count: int) -> None:
        """`count` more bytes written."""


class _RichSteps(StepProgress):
    """A spinner, the step, the bytes written so far and the time, updated at most once a
    megabyte: a list written in millions of small pieces must not pay a redraw per piece."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress, self.task = progress, task
        self.written = self.pending = 0

    def step(self, description: str) -> None:
        self.progress.update(self.task, description=description, size="")

    def wrote(self, count: int) -> None:
        self.pending += count
        if self.pending >= 1 << 20:
            self.written += self.pending
            self.pending = 0
            self.progress.update(self.task, size=f"{self.written / 1e6:,.0f} MB")


@contextmanager
def step_progress(*, enabled: bool) -> Iterator[StepProgress]:
    """Progress on stderr, transient, only when enabled and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield StepProgress()
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.fields[size]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("", total=None, size="")
    with progress:
        yield _RichSteps(progress, task)

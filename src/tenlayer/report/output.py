"""Where reports go: stdout, or a file replaced atomically (never half-written)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from tenlayer.errors import BadInput


def _mode_for(path: Path) -> int:
    """Keep the mode of the file replaced, or give a new one the umask's default."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_output(data: bytes, path: Path | None, *, inputs: Iterable[str] = ()) -> None:
    """`data` to stdout, or to `path` — never over one of the command's `inputs`."""
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    refuse_output_over_input(path, inputs)
    write_file(path, data, mode=_mode_for(path))


def refuse_output_over_input(path: Path, inputs: Iterable[str]) -> None:
    """`-o deploy.yaml` with `deploy.yaml` among the files read would replace what the user
    had with a report: refused. `inputs` are the files the command read (those found in
    directories included), so a report may still go beside them."""
    if not path.exists():
        return
    for name in dict.fromkeys(inputs):  # one stat per file, not per object read from it
        if name == "-":
            continue
        try:
            same = Path(name).samefile(path)
        except OSError:  # the input does not exist: its command says so
            continue
        if same:
            raise BadInput(f"{path}: is also an input; choose another file for --output")


@contextmanager
def output_stream(path: Path | None, *, inputs: Iterable[str] = ()) -> Iterator[BinaryIO]:
    """write_output for a report written as it is made (gigabytes at scale): stdout, or a
    temporary file beside `path` renamed over it when the block ends without an error — so
    the file still appears only whole, and never over one of `inputs`."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    refuse_output_over_input(path, inputs)
    with _temporary_file(path, mode=_mode_for(path), overwrite=True) as stream:
        yield stream


def write_file(path: Path, data: bytes, *, mode: int, overwrite: bool = True) -> None:
    """Write through a temporary file in the same directory, with `mode` set before a byte
    is written: never half a file, never readable by others for an instant. Without
    `overwrite` the file is linked into place, which fails rather than replace a file that
    exists (or was made meanwhile)."""
    with _temporary_file(path, mode=mode, overwrite=overwrite) as stream:
        stream.write(data)


@contextmanager
def _temporary_file(path: Path, *, mode: int, overwrite: bool) -> Iterator[BinaryIO]:
    """The stream of a temporary file put in place of `path` once the block is done (and
    removed, `path` untouched, if the block raises)."""
    import tempfile  # only when writing to a file

    directory = path.parent if str(path.parent) else Path()
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise BadInput(f"{path}: cannot write ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            yield stream
        if overwrite:
            Path(temporary).replace(path)
            return
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise BadInput(f"{path}: already exists; pass --force to overwrite it") from None
        except OSError as error:
            raise BadInput(f"{path}: cannot write ({error.strerror})") from None
    finally:
        Path(temporary).unlink(missing_ok=True)

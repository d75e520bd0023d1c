"""Where reports go: stdout, or a file replaced atomically (never half-written)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tenlayer.errors import BadInput


def _mode_for(path: Path) -> int:
    """Keep the mode of the file replaced, or give a new one the umask's default."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_output(data: bytes, path: Path | None) -> None:
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    import tempfile  # only when writing to a file

    directory = path.parent if str(path.parent) else Path()
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise BadInput(f"{path}: cannot write ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            os.fchmod(stream.fileno(), _mode_for(path))
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

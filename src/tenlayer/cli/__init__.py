"""Command-line entry point. `tenlayer --version` answers before anything heavy is imported."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from tenlayer import __version__

        print(f"tenlayer {__version__}")
        return
    from tenlayer.cli.app import run

    run()

"""The `tenlayer` command: one click group, one sub-group per command group.

click rather than typer: typer 0.29 pulls in pydantic and rich at start-up, about 100 ms on
every run (measured here), which is a third of a whole image inventory.

Errors meant for the user (`TenlayerError`) become one line on stderr and their exit code;
a usage mistake exits 2 (click's convention, and DESIGN.md's).
"""

from __future__ import annotations

import sys

import click

from tenlayer import __version__
from tenlayer.cli.checks import checks_group
from tenlayer.cli.image import image_group
from tenlayer.errors import TenlayerError


@click.group(
    name="tenlayer",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(
    __version__, "--version", "-V", prog_name="tenlayer", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Container security across the ten layers: host, content, registries, build,
    deployment, orchestration, network, storage, API, federation."""


cli.add_command(image_group)
cli.add_command(checks_group)


def run() -> None:
    try:
        cli.main(prog_name="tenlayer", standalone_mode=False)
    except TenlayerError as error:
        sys.stderr.write(f"tenlayer: {error}\n")
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as error:
        hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
        sys.stderr.write(f"tenlayer: {error.format_message()}{hint}\n")
        sys.exit(error.exit_code)
    except click.ClickException as error:
        sys.stderr.write(f"tenlayer: {error.format_message()}\n")
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        sys.stderr.write("tenlayer: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)

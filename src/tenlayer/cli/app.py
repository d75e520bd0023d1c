"""The `tenlayer` command: one click group; each command group lives in its own module and is
imported only when it runs.

click rather than typer: typer 0.29 pulls in pydantic and rich at start-up, about 100 ms on
every run (measured here), which is a third of a whole image inventory.

Errors meant for the user (`TenlayerError`) become one line on stderr and their exit code;
a usage mistake exits 2 (click's convention, and DESIGN.md's).
"""

from __future__ import annotations

import importlib
import sys

import click

from tenlayer import __version__
from tenlayer.errors import TenlayerError

COMMAND_GROUPS = {
    "image": ("tenlayer.cli.image", "image_group", "Inventory and scan container images."),
    "sbom": ("tenlayer.cli.sbom", "sbom_group", "Scan software bills of materials."),
    "db": ("tenlayer.cli.db", "db_group", "Manage the vulnerability database."),
    "checks": ("tenlayer.cli.checks", "checks_group", "The catalogue of checks."),
    "k8s": ("tenlayer.cli.k8s", "k8s_group", "Check Kubernetes and OpenShift manifests."),
    "keys": ("tenlayer.cli.keys", "keys_group", "Make key pairs for signing images."),
    "dockerfile": ("tenlayer.cli.dockerfile", "dockerfile_group", "Audit Dockerfiles."),
    "registry": ("tenlayer.cli.registry", "registry_group",
                 "Guard a registry: token service, roles, scan on push, pull gate."),
}


class LazyGroup(click.Group):
    """Lists its command groups from COMMAND_GROUPS and imports one only to run it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_GROUPS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMAND_GROUPS.get(cmd_name)
        if entry is None:
            return None
        module_name, attribute, _ = entry
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in sorted(COMMAND_GROUPS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    name="tenlayer",
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(
    __version__, "--version", "-V", prog_name="tenlayer", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Container security across the ten layers: host, content, registries, build,
    deployment, orchestration, network, storage, API, federation."""


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

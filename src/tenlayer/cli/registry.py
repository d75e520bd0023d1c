"""`tenlayer registry`: the token service and its administration."""

from __future__ import annotations

import click


@click.group("registry")
def registry_group() -> None:
    """Guard a registry: token service, roles, scan on push, pull gate."""

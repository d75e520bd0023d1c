"""`tenlayer dockerfile`: audit Dockerfiles."""

from __future__ import annotations

import click


@click.group("dockerfile")
def dockerfile_group() -> None:
    """Audit Dockerfiles."""

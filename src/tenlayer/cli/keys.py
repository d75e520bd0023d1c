"""`tenlayer keys`: key pairs for signing images."""

from __future__ import annotations

import click


@click.group("keys")
def keys_group() -> None:
    """Make key pairs for signing images (cosign's formats)."""

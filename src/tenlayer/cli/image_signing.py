"""`tenlayer image sign` and `tenlayer image verify`: cosign-compatible signatures."""

from __future__ import annotations

import click

SIGNING_COMMANDS: tuple[click.Command, ...] = ()

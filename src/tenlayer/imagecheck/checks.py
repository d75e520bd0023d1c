"""The image-config and layer-file checks of the catalogue (layer 4, build)."""

from __future__ import annotations

from tenlayer.checks.catalogue import Check

CHECKS: tuple[Check, ...] = ()

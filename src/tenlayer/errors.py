"""Errors a user can act on. Each carries the exit code DESIGN.md gives it.

The CLI prints `tenlayer: <message>` on one line and exits with `exit_code`; no traceback.
Raise these with a message that names the input and what is wrong with it.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3


class TenlayerError(Exception):
    """Base class: a problem reported to the user as one line."""

    exit_code = EXIT_BAD_INPUT


class BadInput(TenlayerError):
    """The input (image, manifest, file, option) is malformed, hostile or unsupported."""

    exit_code = EXIT_BAD_INPUT


class EnvironmentProblem(TenlayerError):
    """Something outside the input failed: unreachable registry, missing database, timeout."""

    exit_code = EXIT_ENVIRONMENT

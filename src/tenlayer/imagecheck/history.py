"""Secrets in the build steps an image records (`history[].created_by`).

Docker writes `/bin/sh -c #(nop)  ENV K=V` and `/bin/sh -c #(nop)  ARG K=V`; BuildKit writes
`ENV K=V`, `ARG K=V` and, for RUN steps, the build arguments in use first:
`RUN |2 K=V L=W /bin/sh -c …`. A line is read as a command line by the scanner shared with
Entrypoint/Cmd and environment values (secrets/commands.py): assignments and options whose
name or value says they hold a secret, `--password VALUE`, `mysql -pPASSWORD`,
`sshpass -p PASSWORD`, `curl -u USER:PASSWORD`, a password in a URL, a credential's shape.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenlayer.secrets.commands import command_secrets, redact_command
from tenlayer.secrets.redact import redact


def history_secrets(created_by: str) -> Iterator[tuple[str, str]]:
    """(reason, redacted value) for every secret in one history line, in line order."""
    for secret in command_secrets(created_by):
        yield secret.reason, redact(secret.value)


def redact_history(created_by: str) -> str:
    """The line with every secret `history_secrets` finds in it redacted."""
    return redact_command(created_by)

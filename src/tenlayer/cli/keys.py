"""`tenlayer keys`: key pairs for signing images."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from tenlayer.errors import BadInput

PASSWORD_VARIABLE = "COSIGN_PASSWORD"


@click.group("keys")
def keys_group() -> None:
    """Make key pairs for signing images (cosign's formats)."""


def read_password(*, confirm: bool, what: str) -> bytes:
    """COSIGN_PASSWORD when set (even empty, as cosign reads it), else a terminal prompt."""
    if PASSWORD_VARIABLE in os.environ:
        return os.environ[PASSWORD_VARIABLE].encode()
    if not sys.stdin.isatty():
        raise BadInput(f"no password for {what}: set {PASSWORD_VARIABLE} or run on a terminal")
    text: str = click.prompt(
        f"Enter password for {what}", hide_input=True, default="", show_default=False,
        confirmation_prompt="Enter password again" if confirm else False, err=True,
    )
    return text.encode()


@keys_group.command("generate")
@click.option("--output-key-prefix", default="cosign", show_default=True,
              help="Write PREFIX.key (private, encrypted) and PREFIX.pub.")
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
def generate(output_key_prefix: str, force: bool) -> None:
    """Make an ECDSA P-256 key pair in cosign's formats.

    The private key is encrypted with a password from COSIGN_PASSWORD, or asked twice on
    the terminal; cosign, skopeo and tenlayer image sign read it.
    """
    from tenlayer.report.output import write_file
    from tenlayer.signing.keys import encrypt_private_key, generate_private_key, public_key_pem

    private_path = Path(f"{output_key_prefix}.key")
    public_path = Path(f"{output_key_prefix}.pub")
    if not force:
        for path in (private_path, public_path):
            if path.exists() or path.is_symlink():
                raise BadInput(f"{path}: already exists; pass --force to overwrite it")
    password = read_password(confirm=True, what=str(private_path))
    key = generate_private_key()
    write_file(private_path, encrypt_private_key(key, password), mode=0o600, overwrite=force)
    write_file(public_path, public_key_pem(key.public_key()), mode=0o644, overwrite=force)
    click.echo(f"Private key written to {private_path}")
    click.echo(f"Public key written to {public_path}")

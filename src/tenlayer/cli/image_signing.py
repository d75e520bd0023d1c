"""`tenlayer image sign` and `tenlayer image verify`: cosign-compatible signatures."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tenlayer.errors import EXIT_FINDINGS, BadInput

TARGET_HELP = (
    "IMAGE is a registry reference (docker://REF, registry:REF or REF) or an OCI layout "
    "directory (oci:DIR[:TAG] or DIR[:TAG]). Signatures are stored as cosign stores them: "
    "an OCI manifest tagged sha256-<hex>.sig beside the image."
)


def _target_options(command: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(
        (
            click.option("--identity", default=None, metavar="REPO",
                         help="The docker-reference signed or expected [default: the "
                         "image's repository; for a layout, its tag]."),
            click.option("--insecure", is_flag=True,
                         help="Allow plain HTTP and unverified TLS for the registry."),
            click.option("--timeout", default="30", show_default=True,
                         help="Registry timeout in seconds."),
        )
    ):
        command = option(command)
    return command


def _annotations(values: tuple[str, ...]) -> dict[str, object] | None:
    pairs: dict[str, object] = {}
    for value in values:
        name, equals, text = value.partition("=")
        if not equals or not name:
            raise BadInput(f"-a {value!r}: expected key=value")
        pairs[name] = text
    return pairs or None


@click.command("sign", epilog=TARGET_HELP)
@click.argument("image")
@click.option("--key", "key_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Private key in cosign's format (tenlayer keys generate, cosign "
              "generate-key-pair); its password from COSIGN_PASSWORD or a prompt.")
@click.option("-a", "--annotation", "annotations", multiple=True, metavar="KEY=VALUE",
              help="Add to the payload's optional annotations (repeatable).")
@_target_options
def sign(
    image: str, key_path: Path, annotations: tuple[str, ...], identity: str | None,
    insecure: bool, timeout: str,
) -> None:
    """Sign IMAGE's manifest digest with KEY and store the signature beside it."""
    from tenlayer.cli.keys import read_password
    from tenlayer.cli.options import parse_timeout
    from tenlayer.signing.keys import decrypt_private_key, read_key_file
    from tenlayer.signing.manifest import append_signature
    from tenlayer.signing.payload import Payload
    from tenlayer.signing.payload import sign as sign_payload
    from tenlayer.signing.targets import classify, open_target
    from tenlayer.signing.verify import already_signed

    optional = _annotations(annotations)
    seconds = parse_timeout(timeout)
    classify(image, push=True)  # an unsupported IMAGE is said before the password is asked
    data = read_key_file(key_path, what="private key")
    key = decrypt_private_key(
        data, read_password(confirm=False, what=str(key_path)), context=str(key_path)
    )
    target = open_target(image, insecure=insecure, timeout=seconds, push=True)
    try:
        existing = target.read_signatures() or []
        payload = Payload(identity or target.identity, target.image_digest, optional).to_bytes()
        if already_signed(existing, payload, key.public_key()):
            click.echo(f"{target.description} ({target.image_digest}) is already signed by "
                       f"{key_path}; no signature added")
            click.echo(f"Signatures: {target.signature_location} ({len(existing)} signatures)")
            return
        new = append_signature(existing, payload, sign_payload(payload, key))
        if new.appended:
            target.write(new, payload)
    finally:
        target.close()
    click.echo(f"Signed {target.description} ({target.image_digest}) with {key_path}")
    state = "stored" if new.appended else "already there"
    click.echo(f"Signature {state}: {target.signature_location} ({new.count} signatures)")


@click.command("verify", epilog=TARGET_HELP)
@click.argument("image")
@click.option("--key", "key_paths", required=True, multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Public key (PEM PUBLIC KEY, as cosign.pub); repeat for several.")
@click.option("--format", "-f", "output_format", default="table", show_default=True,
              type=click.Choice(["table", "json"], case_sensitive=False), help="Output format.")
@_target_options
def verify(
    image: str, key_paths: tuple[Path, ...], output_format: str, identity: str | None,
    insecure: bool, timeout: str,
) -> None:
    """Check IMAGE's cosign signatures offline against the public keys, then the image.

    Exit 0 when at least one signature is valid and the image's manifest and every blob it
    references (configs, layers, child manifests) match their digests; 1 otherwise.
    """
    from tenlayer.cli.options import parse_timeout
    from tenlayer.report.output import write_output
    from tenlayer.signing.keys import load_public_key, read_key_file
    from tenlayer.signing.report import Verification, render_json, render_table
    from tenlayer.signing.targets import open_target
    from tenlayer.signing.verify import Identity, PublicKey, check_signatures

    seconds = parse_timeout(timeout)
    keys = [
        PublicKey(str(path), load_public_key(
            read_key_file(path, what="public key"), context=str(path)
        ))
        for path in key_paths
    ]
    target = open_target(image, insecure=insecure, timeout=seconds, push=False)
    try:
        layers = target.read_signatures()
        results = check_signatures(
            layers or [], target.fetch_blob, image_digest=target.image_digest,
            identity=Identity(identity or target.identity), keys=keys,
        )
        # A valid signature vouches for a digest: the image must still be what it names.
        content = target.check_content() if any(r.valid for r in results) else None
    finally:
        target.close()
    verification = Verification(
        target.description, target.image_digest, target.signature_location,
        layers is not None, tuple(results), content,
    )
    render = render_json if output_format.lower() == "json" else render_table
    write_output(render(verification), None)
    if not verification.verified:
        sys.stderr.write(
            f"tenlayer: {target.description}: not verified ({verification.why_not})\n"
        )
        sys.exit(EXIT_FINDINGS)


SIGNING_COMMANDS: tuple[click.Command, ...] = (sign, verify)

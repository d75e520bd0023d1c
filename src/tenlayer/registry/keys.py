"""Token signing keys: EC P-256 keys with self-signed certificates, and the key ring.

A key ring holds every key the service knows, oldest first. The newest (last) key that is
neither retired nor pending signs; every key that is not retired is in the certificate
bundle the registry trusts. Rotation without downtime: add the new key as pending and give
the registry the new bundle; then drop `pending` (the new key signs, tokens signed by the
old one stay valid until they expire); after a token lifetime retire the old key and give
the registry the bundle without it. A retired key verifies nothing.

`kid` is libtrust's key id (what distribution 2.8 looks keys up by): the SHA-256 of the
DER SubjectPublicKeyInfo, truncated to 240 bits, base32, in twelve groups of four.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenlayer.errors import BadInput

KEY_FILE = "token.key"
CERT_FILE = "token.crt"


def libtrust_kid(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode("ascii")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


@dataclass(frozen=True)
class TokenKey:
    """One signing key: its certificate, and its private key when this process signs."""

    kid: str
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey | None
    retired: bool = False
    pending: bool = False

    @cached_property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        key = self.certificate.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key

    @property
    def not_before(self) -> datetime.datetime:
        return self.certificate.not_valid_before_utc

    @cached_property
    def certificate_der(self) -> bytes:
        """Computed once per key: every token issued carries it (x5c), and every token
        verified by its x5c is matched against it."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[TokenKey, ...]

    def find(self, kid: str) -> TokenKey | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def find_certificate(self, der: bytes) -> TokenKey | None:
        return next((key for key in self.keys if key.certificate_der == der), None)

    @property
    def active(self) -> tuple[TokenKey, ...]:
        return tuple(key for key in self.keys if not key.retired)

    def signer(self) -> TokenKey:
        """The newest active, not pending key with a private key (keys are oldest first)."""
        usable = [
            key for key in self.active if key.private_key is not None and not key.pending
        ]
        if not usable:
            raise BadInput(
                "no signing key: every configured key is retired, pending or lacks its key"
            )
        return usable[-1]

    def bundle_pem(self) -> bytes:
        """The certificates the registry should trust (`auth.token.rootcertbundle`)."""
        return b"".join(key.certificate_pem for key in self.active)


def generate_key(common_name: str, *, days: int = 3650) -> tuple[bytes, bytes]:
    """A new EC P-256 key and its self-signed certificate, both PEM."""
    from tenlayer.signing.keys import generate_private_key

    key = generate_private_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def write_key(directory: Path, common_name: str) -> tuple[Path, Path]:
    """Write token.key (mode 0600) and token.crt into `directory`, each atomically;
    refuse to overwrite."""
    from tenlayer.report.output import write_file

    key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
    for path in (key_path, cert_path):
        if path.exists():
            raise BadInput(f"{path}: already exists; choose another directory")
    directory.mkdir(parents=True, exist_ok=True)
    key_pem, cert_pem = generate_key(common_name)
    write_file(key_path, key_pem, mode=0o600, overwrite=False)
    write_file(cert_path, cert_pem, mode=0o644, overwrite=False)
    return key_path, cert_path


def load_key(
    certificate: Path, key: Path | None, *, retired: bool = False, pending: bool = False
) -> TokenKey:
    """A key from its PEM files; one line naming the file when either is unreadable."""
    try:
        cert = x509.load_pem_x509_certificate(certificate.read_bytes())
    except (OSError, ValueError) as error:
        raise BadInput(f"{certificate}: not a readable PEM certificate ({error})") from None
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        raise BadInput(f"{certificate}: the certificate's key is not EC P-256")
    private: ec.EllipticCurvePrivateKey | None = None
    if key is not None and not retired:
        try:
            loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise BadInput(f"{key}: not a readable unencrypted PEM key ({error})") from None
        if not isinstance(loaded, ec.EllipticCurvePrivateKey) or (
            loaded.public_key().public_numbers() != public.public_numbers()
        ):
            raise BadInput(f"{key}: does not match the certificate {certificate}")
        private = loaded
    return TokenKey(libtrust_kid(public), cert, private, retired, pending)

"""Who is pulling: the subject of the bearer token the client sends through the front.

nginx passes the `Authorization` header to distribution unchanged; distribution checks the
token for access. The gate needs only the token's subject, and must not believe an
unsigned claim (distribution checks no token at all when it runs anonymously), so the
subject counts only when the token service's own verifier (`tokens.verify_token`: ES256,
one of the ring's keys, issuer, audience, times) accepts the token. A token that does not
verify makes the client anonymous to the gate: it can never gain more than an anonymous
pull, and distribution refuses the token itself anyway.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tenlayer.registry.keys import KeyRing, TokenKey, libtrust_kid
from tenlayer.registry.tokens import TokenError, verify_token

TokenVerifier = Callable[[str], str]
"""A bearer token in, its verified subject out; raises TokenError if it does not verify."""


def identity(authorization: str | None, verify: TokenVerifier | None) -> str | None:
    """The verified subject of a `Bearer` authorization, or None (anonymous)."""
    if verify is None or not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        subject = verify(token.strip())
    except TokenError:
        return None
    return subject or None


def ring_verifier(keys: KeyRing, *, audience: str, issuer: str) -> TokenVerifier:
    """Verify with the token service's key ring, at the time of each request."""

    def verify(token: str) -> str:
        now = datetime.datetime.now(datetime.UTC)
        return verify_token(token, keys, audience=audience, issuer=issuer, now=now).subject

    return verify


def ring_from_certificates(certificates: Sequence[x509.Certificate]) -> KeyRing:
    """A verify-only key ring from the certificates the registry trusts (its
    `rootcertbundle`), so the front believes exactly the tokens distribution does."""
    keys = []
    for certificate in certificates:
        public = certificate.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise ValueError(f"{certificate.subject.rfc4514_string()}: not an EC key")
        keys.append(TokenKey(libtrust_kid(public), certificate, None))
    return KeyRing(tuple(keys))

"""Who is pulling: the subject of the bearer token the client sends through the front.

nginx passes the `Authorization` header to distribution unchanged; distribution checks the
token for access. The gate needs the token's subject (and whether it grants delete), and
must not believe an unsigned claim (distribution checks no token at all when it runs
anonymously), so the claims count only when the token service's own verifier
(`tokens.verify_token`: ES256, one of the ring's keys, issuer, audience, times) accepts the
token. A token that does not
verify makes the client anonymous to the gate: it can never gain more than an anonymous
pull, and distribution refuses the token itself anyway.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tenlayer.registry.keys import KeyRing, TokenKey, libtrust_kid
from tenlayer.registry.tokens import Claims, TokenError, verify_token

log = logging.getLogger(__name__)

REMEMBERED = 5.0
"""Seconds a verified token is taken on trust (cleared when the keys are read again)."""

TokenVerifier = Callable[[str], Claims]
"""A bearer token in, its verified claims out; raises TokenError if it does not verify."""


def bearer_claims(
    authorization: str | None, verify: TokenVerifier | None, *, raise_errors: bool = False
) -> Claims | None:
    """The verified claims of a `Bearer` authorization, or None (anonymous; with
    `raise_errors`, a token that does not verify raises TokenError instead)."""
    if verify is None or not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return verify(token.strip())
    except TokenError:
        if raise_errors:
            raise
        return None


def grants(claims: Claims, repository: str, action: str) -> bool:
    """Whether the token grants `action` (or `*`) on `repository`."""
    return (claims.allows("repository", repository, action)
            or claims.allows("repository", repository, "*"))


def granted_actions(claims: Claims, repository: str) -> tuple[str, ...]:
    """The actions the token grants on `repository`."""
    return tuple(action for entry in claims.access
                 if entry.type == "repository" and entry.name == repository
                 for action in entry.actions)


def asked_delete(claims: Claims, repository: str) -> bool:
    """Whether the client asked for delete (or `*`) on `repository` and was not given it:
    `skopeo delete` asks `*`, then reads the manifest with whatever it got."""
    asked = any(entry.type == "repository" and entry.name == repository
                and ("delete" in entry.actions or "*" in entry.actions)
                for entry in claims.asked)
    return asked and not grants(claims, repository, "delete")


def may_delete(claims: Claims | None, repository: str) -> bool:
    """Whether the token grants `delete` (or `*`) on `repository`."""
    return claims is not None and grants(claims, repository, "delete")


def ring_verifier(keys: KeyRing, *, audience: str, issuer: str) -> TokenVerifier:
    """Verify with the token service's key ring, at the time of each request."""

    def verify(token: str) -> Claims:
        now = datetime.datetime.now(datetime.UTC)
        return verify_token(token, keys, audience=audience, issuer=issuer, now=now)

    return verify


class ReloadingVerifier:
    """A `TokenVerifier` over the token service's configuration that follows key rotation
    on its own: the keys are read again (at most every `interval` seconds) when a token
    does not verify, so a token signed by a newly added key counts at once; and when
    `stamp` (the configuration's and key files' modification times) changes, so a key
    marked retired stops counting within `interval` seconds. A ring that fails to load
    keeps the previous one."""

    def __init__(
        self, load: Callable[[], KeyRing], *, audience: str, issuer: str,
        interval: float = 2.0, monotonic: Callable[[], float] = time.monotonic,
        stamp: Callable[[], object] | None = None,
    ) -> None:
        self.load = load
        self.audience = audience
        self.issuer = issuer
        self.interval = interval
        self.monotonic = monotonic
        self.stamp = stamp
        self.keys = load()
        self._stamp = stamp() if stamp is not None else None
        self._loaded_at = self._checked_at = monotonic()
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[float, Claims]] = {}

    def __call__(self, token: str) -> Claims:
        """Verified claims; a token verified in the last REMEMBERED seconds (with the keys
        as they are now, and unexpired) is not checked again: every blob request of a pull
        carries the same token."""
        self._follow_changes()
        now = self.monotonic()
        remembered = self._verified.get(token)
        if remembered is not None and now - remembered[0] < REMEMBERED and (
                remembered[1].expires_at > datetime.datetime.now(datetime.UTC)):
            return remembered[1]
        try:
            claims = self._verify(token, self.keys)
        except TokenError:
            if not self._reload():
                raise
            claims = self._verify(token, self.keys)
        with self._lock:
            if len(self._verified) >= 10_000:
                self._verified.clear()
            self._verified[token] = (now, claims)
        return claims

    def _verify(self, token: str, keys: KeyRing) -> Claims:
        now = datetime.datetime.now(datetime.UTC)
        return verify_token(token, keys, audience=self.audience, issuer=self.issuer, now=now)

    def _follow_changes(self) -> None:
        if self.stamp is None or self.monotonic() - self._checked_at < self.interval:
            return
        with self._lock:
            self._checked_at = self.monotonic()
            stamp = self.stamp()
            if stamp == self._stamp:
                return
            self._stamp = stamp
        self._reload(force=True)

    def _reload(self, *, force: bool = False) -> bool:
        from tenlayer.errors import TenlayerError

        with self._lock:
            if not force and self.monotonic() - self._loaded_at < self.interval:
                return False
            self._loaded_at = self.monotonic()
            try:
                self.keys = self.load()
            except TenlayerError as error:
                log.error("token keys not reloaded: %s", error)
                return False
            self._verified.clear()  # a key may be retired now
            return True


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

"""Registry bearer tokens (Docker's token specification, as distribution 2.8 verifies them).

`issue_token` signs an ES256 JWT with the key ring's signer, its certificate in `x5c` and its
libtrust key id in `kid`. `verify_token` is tenlayer's own verifier (admin API, pull gate):
every refusal raises its own `TokenError` subclass; nothing is trusted from the token's header
except to pick one of the ring's own keys, and only ES256 is accepted (so `alg: none` and
HS256 keyed with the public key are refused before any signature check).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from tenlayer.registry.keys import KeyRing, TokenKey

ALGORITHM = "ES256"


class TokenError(Exception):
    """A token was refused; the message says why."""


class MalformedToken(TokenError):
    """Not a JWS compact token, or its header or claims are not what the specification says."""


class UnsupportedAlgorithm(TokenError):
    """`alg` other than ES256 (none, HS256, RS256, ...)."""


class UnknownKey(TokenError):
    """Neither `kid` nor `x5c` names a key of the key ring."""


class RetiredKey(TokenError):
    """Signed by a key that has been retired."""


class BadSignature(TokenError):
    """The signature does not verify with the named key."""


class Expired(TokenError):
    """`exp` is past."""


class NotYetValid(TokenError):
    """`nbf` (or `iat`) is in the future."""


class WrongAudience(TokenError):
    """`aud` does not name this service."""


class WrongIssuer(TokenError):
    """`iss` is not this issuer."""


@dataclass(frozen=True)
class AccessEntry:
    type: str
    name: str
    actions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "actions": list(self.actions)}


@dataclass(frozen=True)
class Claims:
    subject: str
    issuer: str
    audience: str
    access: tuple[AccessEntry, ...]
    jti: str
    issued_at: datetime.datetime
    not_before: datetime.datetime
    expires_at: datetime.datetime
    key_id: str
    asked: tuple[AccessEntry, ...] = ()
    """What the client asked for (tenlayer's private claim), when more than granted."""

    def allows(self, type_: str, name: str, action: str) -> bool:
        return any(
            entry.type == type_ and entry.name == name and action in entry.actions
            for entry in self.access
        )


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    issued_at: datetime.datetime
    expires_at: datetime.datetime


ASKED_CLAIM = "tenlayer_asked"


def issue_token(
    keys: KeyRing,
    *,
    issuer: str,
    audience: str,
    subject: str,
    access: Iterable[AccessEntry],
    now: datetime.datetime,
    lifetime: datetime.timedelta,
    asked: Iterable[AccessEntry] = (),
) -> IssuedToken:
    """A signed token granting `access`; `asked` (what the client asked for, when more
    than was granted) goes in the private claim ASKED_CLAIM, which distribution ignores
    and the front reads to tell a refused delete from a refused pull."""
    signer = keys.signer()
    assert signer.private_key is not None
    issued = now.replace(microsecond=0)
    expires = issued + lifetime
    jti = uuid.uuid4().hex
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "exp": int(expires.timestamp()),
        "nbf": int(issued.timestamp()),
        "iat": int(issued.timestamp()),
        "jti": jti,
        "access": [entry.to_json() for entry in access],
    }
    asked_entries = [entry.to_json() for entry in asked]
    if asked_entries:
        claims[ASKED_CLAIM] = asked_entries
    headers = {
        "kid": signer.kid,
        "x5c": [base64.b64encode(signer.certificate_der).decode("ascii")],
    }
    token = jwt.encode(claims, signer.private_key, algorithm=ALGORITHM, headers=headers)
    return IssuedToken(token, jti, issued, expires)


def _header(token: str) -> dict[str, Any]:
    if token.count(".") != 2:
        raise MalformedToken("not a compact JWS (three dot-separated parts)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as error:
        raise MalformedToken(f"unreadable header: {error}") from None
    return header


def _key_for(header: Mapping[str, Any], keys: KeyRing) -> TokenKey:
    named: list[TokenKey] = []
    kid = header.get("kid")
    if kid is not None:
        if not isinstance(kid, str):
            raise MalformedToken("kid is not a string")
        found = keys.find(kid)
        if found is None:
            raise UnknownKey(f"unknown signing key {kid}")
        named.append(found)
    chain = header.get("x5c")
    if chain is not None:
        if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
            raise MalformedToken("x5c is not a list of base64 certificates")
        try:
            leaf = base64.b64decode(chain[0], validate=True)
        except (binascii.Error, ValueError):
            raise MalformedToken("x5c certificate is not base64") from None
        found = keys.find_certificate(leaf)
        if found is None:
            raise UnknownKey("the x5c certificate is not one of the service's keys")
        named.append(found)
    if not named:
        raise UnknownKey("the token names no key (neither kid nor x5c)")
    if len(named) == 2 and named[0] is not named[1]:
        raise MalformedToken("kid and x5c name different keys")
    if named[0].retired:
        raise RetiredKey(f"signing key {named[0].kid} is retired")
    return named[0]


def _time(claims: Mapping[str, Any], name: str) -> datetime.datetime:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedToken(f"claim {name} is missing or not a number")
    try:
        return datetime.datetime.fromtimestamp(value, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedToken(f"claim {name} is out of range") from None


def _string(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str):
        raise MalformedToken(f"claim {name} is missing or not a string")
    return value


def _access(claims: Mapping[str, Any], claim: str = "access") -> tuple[AccessEntry, ...]:
    raw = claims.get(claim, [])
    if not isinstance(raw, list):
        raise MalformedToken(f"claim {claim} is not a list")
    entries = []
    for item in raw:
        if not isinstance(item, dict):
            raise MalformedToken("an access entry is not an object")
        kind, name, actions = item.get("type"), item.get("name"), item.get("actions")
        if (
            not isinstance(kind, str)
            or not isinstance(name, str)
            or not isinstance(actions, list)
            or not all(isinstance(action, str) for action in actions)
        ):
            raise MalformedToken("an access entry lacks type, name or actions")
        entries.append(AccessEntry(kind, name, tuple(actions)))
    return tuple(entries)


def verify_token(
    token: str,
    keys: KeyRing,
    *,
    audience: str,
    issuer: str,
    now: datetime.datetime,
    leeway: datetime.timedelta = datetime.timedelta(0),
) -> Claims:
    """The token's claims if it is one of ours and valid at `now`; else a `TokenError`."""
    header = _header(token)
    algorithm = header.get("alg")
    if algorithm != ALGORITHM:
        raise UnsupportedAlgorithm(f"algorithm {algorithm!r} is not accepted (only ES256)")
    key = _key_for(header, keys)
    try:
        claims = jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False, "verify_nbf": False, "verify_iat": False,
                "verify_aud": False, "verify_iss": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise BadSignature("the signature does not verify") from None
    except jwt.InvalidTokenError as error:
        raise MalformedToken(f"unreadable token: {error}") from None
    if not isinstance(claims, dict):
        raise MalformedToken("the claims are not a JSON object")
    token_issuer = _string(claims, "iss")
    if token_issuer != issuer:
        raise WrongIssuer(f"issuer {token_issuer!r} is not {issuer!r}")
    raw_audience = claims.get("aud")
    audiences = raw_audience if isinstance(raw_audience, list) else [raw_audience]
    if audience not in audiences:
        raise WrongAudience(f"audience {json.dumps(raw_audience)} is not {audience!r}")
    expires, not_before = _time(claims, "exp"), _time(claims, "nbf")
    issued_at = _time(claims, "iat")
    if now >= expires + leeway:
        raise Expired(f"expired at {expires.isoformat()}")
    if now + leeway < not_before or now + leeway < issued_at:
        raise NotYetValid(f"not valid before {max(not_before, issued_at).isoformat()}")
    return Claims(
        subject=_string(claims, "sub"),
        issuer=token_issuer,
        audience=audience,
        access=_access(claims),
        asked=_access(claims, ASKED_CLAIM),
        jti=_string(claims, "jti"),
        issued_at=issued_at,
        not_before=not_before,
        expires_at=expires,
        key_id=key.kid,
    )

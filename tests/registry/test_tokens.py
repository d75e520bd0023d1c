"""tenlayer's own token verifier: every refusal has its own error type."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tenlayer.registry.keys import KeyRing, TokenKey, libtrust_kid, load_key, write_key
from tenlayer.registry.tokens import (
    AccessEntry,
    BadSignature,
    Expired,
    MalformedToken,
    NotYetValid,
    RetiredKey,
    UnknownKey,
    UnsupportedAlgorithm,
    WrongAudience,
    WrongIssuer,
    issue_token,
    verify_token,
)

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
LIFETIME = datetime.timedelta(minutes=5)
ACCESS = (AccessEntry("repository", "team/app", ("pull",)),)


def make_key(tmp_path: Path, name: str) -> TokenKey:
    key_path, cert_path = write_key(tmp_path / name, name)
    return load_key(cert_path, key_path)


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing((make_key(tmp_path, "k1"),))


def issue(ring: KeyRing, *, now: datetime.datetime = NOW, audience: str = "reg") -> str:
    return issue_token(
        ring, issuer="tl", audience=audience, subject="alice", access=ACCESS, now=now,
        lifetime=LIFETIME,
    ).token


def verify(token: str, ring: KeyRing, now: datetime.datetime = NOW) -> object:
    return verify_token(token, ring, audience="reg", issuer="tl", now=now)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, object], claims: dict[str, object], signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(signature)


def good_claims() -> dict[str, object]:
    stamp = int(NOW.timestamp())
    return {
        "iss": "tl", "sub": "alice", "aud": "reg", "iat": stamp, "nbf": stamp,
        "exp": stamp + 300, "jti": "x", "access": [a.to_json() for a in ACCESS],
    }


def test_round_trip(ring: KeyRing) -> None:
    claims = verify_token(issue(ring), ring, audience="reg", issuer="tl", now=NOW)
    assert claims.subject == "alice"
    assert claims.access == ACCESS
    assert claims.expires_at == NOW + LIFETIME
    assert claims.allows("repository", "team/app", "pull")
    assert not claims.allows("repository", "team/app", "push")
    header = jwt.get_unverified_header(issue(ring))
    assert header["alg"] == "ES256" and header["kid"] == ring.keys[0].kid
    assert base64.b64decode(header["x5c"][0]) == ring.keys[0].certificate_der


def test_kid_is_libtrusts_format(ring: KeyRing) -> None:
    kid = ring.keys[0].kid
    groups = kid.split(":")
    assert len(groups) == 12 and all(len(g) == 4 for g in groups)
    der = ring.keys[0].public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    assert kid.replace(":", "") == expected == libtrust_kid(ring.keys[0].public_key).replace(
        ":", "")


def test_alg_none_refused(ring: KeyRing) -> None:
    token = forge({"alg": "none", "kid": ring.keys[0].kid}, good_claims())
    with pytest.raises(UnsupportedAlgorithm):
        verify(token, ring)


def test_hs256_keyed_with_the_public_key_refused(ring: KeyRing) -> None:
    for public in (ring.keys[0].certificate_pem, ring.keys[0].public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )):
        header = {"alg": "HS256", "typ": "JWT", "kid": ring.keys[0].kid}
        unsigned = forge(header, good_claims()).rsplit(".", 1)[0]
        mac = hmac.new(public, unsigned.encode(), hashlib.sha256).digest()
        with pytest.raises(UnsupportedAlgorithm):
            verify(unsigned + "." + b64(mac), ring)


def test_expired_and_not_yet_valid(ring: KeyRing) -> None:
    token = issue(ring)
    with pytest.raises(Expired):
        verify(token, ring, NOW + LIFETIME)
    with pytest.raises(NotYetValid):
        verify(token, ring, NOW - datetime.timedelta(seconds=1))
    assert verify(token, ring, NOW + LIFETIME - datetime.timedelta(seconds=1))


def test_other_audience_or_issuer(ring: KeyRing) -> None:
    with pytest.raises(WrongAudience):
        verify(issue(ring, audience="other"), ring)
    with pytest.raises(WrongIssuer):
        verify_token(issue(ring), ring, audience="reg", issuer="someone", now=NOW)


def test_unknown_key(ring: KeyRing, tmp_path: Path) -> None:
    stranger = KeyRing((make_key(tmp_path, "stranger"),))
    with pytest.raises(UnknownKey):
        verify(issue(stranger), ring)
    # the stranger's token with our kid: the signature does not verify
    token = issue(stranger)
    _header, claims, signature = token.split(".")
    ours = {"alg": "ES256", "kid": ring.keys[0].kid}
    with pytest.raises(BadSignature):
        verify(b64(json.dumps(ours).encode()) + "." + claims + "." + signature, ring)
    with pytest.raises(UnknownKey):
        verify(forge({"alg": "ES256"}, good_claims(), b"x" * 64), ring)


def test_rotation_and_retired_key(tmp_path: Path) -> None:
    old = make_key(tmp_path, "old")
    new_cert = make_key(tmp_path, "new")
    ring = KeyRing((old,))
    before = issue(ring)
    rotated = KeyRing((old, new_cert))
    assert rotated.signer() is new_cert  # the newest signs
    after = issue(rotated)
    assert jwt.get_unverified_header(after)["kid"] == new_cert.kid
    assert verify(before, rotated) and verify(after, rotated)  # both verify during rotation
    assert rotated.bundle_pem() == old.certificate_pem + new_cert.certificate_pem
    retired = KeyRing((TokenKey(old.kid, old.certificate, None, retired=True), new_cert))
    with pytest.raises(RetiredKey):
        verify(before, retired)
    assert verify(after, retired)
    assert retired.bundle_pem() == new_cert.certificate_pem


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "!!!.e30.", "e30.e30.", b64(b'{"alg":"ES256"').join("..")],
)
def test_malformed(ring: KeyRing, token: str) -> None:
    with pytest.raises((MalformedToken, UnsupportedAlgorithm, UnknownKey)):
        verify(token, ring)


def test_malformed_claims(ring: KeyRing) -> None:
    signer = ring.keys[0]
    assert signer.private_key is not None
    for change in ({"exp": "soon"}, {"access": "all"}, {"sub": None}, {"access": [{"x": 1}]}):
        claims = {**good_claims(), **change}
        token = jwt.encode(claims, signer.private_key, algorithm="ES256",
                           headers={"kid": signer.kid})
        with pytest.raises(MalformedToken):
            verify(token, ring)


def test_kid_and_x5c_must_agree(ring: KeyRing, tmp_path: Path) -> None:
    other = make_key(tmp_path, "other")
    both = KeyRing((ring.keys[0], other))
    signer = ring.keys[0]
    assert signer.private_key is not None
    header = {"kid": signer.kid, "x5c": [base64.b64encode(other.certificate_der).decode()]}
    token = jwt.encode(good_claims(), signer.private_key, algorithm="ES256", headers=header)
    with pytest.raises(MalformedToken):
        verify(token, both)


def test_pending_key_is_trusted_but_does_not_sign(tmp_path: Path) -> None:
    old = make_key(tmp_path, "old")
    new = make_key(tmp_path, "new")
    staged = KeyRing((old, TokenKey(new.kid, new.certificate, new.private_key, pending=True)))
    assert staged.signer() is old
    assert staged.bundle_pem() == old.certificate_pem + new.certificate_pem
    assert verify(issue(KeyRing((new,))), staged)

"""The front's token verifier follows key rotation without a restart."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.registry.front.identity import ReloadingVerifier
from tenlayer.registry.keys import KeyRing, load_key, write_key
from tenlayer.registry.tokens import TokenError, issue_token

AUDIENCE, ISSUER = "tenlayer-registry", "tenlayer-issuer"


def ring(directory: Path) -> KeyRing:
    key_path, cert_path = write_key(directory, ISSUER)
    return KeyRing((load_key(cert_path, key_path),))


def token(keys: KeyRing, subject: str) -> str:
    return issue_token(keys, issuer=ISSUER, audience=AUDIENCE, subject=subject, access=[],
                       now=datetime.datetime.now(datetime.UTC),
                       lifetime=datetime.timedelta(minutes=5)).token


def test_a_token_of_a_newly_added_key_verifies_after_a_reload(tmp_path: Path) -> None:
    old, new = ring(tmp_path / "old"), ring(tmp_path / "new")
    configured: list[KeyRing | Exception] = [old]
    clock = [100.0]

    def load() -> KeyRing:
        current = configured[-1]
        if isinstance(current, Exception):
            raise current
        return current

    verify = ReloadingVerifier(load, audience=AUDIENCE, issuer=ISSUER, interval=2.0,
                               monotonic=lambda: clock[0])
    assert verify(token(old, "alice")).subject == "alice"
    configured.append(KeyRing(old.keys + new.keys))  # rotation: the new key is added
    clock[0] += 0.5
    with pytest.raises(TokenError):  # read again at most every two seconds
        verify(token(new, "bob"))
    clock[0] += 2.0
    assert verify(token(new, "bob")).subject == "bob"
    configured.append(BadInput("config.yml: not valid YAML at line 2"))
    clock[0] += 5.0
    with pytest.raises(TokenError):
        verify("not.a.token")
    assert verify(token(old, "alice")).subject == "alice"  # the last good ring is kept
    assert verify(token(new, "bob")).subject == "bob"


def test_a_key_marked_retired_stops_counting_when_the_configuration_changes(
    tmp_path: Path,
) -> None:
    key_path, cert_path = write_key(tmp_path / "old", ISSUER)
    old = KeyRing((load_key(cert_path, key_path),))
    new = ring(tmp_path / "new")
    retired = KeyRing((load_key(cert_path, key_path, retired=True), *new.keys))
    configured, stamp, clock = [old], [1], [100.0]
    verify = ReloadingVerifier(lambda: configured[-1], audience=AUDIENCE, issuer=ISSUER,
                               interval=2.0, monotonic=lambda: clock[0],
                               stamp=lambda: stamp[-1])
    before = token(old, "alice")
    assert verify(before).subject == "alice"
    configured.append(retired)
    stamp.append(2)
    assert verify(before).subject == "alice"  # the change is seen at the next check
    clock[0] += 2.5
    with pytest.raises(TokenError) as raised:
        verify(before)
    assert "retired" in str(raised.value)
    assert verify(token(new, "bob")).subject == "bob"

"""The store's login path: the verified-credentials cache never outlives what it cached."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from tenlayer.registry import store as store_module
from tenlayer.registry.access import Principal
from tenlayer.registry.store import Expired, Store, VerifiedCache

NOW = datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_second_login_skips_the_kdf(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add_user("alice", "first password")
    calls = []
    real = store_module.verify_secret

    def counting(secret: str, stored: str | None) -> bool:
        calls.append(secret)
        return real(secret, stored)

    monkeypatch.setattr(store_module, "verify_secret", counting)
    assert store.authenticate("alice", "first password", now=NOW) == Principal("alice", "user")
    assert store.authenticate("alice", "first password", now=NOW) is not None
    assert len(calls) == 1
    assert store.authenticate("alice", "wrong password", now=NOW) is None
    assert store.authenticate("nobody", "first password", now=NOW) is None
    assert len(calls) == 3  # failures always run the KDF


def test_cache_does_not_outlive_the_account(store: Store) -> None:
    store.add_user("alice", "first password")
    assert store.authenticate("alice", "first password", now=NOW)
    store.remove_user("alice")
    assert store.authenticate("alice", "first password", now=NOW) is None
    store.add_user("alice", "other password")  # same name, new hash
    assert store.authenticate("alice", "first password", now=NOW) is None
    assert store.authenticate("alice", "other password", now=NOW)


def test_cache_expires_and_is_bounded() -> None:
    from tenlayer.registry.passwords import hash_secret

    stored = hash_secret("a password")
    cache = VerifiedCache(ttl=0.05, size=2)
    assert cache.verify("a", "a password", stored)
    time.sleep(0.06)
    assert cache.verify("a", "a password", stored)  # re-verified with the KDF
    for name in ("b", "c", "d"):
        assert cache.verify(name, "a password", stored)
    assert len(cache._entries) <= 2


def test_robot_expiry_checked_even_when_cached(store: Store) -> None:
    store.add_project("team")
    robot = store.add_robot("ci", {"team": ["pull"]},
                            expires_at=NOW + datetime.timedelta(minutes=1))
    assert store.authenticate("robot$ci", robot.secret, now=NOW)
    later = NOW + datetime.timedelta(minutes=1)
    with pytest.raises(Expired) as raised:
        store.authenticate("robot$ci", robot.secret, now=later)
    assert str(raised.value) == "robot$ci: the robot's secret expired at 2026-11-26T00:01:00+00:00"
    assert store.authenticate("robot$ci", "a guess", now=later) is None

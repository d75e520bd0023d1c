"""The login throttle under concurrency: attempts in flight count until they end, so guesses
sent together cannot outrun the lock (a password check takes ~50 ms)."""

from __future__ import annotations

from tenlayer.registry.throttle import Throttle, ThrottlePolicy

KEYS = ["account:dev", "client:10.0.0.9"]


def test_at_most_the_free_attempts_are_in_flight_at_once() -> None:
    throttle = Throttle(ThrottlePolicy(free=3, base=2, cap=60, free_per_client=3))
    assert [throttle.begin(KEYS, 0.0) for _ in range(3)] == [None, None, None]
    assert throttle.begin(KEYS, 0.0) == 2  # a fourth guess waits for the three to end
    for _ in range(3):
        throttle.end(KEYS, 0.1, succeeded=False)
    assert throttle.begin(KEYS, 0.2) is None  # the budget is spent: one at a time from now
    assert throttle.begin(KEYS, 0.2) == 2
    throttle.end(KEYS, 0.3, succeeded=False)  # the fourth failure locks for base seconds
    assert throttle.begin(KEYS, 0.4) == 2
    assert throttle.begin(KEYS, 2.4) is None


def test_a_success_clears_the_account_not_the_client() -> None:
    throttle = Throttle(ThrottlePolicy(free=1, base=1, cap=60, free_per_client=1))
    assert throttle.begin(KEYS, 0.0) is None
    throttle.end(KEYS, 0.0, succeeded=False)
    assert throttle.begin(KEYS, 0.0) is None
    throttle.end(KEYS, 0.0, succeeded=True)
    other_account = ["account:ops", KEYS[1]]
    assert throttle.begin(other_account, 0.0) is None  # the client's failure is remembered
    throttle.end(other_account, 0.0, succeeded=False)  # second failure of the client: locked
    assert throttle.begin(other_account, 0.5) == 1
    assert throttle.begin(["account:dev", "client:10.0.0.10"], 0.5) is None


def test_attempts_beyond_the_room_wait_their_turn() -> None:
    """Right passwords sent together queue rather than fail: the fourth waits until one of
    three in flight ends; a lock that falls meanwhile still answers it with the wait."""
    import threading

    throttle = Throttle(ThrottlePolicy(free=3, base=2, cap=60, free_per_client=3))
    assert [throttle.begin(KEYS, 0.0) for _ in range(3)] == [None, None, None]
    answers: list[int | None] = []
    waiting = threading.Thread(target=lambda: answers.append(
        throttle.begin(KEYS, 0.0, patience=5.0)))
    waiting.start()
    waiting.join(0.2)
    assert waiting.is_alive() and answers == []
    throttle.end(KEYS, 0.1, succeeded=True)
    waiting.join(5)
    assert answers == [None]
    # with no patience, or when it runs out, the answer is the base wait
    assert throttle.begin(KEYS, 0.2) == 2
    assert throttle.begin(KEYS, 0.2, patience=0.05) == 2


def test_an_address_has_more_free_failures_than_an_account() -> None:
    """Many people behind one address (an office, a CI fleet) each mistype now and then:
    the address is locked only after `free_per_client` failures, an account after `free`."""
    throttle = Throttle(ThrottlePolicy(free=2, base=1, cap=60, free_per_client=6))
    for name in ("ann", "bob", "cid"):
        for _ in range(2):
            keys = [f"account:{name}", "client:10.0.0.9"]
            assert throttle.begin(keys, 0.0) is None
            throttle.end(keys, 0.0, succeeded=False)
    assert throttle.begin(["account:ann", "client:10.0.0.9"], 0.0) is None  # ann's 3rd
    throttle.end(["account:ann", "client:10.0.0.9"], 0.0, succeeded=False)
    assert throttle.begin(["account:ann", "client:10.0.0.10"], 0.5) == 1  # ann is locked
    assert throttle.begin(["account:dan", "client:10.0.0.9"], 0.5) == 1  # so is the address
    assert throttle.begin(["account:dan", "client:10.0.0.10"], 0.5) is None

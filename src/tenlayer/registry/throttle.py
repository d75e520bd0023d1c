"""Password-guessing throttle: exponential back-off per account and per client address.

The first `free` failures of an account (`free_per_client` of a client address: one address
may be a whole office or CI fleet behind NAT, each with the odd typo) cost nothing; after
that each failure locks the key for `base * 2**(failures - free - 1)` seconds, at most
`cap`. A locked key is answered 429 with
Retry-After before any password is checked. A success clears the account's count (not the
client's: one right password must not let a client keep guessing other accounts for free).
Counts are forgotten after `cap` seconds without failures.

Checking a password takes ~50 ms (scrypt), so many guesses can be in flight at once: an
attempt is reserved before the check (`begin`) and counts as a failure until it ends (`end`).
No more attempts per key are in flight than it has free failures left (one at a time beyond
them), so concurrent guesses cannot outrun the lock; further attempts wait their turn.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    free: int = 5
    base: float = 1.0
    cap: float = 300.0
    free_per_client: int = 20

    def free_for(self, key: str) -> int:
        """Free failures of a throttle key (`account:NAME` or `client:ADDRESS`)."""
        return self.free_per_client if key.startswith("client:") else self.free


@dataclass
class _Entry:
    failures: int
    locked_until: float
    last: float
    in_flight: int = 0


class Throttle:
    def __init__(self, policy: ThrottlePolicy) -> None:
        self.policy = policy
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def retry_after(self, keys: list[str], now: float) -> int | None:
        """Seconds to wait when any key is locked at `now` (monotonic seconds)."""
        with self._lock:
            waits = [
                entry.locked_until - now
                for key in keys
                if (entry := self._entries.get(key)) is not None and entry.locked_until > now
            ]
        return max(1, math.ceil(max(waits))) if waits else None

    def begin(self, keys: list[str], now: float, *, patience: float = 0.0) -> int | None:
        """Reserve an attempt for `keys`: None to go on (then `end` it), or seconds to wait.

        No more attempts are in flight for a key than it has free failures left (one at a
        time once they are spent). An attempt beyond that waits up to `patience` seconds
        for one to end, rather than being refused: many right passwords at once (a CI
        fleet signing in together) only queue, while guesses sent together still cannot
        outrun the lock."""
        started = time.monotonic()
        elapsed = 0.0  # waited so far: `now` moves on by as much
        with self._changed:
            while True:
                moment = now + elapsed
                self._forget(moment)
                waits = [entry.locked_until - moment for key in keys
                         if (entry := self._entries.get(key)) is not None
                         and entry.locked_until > moment]
                if waits:
                    return max(1, math.ceil(max(waits)))
                entries = [self._entries.setdefault(key, _Entry(0, 0.0, moment))
                           for key in keys]
                if all(entry.in_flight < self._room(key, entry)
                       for key, entry in zip(keys, entries, strict=True)):
                    for entry in entries:
                        entry.in_flight += 1
                    return None
                if elapsed >= patience:
                    return max(1, math.ceil(self.policy.base))
                self._changed.wait(patience - elapsed)
                elapsed = time.monotonic() - started

    def _room(self, key: str, entry: _Entry) -> int:
        """How many attempts of a key may be in flight at once."""
        return max(1, self.policy.free_for(key) - entry.failures)

    def end(self, keys: list[str], now: float, *, succeeded: bool) -> None:
        """The reserved attempt's outcome: a success clears the account (`keys[0]`)."""
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None and entry.in_flight:
                    entry.in_flight -= 1
            self._changed.notify_all()
        if succeeded:
            self.success(keys[0])
        else:
            self.failure(keys, now)

    def failure(self, keys: list[str], now: float) -> None:
        with self._lock:
            self._forget(now)
            for key in keys:
                entry = self._entries.setdefault(key, _Entry(0, 0.0, now))
                entry.failures += 1
                entry.last = now
                over = entry.failures - self.policy.free_for(key)
                if over > 0:
                    delay = min(self.policy.cap, self.policy.base * 2.0 ** min(over - 1, 60))
                    entry.locked_until = now + delay

    def success(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _forget(self, now: float) -> None:
        stale = [
            key for key, entry in self._entries.items()
            if entry.locked_until <= now and now - entry.last > self.policy.cap
            and not entry.in_flight
        ]
        for key in stale:
            del self._entries[key]

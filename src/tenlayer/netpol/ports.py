"""Connection sets: for each protocol, the set of ports allowed, as sorted disjoint ranges.

netpol-analyzer prints `All Connections` when every port of TCP, UDP and SCTP is allowed,
and otherwise `SCTP 1-9002,9004-65535,TCP 80,UDP 53` (protocols in name order, each with its
ranges), which `ConnectionSet.text` reproduces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PROTOCOLS = ("SCTP", "TCP", "UDP")
MIN_PORT = 1
MAX_PORT = 65535

Ranges = tuple[tuple[int, int], ...]
"""Sorted, disjoint, non-adjacent inclusive ranges."""

_FULL: Ranges = ((MIN_PORT, MAX_PORT),)


def normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if start > end:
            continue
        if merged and start <= merged[-1][1] + 1:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def intersect_ranges(left: Ranges, right: Ranges) -> Ranges:
    result: list[tuple[int, int]] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start <= end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(result)


def subtract_ranges(left: Ranges, right: Ranges) -> Ranges:
    result: list[tuple[int, int]] = []
    for start, end in left:
        current = start
        for r_start, r_end in right:
            if r_end < current or r_start > end:
                continue
            if r_start > current:
                result.append((current, r_start - 1))
            current = max(current, r_end + 1)
            if current > end:
                break
        if current <= end:
            result.append((current, end))
    return tuple(result)


@dataclass(frozen=True, slots=True)
class ConnectionSet:
    """Allowed (protocol, port) pairs. `ports` maps each protocol with any port to its ranges."""

    ports: tuple[tuple[str, Ranges], ...] = ()

    @staticmethod
    def all() -> ConnectionSet:
        return ALL

    @staticmethod
    def of(protocol: str, ranges: Iterable[tuple[int, int]]) -> ConnectionSet:
        return ConnectionSet._from({protocol: normalize(ranges)})

    @staticmethod
    def _from(mapping: Mapping[str, Ranges]) -> ConnectionSet:
        return ConnectionSet(tuple((p, mapping[p]) for p in PROTOCOLS if mapping.get(p)))

    def _map(self) -> dict[str, Ranges]:
        return dict(self.ports)

    @property
    def is_empty(self) -> bool:
        return not self.ports

    @property
    def is_all(self) -> bool:
        return self.ports == _ALL_PORTS

    def union(self, other: ConnectionSet) -> ConnectionSet:
        if not other.ports or self.ports == _ALL_PORTS or self.ports == other.ports:
            return self
        if not self.ports or other.ports == _ALL_PORTS:
            return other
        mine, theirs = self._map(), other._map()
        return ConnectionSet._from(
            {p: normalize((*mine.get(p, ()), *theirs.get(p, ()))) for p in PROTOCOLS}
        )

    def intersection(self, other: ConnectionSet) -> ConnectionSet:
        if self.ports == _ALL_PORTS or self.ports == other.ports:
            return other
        if other.ports == _ALL_PORTS:
            return self
        mine, theirs = self._map(), other._map()
        return ConnectionSet._from(
            {p: intersect_ranges(mine.get(p, ()), theirs.get(p, ())) for p in PROTOCOLS}
        )

    def subtract(self, other: ConnectionSet) -> ConnectionSet:
        if other.is_empty:
            return self
        mine, theirs = self._map(), other._map()
        return ConnectionSet._from(
            {p: subtract_ranges(mine.get(p, ()), theirs.get(p, ())) for p in PROTOCOLS}
        )

    def text(self) -> str:
        """netpol-analyzer's wording: `All Connections`, `No Connections` or per protocol."""
        if self.is_all:
            return "All Connections"
        if self.is_empty:
            return "No Connections"
        return ",".join(
            f"{protocol} " + ",".join(_range_text(r) for r in ranges)
            for protocol, ranges in self.ports
        )


def _range_text(bounds: tuple[int, int]) -> str:
    start, end = bounds
    return str(start) if start == end else f"{start}-{end}"


_ALL_PORTS = tuple((p, _FULL) for p in PROTOCOLS)
ALL = ConnectionSet(_ALL_PORTS)
NONE = ConnectionSet()


def union_of(sets: Iterable[ConnectionSet]) -> ConnectionSet:
    """The union of connection sets (NONE for none)."""
    result = NONE
    for each in sets:
        result = result.union(each)
    return result

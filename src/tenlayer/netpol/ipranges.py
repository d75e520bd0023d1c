"""IPv4 address sets as sorted intervals, and the external peers they split the space into.

netpol-analyzer splits 0.0.0.0-255.255.255.255 at every boundary of every ipBlock (and
AdminNetworkPolicy network) that policies name, and reports each resulting interval as its own
peer (`10.0.0.0-10.255.255.255[External]`). Peers for sources come from ingress rules and
peers for destinations from egress rules.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tenlayer.errors import BadInput
from tenlayer.netpol.ports import intersect_ranges, normalize, subtract_ranges

MAX_IPV4 = (1 << 32) - 1

Intervals = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class IPSet:
    """A set of IPv4 addresses (IPv6 blocks are not analysed, as in netpol-analyzer)."""

    intervals: Intervals = ()

    def contains(self, interval: tuple[int, int]) -> bool:
        """Whether the whole interval is inside the set."""
        return intersect_ranges(self.intervals, (interval,)) == (interval,)


def parse_cidr(text: object, where: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if not isinstance(text, str):
        raise BadInput(f"{where}: CIDR {text!r} is not a string")
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise BadInput(f"{where}: invalid CIDR address {text!r}") from None


def _interval(network: ipaddress.IPv4Network) -> tuple[int, int]:
    return int(network.network_address), int(network.broadcast_address)


def ip_block(cidr: object, excepts: Sequence[object], where: str) -> IPSet:
    """`cidr` minus `except` (an IPv6 block is empty here: only IPv4 is analysed)."""
    network = parse_cidr(cidr, where)
    removed = [parse_cidr(e, where) for e in excepts]
    if not isinstance(network, ipaddress.IPv4Network):
        return IPSet()
    holes = normalize(_interval(e) for e in removed if isinstance(e, ipaddress.IPv4Network))
    return IPSet(subtract_ranges((_interval(network),), holes))


def cidr_set(texts: Iterable[object], where: str) -> IPSet:
    """The union of CIDRs (AdminNetworkPolicy `networks`)."""
    intervals = []
    for text in texts:
        network = parse_cidr(text, where)
        if isinstance(network, ipaddress.IPv4Network):
            intervals.append(_interval(network))
    return IPSet(normalize(intervals))


def split_points(sets: Iterable[IPSet]) -> tuple[tuple[int, int], ...]:
    """0.0.0.0-255.255.255.255 cut at every boundary of every set: the external peers."""
    cuts = {0, MAX_IPV4 + 1}
    for ip_set in sets:
        for start, end in ip_set.intervals:
            cuts.add(start)
            cuts.add(end + 1)
    ordered = sorted(cuts)
    return tuple((a, b - 1) for a, b in itertools.pairwise(ordered))


def interval_text(interval: tuple[int, int]) -> str:
    start, end = interval
    return f"{ipaddress.IPv4Address(start)}-{ipaddress.IPv4Address(end)}"

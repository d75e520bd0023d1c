"""Shared by the feed tests: where the real samples are, and reading a feed in full."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from tenlayer.vulndb.records import Advisory, Affected, EventKind, MalformedRecord

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "distro-feeds"
"""Real samples of each feed (anchore/vunnel's test fixtures, Apache-2.0), never copied."""


def samples(*parts: str) -> Path:
    """A path under the samples, or skip the test saying why."""
    path = SAMPLES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the distro-feed samples live in ../shared/data")
    return path


def read(
    reader: Callable[[Path], Iterator[object]], path: Path
) -> tuple[list[Advisory], list[MalformedRecord]]:
    """Everything a reader yields, split; a reader must never raise."""
    advisories: list[Advisory] = []
    problems: list[MalformedRecord] = []
    for item in reader(path):
        if isinstance(item, Advisory):
            advisories.append(item)
        else:
            assert isinstance(item, MalformedRecord), item
            problems.append(item)
    return advisories, problems


def by_id(advisories: Iterable[Advisory]) -> dict[str, Advisory]:
    found: dict[str, Advisory] = {}
    for advisory in advisories:
        assert advisory.id not in found, f"{advisory.id} yielded twice"
        found[advisory.id] = advisory
    return found


def shape(affected: Affected) -> tuple[str, str, tuple[tuple[str, str], ...], str | None]:
    """(ecosystem, name, events, state): what a test states about one entry."""
    events = tuple((e.kind.value, e.version) for r in affected.ranges for e in r.events)
    return affected.ecosystem, affected.name, events, affected.state and affected.state.value


def fixed_in(affected: Affected) -> str | None:
    return next(
        (e.version for r in affected.ranges for e in r.events if e.kind is EventKind.FIXED),
        None,
    )

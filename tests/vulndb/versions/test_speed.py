"""A floor under each scheme's speed, far below what it measures (bench_versions.py), so that
a regression that would starve the matcher (>= 50,000 package lookups a second) shows."""

from __future__ import annotations

import random
import sys
import time
from typing import Any

import pytest

from tenlayer.vulndb.versions import SCHEMES, get_scheme
from tests.vulndb.versions.bench_versions import CORPORA

COUNT = 20_000
FLOOR = 25_000  # uncached keys a second; measured: 100,000-500,000 depending on the scheme


@pytest.mark.parametrize("name", SCHEMES)
def test_keys_and_comparisons_are_fast(name: str) -> None:
    corpus = CORPORA[name](random.Random(1), COUNT)
    scheme = get_scheme(name)
    parse: Any = sys.modules[f"tenlayer.vulndb.versions.{name}"].key.__wrapped__
    start = time.perf_counter()
    keys = [parse(version) for version in corpus]
    parsed = time.perf_counter() - start
    start = time.perf_counter()
    for a, b in zip(keys, reversed(keys), strict=True):
        _ = a < b
    compared = time.perf_counter() - start
    assert COUNT / parsed > FLOOR, f"{name}: {COUNT / parsed:,.0f} keys/s"
    assert COUNT / compared > 10 * FLOOR, f"{name}: {COUNT / compared:,.0f} comparisons/s"
    assert scheme.compare(corpus[0], corpus[0]) == 0

"""Version-scheme tests: hypothesis settings, and a summary line per oracle."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.vulndb.versions import oracles

# Each oracle test draws this many batches of 20-60 pairs (about 40 pairs a batch).
settings.register_profile(
    "oracle",
    max_examples=int(os.environ.get("TENLAYER_ORACLE_BATCHES", "100")),
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not oracles.TALLY:
        return
    terminalreporter.section("version oracles")
    for name, (pairs, bad) in sorted(oracles.TALLY.items()):
        terminalreporter.write_line(f"{name}: {pairs} pairs compared, {bad} disagreements")


def oracle(name: str) -> oracles.Oracle:
    """The named oracle, or a skip that says what is missing."""
    try:
        return oracles.start(name)
    except oracles.OracleUnavailable as missing:
        pytest.skip(f"{name} oracle unavailable: {missing}")


@pytest.fixture(scope="session")
def dpkg_oracle() -> oracles.Oracle:
    return oracle("dpkg")


@pytest.fixture(scope="session")
def rpm_oracle() -> oracles.Oracle:
    return oracle("rpm")


@pytest.fixture(scope="session")
def maven_oracle() -> oracles.Oracle:
    return oracle("maven")


@pytest.fixture(scope="session")
def semver_oracle() -> oracles.Oracle:
    return oracle("semver")

"""Pass rates of the conformance suites, printed at the end of every pytest run.

A conformance test records how many cases of a data set agreed; `pytest_terminal_summary`
in tests/conftest.py prints one line per suite, so CI's log shows the rate even when every
case passes (and the test itself still fails on any disagreement).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SuiteResult:
    name: str
    passed: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)
    note: str = ""
    """Printed under the rate: what the total counts, when that is not plain."""

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 0.0


RESULTS: dict[str, SuiteResult] = {}


def record(name: str, *, passed: int, total: int, failures: list[str] | None = None,
           note: str = "") -> None:
    RESULTS[name] = SuiteResult(name, passed, total, list(failures or []), note)

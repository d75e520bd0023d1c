"""Repository-wide pytest hooks."""

from __future__ import annotations

from typing import Any

from tests import conformance


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not conformance.RESULTS:
        return
    terminalreporter.section("conformance pass rates")
    for result in sorted(conformance.RESULTS.values(), key=lambda r: r.name):
        terminalreporter.write_line(
            f"{result.name}: {result.passed}/{result.total} agree ({result.rate:.2f}%)"
        )
        if result.note:
            terminalreporter.write_line(f"    note: {result.note}")
        for failure in result.failures[:10]:
            terminalreporter.write_line(f"    disagrees: {failure}")

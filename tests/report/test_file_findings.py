"""The findings table of k8s check, k8s netpol and dockerfile lint, and its plain form for
very many findings."""

from __future__ import annotations

from tenlayer.model import Finding, Layer, Severity
from tenlayer.report.file_findings import TABLE_AT_MOST, print_findings
from tenlayer.report.table import console_for


def finding(number: int) -> Finding:
    return Finding("network/cross-tenant", Layer.NETWORK, Severity.HIGH,
                   f"namespace a{number} is reachable from b", f"Namespace/a{number}",
                   file="ns.yaml", line=number)


def test_few_findings_are_an_aligned_table() -> None:
    console, buffer = console_for(200, False)
    print_findings(console, [finding(1), finding(22)])
    assert [line.rstrip() for line in buffer.getvalue().splitlines()] == [
        "Severity  Check                 Object         Where       Title",
        "HIGH      network/cross-tenant  Namespace/a1   ns.yaml:1   namespace a1 is reachable "
        "from b",
        "HIGH      network/cross-tenant  Namespace/a22  ns.yaml:22  namespace a22 is reachable "
        "from b",
    ]


def test_very_many_findings_are_one_plain_line_each() -> None:
    console, buffer = console_for(80, False)
    print_findings(console, [finding(n) for n in range(TABLE_AT_MOST + 1)])
    lines = buffer.getvalue().splitlines()
    assert len(lines) == TABLE_AT_MOST + 1
    assert lines[7] == ("HIGH  network/cross-tenant  Namespace/a7  ns.yaml:7  namespace a7 is "
                        "reachable from b")  # never folded, whatever the width

"""The findings table of reports about files (`k8s check`, `dockerfile lint`): severity,
check, object, where (file:line and the field or instruction), title."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenlayer.model import Finding
from tenlayer.report.table import severity_markup

if TYPE_CHECKING:
    from rich.console import Console


TABLE_AT_MOST = 2000
"""Above this many findings the report is one line per finding, not an aligned table: rich
lays a table out by measuring every cell (~60,000 findings took 20 s); the columns are the
same, separated by two spaces."""


def print_findings(console: Console, findings: list[Finding]) -> None:
    from rich.table import Table
    from rich.text import Text

    if not findings:
        return
    if len(findings) > TABLE_AT_MOST:
        lines = Text(no_wrap=True)
        for found in findings:
            lines.append_text(severity_markup(found.severity))
            lines.append(f"  {found.check_id}  {found.subject}  {where(found)}  {found.title}\n")
        console.print(lines, soft_wrap=True, end="")
        return
    table = Table(show_edge=False, box=None, header_style="bold", pad_edge=False)
    for column in ("Severity", "Check", "Object", "Where", "Title"):
        table.add_column(column, overflow="fold")
    for found in findings:
        table.add_row(
            severity_markup(found.severity), found.check_id, found.subject, where(found),
            found.title,
        )
    console.print(table)


def where(found: Finding) -> str:
    place = f"{found.file}:{found.line}" if found.line else found.file
    return f"{place} {found.location}".strip()

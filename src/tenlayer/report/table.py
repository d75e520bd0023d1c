"""Human-readable tables (rich), written for a terminal or a pager."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tenlayer.checks.catalogue import Check
from tenlayer.model import Finding, Inventory, Severity, VulnerabilityMatch
from tenlayer.scan.findings import CHECK_ID as VULNERABLE_PACKAGE
from tenlayer.scan.result import ScanResult

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
    Severity.UNKNOWN: "dim",
}


def severity_markup(severity: Severity) -> Text:
    """The severity's name in its colour (a `Text`: tables take no markup, see console_for)."""
    return Text(severity.name, style=_SEVERITY_STYLE[severity])


def console_for(width: int | None, color: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    # Piped: wide enough that no line is folded for grep. No markup: every string printed
    # may hold text from the input (a hostPath "/srv/[/bold]", a file named "[red]x"), which
    # rich would otherwise read as markup, drop or choke on; colour comes from Text styles.
    console = Console(
        file=buffer, width=width or 4096, force_terminal=color, no_color=not color,
        soft_wrap=False, markup=False,
    )
    return console, buffer


def render_inventory(
    inventory: Inventory, findings: list[Finding], *, width: int | None = None, color: bool = False
) -> bytes:
    console, buffer = console_for(width, color)
    _print_image_header(console, inventory)
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in ("Name", "Version", "Type", "Layer", "Found in"):
        table.add_column(column, overflow="fold")
    for package in inventory.packages:
        location = f"/{package.found_in}"
        if package.owned_by:
            location += f" (owned by {package.owned_by})"
        layer = "" if package.layer_index is None else str(package.layer_index)
        table.add_row(package.name, package.version, package.ecosystem.value, layer, location)
    console.print(table)
    counts: dict[str, int] = {}
    for package in inventory.packages:
        counts[package.ecosystem.value] = counts.get(package.ecosystem.value, 0) + 1
    summary = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
    console.print(f"{len(inventory.packages)} packages" + (f" ({summary})" if summary else ""))
    if findings:
        console.print(render_findings_table(findings))
    for warning in inventory.warnings:
        console.print(f"warning: {warning}", style="yellow", highlight=False)
    return buffer.getvalue().encode()


def render_findings_table(findings: list[Finding], *, details: bool = False) -> Table:
    """`details`: a column with each finding's line and evidence (the image checks')."""
    table = Table(title="Findings", show_edge=False, box=None, header_style="bold")
    columns = ["Severity", "Check", "Location", "Title"]
    for column in [*columns, "Details"] if details else columns:
        table.add_column(column, overflow="fold")
    for finding in findings:
        row: list[str | Text] = [
            severity_markup(finding.severity),
            finding.check_id,
            f"{finding.location}:{finding.line}" if finding.line else finding.location,
            finding.title,
        ]
        if details:
            row.append(" ".join(f"{key}={value}" for key, value in finding.evidence))
        table.add_row(*row)
    return table


def render_checks(checks: list[Check]) -> bytes:
    console, buffer = console_for(None, False)
    table = Table(box=None, header_style="bold")
    for column in ("Layer", "Check", "Severity", "Title"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(
            f"{int(check.layer)} {check.layer.label}", check.id, check.severity.name, check.title
        )
    console.print(table)
    return buffer.getvalue().encode()


def render_scan(result: ScanResult, *, width: int | None = None, color: bool = False) -> bytes:
    """Vulnerabilities grouped by severity (CRITICAL first), suppressed ones, other findings
    and their count by severity, warnings, and the health grade as the last line."""
    console, buffer = console_for(width, color)
    _print_image_header(console, result.inventory)
    reported = result.reported
    by_severity: dict[Severity, list[VulnerabilityMatch]] = {}
    for match in reported:
        by_severity.setdefault(match.vulnerability.severity, []).append(match)
    for severity in sorted(by_severity, reverse=True):
        matches = by_severity[severity]
        console.print()
        console.print(
            severity_markup(severity) + f" ({len(matches)})", highlight=False
        )
        table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
        for column in (
            "Package", "Installed", "Fixed", "Status", "Vulnerability", "Rated by", "Title"
        ):
            table.add_column(column, overflow="fold")
        for match in matches:
            table.add_row(
                match.package.name,
                match.package.version,
                match.fixed_version or "",
                match.status.value,
                match.vulnerability.id,
                match.vulnerability.severity_source or "no rating",
                match.vulnerability.summary,
            )
        console.print(table)
    console.print()
    counts = ", ".join(
        f"{severity.name}: {len(by_severity[severity])}"
        for severity in sorted(by_severity, reverse=True)
    )
    total = _plural(len(reported), "vulnerability", "vulnerabilities")
    total += f" ({counts})" if counts else ""
    total += f" in {_plural(len(result.inventory.packages), 'package', 'packages')}"
    if result.suppressed:
        total += f"; {len(result.suppressed)} suppressed"
    if result.grade is None:
        packages = _plural(len(result.inventory.packages), "package", "packages")
        total = f"Vulnerabilities not checked; {packages}"
    console.print(total, highlight=False)
    if result.suppressed:
        console.print()
        table = Table(
            title="Suppressed", show_edge=False, pad_edge=False, box=None, header_style="bold"
        )
        for column in ("Package", "Installed", "Vulnerability", "Reason"):
            table.add_column(column, overflow="fold")
        for match in result.suppressed:
            table.add_row(
                match.package.name,
                match.package.version,
                match.vulnerability.id,
                match.suppressed_by,
            )
        console.print(table)
    others = sorted(
        (f for f in result.findings if f.check_id != VULNERABLE_PACKAGE),
        key=lambda f: (f.sort_key(), f.title),
    )
    if others:
        console.print()
        console.print(render_findings_table(others, details=True))
    if others or "config" in result.checks or "secret" in result.checks:
        console.print(findings_count(others), highlight=False)
    for warning in result.warnings:
        console.print(f"warning: {warning}", style="yellow", highlight=False)
    if result.grade is None:
        console.print(
            "Health grade: not computed (it rates vulnerabilities, which were not checked)",
            highlight=False,
        )
    else:
        console.print(f"Health grade {result.grade.describe()}", highlight=False)
    return buffer.getvalue().encode()


def _print_image_header(console: Console, inventory: Inventory) -> None:
    image = inventory.image
    os_info = inventory.os
    os_text = "unknown"
    if os_info is not None:
        os_text = os_info.pretty_name or f"{os_info.family} {os_info.version_id}"
    label = "SBOM" if image.source_kind == "sbom" else "Image"
    console.print(f"{label}: {image.reference} ({image.source_kind})", highlight=False)
    if image.manifest_digest:
        console.print(f"Digest: {image.manifest_digest}", highlight=False)
    elif image.config_digest:
        console.print(f"Image ID: {image.config_digest}", highlight=False)
    console.print(f"OS: {os_text}", highlight=False)


def findings_count(findings: list[Finding]) -> str:
    """`5 findings (1 critical, 3 high, 1 low)`, as `k8s check` and `dockerfile lint` end."""
    counts = {severity: 0 for severity in sorted(Severity, reverse=True)}
    for found in findings:
        counts[found.severity] += 1
    severities = ", ".join(f"{n} {s.name.lower()}" for s, n in counts.items() if n)
    return _plural(len(findings), "finding", "findings") + (
        f" ({severities})" if severities else "")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"

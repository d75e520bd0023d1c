"""Reports of `tenlayer dockerfile lint`: JSON and a table (SARIF is report.sarif_findings)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tenlayer.dockerfile.lint_files import LintResult
from tenlayer.model import Severity
from tenlayer.report.json import dumps, finding_dict, tool

SCHEMA_VERSION = 1


def render_lint_json(result: LintResult) -> bytes:
    return dumps({
        "schema_version": SCHEMA_VERSION,
        "tool": tool(),
        "summary": _summary(result),
        "files": [
            {"file": f.path, "instructions": f.instructions, "stages": f.stages,
             "windows": f.windows, "template": f.template}
            for f in result.files
        ],
        "findings": [finding_dict(f) for f in result.findings],
        # files found in directories that are not Dockerfiles, as `k8s check` lists them
        "skipped": [{"file": s.path, "reason": s.reason} for s in result.skipped],
        "warnings": [{"file": w.file, "line": w.line, "message": w.message}
                     for w in result.warnings],
        # what was not checked: the Linux rules on Windows images
        "notes": [{"file": n.file, "message": n.message} for n in result.notes],
    })


def _summary(result: LintResult) -> dict[str, Any]:
    by_severity = Counter(f.severity.name.lower() for f in result.findings)
    return {
        "files": len(result.files),
        "instructions": sum(f.instructions for f in result.files),
        "findings": len(result.findings),
        "by_severity": {s.name.lower(): by_severity.get(s.name.lower(), 0)
                        for s in sorted(Severity, reverse=True)},
    }


def render_lint_table(result: LintResult, *, width: int | None = None,
                      color: bool = False) -> bytes:
    from tenlayer.report.file_findings import print_findings
    from tenlayer.report.manifests import plural
    from tenlayer.report.table import console_for

    console, buffer = console_for(width, color)
    summary = _summary(result)
    console.print(f"{plural(summary['files'], 'Dockerfile')}, "
                  f"{plural(summary['instructions'], 'instruction')}", highlight=False)
    print_findings(console, list(result.findings))
    severities = ", ".join(f"{n} {name}" for name, n in summary["by_severity"].items() if n)
    console.print(plural(summary["findings"], "finding")
                  + (f" ({severities})" if severities else ""), highlight=False)
    lines = buffer.getvalue().split("\n")
    return "\n".join(line.rstrip() for line in lines).encode()

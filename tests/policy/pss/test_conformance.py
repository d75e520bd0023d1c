"""The Kubernetes pod-security-admission conformance fixtures, every level, version and case.

Each `pass` Pod must draw no violation at its level and version; each `fail` Pod must be denied
there, by the control its file name names (`capabilities_baseline2.yaml` -> the library check
`capabilities_baseline`). At restricted, a baseline check that a restricted check overrides
does not run, so a fixture named after it must be denied by the overriding control instead
(`hostpathvolumes0.yaml` at restricted -> restricted-volumes), as in the library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tenlayer.policy.pss import Level, PolicyVersion, evaluate_pod
from tenlayer.policy.pss.registry import CONTROLS, controls_for
from tests import conformance

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "pod-security-fixtures"

pytestmark = pytest.mark.conformance

_BY_CHECK_ID = {control.check_id.lower(): control for control in CONTROLS}


def _expected_control(fixture_name: str, level: Level, version: PolicyVersion) -> str | None:
    """The slug of the control that must deny a `fail` fixture at this level and version."""
    control = _BY_CHECK_ID.get(fixture_name.rstrip("0123456789"))
    if control is None:
        return None
    active = controls_for(level, version)
    if control in active:
        return control.slug
    overriding = [other.slug for other in active if control.slug in other.overrides]
    return overriding[0] if overriding else None


def _load_cases() -> list[tuple[str, Level, PolicyVersion, bool, dict[str, Any]]]:
    cases = []
    for path in sorted(FIXTURES.glob("*/v1.*/*/*.yaml")):
        level_dir, version_dir, outcome = path.parts[-4:-1]
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        name = str(path.relative_to(FIXTURES))
        cases.append(
            (name, Level(level_dir), PolicyVersion.parse(version_dir), outcome == "pass", document)
        )
    return cases


def test_pod_security_fixtures_agree_with_the_library() -> None:
    if not FIXTURES.is_dir():
        pytest.skip(f"conformance data absent: {FIXTURES} (see ../shared/README.md)")
    cases = _load_cases()
    assert len(cases) > 4000, f"expected the full fixture set under {FIXTURES}"
    failures = []
    for name, level, version, should_pass, document in cases:
        metadata = document.get("metadata") or {}
        spec = document.get("spec") or {}
        violations = evaluate_pod(metadata, spec, level, version)
        controls = [violation.control for violation in violations]
        if should_pass:
            if violations:
                failures.append(f"{name}: allowed by the library, denied by {controls}")
            continue
        expected = _expected_control(Path(name).stem, level, version)
        if expected is None:
            failures.append(f"{name}: names no control that applies at {level} {version}")
        elif expected not in controls:
            failures.append(f"{name}: denied by the library via {expected}, here by {controls}")
    named = {Path(name).stem.rstrip("0123456789") for name, *_rest in cases}
    named -= {"base", "base_linux", "base_windows"}
    unknown = sorted(named - set(_BY_CHECK_ID))
    failures.extend(f"fixtures name a check the engine lacks: {check}" for check in unknown)
    conformance.record(
        "pod-security-fixtures",
        passed=len(cases) - len(failures),
        total=len(cases),
        failures=failures,
    )
    assert not failures, f"{len(failures)} of {len(cases)} disagree:\n" + "\n".join(failures)

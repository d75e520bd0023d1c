"""np-guard netpol-analyzer's connectivity-list tests, case by case.

Every expected output in ../shared/data/netpol/expected must equal tenlayer's (txt as a set of
lines, json as a list of objects), run with the options netpol-analyzer's test table gave that
case (`_focus_workload_…` variants). The cases netpol-analyzer refuses with a fatal error
must be refused here too: exit 2 and one line on stderr. Known disagreements are listed in
KNOWN_FAILING with their reason, so the suite stays green while the rate stays honest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.kube.inputs import load_manifests
from tenlayer.netpol.connectivity import Options, analyze
from tenlayer.netpol.output import render_json, render_txt
from tests import conformance
from tests.cli.test_cli import run

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "netpol"
CASES = DATA / "cases"
EXPECTED = DATA / "expected"
SUFFIX = "_connlist_output"

pytestmark = pytest.mark.conformance

FOCUS_VARIANTS: dict[str, tuple[str, Options]] = {
    "k8s_ingress_test_focus_workload_details-v1-79f774bdb9":
        ("k8s_ingress_test", Options(("details-v1-79f774bdb9",))),
    "nad_test_10_focus_workload_pod-server": ("nad_test_10", Options(("pod-server",))),
    "nad_test_11_focus_workload_pod-server": ("nad_test_11", Options(("pod-server",))),
    "nad_test_4_focus_workload_pod2_ingress_with_pod3_tcp-80":
        ("nad_test_4", Options(("pod2",), ("pod3",), "ingress", ("TCP", 80))),
}
"""Expected outputs made with focus options (connlist_test.go's goodPathTests)."""

REJECTED: dict[str, str] = {
    # connlist_test.go TestConnlistAnalyzeFatalErrors / TestFatalErrorsConnlistFromDirPathOnly
    "bad_netpols/subdir1": "invalid CIDR address",
    "bad_netpols/subdir2": "selector error: invalid label key",
    "bad_netpols/subdir3": "ipBlock cannot be combined",
    "bad_netpols/subdir4": "empty peer",
    "bad_netpols/subdir6": "named port error",
    "bad_netpols/subdir7": "selector error: invalid label value",
    "bad_yamls/subdir2": "no manifests in it",
    "bad_yamls/irrelevant_k8s_resources.yaml": "no workloads in the input",
    "example_pods_w_same_owner_and_labels_gap_with_bad_match_expression":
        "default/internal-security (one owner) have labels that a policy selects differently",
    "np_bad_path_test_1": "a NetworkPolicy named default/backend-netpol already exists",
    "np_test_with_empty_port_range": "illegal port range 10-1",
    "anp_bad_path_test_1": "same priority 50",
    "anp_bad_path_test_6": "an egress rule needs at least one peer",
    "anp_bad_path_test_7": "exactly one field must be set in a rule peer",
    "anp_bad_path_test_8": "exactly one field must be set in an AdminNetworkPolicy port",
    "anp_bad_path_test_9": "unknown rule action 'Accept'",
    "anp_bad_path_test_12": "unknown rule action None",
    "anp_bad_path_test_14": "an ingress rule needs at least one peer",
    "anp_bad_path_test_15": "an ingress rule needs at least one peer",
    "anp_bad_path_test_20": "invalid priority 1001",
    "banp_bad_path_test_2": "must be named 'default'",
    "banp_bad_path_test_3": "the subject must be an object",
    "banp_bad_path_test_4": "exactly one field must be set in the subject",
    "banp_bad_path_test_5": "an egress rule needs at least one peer",
    "banp_bad_path_test_12": "exactly one field must be set in a rule peer",
    "banp_bad_path_test_13": "exactly one field must be set in an AdminNetworkPolicy port",
    "banp_bad_path_test_14": "unknown rule action 'Pass'",
    "banp_bad_path_test_15": "invalid CIDR address",
    "bad_path_namespace_with_same_name": "namespace 'blue' is defined twice",
    "udn_bad_path_test_1": "invalid value 'Layer4' for key topology",
    "udn_bad_path_test_6": "a UserDefinedNetwork cannot be in namespace openshift-oc",
    "udn_bad_path_test_7": "namespace blue can have one primary user-defined network, and has "
                           "blue/separate-namespace and blue/namespace-scoped",
}
"""Case (directory or file under cases/) -> part of the one-line error tenlayer gives."""

KNOWN_FAILING: dict[str, str] = {}
"""Expected output (name without the suffix) -> why tenlayer does not match it yet."""

ADMIN_KINDS = ("kind: AdminNetworkPolicy", "kind: BaselineAdminNetworkPolicy")


def _has_admin_policies(case: Path) -> bool:
    files = [case] if case.is_file() else sorted(case.rglob("*"))
    return any(kind in f.read_text(errors="replace") for f in files if f.is_file()
               for kind in ADMIN_KINDS)


def _sorted(items: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(items, key=lambda item: sorted(item.items()))


def _output_disagreement(expected: Path) -> str | None:
    stem = expected.name.rsplit(SUFFIX, 1)[0]
    case_name, options = FOCUS_VARIANTS.get(stem, (stem, Options()))
    try:
        objects = load_manifests([str(CASES / case_name)], typed_lists=True).objects
        analysis = analyze(objects, options)
    except BadInput as error:
        return f"refused: {error}"
    if expected.suffix == ".json":
        # Go's sort is not stable: a pair listed in two networks comes in either order
        if _sorted(json.loads(render_json(analysis))) != _sorted(
                json.loads(expected.read_text())):
            return "json differs"
        return None
    got = set(render_txt(analysis).decode().splitlines())
    want = set(expected.read_text().splitlines())
    if got == want:
        return None
    return (f"{len(want - got)} lines missing (e.g. {sorted(want - got)[:1]}), "
            f"{len(got - want)} extra (e.g. {sorted(got - want)[:1]})")


def _rejection_disagreement(case: str, fragment: str) -> str | None:
    result = run("k8s", "netpol", str(CASES / case))
    lines = result.stderr.strip().splitlines()
    if result.returncode != 2:
        return f"exit {result.returncode}, expected 2 (stderr: {result.stderr[-200:]!r})"
    if len(lines) != 1 or not lines[0].startswith("tenlayer: ") or fragment not in lines[0]:
        return f"error is not one line naming {fragment!r}: {result.stderr!r}"
    return None


def test_netpol_analyzer_cases_agree() -> None:
    if not EXPECTED.is_dir():
        pytest.skip(f"conformance data absent: {DATA} (see ../shared/README.md)")
    outcomes: list[tuple[str, bool, str | None]] = []  # (name, has admin policies, problem)
    for expected in sorted(EXPECTED.iterdir()):
        stem = expected.name.rsplit(SUFFIX, 1)[0]
        case = CASES / FOCUS_VARIANTS.get(stem, (stem, Options()))[0]
        outcomes.append((expected.name, _has_admin_policies(case),
                         _output_disagreement(expected)))
    for case, fragment in REJECTED.items():
        outcomes.append((case, _has_admin_policies(CASES / case),
                         _rejection_disagreement(case, fragment)))
    assert len(outcomes) > 130, f"expected the full netpol-analyzer case set under {DATA}"

    failures, unexpected, fixed = [], [], []
    for name, _admin, problem in outcomes:
        known = KNOWN_FAILING.get(name.rsplit(SUFFIX, 1)[0])
        if problem is not None:
            failures.append(f"{name}: {problem}")
            if known is None:
                unexpected.append(f"{name}: {problem}")
        elif known is not None:
            fixed.append(name)
    no_admin = [o for o in outcomes if not o[1]]
    conformance.record("netpol (no AdminNetworkPolicy)",
                       passed=sum(1 for o in no_admin if o[2] is None), total=len(no_admin),
                       failures=[f for f in failures if any(
                           f.startswith(o[0] + ":") for o in no_admin)])
    uncompared = _uncompared_cases()
    cases = sum(1 for _ in CASES.iterdir())
    conformance.record("netpol (all)", passed=len(outcomes) - len(failures),
                       total=len(outcomes), failures=failures,
                       note=f"{len(outcomes)} outputs and refusals of {cases - len(uncompared)} "
                       f"of the {cases} cases; the other {len(uncompared)} have no expected "
                       "list: run, not compared")
    assert not unexpected, f"{len(unexpected)} disagree:\n" + "\n".join(unexpected)
    assert not fixed, "now agree, remove from KNOWN_FAILING: " + ", ".join(fixed)


def _uncompared_cases() -> list[Path]:
    """The cases no expected output, focus variant or refusal names."""
    named = {e.name.rsplit(SUFFIX, 1)[0] for e in EXPECTED.iterdir()}
    named |= {case for case, _options in FOCUS_VARIANTS.values()}
    named |= {case.split("/")[0] for case in REJECTED}
    return [c for c in sorted(CASES.iterdir()) if c.name not in named]


def test_cases_without_a_reference_output_run_or_are_refused_in_one_line() -> None:
    """The other cases (exposure-analysis inputs, warnings) have no connectivity list to
    compare with: each must give one, or one clear BadInput, never a traceback."""
    if not CASES.is_dir():
        pytest.skip(f"conformance data absent: {DATA} (see ../shared/README.md)")
    others = _uncompared_cases()
    assert len(others) > 50
    for case in others:
        try:
            analyze(load_manifests([str(case)], typed_lists=True).objects)
        except BadInput as error:
            assert "\n" not in str(error), case

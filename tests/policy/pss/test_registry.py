"""Which controls apply at each level and version; `latest`; the catalogue entries."""

from __future__ import annotations

from tenlayer.checks.catalogue import Check
from tenlayer.model import Layer
from tenlayer.policy.pss import Level, PolicyVersion, evaluate_pod
from tenlayer.policy.pss.checks import CHECKS, PSS_PAGE
from tenlayer.policy.pss.registry import CONTROLS, NEWEST_MINOR, controls_for

V = PolicyVersion.parse


def slugs(level: Level, version: str) -> list[str]:
    return [control.slug for control in controls_for(level, V(version))]


BASELINE_1_0 = [
    "apparmor-profile",
    "capabilities-baseline",
    "host-namespaces",
    "host-path-volumes",
    "host-ports",
    "privileged",
    "proc-mount",
    "seccomp-profile-baseline",
    "selinux-options",
    "sysctls",
    "windows-host-process",
]


def test_baseline_controls_by_version() -> None:
    assert slugs(Level.BASELINE, "v1.0") == BASELINE_1_0
    assert slugs(Level.BASELINE, "v1.33") == BASELINE_1_0
    assert slugs(Level.BASELINE, "v1.34") == sorted(
        [*BASELINE_1_0, "host-probes-and-host-lifecycle"]
    )
    assert slugs(Level.BASELINE, "latest") == slugs(Level.BASELINE, "v1.34")


def test_restricted_includes_baseline_except_what_it_overrides() -> None:
    assert slugs(Level.RESTRICTED, "v1.0") == sorted(
        {*BASELINE_1_0, "restricted-volumes", "run-as-non-root"} - {"host-path-volumes"}
    )
    assert "host-path-volumes" not in slugs(Level.RESTRICTED, "v1.0")
    assert "allow-privilege-escalation" not in slugs(Level.RESTRICTED, "v1.7")
    assert "allow-privilege-escalation" in slugs(Level.RESTRICTED, "v1.8")
    v1_18, v1_19 = slugs(Level.RESTRICTED, "v1.18"), slugs(Level.RESTRICTED, "v1.19")
    assert "seccomp-profile-baseline" in v1_18 and "seccomp-profile-restricted" not in v1_18
    assert "seccomp-profile-baseline" not in v1_19 and "seccomp-profile-restricted" in v1_19
    assert "capabilities-baseline" in slugs(Level.RESTRICTED, "v1.21")
    assert "capabilities-restricted" in slugs(Level.RESTRICTED, "v1.22")
    assert "capabilities-baseline" not in slugs(Level.RESTRICTED, "v1.22")
    assert "run-as-user" not in slugs(Level.RESTRICTED, "v1.22")
    assert "run-as-user" in slugs(Level.RESTRICTED, "v1.23")
    assert "proc-mount" in slugs(Level.RESTRICTED, "v1.34")
    assert "proc-mount-restricted" not in slugs(Level.RESTRICTED, "v1.34")
    assert "proc-mount" not in slugs(Level.RESTRICTED, "v1.35")
    assert "proc-mount-restricted" in slugs(Level.RESTRICTED, "v1.35")
    assert slugs(Level.RESTRICTED, "latest") == [
        "allow-privilege-escalation",
        "apparmor-profile",
        "capabilities-restricted",
        "host-namespaces",
        "host-ports",
        "host-probes-and-host-lifecycle",
        "privileged",
        "proc-mount-restricted",
        "restricted-volumes",
        "run-as-non-root",
        "run-as-user",
        "seccomp-profile-restricted",
        "selinux-options",
        "sysctls",
        "windows-host-process",
    ]


def test_latest_and_future_versions_evaluate_as_the_newest_known() -> None:
    assert NEWEST_MINOR == 37
    for level in (Level.BASELINE, Level.RESTRICTED):
        assert slugs(level, "latest") == slugs(level, "v1.37") == slugs(level, "v1.99")


def test_privileged_allows_everything() -> None:
    spec = {
        "hostNetwork": True,
        "containers": [{"name": "a", "securityContext": {"privileged": True}}],
        "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
    }
    for version in ("v1.0", "v1.37", "latest"):
        assert controls_for(Level.PRIVILEGED, V(version)) == ()
        assert evaluate_pod({}, spec, Level.PRIVILEGED, V(version)) == ()


def test_every_control_has_its_own_catalogue_entry() -> None:
    ids = [check.id for check in CHECKS]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(f"deploy/pss-{control.slug}" for control in CONTROLS)
    slugs_seen = {control.slug for control in CONTROLS}
    assert len(slugs_seen) == len(CONTROLS) == 19
    for check in CHECKS:
        assert isinstance(check, Check)
        assert check.layer is Layer.DEPLOYMENT
        assert check.title and check.description and check.remediation
        assert PSS_PAGE in check.references


def test_control_metadata_matches_the_library_registrations() -> None:
    since = {control.slug: str(control.since) for control in CONTROLS}
    assert since["allow-privilege-escalation"] == "v1.8"
    assert since["seccomp-profile-restricted"] == "v1.19"
    assert since["capabilities-restricted"] == "v1.22"
    assert since["run-as-user"] == "v1.23"
    assert since["host-probes-and-host-lifecycle"] == "v1.34"
    assert since["proc-mount-restricted"] == "v1.35"
    for control in CONTROLS:
        for overridden in control.overrides:
            assert control.level is Level.RESTRICTED
            assert next(c for c in CONTROLS if c.slug == overridden).level is Level.BASELINE

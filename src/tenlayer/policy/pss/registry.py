"""Which control revisions apply at a (level, policy version), and the evaluation itself.

Mirrors the library's `checkRegistry`: every check carries revisions with a minimum policy
version; a version runs each check's newest revision at or below it; restricted runs every
baseline check except those a restricted check overrides, plus the restricted checks; a
version above the newest minimum version registered (and `latest`) is evaluated as that
newest one. The resolved list is cached per (level, version), already in slug order, so an
evaluation is one pass over a short tuple of functions.

The checks are those the library registers by default at policy v1.37: the conformance
fixtures generated from it name exactly these 19 (a fixture set exists for every registered
check at every version). Check files seen elsewhere for ulimits, cgroupOptions or a probe-host
check without lifecycle handlers are not part of any released level and are not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from tenlayer.policy.pss import baseline as b
from tenlayer.policy.pss import restricted as r
from tenlayer.policy.pss.baseline import CheckFn
from tenlayer.policy.pss.model import Level, PolicyVersion, Violation
from tenlayer.policy.pss.pod import PodView


@dataclass(frozen=True, slots=True)
class Control:
    """One library check.

    `check_id` is the library's ID (the conformance fixtures are named after it, lowercased);
    `revisions` pairs each minimum policy minor (major is always 1) with the function that
    applies from it; `overrides` names the baseline controls this restricted control replaces
    at every version where it applies.
    """

    slug: str
    check_id: str
    level: Level
    revisions: tuple[tuple[int, CheckFn], ...]
    overrides: tuple[str, ...] = ()

    @property
    def since(self) -> PolicyVersion:
        """The first policy version at which the control applies."""
        return PolicyVersion.of(self.revisions[0][0])

    def revision_at(self, minor: int) -> CheckFn | None:
        current = None
        for minimum, check in self.revisions:
            if minimum <= minor:
                current = check
        return current


_B, _R = Level.BASELINE, Level.RESTRICTED

CONTROLS: tuple[Control, ...] = (
    # baseline
    Control("host-namespaces", "hostNamespaces", _B, ((0, b.host_namespaces_1_0),)),
    Control("privileged", "privileged", _B, ((0, b.privileged_1_0),)),
    Control(
        "capabilities-baseline", "capabilities_baseline", _B, ((0, b.capabilities_baseline_1_0),)
    ),
    Control("host-path-volumes", "hostPathVolumes", _B, ((0, b.host_path_volumes_1_0),)),
    Control("host-ports", "hostPorts", _B, ((0, b.host_ports_1_0),)),
    Control("apparmor-profile", "appArmorProfile", _B, ((0, b.apparmor_profile_1_0),)),
    Control(
        "selinux-options",
        "seLinuxOptions",
        _B,
        ((0, b.selinux_options_1_0), (31, b.selinux_options_1_31)),
    ),
    Control("proc-mount", "procMount", _B, ((0, b.proc_mount_1_0), (35, b.proc_mount_1_35))),
    Control(
        "seccomp-profile-baseline",
        "seccompProfile_baseline",
        _B,
        ((0, b.seccomp_profile_baseline_1_0), (19, b.seccomp_profile_baseline_1_19)),
    ),
    Control(
        "sysctls",
        "sysctls",
        _B,
        (
            (0, b.sysctls_1_0),
            (27, b.sysctls_1_27),
            (29, b.sysctls_1_29),
            (32, b.sysctls_1_32),
            (37, b.sysctls_1_37),
        ),
    ),
    Control("windows-host-process", "windowsHostProcess", _B, ((0, b.windows_host_process_1_0),)),
    Control(
        "host-probes-and-host-lifecycle",
        "hostProbesAndHostLifecycle",
        _B,
        ((34, b.host_probes_and_host_lifecycle_1_34),),
    ),
    # restricted
    Control(
        "restricted-volumes",
        "restrictedVolumes",
        _R,
        ((0, r.restricted_volumes_1_0),),
        overrides=("host-path-volumes",),
    ),
    Control(
        "allow-privilege-escalation",
        "allowPrivilegeEscalation",
        _R,
        ((8, r.allow_privilege_escalation_1_8), (25, r.allow_privilege_escalation_1_25)),
    ),
    Control(
        "run-as-non-root",
        "runAsNonRoot",
        _R,
        ((0, r.run_as_non_root_1_0), (35, r.run_as_non_root_1_35)),
    ),
    Control("run-as-user", "runAsUser", _R, ((23, r.run_as_user_1_23), (35, r.run_as_user_1_35))),
    Control(
        "seccomp-profile-restricted",
        "seccompProfile_restricted",
        _R,
        ((19, r.seccomp_profile_restricted_1_19), (25, r.seccomp_profile_restricted_1_25)),
        overrides=("seccomp-profile-baseline",),
    ),
    Control(
        "capabilities-restricted",
        "capabilities_restricted",
        _R,
        ((22, r.capabilities_restricted_1_22), (25, r.capabilities_restricted_1_25)),
        overrides=("capabilities-baseline",),
    ),
    Control(
        "proc-mount-restricted",
        "procMount_restricted",
        _R,
        ((35, b.proc_mount_1_0),),
        overrides=("proc-mount",),
    ),
)
"""Every check the library registers by default at v1.37, in the library's registration
terms. Checks the library keeps experimental (no minimum version) are not part of any level."""

NEWEST_MINOR = max(control.revisions[-1][0] for control in CONTROLS)
"""The newest policy version any check registers (1.37); `latest` and newer versions use it."""

CONTROLS_BY_SLUG = {control.slug: control for control in CONTROLS}


def effective_minor(version: PolicyVersion) -> int:
    """The policy minor evaluated for `version`: itself, or the newest known when above it."""
    if version.is_latest or version.major > 1 or version.minor > NEWEST_MINOR:
        return NEWEST_MINOR
    if version.major < 1:
        return -1
    return version.minor


@cache
def _resolved(level: Level, minor: int) -> tuple[tuple[Control, CheckFn], ...]:
    if level == Level.PRIVILEGED:
        return ()
    if level not in (Level.BASELINE, Level.RESTRICTED):
        raise ValueError(f"unknown Pod Security Standards level {level!r}")
    active = {
        control.slug: (control, check)
        for control in CONTROLS
        if (level == Level.RESTRICTED or control.level == Level.BASELINE)
        and (check := control.revision_at(minor)) is not None
    }
    for control, _check in list(active.values()):
        for overridden in control.overrides:
            active.pop(overridden, None)
    return tuple(active[slug] for slug in sorted(active))


def controls_for(level: Level, version: PolicyVersion) -> tuple[Control, ...]:
    """The controls that apply at `level` and `version`, in slug order."""
    return tuple(control for control, _check in _resolved(level, effective_minor(version)))


def evaluate_pod(
    metadata: Mapping[str, Any],
    spec: Mapping[str, Any],
    level: Level,
    version: PolicyVersion,
) -> tuple[Violation, ...]:
    """The violations of a pod (or pod template) at a level and policy version.

    `metadata` and `spec` are the plain mappings of a parsed manifest and may hold anything;
    wrongly typed fields are read as the API server would decode them or as unset, never
    raised on. One violation per denying control, sorted by control slug.
    """
    resolved = _resolved(level, effective_minor(version))
    if not resolved:
        return ()
    minor = effective_minor(version)
    pod = PodView(metadata, spec)
    found = []
    for control, check in resolved:
        outcome = check(pod)
        if outcome is not None:
            found.append(Violation(control.slug, control.level, outcome[0], outcome[1],
                                   _baseline_broken(control, pod, minor)))
    return tuple(found)


def _baseline_broken(control: Control, pod: PodView, minor: int) -> tuple[str, ...]:
    broken = []
    for slug in control.overrides:
        overridden = CONTROLS_BY_SLUG[slug].revision_at(minor)
        if overridden is not None and overridden(pod) is not None:
            broken.append(slug)
    return tuple(broken)

"""Restricted controls: revisions of the library's restricted-level checks.

Same contract as `baseline`: None when allowed, else `(reason (detail), paths)`. A path for a
field that is missing (restricted requires it) names where it must be set; when a pod-level
value would satisfy every container, the container paths are still given, because setting it
per container satisfies the check too and the container is what lacks it.
"""

from __future__ import annotations

from typing import Any

from tenlayer.policy.pss.baseline import SECCOMP_TYPES, Outcome, capability_entries
from tenlayer.policy.pss.pod import PodView, flag, integer, items, struct, text
from tenlayer.policy.pss.wording import join_quote, plural, setters, with_detail

_POD_SC = "spec.securityContext"


def _containers_phrase(names: list[str]) -> str:
    return f"{plural('container', 'containers', len(names))} {join_quote(names)}"


# restrictedVolumes 1.0 -----------------------------------------------------------------------

ALLOWED_VOLUME_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
"""`image` (Kubernetes 1.33, PR #130394) was added to the library's single 1.0 revision, so it
is allowed at every policy version, as the library allows it."""

RESTRICTED_VOLUME_SOURCES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
)
"""Every other VolumeSource, in the order the library names the first one a volume sets."""


_RESTRICTED_ORDER = {name: rank for rank, name in enumerate(RESTRICTED_VOLUME_SOURCES)}


def _restricted_source(volume: dict[str, Any]) -> str | None:
    """The restricted source a volume sets, or None when it sets an allowed one (or none)."""
    found = None
    for key, value in volume.items():
        if type(value) is not dict:
            continue
        if key in ALLOWED_VOLUME_SOURCES:
            return None
        rank = _RESTRICTED_ORDER.get(key)
        if rank is not None and (found is None or rank < _RESTRICTED_ORDER[found]):
            found = key
    return found


def restricted_volumes_1_0(pod: PodView) -> Outcome:
    """Only volume types that cannot reach the node or an unmanaged storage backend directly.

    A volume that sets no source is an emptyDir once defaulted (`SetDefaults_Volume`), so it is
    allowed, as the conformance fixtures expect.
    """
    names: list[str] = []
    kinds: set[str] = set()
    paths: list[str] = []
    for index, volume in enumerate(items(pod.spec, "volumes")):
        if type(volume) is not dict:
            continue
        restricted = _restricted_source(volume)
        if restricted is None:
            continue
        names.append(text(volume, "name"))
        kinds.add(restricted)
        paths.append(f"spec.volumes[{index}].{restricted}")
    if not names:
        return None
    detail = (
        f"{plural('volume', 'volumes', len(names))} {join_quote(names)} "
        f"{plural('uses', 'use', len(names))} "
        f"{plural('restricted volume type', 'restricted volume types', len(kinds))} "
        f"{join_quote(sorted(kinds))}"
    )
    return with_detail("restricted volume types", detail), tuple(paths)


# allowPrivilegeEscalation 1.8, 1.25 ----------------------------------------------------------


def allow_privilege_escalation_1_8(pod: PodView) -> Outcome:
    """The field appeared in Kubernetes 1.8; unset means allowed, so it must be false."""
    names: list[str] = []
    paths: list[str] = []
    for prefix, name, _container, context in pod.containers:
        if flag(context, "allowPrivilegeEscalation") is not False:
            names.append(name)
            paths.append(prefix + ".securityContext.allowPrivilegeEscalation")
    if not names:
        return None
    detail = f"{_containers_phrase(names)} must set securityContext.allowPrivilegeEscalation=false"
    return with_detail("allowPrivilegeEscalation != false", detail), tuple(paths)


def allow_privilege_escalation_1_25(pod: PodView) -> Outcome:
    """From 1.25 a pod with `spec.os.name: windows` is exempt (the field is Linux-only)."""
    if pod.windows:
        return None
    return allow_privilege_escalation_1_8(pod)


# runAsNonRoot 1.0, 1.35 ----------------------------------------------------------------------


def run_as_non_root_1_0(pod: PodView) -> Outcome:
    explicit_paths: list[str] = []
    pod_value = flag(pod.security_context, "runAsNonRoot")
    pod_bad = pod_value is False
    if pod_bad:
        explicit_paths.append(_POD_SC + ".runAsNonRoot")
    explicit: list[str] = []
    implicit: list[str] = []
    implicit_paths: list[str] = []
    for prefix, name, _container, context in pod.containers:
        value = flag(context, "runAsNonRoot")
        if value is None:
            if pod_value is not True:
                implicit.append(name)
                implicit_paths.append(prefix + ".securityContext.runAsNonRoot")
        elif value is False:
            explicit.append(name)
            explicit_paths.append(prefix + ".securityContext.runAsNonRoot")
    if pod_bad or explicit:
        detail = f"{setters(pod_bad, explicit)} must not set securityContext.runAsNonRoot=false"
        extra = [] if pod_bad else implicit_paths
        return with_detail("runAsNonRoot != true", detail), (*explicit_paths, *extra)
    if implicit:
        detail = f"pod or {_containers_phrase(implicit)} must set securityContext.runAsNonRoot=true"
        return with_detail("runAsNonRoot != true", detail), tuple(implicit_paths)
    return None


def run_as_non_root_1_35(pod: PodView) -> Outcome:
    """From 1.35 skipped for a pod in a user namespace (`hostUsers: false`, KEP-127): root in
    the container is not root on the node."""
    if pod.user_namespace:
        return None
    return run_as_non_root_1_0(pod)


# runAsUser 1.23, 1.35 ------------------------------------------------------------------------


def run_as_user_1_23(pod: PodView) -> Outcome:
    paths: list[str] = []
    pod_bad = integer(pod.security_context, "runAsUser") == 0
    if pod_bad:
        paths.append(_POD_SC + ".runAsUser")
    names = []
    for prefix, name, _container, context in pod.containers:
        if integer(context, "runAsUser") == 0:
            names.append(name)
            paths.append(prefix + ".securityContext.runAsUser")
    if not paths:
        return None
    detail = f"{setters(pod_bad, names)} must not set runAsUser=0"
    return with_detail("runAsUser=0", detail), tuple(paths)


def run_as_user_1_35(pod: PodView) -> Outcome:
    """From 1.35 skipped for a pod in a user namespace, like runAsNonRoot."""
    if pod.user_namespace:
        return None
    return run_as_user_1_23(pod)


# seccompProfile_restricted 1.19, 1.25 --------------------------------------------------------


def seccomp_profile_restricted_1_19(pod: PodView) -> Outcome:
    """RuntimeDefault or Localhost must be set, at pod level or on every container."""
    bad_values: set[str] = set()
    explicit_paths: list[str] = []
    pod_bad = False
    pod_set = False
    profile = struct(pod.security_context, "seccompProfile")
    if profile is not None:
        profile_type = text(profile, "type")
        if profile_type in SECCOMP_TYPES:
            pod_set = True
        else:
            pod_bad = True
            bad_values.add(profile_type)
            explicit_paths.append(_POD_SC + ".seccompProfile.type")
    explicit: list[str] = []
    implicit: list[str] = []
    implicit_paths: list[str] = []
    for prefix, name, _container, context in pod.containers:
        profile = struct(context, "seccompProfile")
        if profile is not None:
            profile_type = text(profile, "type")
            if profile_type not in SECCOMP_TYPES:
                explicit.append(name)
                bad_values.add(profile_type)
                explicit_paths.append(prefix + ".securityContext.seccompProfile.type")
        elif not pod_set:
            implicit.append(name)
            implicit_paths.append(prefix + ".securityContext.seccompProfile.type")
    if pod_bad or explicit:
        detail = (
            f"{setters(pod_bad, explicit)} must not set securityContext.seccompProfile.type to "
            f"{join_quote(sorted(bad_values))}"
        )
        extra = [] if pod_bad else implicit_paths
        return with_detail("seccompProfile", detail), (*explicit_paths, *extra)
    if implicit:
        detail = (
            f"pod or {_containers_phrase(implicit)} must set securityContext.seccompProfile.type "
            'to "RuntimeDefault" or "Localhost"'
        )
        return with_detail("seccompProfile", detail), tuple(implicit_paths)
    return None


def seccomp_profile_restricted_1_25(pod: PodView) -> Outcome:
    """From 1.25 a Windows pod is exempt (seccomp is Linux-only)."""
    if pod.windows:
        return None
    return seccomp_profile_restricted_1_19(pod)


# capabilities_restricted 1.22, 1.25 ----------------------------------------------------------

_ADDABLE = "NET_BIND_SERVICE"


def capabilities_restricted_1_22(pod: PodView) -> Outcome:
    """Every container drops ALL and adds back nothing but NET_BIND_SERVICE."""
    missing_drop: list[str] = []
    adding: list[str] = []
    forbidden: set[str] = set()
    paths: list[str] = []
    for prefix, name, _container, context in pod.containers:
        capabilities: dict[str, Any] | None = struct(context, "capabilities")
        if capabilities is None:
            missing_drop.append(name)
            paths.append(prefix + ".securityContext.capabilities.drop")
            continue
        if not any(value == "ALL" for _index, value in capability_entries(capabilities, "drop")):
            missing_drop.append(name)
            paths.append(prefix + ".securityContext.capabilities.drop")
        added_forbidden = False
        for index, capability in capability_entries(capabilities, "add"):
            if capability != _ADDABLE:
                added_forbidden = True
                forbidden.add(capability)
                paths.append(f"{prefix}.securityContext.capabilities.add[{index}]")
        if added_forbidden:
            adding.append(name)
    details = []
    if missing_drop:
        details.append(
            f'{_containers_phrase(missing_drop)} must set securityContext.capabilities.drop=["ALL"]'
        )
    if adding:
        details.append(
            f"{_containers_phrase(adding)} must not include {join_quote(sorted(forbidden))} "
            "in securityContext.capabilities.add"
        )
    if not details:
        return None
    return with_detail("unrestricted capabilities", "; ".join(details)), tuple(paths)


def capabilities_restricted_1_25(pod: PodView) -> Outcome:
    """From 1.25 a Windows pod is exempt (Linux capabilities do not apply)."""
    if pod.windows:
        return None
    return capabilities_restricted_1_22(pod)

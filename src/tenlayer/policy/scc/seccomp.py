"""Seccomp profiles: the SCC's list (first non-wildcard entry is the default, `*` allows
any). Checked, as OpenShift checks them, through the deprecated annotation forms."""

from __future__ import annotations

from collections.abc import Mapping

from tenlayer.policy.scc.constraints import SCC
from tenlayer.policy.scc.fielderrors import forbidden, go_list
from tenlayer.policy.scc.securitycontext import (
    SECCOMP_CONTAINER_ANNOTATION_PREFIX,
    SECCOMP_DOCKER_DEFAULT,
    SECCOMP_POD_ANNOTATION,
    SECCOMP_RUNTIME_DEFAULT,
    ContainerSecurityContext,
    PodSecurityContext,
)

ALLOW_ANY = "*"
_DEFAULTS = (SECCOMP_DOCKER_DEFAULT, SECCOMP_RUNTIME_DEFAULT)


class SeccompStrategy:
    __slots__ = ("allow_any", "allowed", "runtime_default_allowed")

    def __init__(self, scc: SCC) -> None:
        self.allow_any = ALLOW_ANY in scc.seccomp_profiles
        self.allowed = tuple(p for p in scc.seccomp_profiles if p != ALLOW_ANY)
        # docker/default and runtime/default stand for each other
        self.runtime_default_allowed = any(p in _DEFAULTS for p in self.allowed)

    def generate(self, annotations: Mapping[str, str], pod_sc: PodSecurityContext) -> str:
        """The pod-level profile (annotation form) admission sets; "" for none."""
        if pod_sc.seccomp is not None:
            return pod_sc.seccomp.annotation()
        if annotations.get(SECCOMP_POD_ANNOTATION):
            return annotations[SECCOMP_POD_ANNOTATION]
        return self.allowed[0] if self.allowed else ""

    def validate_pod(self, annotations: Mapping[str, str], pod_sc: PodSecurityContext) -> list[str]:
        profile = annotations.get(SECCOMP_POD_ANNOTATION, "")
        if not profile and pod_sc.seccomp is not None:
            profile = pod_sc.seccomp.annotation()
        return self._validate(f"metadata.annotations[{SECCOMP_POD_ANNOTATION}]", profile)

    def validate_container(
        self,
        annotations: Mapping[str, str],
        pod_sc: PodSecurityContext,
        name: str,
        sc: ContainerSecurityContext,
    ) -> list[str]:
        key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + name
        if sc.seccomp is not None:
            profile = sc.seccomp.annotation()
        elif key in annotations:
            profile = annotations[key]
        elif pod_sc.seccomp is not None:
            profile = pod_sc.seccomp.annotation()
        else:
            profile = annotations.get(SECCOMP_POD_ANNOTATION, "")
        return self._validate(f"metadata.annotations[{key}]", profile)

    def _validate(self, path: str, profile: str) -> list[str]:
        if not self.allow_any and not self.allowed and profile:
            return [forbidden(path, "seccomp may not be set")]
        if (not self.allowed and not profile) or self.allow_any:
            return []
        if profile in self.allowed or (self.runtime_default_allowed and profile in _DEFAULTS):
            return []
        valid = go_list(self.allowed)
        detail = f"{profile} is not an allowed seccomp profile. Valid values are {valid}"
        return [forbidden(path, detail)]

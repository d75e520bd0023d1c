"""Security-context values of a pod and its containers, as SCC admission reads and sets them.

Immutable, so each SCC provider can derive its own mutated copy from the same parsed pod.
`None` is "unset" (a nil pointer in the API). `to_json` gives the manifest form for writing a
mutated value back into the pod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
SECCOMP_UNCONFINED = "unconfined"
SECCOMP_RUNTIME_DEFAULT = "runtime/default"
SECCOMP_DOCKER_DEFAULT = "docker/default"
SECCOMP_LOCALHOST_PREFIX = "localhost/"


@dataclass(frozen=True, slots=True)
class SELinuxOptions:
    user: str = ""
    role: str = ""
    type: str = ""
    level: str = ""

    def to_json(self) -> dict[str, str]:
        fields = (("user", self.user), ("role", self.role), ("type", self.type))
        out = {key: value for key, value in fields if value}
        if self.level:
            out["level"] = self.level
        return out


@dataclass(frozen=True, slots=True)
class SeccompProfile:
    type: str
    localhost_profile: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"type": self.type}
        if self.localhost_profile is not None:
            out["localhostProfile"] = self.localhost_profile
        return out

    def annotation(self) -> str:
        """The deprecated annotation value for this field ("" when there is none)."""
        if self.type == "Unconfined":
            return SECCOMP_UNCONFINED
        if self.type == "RuntimeDefault":
            return SECCOMP_RUNTIME_DEFAULT
        if self.type == "Localhost" and self.localhost_profile is not None:
            return SECCOMP_LOCALHOST_PREFIX + self.localhost_profile
        return ""


def seccomp_for_annotation(annotation: str) -> SeccompProfile | None:
    """The seccompProfile field for a deprecated annotation value (None if unrecognized)."""
    if annotation == SECCOMP_UNCONFINED:
        return SeccompProfile("Unconfined")
    if annotation in (SECCOMP_RUNTIME_DEFAULT, SECCOMP_DOCKER_DEFAULT):
        return SeccompProfile("RuntimeDefault")
    if annotation.startswith(SECCOMP_LOCALHOST_PREFIX):
        profile = annotation[len(SECCOMP_LOCALHOST_PREFIX) :]
        if profile:
            return SeccompProfile("Localhost", profile)
    return None


@dataclass(frozen=True, slots=True)
class Capabilities:
    add: tuple[str, ...] | None = None
    drop: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, list[str]]:
        out = {}
        if self.add:
            out["add"] = list(self.add)
        if self.drop:
            out["drop"] = list(self.drop)
        return out


@dataclass(frozen=True, slots=True)
class ContainerSecurityContext:
    run_as_user: int | None = None
    run_as_non_root: bool | None = None
    se_linux: SELinuxOptions | None = None
    seccomp: SeccompProfile | None = None
    capabilities: Capabilities | None = None
    privileged: bool | None = None
    read_only_root_filesystem: bool | None = None
    allow_privilege_escalation: bool | None = None


@dataclass(frozen=True, slots=True)
class PodSecurityContext:
    run_as_user: int | None = None
    run_as_non_root: bool | None = None
    se_linux: SELinuxOptions | None = None
    seccomp: SeccompProfile | None = None
    fs_group: int | None = None
    supplemental_groups: tuple[int, ...] | None = None
    sysctls: tuple[str, ...] = ()


CONTAINER_JSON_KEYS = {
    "run_as_user": "runAsUser",
    "run_as_non_root": "runAsNonRoot",
    "se_linux": "seLinuxOptions",
    "seccomp": "seccompProfile",
    "capabilities": "capabilities",
    "privileged": "privileged",
    "read_only_root_filesystem": "readOnlyRootFilesystem",
    "allow_privilege_escalation": "allowPrivilegeEscalation",
}
POD_JSON_KEYS = {
    "run_as_user": "runAsUser",
    "run_as_non_root": "runAsNonRoot",
    "se_linux": "seLinuxOptions",
    "seccomp": "seccompProfile",
    "fs_group": "fsGroup",
    "supplemental_groups": "supplementalGroups",
}


def json_value(value: Any) -> Any:
    """A security-context field value in manifest form."""
    if isinstance(value, SELinuxOptions | SeccompProfile | Capabilities):
        return value.to_json()
    if isinstance(value, tuple):
        return list(value)
    return value

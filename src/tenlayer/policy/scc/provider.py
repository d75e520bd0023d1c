"""One SCC applied to one pod: default the security contexts from its strategies, then
validate the result — OpenShift's SCC provider (`sccmatching`), step for step.

Order, as OpenShift runs it: pod-level defaults (SELinux, fsGroup, supplementalGroups, the
seccomp profile), pod-level checks, then for each container (init, regular, ephemeral) its
defaults and checks. A container reads a field the pod also has (runAsUser, runAsNonRoot,
seLinuxOptions, seccompProfile) from the pod when it does not set it, and a default is
written to the container only where it differs from what the container already inherits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tenlayer.policy.scc.capabilities import default_capabilities, validate_capabilities
from tenlayer.policy.scc.constraints import SCC
from tenlayer.policy.scc.fielderrors import invalid
from tenlayer.policy.scc.groups import default_groups, validate_groups
from tenlayer.policy.scc.podview import Container, PodView
from tenlayer.policy.scc.seccomp import SeccompStrategy
from tenlayer.policy.scc.securitycontext import (
    SECCOMP_CONTAINER_ANNOTATION_PREFIX,
    SECCOMP_POD_ANNOTATION,
    ContainerSecurityContext,
    PodSecurityContext,
    seccomp_for_annotation,
)
from tenlayer.policy.scc.selinux import default_selinux, validate_selinux
from tenlayer.policy.scc.sysctls import validate_sysctls
from tenlayer.policy.scc.user import default_run_as_user, validate_run_as_user
from tenlayer.policy.scc.volumes import validate_volumes

_POD_SC = "spec.securityContext"
# fields a container inherits from the pod's security context when it leaves them unset
_INHERITED = ("run_as_user", "run_as_non_root", "se_linux", "seccomp")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The pod as this SCC would leave it, and why it refuses it (empty: admitted)."""

    errors: tuple[str, ...]
    pod_sc: PodSecurityContext
    annotations: dict[str, str]
    containers: tuple[ContainerSecurityContext, ...]


class _Effective:
    """A container's security context seen through the pod's (Kubernetes' effective
    container security-context mutator)."""

    __slots__ = ("pod", "sc")

    def __init__(self, pod: PodSecurityContext, sc: ContainerSecurityContext) -> None:
        self.pod = pod
        self.sc = sc

    def get(self, name: str) -> Any:
        value = getattr(self.sc, name)
        if value is None and name in _INHERITED:
            return getattr(self.pod, name)
        return value

    def set(self, name: str, value: Any) -> None:
        if name in _INHERITED and self.get(name) == value:
            return
        if getattr(self.sc, name) != value:
            self.sc = replace(self.sc, **{name: value})


class Provider:
    """An SCC configured for a namespace (ranges filled in), ready to apply to pods."""

    __slots__ = ("scc", "seccomp")

    def __init__(self, scc: SCC) -> None:
        self.scc = scc
        self.seccomp = SeccompStrategy(scc)

    def apply(self, pod: PodView) -> Outcome:
        annotations = dict(pod.annotations)
        pod_sc = self._default_pod(pod.sc, annotations)
        errors = self._validate_pod(pod, pod_sc, annotations)
        containers = []
        for container in pod.containers:
            sc = self._default_container(pod_sc, annotations, container)
            containers.append(sc)
            errors.extend(self._validate_container(pod_sc, annotations, container, sc))
        return Outcome(tuple(errors), pod_sc, annotations, tuple(containers))

    def _default_pod(
        self, sc: PodSecurityContext, annotations: dict[str, str]
    ) -> PodSecurityContext:
        scc = self.scc
        sc = replace(
            sc,
            se_linux=default_selinux(scc, sc.se_linux),
            fs_group=next(
                iter(default_groups(scc.fs_group_type, scc.fs_group_ranges, _fs_groups(sc) or ())),
                None,
            ),
        )
        groups = default_groups(
            scc.supplemental_groups_type,
            scc.supplemental_groups_ranges,
            sc.supplemental_groups or (),
        )
        if groups != (sc.supplemental_groups or ()):
            sc = replace(sc, supplemental_groups=groups)
        # the profile is set on the pod only; containers inherit it unless they set their own
        profile = self.seccomp.generate(annotations, sc)
        if profile:
            annotations[SECCOMP_POD_ANNOTATION] = profile
            sc = replace(sc, seccomp=seccomp_for_annotation(profile))
        return sc

    def _validate_pod(
        self, pod: PodView, sc: PodSecurityContext, annotations: dict[str, str]
    ) -> list[str]:
        scc = self.scc
        errors = []
        for allowed, used, field, what in (
            (scc.allow_host_pid, pod.host_pid, "hostPID", "Host PID"),
            (scc.allow_host_network, pod.host_network, "hostNetwork", "Host network"),
            (scc.allow_host_ipc, pod.host_ipc, "hostIPC", "Host IPC"),
        ):
            if used and not allowed:
                errors.append(invalid(f"spec.{field}", True, f"{what} is not allowed to be used"))
        if scc.user_namespace_level == "RequirePodLevel" and pod.host_users is not False:
            errors.append(
                invalid("spec.hostUsers", pod.host_users, "Host Users must be set to false")
            )
        errors += validate_selinux(scc, f"{_POD_SC}.seLinuxOptions", sc.se_linux)
        errors += validate_groups(
            scc.fs_group_type, scc.fs_group_ranges, f"{_POD_SC}.fsGroup", _fs_groups(sc)
        )
        errors += validate_groups(
            scc.supplemental_groups_type,
            scc.supplemental_groups_ranges,
            f"{_POD_SC}.supplementalGroups",
            sc.supplemental_groups,
        )
        errors += self.seccomp.validate_pod(annotations, sc)
        errors += validate_sysctls(scc, sc.sysctls)
        errors += validate_volumes(scc, pod.volumes)
        return errors

    def _default_container(
        self, pod_sc: PodSecurityContext, annotations: dict[str, str], container: Container
    ) -> ContainerSecurityContext:
        scc = self.scc
        sc = _Effective(pod_sc, container.sc)
        sc.set("run_as_user", default_run_as_user(scc, sc.get("run_as_user")))
        sc.set("se_linux", default_selinux(scc, sc.get("se_linux")))
        sc.set("capabilities", default_capabilities(scc, sc.get("capabilities")))
        # runAsNonRoot marks what is known to be non-root, so the kubelet (and the upstream
        # "restricted" pod security level) can check it
        if sc.get("run_as_non_root") is None:
            uid = sc.get("run_as_user")
            if (uid is None and scc.run_as_user_type == "MustRunAsNonRoot") or (
                uid is not None and uid > 0
            ):
                sc.set("run_as_non_root", True)
        if scc.read_only_root_filesystem and sc.get("read_only_root_filesystem") is None:
            sc.set("read_only_root_filesystem", True)
        privileged = sc.get("privileged") is True
        caps = sc.get("capabilities")
        adds_sys_admin = caps is not None and "CAP_SYS_ADMIN" in (caps.add or ())
        key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + container.name
        if key in annotations:
            sc.set("seccomp", seccomp_for_annotation(annotations[key]))
        # the API refuses allowPrivilegeEscalation=false with privileged or CAP_SYS_ADMIN,
        # so the SCC's default is not applied to those
        if (
            scc.default_allow_privilege_escalation is not None
            and sc.get("allow_privilege_escalation") is None
            and not privileged
            and not adds_sys_admin
        ):
            sc.set("allow_privilege_escalation", scc.default_allow_privilege_escalation)
        if not scc.allow_privilege_escalation and sc.get("allow_privilege_escalation") is None:
            sc.set("allow_privilege_escalation", False)
        return sc.sc

    def _validate_container(
        self,
        pod_sc: PodSecurityContext,
        annotations: dict[str, str],
        container: Container,
        container_sc: ContainerSecurityContext,
    ) -> list[str]:
        scc = self.scc
        sc = _Effective(pod_sc, container_sc)
        path = f"{container.path}.securityContext"
        errors = []
        if not scc.allow_privileged_container and sc.get("privileged") is True:
            errors.append(
                invalid(f"{path}.privileged", True, "Privileged containers are not allowed")
            )
        if scc.read_only_root_filesystem:
            read_only = sc.get("read_only_root_filesystem")
            if read_only is None:
                errors.append(
                    invalid(
                        f"{path}.readOnlyRootFilesystem",
                        None,
                        "ReadOnlyRootFilesystem may not be nil and must be set to true",
                    )
                )
            elif not read_only:
                errors.append(
                    invalid(
                        f"{path}.readOnlyRootFilesystem",
                        False,
                        "ReadOnlyRootFilesystem must be set to true",
                    )
                )
        escalation = sc.get("allow_privilege_escalation")
        if not scc.allow_privilege_escalation and escalation is not False:
            errors.append(
                invalid(
                    f"{path}.allowPrivilegeEscalation",
                    escalation,
                    "Allowing privilege escalation for containers is not allowed",
                )
            )
        errors += validate_run_as_user(scc, path, sc.get("run_as_non_root"), sc.get("run_as_user"))
        errors += validate_selinux(scc, f"{path}.seLinuxOptions", sc.get("se_linux"))
        errors += validate_capabilities(scc, path, sc.get("capabilities"))
        errors += self.seccomp.validate_container(annotations, pod_sc, container.name, container_sc)
        if not scc.allow_host_ports:
            for port in container.host_ports:
                errors.append(
                    invalid(
                        f"{container.path}.ports[{port.index}].hostPort",
                        port.port,
                        "Host ports are not allowed to be used",
                    )
                )
        return errors


def _fs_groups(sc: PodSecurityContext) -> tuple[int, ...] | None:
    return None if sc.fs_group is None else (sc.fs_group,)

"""Catalogue entries of the Pod Security Standards controls (layer 5), one per control slug."""

from __future__ import annotations

from tenlayer.checks.catalogue import Check
from tenlayer.model import Layer, Severity

PSS_PAGE = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
PSA_PAGE = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
USERNS_PAGE = (
    "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/"
    "#integration-with-pod-security-admission-checks"
)


def check_id(slug: str) -> str:
    """The catalogue id of a control: `deploy/pss-<slug>`."""
    return f"deploy/pss-{slug}"


def _check(
    slug: str,
    severity: Severity,
    title: str,
    description: str,
    remediation: str,
    *extra_references: str,
) -> Check:
    return Check(
        id=check_id(slug),
        layer=Layer.DEPLOYMENT,
        severity=severity,
        title=title,
        description=description,
        remediation=remediation,
        references=(PSS_PAGE, PSA_PAGE, *extra_references),
    )


CHECKS = (
    _check(
        "host-namespaces",
        Severity.HIGH,
        "Pod shares the host's network, PID or IPC namespace (PSS baseline)",
        "hostNetwork, hostPID or hostIPC is true: the pod sees and can reach the node's "
        "network interfaces and loopback services, every process on the node, or its shared "
        "memory, which removes the isolation the baseline standard guarantees.",
        "Remove spec.hostNetwork, spec.hostPID and spec.hostIPC (or set them to false).",
    ),
    _check(
        "privileged",
        Severity.HIGH,
        "Container runs privileged (PSS baseline)",
        "securityContext.privileged=true gives the container every capability and the host's "
        "devices, and disables most confinement: it is root on the node in all but name.",
        "Remove securityContext.privileged or set it to false; grant only the specific "
        "capabilities the workload needs.",
    ),
    _check(
        "capabilities-baseline",
        Severity.HIGH,
        "Container adds capabilities beyond the runtime's default set (PSS baseline)",
        "securityContext.capabilities.add names a capability outside AUDIT_WRITE, CHOWN, "
        "DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, "
        "SETUID and SYS_CHROOT (for example NET_RAW, SYS_ADMIN, SYS_PTRACE), widening what the "
        "container's root user can do to the kernel and the node.",
        "Remove the extra capabilities from securityContext.capabilities.add.",
    ),
    _check(
        "host-path-volumes",
        Severity.HIGH,
        "Pod mounts a hostPath volume (PSS baseline)",
        "A hostPath volume exposes a directory of the node to the pod; writable, it can plant "
        "files the node executes, and even read-only it can leak credentials of other pods.",
        "Use a persistentVolumeClaim, emptyDir, configMap, secret or projected volume instead "
        "of spec.volumes[].hostPath.",
    ),
    _check(
        "host-ports",
        Severity.MEDIUM,
        "Container binds a port on the node (PSS baseline)",
        "ports[].hostPort exposes the container directly on the node's network address, "
        "bypassing Service and NetworkPolicy controls and competing with the node's services.",
        "Remove ports[].hostPort and expose the port through a Service.",
    ),
    _check(
        "apparmor-profile",
        Severity.MEDIUM,
        "AppArmor confinement is disabled or overridden (PSS baseline)",
        "The appArmorProfile type (pod or container) or the legacy container.apparmor.security."
        "beta.kubernetes.io annotation selects a profile other than the runtime default or a "
        "localhost profile, typically Unconfined, removing the mandatory access control the "
        "runtime applies by default.",
        "Leave AppArmor unset, or use type RuntimeDefault or Localhost (annotation values "
        "runtime/default or localhost/<profile>).",
    ),
    _check(
        "selinux-options",
        Severity.MEDIUM,
        "SELinux type, user or role is set to a forbidden value (PSS baseline)",
        "seLinuxOptions may only pick one of the container types (container_t, "
        "container_init_t, container_kvm_t, and from policy v1.31 container_engine_t) and may "
        "not set a user or role: other labels can escape the container domain.",
        "Remove seLinuxOptions.user and .role, and leave .type unset or set it to an allowed "
        "container type.",
    ),
    _check(
        "proc-mount",
        Severity.MEDIUM,
        "Container unmasks /proc (PSS baseline)",
        "securityContext.procMount other than Default removes the runtime's masking of "
        "sensitive /proc paths. From policy v1.35 baseline allows it for pods in a user "
        "namespace (hostUsers: false).",
        "Remove securityContext.procMount or set it to Default.",
        USERNS_PAGE,
    ),
    _check(
        "seccomp-profile-baseline",
        Severity.MEDIUM,
        "Seccomp is explicitly disabled (PSS baseline)",
        "The seccompProfile type (from policy v1.19) or, before v1.19, the seccomp alpha "
        "annotations select a profile other than the runtime default or a localhost profile, "
        "typically Unconfined, exposing every system call to the container.",
        "Leave seccomp unset or set seccompProfile.type to RuntimeDefault or Localhost.",
    ),
    _check(
        "sysctls",
        Severity.MEDIUM,
        "Pod sets a sysctl outside the safe set (PSS baseline)",
        "spec.securityContext.sysctls names a kernel parameter that is not namespaced to the "
        "pod or not isolated from other pods on the node; the safe set grows with the policy "
        "version (v1.27, v1.29, v1.32, v1.37).",
        "Remove the sysctl, or run the workload where an administrator allows it explicitly.",
    ),
    _check(
        "windows-host-process",
        Severity.HIGH,
        "Windows HostProcess container (PSS baseline)",
        "windowsOptions.hostProcess=true runs the container as a process on the Windows node "
        "with the node's privileges and network.",
        "Remove windowsOptions.hostProcess (pod and containers) or set it to false.",
    ),
    _check(
        "host-probes-and-host-lifecycle",
        Severity.MEDIUM,
        "Probe or lifecycle handler targets another host (PSS baseline)",
        "An httpGet or tcpSocket probe or lifecycle handler sets host: the kubelet then "
        "connects from the node to that address on the pod's behalf, reaching endpoints the "
        "pod itself could not (checked from policy v1.34).",
        "Remove the host field so the handler targets the pod's own IP.",
    ),
    _check(
        "restricted-volumes",
        Severity.MEDIUM,
        "Pod uses a volume type outside the restricted set (PSS restricted)",
        "Restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
        "persistentVolumeClaim, projected and secret volumes; other inline types (hostPath, "
        "nfs, iscsi, gitRepo, …) reach the node or storage backends directly.",
        "Replace the inline volume with a persistentVolumeClaim or one of the allowed types.",
    ),
    _check(
        "allow-privilege-escalation",
        Severity.MEDIUM,
        "Container may gain privileges (PSS restricted)",
        "allowPrivilegeEscalation is not false (unset means true), so set-user-ID binaries and "
        "file capabilities can raise the process's privileges (required from policy v1.8; "
        "Windows pods exempt from v1.25).",
        "Set securityContext.allowPrivilegeEscalation: false on every container.",
    ),
    _check(
        "run-as-non-root",
        Severity.MEDIUM,
        "Containers are not required to run as a non-root user (PSS restricted)",
        "runAsNonRoot is not true at pod level or on every container, so the image may run as "
        "UID 0. From policy v1.35 pods in a user namespace (hostUsers: false) are exempt.",
        "Set spec.securityContext.runAsNonRoot: true (or on every container) and run the image "
        "as a non-zero UID.",
        USERNS_PAGE,
    ),
    _check(
        "run-as-user",
        Severity.MEDIUM,
        "Pod or container explicitly runs as root (PSS restricted)",
        "runAsUser is 0 at pod or container level (checked from policy v1.23). From v1.35 "
        "pods in a user namespace (hostUsers: false) are exempt.",
        "Set runAsUser to a non-zero UID or remove it.",
        USERNS_PAGE,
    ),
    _check(
        "seccomp-profile-restricted",
        Severity.LOW,
        "Seccomp profile is not set to RuntimeDefault or Localhost (PSS restricted)",
        "Restricted requires seccompProfile.type RuntimeDefault or Localhost at pod level or on "
        "every container (from policy v1.19; Windows pods exempt from v1.25); unset means "
        "Unconfined on most runtimes.",
        "Set spec.securityContext.seccompProfile.type: RuntimeDefault.",
    ),
    _check(
        "capabilities-restricted",
        Severity.LOW,
        "Container does not drop ALL capabilities, or adds one other than NET_BIND_SERVICE "
        "(PSS restricted)",
        "Restricted requires capabilities.drop to include ALL and allows adding back only "
        "NET_BIND_SERVICE (from policy v1.22; Windows pods exempt from v1.25).",
        'Set securityContext.capabilities.drop: ["ALL"] on every container and add back at '
        "most NET_BIND_SERVICE.",
    ),
    _check(
        "proc-mount-restricted",
        Severity.MEDIUM,
        "Container unmasks /proc (PSS restricted)",
        "From policy v1.35 restricted keeps forbidding a procMount other than Default even for "
        "pods in a user namespace, which baseline then allows.",
        "Remove securityContext.procMount or set it to Default.",
        USERNS_PAGE,
    ),
)

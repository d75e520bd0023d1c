"""The parts of a Pod that SCC admission reads, parsed once with their types checked.

A field with the wrong type is bad input (the API server would refuse to decode such a pod
before any admission plugin runs), reported as `BadInput` naming the pod and the field.
API defaulting that SCC admission sees is applied here: with `hostNetwork`, a container port
without a hostPort gets its containerPort as hostPort.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.values import type_name
from tenlayer.policy.scc.reading import INT32, Fields
from tenlayer.policy.scc.securitycontext import (
    Capabilities,
    ContainerSecurityContext,
    PodSecurityContext,
    SeccompProfile,
    SELinuxOptions,
)

CONTAINER_KINDS = ("initContainers", "containers", "ephemeralContainers")
"""In the order OpenShift visits them."""

# volume source key in a manifest -> the SCC volume type (FSType) it stands for, in the
# order OpenShift tests them
VOLUME_TYPES = (
    ("hostPath", "hostPath"),
    ("emptyDir", "emptyDir"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("gitRepo", "gitRepo"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("flexVolume", "flexVolume"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("flocker", "flocker"),
    ("downwardAPI", "downwardAPI"),
    ("fc", "fc"),
    ("azureFile", "azureFile"),
    ("configMap", "configMap"),
    ("vsphereVolume", "vsphere"),
    ("quobyte", "quobyte"),
    ("azureDisk", "azureDisk"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("projected", "projected"),
    ("portworxVolume", "portworxVolume"),
    ("scaleIO", "scaleIO"),
    ("storageos", "storageOS"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
)


@dataclass(frozen=True, slots=True)
class HostPort:
    index: int
    """Index of the port in the container's `ports`."""
    port: int


@dataclass(frozen=True, slots=True)
class Container:
    kind: str
    """initContainers, containers or ephemeralContainers."""
    index: int
    name: str
    sc: ContainerSecurityContext
    host_ports: tuple[HostPort, ...] = ()

    @property
    def path(self) -> str:
        return f"spec.{self.kind}[{self.index}]"


@dataclass(frozen=True, slots=True)
class Volume:
    index: int
    name: str
    fs_type: str
    """The SCC volume type; "" when the volume has no source tenlayer knows."""
    flex_driver: str | None = None
    only_service_account_token: bool = False
    """A projected volume holding only what the service-account token projection injects."""


@dataclass(frozen=True, slots=True)
class PodView:
    name: str
    namespace: str
    namespace_given: bool
    """The pod names its namespace (rather than falling back to the default)."""
    service_account: str
    annotations: dict[str, str] = field(hash=False)
    host_network: bool
    host_pid: bool
    host_ipc: bool
    host_users: bool | None
    os_name: str
    sc: PodSecurityContext
    containers: tuple[Container, ...]
    volumes: tuple[Volume, ...]


def parse_pod(pod: Mapping[str, Any], default_namespace: str = "default") -> PodView:
    """Parse `pod`; BadInput names the pod and the first field with a wrong type."""
    if not isinstance(pod, Mapping):
        raise BadInput(f"Pod: expected a mapping, got {type_name(pod)}")
    fields = Fields("Pod")
    metadata = fields.mapping(pod.get("metadata"), "metadata") or {}
    name = (
        fields.string(metadata.get("name"), "metadata.name")
        or fields.string(metadata.get("generateName"), "metadata.generateName")
        or "<unnamed>"
    )
    given = fields.string(metadata.get("namespace"), "metadata.namespace")
    namespace = given or default_namespace
    fields.what = f"Pod/{namespace}/{name}"
    if pod.get("kind") is not None and pod.get("kind") != "Pod":
        fields.fail("kind", f"expected Pod, got {type_name(pod.get('kind'))} {pod.get('kind')!r}")
    annotations = fields.string_map(metadata.get("annotations"), "metadata.annotations")
    spec = fields.mapping(pod.get("spec"), "spec") or {}
    host_network = bool(fields.boolean(spec.get("hostNetwork"), "spec.hostNetwork"))
    os_spec = fields.mapping(spec.get("os"), "spec.os") or {}
    return PodView(
        name=name,
        namespace=namespace,
        namespace_given=bool(given),
        service_account=fields.string(spec.get("serviceAccountName"), "spec.serviceAccountName")
        or "default",
        annotations=annotations,
        host_network=host_network,
        host_pid=bool(fields.boolean(spec.get("hostPID"), "spec.hostPID")),
        host_ipc=bool(fields.boolean(spec.get("hostIPC"), "spec.hostIPC")),
        host_users=fields.boolean(spec.get("hostUsers"), "spec.hostUsers"),
        os_name=fields.string(os_spec.get("name"), "spec.os.name") or "",
        sc=_pod_security_context(fields, spec.get("securityContext")),
        containers=tuple(_containers(fields, spec, host_network)),
        volumes=tuple(_volumes(fields, spec.get("volumes"))),
    )


def _selinux(fields: Fields, value: Any, path: str) -> SELinuxOptions | None:
    options = fields.mapping(value, path)
    if options is None:
        return None
    parts = [
        fields.string(options.get(key), f"{path}.{key}") or ""
        for key in ("user", "role", "type", "level")
    ]
    return SELinuxOptions(*parts)


def _seccomp(fields: Fields, value: Any, path: str) -> SeccompProfile | None:
    profile = fields.mapping(value, path)
    if profile is None:
        return None
    return SeccompProfile(
        fields.string(profile.get("type"), f"{path}.type") or "",
        fields.string(profile.get("localhostProfile"), f"{path}.localhostProfile"),
    )


def _pod_security_context(fields: Fields, value: Any) -> PodSecurityContext:
    path = "spec.securityContext"
    sc = fields.mapping(value, path)
    if sc is None:
        return PodSecurityContext()
    groups = fields.array(sc.get("supplementalGroups"), f"{path}.supplementalGroups")
    sysctls = []
    for index, item in enumerate(fields.array(sc.get("sysctls"), f"{path}.sysctls") or ()):
        sysctl = fields.mapping(item, f"{path}.sysctls[{index}]") or {}
        sysctls.append(fields.string(sysctl.get("name"), f"{path}.sysctls[{index}].name") or "")
    return PodSecurityContext(
        run_as_user=fields.integer(sc.get("runAsUser"), f"{path}.runAsUser"),
        run_as_non_root=fields.boolean(sc.get("runAsNonRoot"), f"{path}.runAsNonRoot"),
        se_linux=_selinux(fields, sc.get("seLinuxOptions"), f"{path}.seLinuxOptions"),
        seccomp=_seccomp(fields, sc.get("seccompProfile"), f"{path}.seccompProfile"),
        fs_group=fields.integer(sc.get("fsGroup"), f"{path}.fsGroup"),
        supplemental_groups=None
        if groups is None
        else tuple(
            fields.integer(g, f"{path}.supplementalGroups[{i}]") or 0 for i, g in enumerate(groups)
        ),
        sysctls=tuple(sysctls),
    )


def _container_security_context(fields: Fields, value: Any, path: str) -> ContainerSecurityContext:
    sc = fields.mapping(value, path)
    if sc is None:
        return ContainerSecurityContext()
    caps = fields.mapping(sc.get("capabilities"), f"{path}.capabilities")
    return ContainerSecurityContext(
        run_as_user=fields.integer(sc.get("runAsUser"), f"{path}.runAsUser"),
        run_as_non_root=fields.boolean(sc.get("runAsNonRoot"), f"{path}.runAsNonRoot"),
        se_linux=_selinux(fields, sc.get("seLinuxOptions"), f"{path}.seLinuxOptions"),
        seccomp=_seccomp(fields, sc.get("seccompProfile"), f"{path}.seccompProfile"),
        capabilities=None
        if caps is None
        else Capabilities(
            fields.strings(caps.get("add"), f"{path}.capabilities.add"),
            fields.strings(caps.get("drop"), f"{path}.capabilities.drop"),
        ),
        privileged=fields.boolean(sc.get("privileged"), f"{path}.privileged"),
        read_only_root_filesystem=fields.boolean(
            sc.get("readOnlyRootFilesystem"), f"{path}.readOnlyRootFilesystem"
        ),
        allow_privilege_escalation=fields.boolean(
            sc.get("allowPrivilegeEscalation"), f"{path}.allowPrivilegeEscalation"
        ),
    )


def _containers(fields: Fields, spec: Mapping[str, Any], host_network: bool) -> list[Container]:
    out = []
    for kind in CONTAINER_KINDS:
        items = fields.array(spec.get(kind), f"spec.{kind}") or ()
        for index, item in enumerate(items):
            path = f"spec.{kind}[{index}]"
            container = fields.mapping(item, path) or {}
            host_ports = []
            for port_index, port in enumerate(
                fields.array(container.get("ports"), f"{path}.ports") or ()
            ):
                port_path = f"{path}.ports[{port_index}]"
                entry = fields.mapping(port, port_path) or {}
                host_port = fields.integer(entry.get("hostPort"), f"{port_path}.hostPort", INT32)
                container_port = fields.integer(
                    entry.get("containerPort"), f"{port_path}.containerPort", INT32
                )
                if not host_port and host_network and kind != "ephemeralContainers":
                    host_port = container_port  # API defaulting for host-network pods
                if host_port and host_port > 0:
                    host_ports.append(HostPort(port_index, host_port))
            out.append(
                Container(
                    kind=kind,
                    index=index,
                    name=fields.string(container.get("name"), f"{path}.name") or "",
                    sc=_container_security_context(
                        fields, container.get("securityContext"), f"{path}.securityContext"
                    ),
                    host_ports=tuple(host_ports),
                )
            )
    return out


def _volumes(fields: Fields, value: Any) -> list[Volume]:
    out = []
    for index, item in enumerate(fields.array(value, "spec.volumes") or ()):
        path = f"spec.volumes[{index}]"
        volume = fields.mapping(item, path) or {}
        name = fields.string(volume.get("name"), f"{path}.name") or ""
        fs_type = ""
        source: Mapping[str, Any] = {}
        for key, volume_type in VOLUME_TYPES:
            found = fields.mapping(volume.get(key), f"{path}.{key}")
            if found is not None:
                fs_type, source = volume_type, found
                break
        flex_driver = None
        if fs_type == "flexVolume":
            flex_driver = fields.string(source.get("driver"), f"{path}.flexVolume.driver") or ""
        only_token = fs_type == "projected" and _only_service_account_token(
            fields, source, f"{path}.projected"
        )
        out.append(Volume(index, name, fs_type, flex_driver, only_token))
    return out


def _only_service_account_token(fields: Fields, projected: Mapping[str, Any], path: str) -> bool:
    """Whether a projected volume holds only the sources the service-account token volume
    projection injects (token, kube-root-ca.crt, namespace, openshift-service-ca.crt)."""
    for index, item in enumerate(fields.array(projected.get("sources"), f"{path}.sources") or ()):
        source_path = f"{path}.sources[{index}]"
        source = fields.mapping(item, source_path) or {}
        token = fields.mapping(
            source.get("serviceAccountToken"), f"{source_path}.serviceAccountToken"
        )
        config_map = fields.mapping(source.get("configMap"), f"{source_path}.configMap")
        downward = fields.mapping(source.get("downwardAPI"), f"{source_path}.downwardAPI")
        if token is None and config_map is None and downward is None:
            return False
        if token is not None and (
            token.get("path") != "token" or token.get("audience") not in (None, "")
        ):
            return False
        if config_map is not None and not _is_injected_config_map(config_map):
            return False
        if downward is not None:
            for entry in downward.get("items") or ():
                ref = entry.get("fieldRef") if isinstance(entry, Mapping) else None
                if (
                    not isinstance(entry, Mapping)
                    or entry.get("path") != "namespace"
                    or not isinstance(ref, Mapping)
                    or ref.get("apiVersion", "v1") not in ("v1", None, "")
                    or ref.get("fieldPath") != "metadata.namespace"
                ):
                    return False
    return True


_INJECTED_CONFIG_MAPS = {
    "kube-root-ca.crt": "ca.crt",
    "openshift-service-ca.crt": "service-ca.crt",
}


def _is_injected_config_map(config_map: Mapping[str, Any]) -> bool:
    name = config_map.get("name")
    key = _INJECTED_CONFIG_MAPS.get(name) if isinstance(name, str) else None
    items = config_map.get("items")
    return (
        key is not None
        and isinstance(items, list)
        and len(items) == 1
        and isinstance(items[0], Mapping)
        and items[0].get("key") == key
        and items[0].get("path") == key
    )

"""SecurityContextConstraints read from manifests, defaulted as the API server stores them.

The defaults are OpenShift's (`SetDefaults_SCC`): fsGroup and supplementalGroups strategies
default to RunAsAny, a missing `volumes` list allows every volume type, an empty one allows
none (`none`), `allowHostDirVolumePlugin` adds or removes `hostPath`, and an unset
`allowPrivilegeEscalation` means true. Fields with the wrong type, unknown strategy types and
strategies missing what they need (MustRunAs without a uid, half a uid range) are bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenlayer.policy.scc.reading import INT32, Fields
from tenlayer.policy.scc.securitycontext import SELinuxOptions

KIND = "SecurityContextConstraints"

RUN_AS_USER_TYPES = frozenset({"MustRunAs", "MustRunAsRange", "MustRunAsNonRoot", "RunAsAny"})
SELINUX_TYPES = frozenset({"MustRunAs", "RunAsAny"})
GROUP_TYPES = frozenset({"MustRunAs", "RunAsAny"})
USER_NAMESPACE_LEVELS = frozenset({"AllowHostLevel", "RequirePodLevel"})

ALL_VOLUMES = "*"
NO_VOLUMES = "none"
ALL_FS_TYPES = frozenset({
    "hostPath", "azureFile", "flocker", "flexVolume", "emptyDir", "gcePersistentDisk",
    "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs",
    "persistentVolumeClaim", "rbd", "cinder", "cephFS", "downwardAPI", "fc", "configMap",
    "vsphere", "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume",
    "scaleIO", "storageOS", "csi", "ephemeral", "image",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class IDRange:
    min: int
    max: int

    def __contains__(self, value: int) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True, slots=True)
class SCC:
    name: str
    priority: int | None
    allow_privileged_container: bool
    default_add_capabilities: tuple[str, ...]
    required_drop_capabilities: tuple[str, ...]
    allowed_capabilities: tuple[str, ...]
    allow_host_dir_volume_plugin: bool
    volumes: frozenset[str]
    allowed_flex_volumes: tuple[str, ...]
    allow_host_network: bool
    allow_host_ports: bool
    allow_host_pid: bool
    allow_host_ipc: bool
    user_namespace_level: str
    default_allow_privilege_escalation: bool | None
    allow_privilege_escalation: bool
    selinux_type: str
    selinux_options: SELinuxOptions | None
    run_as_user_type: str
    uid: int | None
    uid_range_min: int | None
    uid_range_max: int | None
    supplemental_groups_type: str
    supplemental_groups_ranges: tuple[IDRange, ...]
    fs_group_type: str
    fs_group_ranges: tuple[IDRange, ...]
    read_only_root_filesystem: bool
    users: tuple[str, ...]
    groups: tuple[str, ...]
    seccomp_profiles: tuple[str, ...]
    allowed_unsafe_sysctls: tuple[str, ...]
    forbidden_sysctls: tuple[str, ...]

    @property
    def allows_all_volumes(self) -> bool:
        return ALL_VOLUMES in self.volumes

    def allows_volume_type(self, fs_type: str) -> bool:
        return fs_type in self.volumes or ALL_VOLUMES in self.volumes

    def privileges(self) -> tuple[str, ...]:
        """What this SCC lets a pod do that gives it power over the node or other tenants."""
        found = []
        if self.allow_privileged_container:
            found.append("privileged containers")
        if self.run_as_user_type == "RunAsAny":
            found.append("any UID, including root")
        if self.selinux_type == "RunAsAny":
            found.append("any SELinux context")
        if "*" in self.allowed_capabilities:
            found.append("any capability")
        if self.allow_host_network:
            found.append("host network")
        if self.allow_host_pid:
            found.append("host PID namespace")
        if self.allow_host_ipc:
            found.append("host IPC namespace")
        if self.allow_host_ports:
            found.append("host ports")
        if self.allows_volume_type("hostPath"):
            found.append("hostPath volumes")
        return tuple(found)


def parse_scc(obj: Mapping[str, Any]) -> SCC:
    """One SCC from its manifest; BadInput names the SCC and the offending field."""
    fields = Fields(KIND)
    metadata = fields.mapping(obj.get("metadata"), "metadata") or {}
    name = fields.string(metadata.get("name"), "metadata.name")
    if not name:
        fields.fail("metadata.name", "is required")
    fields.what = f"{KIND}/{name}"

    def flag(key: str) -> bool:
        return bool(fields.boolean(obj.get(key), key))

    def names(key: str) -> tuple[str, ...]:
        return fields.strings(obj.get(key), key) or ()

    run_as_user = fields.mapping(obj.get("runAsUser"), "runAsUser") or {}
    selinux = fields.mapping(obj.get("seLinuxContext"), "seLinuxContext") or {}
    user_type = fields.string(run_as_user.get("type"), "runAsUser.type") or ""
    if user_type not in RUN_AS_USER_TYPES:
        fields.fail("runAsUser.type", f"unrecognized RunAsUser strategy type {user_type!r}")
    uid = fields.integer(run_as_user.get("uid"), "runAsUser.uid")
    uid_min = fields.integer(run_as_user.get("uidRangeMin"), "runAsUser.uidRangeMin")
    uid_max = fields.integer(run_as_user.get("uidRangeMax"), "runAsUser.uidRangeMax")
    if user_type == "MustRunAs" and uid is None:
        fields.fail("runAsUser.uid", "MustRunAs requires a UID")
    if user_type == "MustRunAsRange" and (uid_min is None) != (uid_max is None):
        missing = "UIDRangeMin" if uid_min is None else "UIDRangeMax"
        fields.fail(
            f"runAsUser.{missing[0].lower()}{missing[1:]}", f"MustRunAsRange requires a {missing}"
        )
    selinux_type = fields.string(selinux.get("type"), "seLinuxContext.type") or ""
    if selinux_type not in SELINUX_TYPES:
        fields.fail(
            "seLinuxContext.type", f"unrecognized SELinuxContext strategy type {selinux_type!r}"
        )
    level = fields.string(obj.get("userNamespaceLevel"), "userNamespaceLevel") or "AllowHostLevel"
    if level not in USER_NAMESPACE_LEVELS:
        fields.fail("userNamespaceLevel", f"unsupported value {level!r}")
    flex = []
    for index, item in enumerate(
        fields.array(obj.get("allowedFlexVolumes"), "allowedFlexVolumes") or ()
    ):
        entry = fields.mapping(item, f"allowedFlexVolumes[{index}]") or {}
        flex.append(fields.string(entry.get("driver"), f"allowedFlexVolumes[{index}].driver") or "")
    fs_type, fs_ranges = _group_strategy(fields, obj.get("fsGroup"), "fsGroup")
    sup_type, sup_ranges = _group_strategy(
        fields, obj.get("supplementalGroups"), "supplementalGroups"
    )
    allow_host_dir = flag("allowHostDirVolumePlugin")
    default_ape = fields.boolean(
        obj.get("defaultAllowPrivilegeEscalation"), "defaultAllowPrivilegeEscalation"
    )
    ape = fields.boolean(obj.get("allowPrivilegeEscalation"), "allowPrivilegeEscalation")
    return SCC(
        name=name,
        priority=fields.integer(obj.get("priority"), "priority", INT32),
        allow_privileged_container=flag("allowPrivilegedContainer"),
        default_add_capabilities=names("defaultAddCapabilities"),
        required_drop_capabilities=names("requiredDropCapabilities"),
        allowed_capabilities=names("allowedCapabilities"),
        allow_host_dir_volume_plugin=allow_host_dir,
        volumes=_default_volumes(fields.strings(obj.get("volumes"), "volumes"), allow_host_dir),
        allowed_flex_volumes=tuple(flex),
        allow_host_network=flag("allowHostNetwork"),
        allow_host_ports=flag("allowHostPorts"),
        allow_host_pid=flag("allowHostPID"),
        allow_host_ipc=flag("allowHostIPC"),
        user_namespace_level=level,
        default_allow_privilege_escalation=default_ape,
        allow_privilege_escalation=True if ape is None else ape,
        selinux_type=selinux_type,
        selinux_options=_selinux_options(fields, selinux.get("seLinuxOptions")),
        run_as_user_type=user_type,
        uid=uid,
        uid_range_min=uid_min,
        uid_range_max=uid_max,
        supplemental_groups_type=sup_type,
        supplemental_groups_ranges=sup_ranges,
        fs_group_type=fs_type,
        fs_group_ranges=fs_ranges,
        read_only_root_filesystem=flag("readOnlyRootFilesystem"),
        users=names("users"),
        groups=names("groups"),
        seccomp_profiles=names("seccompProfiles"),
        allowed_unsafe_sysctls=names("allowedUnsafeSysctls"),
        forbidden_sysctls=names("forbiddenSysctls"),
    )


def _group_strategy(fields: Fields, value: Any, path: str) -> tuple[str, tuple[IDRange, ...]]:
    options = fields.mapping(value, path) or {}
    kind = fields.string(options.get("type"), f"{path}.type") or "RunAsAny"
    if kind not in GROUP_TYPES:
        fields.fail(f"{path}.type", f"unrecognized {path} strategy type {kind!r}")
    ranges = []
    for index, item in enumerate(fields.array(options.get("ranges"), f"{path}.ranges") or ()):
        entry = fields.mapping(item, f"{path}.ranges[{index}]") or {}
        low = fields.integer(entry.get("min"), f"{path}.ranges[{index}].min") or 0
        high = fields.integer(entry.get("max"), f"{path}.ranges[{index}].max") or 0
        ranges.append(IDRange(low, high))
    return kind, tuple(ranges)


def _selinux_options(fields: Fields, value: Any) -> SELinuxOptions | None:
    path = "seLinuxContext.seLinuxOptions"
    options = fields.mapping(value, path)
    if options is None:
        return None
    return SELinuxOptions(
        *(
            fields.string(options.get(k), f"{path}.{k}") or ""
            for k in ("user", "role", "type", "level")
        )
    )


def _default_volumes(volumes: tuple[str, ...] | None, allow_host_dir: bool) -> frozenset[str]:
    """The allowed volume types as the API server defaults them (`SetDefaults_SCC`)."""
    if volumes is None:
        allowed = {ALL_VOLUMES}
    elif not volumes:
        allowed = {"hostPath"} if allow_host_dir else {NO_VOLUMES}
    else:
        allowed = set(volumes)
    if allow_host_dir:
        if ALL_VOLUMES not in allowed:
            allowed.add("hostPath")
    else:
        every = ALL_VOLUMES in allowed
        allowed -= {ALL_VOLUMES, "hostPath"}
        if every:
            allowed |= ALL_FS_TYPES - {"hostPath"}
    return frozenset(allowed)

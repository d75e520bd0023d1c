"""Types of the pod fields security decisions read, checked as the API server would.

A manifest with `privileged: "true"` (a string) or `containers: 5` is refused by the API
server, so it never runs; but read leniently it would pass every check. Each such field is
reported, with its path, so the checks' silence is never mistaken for a pass. Only the fields
tenlayer's checks read are described here; other fields are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tenlayer.kube.paths import key_step
from tenlayer.kube.values import type_name

Schema = Any
"""A type (str, int, bool), `[schema]` for a list of it, a dict of field -> schema for an
object (`"*"`: any other field), or `QUANTITY` for an int-or-string."""

QUANTITY = "quantity"
STRING_MAP = {"*": str}

_EXPECTED = {str: "a string", int: "an integer", bool: "a boolean", QUANTITY: "a quantity"}

_CAPABILITIES = {"add": [str], "drop": [str]}
_PROFILE = {"type": str, "localhostProfile": str}
_SELINUX = {"user": str, "role": str, "type": str, "level": str}
_WINDOWS = {"hostProcess": bool, "runAsUserName": str, "gmsaCredentialSpecName": str}
_CONTAINER_SECURITY = {
    "privileged": bool, "allowPrivilegeEscalation": bool, "runAsNonRoot": bool,
    "runAsUser": int, "runAsGroup": int, "readOnlyRootFilesystem": bool, "procMount": str,
    "capabilities": _CAPABILITIES, "seccompProfile": _PROFILE, "appArmorProfile": _PROFILE,
    "seLinuxOptions": _SELINUX, "windowsOptions": _WINDOWS,
}
_POD_SECURITY = {
    "runAsNonRoot": bool, "runAsUser": int, "runAsGroup": int, "fsGroup": int,
    "supplementalGroups": [int], "seccompProfile": _PROFILE, "appArmorProfile": _PROFILE,
    "seLinuxOptions": _SELINUX, "windowsOptions": _WINDOWS,
    "sysctls": [{"name": str, "value": str}],
}
_HANDLER = {"httpGet": {"host": str}, "tcpSocket": {"host": str}}
_PROBE = _HANDLER
_CONTAINER = {
    "name": str, "image": str, "securityContext": _CONTAINER_SECURITY,
    "ports": [{"containerPort": int, "hostPort": int, "hostIP": str, "protocol": str,
               "name": str}],
    "env": [{"name": str, "value": str}],
    "volumeMounts": [{"name": str, "mountPath": str, "readOnly": bool}],
    "resources": {"limits": {"*": QUANTITY}, "requests": {"*": QUANTITY}},
    "livenessProbe": _PROBE, "readinessProbe": _PROBE, "startupProbe": _PROBE,
    "lifecycle": {"postStart": _HANDLER, "preStop": _HANDLER},
    "command": [str], "args": [str],
}
POD_SPEC: dict[str, Schema] = {
    "containers": [_CONTAINER], "initContainers": [_CONTAINER],
    "ephemeralContainers": [_CONTAINER],
    "volumes": [{"name": str, "hostPath": {"path": str, "type": str}}],
    "hostNetwork": bool, "hostPID": bool, "hostIPC": bool, "hostUsers": bool,
    "shareProcessNamespace": bool, "automountServiceAccountToken": bool,
    "serviceAccountName": str, "serviceAccount": str, "securityContext": _POD_SECURITY,
    "hostAliases": [{"ip": str, "hostnames": [str]}], "os": {"name": str},
    "runtimeClassName": str, "nodeName": str,
}
POD_METADATA: dict[str, Schema] = {
    "name": str, "namespace": str, "labels": STRING_MAP, "annotations": STRING_MAP,
}


def type_errors(value: Any, schema: Schema, path: str) -> Iterator[tuple[str, str]]:
    """(field path, "expected …, got …") for each field of `value` that breaks `schema`."""
    if isinstance(schema, dict):
        if not isinstance(value, Mapping):
            yield path, f"expected an object, got {type_name(value)}"
            return
        wildcard = schema.get("*")
        for key, item in value.items():
            if item is None:  # null reads as unset, as the API server reads it
                continue
            field = schema.get(key, wildcard) if isinstance(key, str) else None
            if field is not None:
                yield from type_errors(item, field, f"{path}{key_step(key)}")
        return
    if isinstance(schema, list):
        if not isinstance(value, list):
            yield path, f"expected a list, got {type_name(value)}"
            return
        for index, item in enumerate(value):
            yield from type_errors(item, schema[0], f"{path}[{index}]")
        return
    if not _fits(value, schema):
        yield path, f"expected {_EXPECTED[schema]}, got {type_name(value)}"


def _fits(value: Any, schema: Schema) -> bool:
    if schema is bool:
        return isinstance(value, bool)
    if schema is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if schema is str:
        return isinstance(value, str)
    if schema == QUANTITY:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return True

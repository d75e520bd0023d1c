"""Manifests are untrusted: any field may be mistyped. Nothing raises; mistyped means unset."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenlayer.policy.pss import Level, PolicyVersion, evaluate_pod
from tests.policy.pss.pods import container, controls, evaluate, restricted_container

VERSIONS = [PolicyVersion.of(minor) for minor in (0, 8, 18, 19, 22, 25, 31, 34, 35, 37)]
VERSIONS.append(PolicyVersion.latest())
LEVELS = list(Level)

HOSTILE_SPECS: list[Any] = [
    None,
    "x",
    [],
    5,
    {"containers": "x"},
    {"containers": [None, 5, "x", [], {"name": 7, "securityContext": []}]},
    {"containers": [{"securityContext": {"capabilities": {"add": 5, "drop": "ALL"}}}]},
    {"containers": [{"securityContext": {"capabilities": {"add": [None, 5, {"x": 1}]}}}]},
    {"containers": [{"securityContext": "privileged"}]},
    {"containers": [{"ports": "80"}, {"ports": [None, "80", {"hostPort": "80"}]}]},
    {"containers": [{"ports": [{"hostPort": True}, {"hostPort": 1.5}]}]},
    {"containers": [{"livenessProbe": "x", "lifecycle": {"preStop": []}}]},
    {"containers": [{"livenessProbe": {"httpGet": {"host": 5}, "tcpSocket": "x"}}]},
    {"containers": [{"securityContext": {"seLinuxOptions": "x", "seccompProfile": 3}}]},
    {"containers": [{"securityContext": {"seLinuxOptions": {"type": None, "user": 4}}}]},
    {"containers": [{"securityContext": {"windowsOptions": {"hostProcess": "true"}}}]},
    {"securityContext": [], "volumes": "x", "hostNetwork": "yes", "os": "windows"},
    {"securityContext": {"sysctls": "kernel.sem"}, "hostUsers": None},
    {"securityContext": {"sysctls": [None, 5, {"name": 5}, {"name": None}]}},
    {"securityContext": {"runAsNonRoot": "true", "runAsUser": "0", "appArmorProfile": []}},
    {"volumes": [None, 5, "x", {"name": 3, "hostPath": "/"}, {"nfs": None}, {"hostPath": {}}]},
    {"ephemeralContainers": {"name": "x"}, "initContainers": [[]]},
]
HOSTILE_METADATA: list[Any] = [
    None,
    "x",
    {"annotations": "x"},
    {"annotations": [1, 2]},
    {
        "annotations": {
            5: "x",
            None: None,
            "container.apparmor.security.beta.kubernetes.io/a": 5,
            "container.apparmor.security.beta.kubernetes.io/b": None,
            "seccomp.security.alpha.kubernetes.io/pod": ["unconfined"],
        }
    },
]


@pytest.mark.parametrize("spec", HOSTILE_SPECS)
def test_mistyped_specs_never_raise(spec: Any) -> None:
    for metadata in HOSTILE_METADATA:
        for level in LEVELS:
            for version in VERSIONS:
                for violation in evaluate_pod(metadata, spec, level, version):
                    assert violation.reason and all(violation.paths)


def test_mistyped_values_read_as_unset() -> None:
    spec = {
        "hostNetwork": "true",
        "containers": [
            container("app", privileged="true", capabilities={"add": 5}, procMount=5),
            {"name": "big", "ports": [{"containerPort": 80, "hostPort": 2**40}]},
        ],
        "volumes": [{"name": "root", "hostPath": "/"}],
    }
    assert evaluate(spec, Level.BASELINE, "latest") == ()
    # `securityContext: []` is not a struct: the container sets nothing, restricted wants it.
    bad_context = {
        "securityContext": {"runAsNonRoot": True},
        "containers": [{"name": "a", "securityContext": []}],
    }
    assert controls(bad_context, Level.RESTRICTED, "v1.8") == ["allow-privilege-escalation"]


def test_null_list_entries_decode_as_go_zero_values() -> None:
    # `add: [null]` decodes to [""] in Go, which is not in the default capability set.
    spec = {"containers": [container("app", capabilities={"add": [None]})]}
    violations = evaluate(spec, Level.BASELINE, "latest")
    assert [v.reason for v in violations] == [
        'non-default capabilities (container "app" must not include "" '
        "in securityContext.capabilities.add)"
    ]


def test_a_string_where_containers_belong_is_no_container() -> None:
    spec = {"containers": "x", "securityContext": {"runAsNonRoot": True}}
    assert evaluate(spec, Level.RESTRICTED, "latest") == ()
    spec_with_one = {**spec, "initContainers": [restricted_container("init")]}
    assert evaluate(spec_with_one, Level.RESTRICTED, "v1.18") == ()


_KEYS = st.sampled_from(
    [
        "name",
        "containers",
        "initContainers",
        "ephemeralContainers",
        "securityContext",
        "privileged",
        "capabilities",
        "add",
        "drop",
        "ports",
        "hostPort",
        "volumes",
        "hostPath",
        "nfs",
        "emptyDir",
        "image",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "hostUsers",
        "os",
        "seccompProfile",
        "appArmorProfile",
        "type",
        "seLinuxOptions",
        "user",
        "role",
        "procMount",
        "sysctls",
        "windowsOptions",
        "hostProcess",
        "runAsNonRoot",
        "runAsUser",
        "allowPrivilegeEscalation",
        "livenessProbe",
        "lifecycle",
        "preStop",
        "httpGet",
        "host",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 70000),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["ALL", "Unmasked", "Unconfined", "windows", "RuntimeDefault", "0"]),
)
_TREES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=6)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(spec=_TREES, annotations=st.dictionaries(st.text(max_size=60), _SCALARS, max_size=3))
def test_random_manifests_never_raise(spec: Any, annotations: dict[str, Any]) -> None:
    for level in (Level.BASELINE, Level.RESTRICTED):
        for version in (PolicyVersion.of(0), PolicyVersion.of(19), PolicyVersion.latest()):
            evaluate_pod({"annotations": annotations}, spec, level, version)

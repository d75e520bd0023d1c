"""Untrusted manifests: wrong types become one BadInput line naming the object, never a crash."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenlayer.errors import BadInput
from tenlayer.policy.scc import Admission, Requester, SCCPolicy
from tests.policy.scc.builders import container, deep, namespace, pod, scc

ALICE = Requester.parse_user("alice")
POLICY = SCCPolicy.from_objects([scc("restricted")])


def bad(message: str) -> Any:
    return pytest.raises(BadInput, match=re.escape(message))


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("a pod", "Pod: expected a mapping, got a string"),
        ({"kind": "Deployment", "metadata": {"name": "d"}}, "Pod/team/d: kind"),
        (pod(containers="app"), "Pod/team/web: spec.containers: expected a list, got a string"),
        (
            pod(container(runAsUser="0")),
            "spec.containers[0].securityContext.runAsUser: expected an integer, got a string",
        ),
        (pod(container(runAsUser=True)), "runAsUser: expected an integer, got a boolean"),
        (pod(container(runAsUser=2**70)), "runAsUser: 1180591620717411303424 is out of range"),
        (pod(container(privileged="yes")), "securityContext.privileged: expected a boolean"),
        (pod(container(capabilities={"add": "NET_ADMIN"})), "capabilities.add: expected a list"),
        (pod(container(capabilities={"add": [1]})), "capabilities.add[0]: expected a string"),
        (pod(container(seLinuxOptions=["s0"])), "seLinuxOptions: expected a mapping"),
        (pod(hostNetwork="true"), "spec.hostNetwork: expected a boolean"),
        (
            pod(securityContext={"supplementalGroups": ["a"]}),
            "supplementalGroups[0]: expected an integer",
        ),
        (pod(securityContext={"sysctls": [{"name": 5}]}), "sysctls[0].name: expected a string"),
        (
            pod(volumes=[{"name": "v", "hostPath": "/"}]),
            "spec.volumes[0].hostPath: expected a mapping",
        ),
        (
            pod({"name": "a", "ports": [{"hostPort": 1.5}]}),
            "ports[0].hostPort: expected an integer, got a number",
        ),
        (
            pod({"name": "a", "ports": [{"hostPort": 2**31}]}),
            "hostPort: 2147483648 is out of range",
        ),
        (
            {"metadata": {"name": "p", "annotations": {"a": 1}}},
            "metadata.annotations[a]: expected a string",
        ),
        ({"metadata": "p"}, "Pod: metadata: expected a mapping"),
    ],
)
def test_malformed_pods(manifest: Any, message: str) -> None:
    with bad(message):
        POLICY.admit(manifest, ALICE, namespace())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metadata": {}}, "SecurityContextConstraints: metadata.name: is required"),
        ({"priority": "high"}, "SecurityContextConstraints/x: priority: expected an integer"),
        ({"priority": 2**40}, "priority: 1099511627776 is out of range"),
        (
            {"runAsUser": {"type": "Nope"}},
            "runAsUser.type: unrecognized RunAsUser strategy type 'Nope'",
        ),
        ({"runAsUser": None}, "runAsUser.type: unrecognized RunAsUser strategy type ''"),
        ({"runAsUser": {"type": "MustRunAs"}}, "runAsUser.uid: MustRunAs requires a UID"),
        (
            {"runAsUser": {"type": "MustRunAsRange", "uidRangeMin": 1}},
            "MustRunAsRange requires a UIDRangeMax",
        ),
        (
            {"seLinuxContext": {}},
            "seLinuxContext.type: unrecognized SELinuxContext strategy type ''",
        ),
        ({"fsGroup": {"type": "Sometimes"}}, "fsGroup.type: unrecognized fsGroup strategy type"),
        (
            {"fsGroup": {"type": "MustRunAs", "ranges": [{"min": "1"}]}},
            "fsGroup.ranges[0].min: expected an integer",
        ),
        ({"volumes": "all"}, "volumes: expected a list"),
        ({"users": [None]}, "users[0]: expected a string, got null"),
        ({"allowHostNetwork": "false"}, "allowHostNetwork: expected a boolean"),
        ({"userNamespaceLevel": "Sometimes"}, "userNamespaceLevel: unsupported value"),
        ({"allowedFlexVolumes": ["drv"]}, "allowedFlexVolumes[0]: expected a mapping"),
        (
            {"seLinuxContext": {"type": "MustRunAs", "seLinuxOptions": {"level": 0}}},
            "seLinuxOptions.level: expected a string",
        ),
    ],
)
def test_malformed_sccs(fields: dict[str, Any], message: str) -> None:
    with bad(message):
        SCCPolicy.from_objects([scc("x", **fields)])


def test_malformed_documents() -> None:
    with bad("expected a Kubernetes object (a mapping), got a list"):
        SCCPolicy.from_objects([[1, 2]])  # type: ignore[list-item]
    with bad("ClusterRoleBinding/b: roleRef"):
        SCCPolicy.from_objects([{"kind": "ClusterRoleBinding", "metadata": {"name": "b"}}])


def test_list_kinds_are_unpacked() -> None:
    policy = SCCPolicy.from_objects(
        [
            {
                "kind": "List",
                "items": [
                    scc("a"),
                    {"kind": "SecurityContextConstraintsList", "items": [scc("b")]},
                ],
            }
        ]
    )
    assert [s.name for s in policy.sccs] == ["a", "b"]


def test_malformed_namespace() -> None:
    with bad("Namespace/team: metadata.annotations[openshift.io/sa.scc.mcs]: expected a string"):
        POLICY.admit(
            pod(),
            ALICE,
            {"metadata": {"name": "team", "annotations": {"openshift.io/sa.scc.mcs": 5}}},
        )


def test_requester_must_be_a_requester() -> None:
    with bad("requester: expected a Requester"):
        POLICY.admit(pod(), "alice", namespace())  # type: ignore[arg-type]


def test_missing_directory() -> None:
    with bad("not a directory"):
        SCCPolicy.openshift_defaults(__import__("pathlib").Path("/nonexistent/scc"))


def test_bad_yaml_in_the_folder(tmp_path: Any) -> None:
    (tmp_path / "a.yaml").write_text("kind: [unclosed\n")
    with bad("a.yaml: not valid YAML"):
        SCCPolicy.openshift_defaults(tmp_path)
    (tmp_path / "a.yaml").write_text("- just\n- a list\n")
    with bad("a.yaml: expected Kubernetes objects"):
        SCCPolicy.openshift_defaults(tmp_path)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

POD_PATHS = [
    ("metadata",), ("metadata", "annotations"), ("metadata", "namespace"), ("spec",),
    ("spec", "securityContext"), ("spec", "securityContext", "seccompProfile"),
    ("spec", "securityContext", "sysctls"), ("spec", "securityContext", "fsGroup"),
    ("spec", "containers"), ("spec", "containers", 0), ("spec", "containers", 0, "securityContext"),
    ("spec", "containers", 0, "securityContext", "capabilities"),
    ("spec", "containers", 0, "securityContext", "seLinuxOptions"),
    ("spec", "containers", 0, "ports"), ("spec", "volumes"), ("spec", "volumes", 0),
    ("spec", "volumes", 0, "projected"), ("spec", "volumes", 0, "projected", "sources"),
    ("spec", "initContainers"), ("spec", "hostUsers"), ("spec", "os"),
    ("spec", "serviceAccountName"),
]  # fmt: skip


def put(target: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(POD_PATHS), json_values)
def test_random_values_never_crash(path: tuple[Any, ...], value: Any) -> None:
    manifest = pod(
        container(
            capabilities={"add": []}, seLinuxOptions={}, seccompProfile={"type": "RuntimeDefault"}
        ),
        securityContext={"seccompProfile": {"type": "RuntimeDefault"}, "sysctls": [], "fsGroup": 1},
        volumes=[{"name": "v", "projected": {"sources": []}}],
    )
    manifest["spec"]["containers"][0]["ports"] = []
    put(manifest, path, value)
    before = deep(manifest)
    try:
        result = POLICY.admit(manifest, ALICE, namespace())
    except BadInput as error:
        assert str(error)
    else:
        assert isinstance(result, Admission)
    assert manifest == before


SCC_KEYS = [
    "priority", "runAsUser", "seLinuxContext", "fsGroup", "supplementalGroups", "volumes",
    "users", "groups", "allowedCapabilities", "seccompProfiles", "allowedFlexVolumes",
    "allowPrivilegeEscalation", "userNamespaceLevel", "metadata", "forbiddenSysctls",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SCC_KEYS), json_values)
def test_random_scc_values_never_crash(key: str, value: Any) -> None:
    try:
        policy = SCCPolicy.from_objects([scc("x", **{key: value})])
        policy.admit(pod(), ALICE, namespace())
    except BadInput as error:
        assert str(error)

"""The order SCCs are tried in: priority, then restrictiveness, then name."""

from __future__ import annotations

from tenlayer.policy.scc import Requester, SCCPolicy
from tenlayer.policy.scc.constraints import parse_scc
from tenlayer.policy.scc.ordering import capability_points, order_reason, point_value
from tests.policy.scc.builders import namespace, permissive, pod, scc

ALICE = Requester.parse_user("alice")


def names(policy: SCCPolicy) -> list[str]:
    return [s.name for s in policy.sccs]


def test_priority_wins_over_restrictiveness() -> None:
    policy = SCCPolicy.from_objects([scc("tight"), permissive("loose", priority=10)])
    assert names(policy) == ["loose", "tight"]
    result = policy.admit(pod(), ALICE, namespace())
    assert result.scc == "loose"
    assert result.tried == ("loose",)


def test_higher_priority_first_and_unset_is_zero() -> None:
    policy = SCCPolicy.from_objects(
        [scc("zero", priority=0), scc("unset"), scc("five", priority=5), scc("neg", priority=-1)]
    )
    assert names(policy) == ["five", "unset", "zero", "neg"]


def test_more_restrictive_first_at_equal_priority() -> None:
    policy = SCCPolicy.from_objects([permissive("a-loose"), scc("z-tight")])
    assert names(policy) == ["z-tight", "a-loose"]
    result = policy.admit(pod(), ALICE, namespace())
    assert result.scc == "z-tight"


def test_name_breaks_ties() -> None:
    policy = SCCPolicy.from_objects([scc("b"), scc("a"), scc("c")])
    assert names(policy) == ["a", "b", "c"]


def test_restrictiveness_bands() -> None:
    base = parse_scc(scc("base"))
    # trivial volumes only, MustRunAs SELinux (10000), MustRunAsRange user (20000),
    # capabilities 5000 + 10 (one allowed) - 3000 (drop ALL)
    assert point_value(base) == 32010
    host_ports = parse_scc(scc("ports", allowHostPorts=True))
    host_network = parse_scc(
        scc("net", allowHostNetwork=True, runAsUser={"type": "RunAsAny"}, allowedCapabilities=["*"])
    )
    # one stronger permission outweighs any sum of weaker ones
    assert point_value(host_ports) > point_value(host_network)
    assert order_reason(host_network, host_ports) == "forbids host ports"
    assert order_reason(base, parse_scc(scc("pvc", volumes=["persistentVolumeClaim"]))) == (
        "forbids non-trivial volume mounts"
    )
    assert order_reason(
        base, parse_scc(scc("nonroot", runAsUser={"type": "MustRunAsNonRoot"}))
    ) == ("permits less runAs strategies")
    assert order_reason(base, parse_scc(scc("caps", requiredDropCapabilities=["KILL"]))) == (
        "permits less capabilities"
    )
    assert order_reason(base, parse_scc(scc("other"))) == "ordered by name"
    assert order_reason(parse_scc(scc("p", priority=1)), base) == "has higher priority"


def test_capability_points_are_clamped() -> None:
    many_adds = parse_scc(scc("adds", allowedCapabilities=["*"], defaultAddCapabilities=["A"] * 20))
    assert capability_points(many_adds) == 9999
    many_drops = parse_scc(scc("drops", requiredDropCapabilities=[f"C{i}" for i in range(120)]))
    assert capability_points(many_drops) == 0

"""SCC admission of the pods manifests make: who creates them, and in which namespace.

Two things a manifest does not say and OpenShift's answer depends on:

- **Who creates the pod.** A bare Pod is created by whoever applies it (`--user`, `--sa`, or
  by default its own service account). The pods of a Deployment, Job, DaemonSet … are created
  by a controller (`system:serviceaccount:kube-system:replicaset-controller`, …), so the
  person who applied the Deployment does not matter: the controller's identity (which, like
  every authenticated user, may use `restricted-v2`) and the pod's service account do.
- **The namespace's UID and SELinux ranges.** OpenShift writes `openshift.io/sa.scc.*`
  annotations on every namespace when it is created; manifests rarely carry them. When the
  namespace is not in the input, or its manifest lacks them, placeholder ranges stand in and
  the result says so: the decision (which SCC, refused or not) is what the cluster will say,
  the exact UID and MCS level are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenlayer.kube.namespaces import Namespace
from tenlayer.kube.workloads import PodTemplate

if TYPE_CHECKING:
    from tenlayer.policy.scc import Admission, Requester, SCCPolicy

CONTROLLERS = {
    "Deployment": "replicaset-controller",
    "ReplicaSet": "replicaset-controller",
    "StatefulSet": "statefulset-controller",
    "DaemonSet": "daemon-set-controller",
    "Job": "job-controller",
    "CronJob": "job-controller",
    "ReplicationController": "replication-controller",
    "DeploymentConfig": "replication-controller",
}
"""The kube-controller-manager service account that creates each workload kind's pods."""

SCC_ANNOTATIONS = {
    "openshift.io/sa.scc.uid-range": "1000000000/10000",
    "openshift.io/sa.scc.mcs": "s0:c1,c0",
    "openshift.io/sa.scc.supplemental-groups": "1000000000/10000",
}
"""Placeholders for the ranges OpenShift allocates to a namespace at creation."""


@dataclass(frozen=True, slots=True)
class SCCResult:
    template: PodTemplate
    requester: Requester
    admission: Admission
    notes: tuple[str, ...] = ()
    """What the result assumed: the pods' creator, placeholder namespace ranges."""


def service_account_of(template: PodTemplate) -> str:
    for key in ("serviceAccountName", "serviceAccount"):
        value = template.spec.get(key)
        if isinstance(value, str) and value:
            return value
    return "default"


def scc_admit(
    template: PodTemplate,
    policy: SCCPolicy,
    namespaces: Mapping[str, Namespace],
    requester: Requester | None = None,
) -> SCCResult:
    """SCC admission of the template's pod, created by `requester` when it is a bare Pod
    (default: its own service account), by its controller otherwise."""
    from tenlayer.policy.scc import Requester

    notes: list[str] = []
    controller = CONTROLLERS.get(template.owner.kind)
    if controller is not None:
        creator = Requester.service_account("kube-system", controller)
        notes.append(
            f"the pods of a {template.owner.kind} are created by its controller "
            f"({creator.user}) with the pod's service account "
            f"({template.namespace}/{service_account_of(template)}); who applies the "
            f"{template.owner.kind} does not matter"
            + (f" (--user/--sa {requester.user} applies to bare Pods)" if requester else "")
        )
    elif requester is not None:
        creator = requester
    else:
        creator = Requester.service_account(template.namespace, service_account_of(template))
    namespace_object, assumed = _namespace_object(template.namespace, namespaces)
    if assumed:
        notes.append(assumed)
    admission = policy.admit(
        template.as_pod(), creator, namespace_object, namespace_named=template.namespace_given
    )
    return SCCResult(template, creator, admission, tuple(notes))


def _namespace_object(
    name: str, namespaces: Mapping[str, Namespace]
) -> tuple[dict[str, Any], str]:
    namespace = namespaces.get(name)
    if namespace is None:
        namespace = Namespace(name, {}, {})
        where = f"namespace {name} is not in the input"
    else:
        where = f"namespace {name} has no openshift.io/sa.scc.* annotations"
    document = namespace.as_object()
    annotations = document["metadata"]["annotations"]
    missing = [key for key in SCC_ANNOTATIONS if key not in annotations]
    if "openshift.io/sa.scc.uid-range" in annotations:  # supplemental groups fall back to it
        missing = [key for key in missing if key != "openshift.io/sa.scc.supplemental-groups"]
    if not missing:
        return document, ""
    for key in missing:
        annotations[key] = SCC_ANNOTATIONS[key]
    if len(missing) < len(SCC_ANNOTATIONS):
        where = f"namespace {name} lacks {', '.join(missing)}"
    return document, (
        f"{where}: OpenShift allocates its UID and SELinux ranges when it creates the "
        f"namespace, so placeholder ranges stand in (UIDs and MCS levels shown are not the "
        f"cluster's); add the Namespace (oc get namespace {name} -o yaml) for exact values"
    )

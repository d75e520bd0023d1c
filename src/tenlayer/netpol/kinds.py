"""The kinds and versions of the API groups Kubernetes and OpenShift serve themselves.

A kind or version these groups do not have is a typo (`kind: Deploymnet`, `apps/v2`): the
API server refuses it, and read leniently the object would be silently left out of the
analysis (a workload missing from the list, a policy that protects nothing). Other groups
(CRDs: kubevirt.io, k8s.cni.cncf.io, …) are read where the engine knows them and ignored
otherwise. Versions no longer served but still found in example repositories
(`extensions/v1beta1`, `apps/v1beta2`) are accepted, as netpol-analyzer accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenlayer.errors import BadInput
from tenlayer.kube.objects import KubeObject

ANP_KIND = "AdminNetworkPolicy"
BANP_KIND = "BaselineAdminNetworkPolicy"


@dataclass(frozen=True, slots=True)
class Group:
    versions: frozenset[str] | None
    """None: a CRD group whose versions come and go (the policy API), not checked."""
    kinds: frozenset[str]
    legacy: frozenset[str] = frozenset()
    """Accepted too, but not listed in the message (which would be three lines long)."""


def _group(versions: str | None, kinds: str, legacy: str = "") -> Group:
    return Group(None if versions is None else frozenset(versions.split()),
                 frozenset(kinds.split()), frozenset(legacy.split()))


_OPENSHIFT_LEGACY = (
    "Build BuildConfig ClusterNetwork ClusterRole ClusterRoleBinding DeploymentConfig "
    "EgressNetworkPolicy Group HostSubnet Identity Image ImageStream ImageStreamImport "
    "ImageStreamTag NetNamespace OAuthClient Policy PolicyBinding Project ProjectRequest Role "
    "RoleBinding Route SecurityContextConstraints Template User"
)
"""OpenShift 3's kinds in `v1`, which `oc` still reads (templates often say `apiVersion: v1`)."""

GROUPS: dict[str, Group] = {
    "": _group("v1", "Binding ComponentStatus ConfigMap Endpoints Event LimitRange List "
               "Namespace Node PersistentVolume PersistentVolumeClaim Pod PodTemplate "
               "ReplicationController ResourceQuota Secret Service ServiceAccount",
               _OPENSHIFT_LEGACY),
    "apps": _group("v1 v1beta1 v1beta2",
                   "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet"),
    "extensions": _group("v1beta1", "DaemonSet Deployment Ingress NetworkPolicy "
                         "PodSecurityPolicy ReplicaSet"),
    "batch": _group("v1 v1beta1 v2alpha1", "CronJob Job"),
    "autoscaling": _group("v1 v2 v2beta1 v2beta2", "HorizontalPodAutoscaler Scale"),
    "policy": _group("v1 v1beta1", "Eviction PodDisruptionBudget PodSecurityPolicy"),
    "rbac.authorization.k8s.io": _group("v1 v1beta1 v1alpha1",
                                        "ClusterRole ClusterRoleBinding Role RoleBinding"),
    "networking.k8s.io": _group("v1 v1beta1 v1alpha1", "ClusterCIDR Ingress IngressClass "
                                "IPAddress NetworkPolicy ServiceCIDR"),
    "policy.networking.k8s.io": _group(None, f"{ANP_KIND} {BANP_KIND}"),
    "route.openshift.io": _group("v1", "Route"),
    "apps.openshift.io": _group("v1", "DeploymentConfig"),
}


def check_api_kind(obj: KubeObject) -> None:
    """Refuse a kind or version the object's group does not serve (groups not listed pass)."""
    group = GROUPS.get(obj.group)
    if group is None:
        return
    version = obj.api_version.rpartition("/")[2]
    where = f"{obj.source}:{obj.line_of('kind')}"
    if group.versions is not None and version not in group.versions:
        raise BadInput(f"{where}: {obj.kind} {obj.name}: no such version "
                       f"{obj.api_version} (served: {', '.join(sorted(group.versions))})")
    if obj.kind not in group.kinds and obj.kind not in group.legacy:
        legacy = ", and OpenShift 3's" if group.legacy else ""
        raise BadInput(f"{where}: unknown kind {obj.kind!r} in {obj.api_version} "
                       f"(known there: {', '.join(sorted(group.kinds))}{legacy})")

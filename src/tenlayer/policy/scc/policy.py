"""SCC admission over a set of SCCs and RBAC objects, evaluated offline.

`SCCPolicy.admit` answers what OpenShift's `security.openshift.io/SecurityContextConstraint`
admission plugin answers when the pod is created:

1. every SCC, sorted by priority, restrictiveness and name (`ordering`);
2. an SCC is usable when the pod's service account, or else the requester, is named in its
   `users` or `groups`, or RBAC lets them `use` it in the pod's namespace;
3. each usable SCC in turn is configured for the namespace and applied (`provider`); the
   first that admits the pod wins, and the pod comes back with its defaults and annotations.

Where this differs from a live cluster, on purpose: a namespace lacking an annotation an SCC
needs refuses that SCC and the next one is tried (current OpenShift waits ten seconds for
the annotations and then refuses the whole pod); the pod's service account defaults to
`default` (the ServiceAccount admission plugin does that before SCC admission).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.values import type_name
from tenlayer.policy.scc.constraints import KIND, SCC, parse_scc
from tenlayer.policy.scc.namespace import AllocationError, Namespace
from tenlayer.policy.scc.ordering import ordered
from tenlayer.policy.scc.patch import copy_tree, patched_pod
from tenlayer.policy.scc.podview import PodView, parse_pod
from tenlayer.policy.scc.provider import Outcome, Provider
from tenlayer.policy.scc.requester import (
    Requester,
    service_account_groups,
    service_account_username,
)
from tenlayer.policy.scc.results import Admission, Refusal
from tenlayer.rbac import Authorizer, UserInfo
from tenlayer.rbac.model import BINDING_KINDS, ROLE_KINDS, Binding, Role, parse_binding, parse_role

VALIDATED_SCC_ANNOTATION = "openshift.io/scc"
SUBJECT_TYPE_ANNOTATION = "security.openshift.io/validated-scc-subject-type"
REQUIRED_SCC_ANNOTATION = "openshift.io/required-scc"
SCC_API_GROUP = "security.openshift.io"
SCC_RESOURCE = "securitycontextconstraints"


@dataclass(frozen=True, slots=True)
class _Usable:
    subject_type: str
    """serviceaccount or user"""
    why: str


class SCCPolicy:
    """SCCs and the RBAC objects that grant their use; build once, admit many pods."""

    def __init__(
        self, sccs: Iterable[SCC], roles: Iterable[Role] = (), bindings: Iterable[Binding] = ()
    ) -> None:
        by_name = {scc.name: scc for scc in sccs}
        self._sccs = tuple(ordered(list(by_name.values())))
        self._roles = tuple(roles)
        self._bindings = tuple(bindings)
        self.authorizer = Authorizer(self._roles, self._bindings)
        self._usable_cache: dict[tuple[Any, ...], dict[str, _Usable]] = {}
        self._provider_cache: dict[tuple[Any, ...], Provider | str] = {}

    @property
    def sccs(self) -> tuple[SCC, ...]:
        """Every SCC, in the order OpenShift tries them."""
        return self._sccs

    @classmethod
    def from_objects(cls, objects: Iterable[Mapping[str, Any]]) -> SCCPolicy:
        """From manifests of any kinds (List kinds unpacked); SCCs and RBAC objects count."""
        sccs: list[SCC] = []
        roles: list[Role] = []
        bindings: list[Binding] = []
        for obj in _flatten(objects):
            kind = obj.get("kind")
            if kind == KIND:
                sccs.append(parse_scc(obj))
            elif kind in ROLE_KINDS:
                roles.append(parse_role(obj))
            elif kind in BINDING_KINDS:
                bindings.append(parse_binding(obj))
        return cls(sccs, roles, bindings)

    @classmethod
    def openshift_defaults(cls, directory: Path) -> SCCPolicy:
        """The SCCs, ClusterRoles and ClusterRoleBindings OpenShift ships, from their folder."""
        from tenlayer.policy.scc.loading import load_manifests

        return cls.from_objects(load_manifests(directory))

    def merged(self, other: SCCPolicy) -> SCCPolicy:
        """This policy with `other`'s objects added; on equal names `other`'s win."""
        roles = {(r.kind, r.namespace, r.name): r for r in (*self._roles, *other._roles)}
        bindings = {(b.kind, b.namespace, b.name): b for b in (*self._bindings, *other._bindings)}
        return SCCPolicy((*self._sccs, *other._sccs), roles.values(), bindings.values())

    def admit(
        self,
        pod: Mapping[str, Any],
        requester: Requester,
        namespace: Mapping[str, Any] | None = None,
        *,
        namespace_named: bool | None = None,
    ) -> Admission:
        """What SCC admission does when `requester` creates `pod` in its namespace.

        `namespace` is the pod's Namespace object (its openshift.io/sa.scc.* annotations give
        the ranges); None stands for a namespace without annotations. `namespace_named`
        False says neither the pod nor the caller chose the namespace (a manifest applied
        without `-n`): run-level exemptions then do not apply, even with a `namespace` given
        for its annotations; by default a namespace object or the pod's own counts."""
        if not isinstance(requester, Requester):
            raise BadInput(f"requester: expected a Requester, got {type_name(requester)}")
        ns_name = _namespace_name(namespace)
        view = parse_pod(pod, ns_name or "default")
        if ns_name and view.namespace != ns_name:
            raise BadInput(
                f"Pod/{view.namespace}/{view.name}: the namespace given is {ns_name}, "
                f"not the pod's namespace {view.namespace}"
            )
        ns = Namespace.from_object(namespace, view.namespace)
        explicit = namespace is not None or view.namespace_given
        if namespace_named is not None:
            explicit = namespace_named
        skipped = self._skipped(view, ns, explicit=explicit)
        if skipped:
            return Admission(
                allowed=True, scc=None, pod=copy_tree(pod), tried=(), refusals=(),
                not_usable=(), granted_by={}, skipped=skipped,
            )  # fmt: skip
        usable = self._usable(requester, view)
        required = view.annotations.get(REQUIRED_SCC_ANNOTATION, "")
        candidates = [s for s in self._sccs if not required or s.name == required]
        notes: list[str] = []
        if required and not candidates:
            notes.append(
                f'failed to retrieve the required SCC "{required}": '
                f'{SCC_RESOURCE}.{SCC_API_GROUP} "{required}" not found'
            )
        elif not self._sccs:
            notes.append("no SecurityContextConstraints found in cluster")
        tried: list[str] = []
        refusals: list[Refusal] = []
        chosen: tuple[SCC, Outcome] | None = None
        for scc in candidates:
            if scc.name not in usable:
                continue
            tried.append(scc.name)
            outcome = self._apply(scc, ns, view)
            if not outcome.errors:
                chosen = (scc, outcome)
                break
            refusals.append(Refusal(scc.name, outcome.errors))
        admitted: dict[str, Any] | None = None
        if chosen is None:
            notes.extend(self._restricted_hint(candidates, ns, view, usable))
        else:
            annotations = {
                VALIDATED_SCC_ANNOTATION: chosen[0].name,
                SUBJECT_TYPE_ANNOTATION: usable[chosen[0].name].subject_type,
            }
            admitted = patched_pod(pod, view, chosen[1], annotations)
        return Admission(
            allowed=chosen is not None,
            scc=chosen[0].name if chosen else None,
            pod=admitted,
            tried=tuple(tried),
            refusals=tuple(refusals),
            not_usable=tuple(s.name for s in self._sccs if s.name not in usable),
            granted_by={name: u.why for name, u in usable.items()},
            granted_to={name: u.subject_type for name, u in usable.items()},
            notes=tuple(notes),
        )

    @staticmethod
    def _skipped(view: PodView, ns: Namespace, *, explicit: bool) -> str:
        """Why OpenShift would not run SCC admission on this pod ("" when it does).

        Only a namespace the pod or the caller names counts: a pod without one is not assumed
        to land in `default`, which is exempt."""
        if view.os_name == "windows":
            return "Windows pods are not subject to SCC admission"
        if explicit and ns.run_level:
            return (
                f"SCC admission does not run in namespace {ns.name} "
                f"(run level {ns.run_level}, reserved for cluster components)"
            )
        return ""

    def _apply(self, scc: SCC, ns: Namespace, view: PodView) -> Outcome:
        key = (scc.name, *ns.key())
        provider = self._provider_cache.get(key)
        if provider is None:
            try:
                provider = Provider(ns.configure(scc))
            except AllocationError as error:
                provider = str(error)
            self._provider_cache[key] = provider
        if isinstance(provider, str):
            return Outcome((provider,), view.sc, dict(view.annotations), ())
        return provider.apply(view)

    def _usable(self, requester: Requester, view: PodView) -> dict[str, _Usable]:
        """SCC name -> who may use it and why, the pod's service account first (as OpenShift
        prefers it: it tells the workload was set up with its own permissions)."""
        key = (requester.user, requester.groups, view.service_account, view.namespace)
        cached = self._usable_cache.get(key)
        if cached is not None:
            return cached
        # OpenShift checks the pod's service account without system:authenticated
        account = UserInfo(
            service_account_username(view.namespace, view.service_account),
            service_account_groups(view.namespace),
        )
        usable = {}
        for scc in self._sccs:
            for subject_type, who in (("serviceaccount", account), ("user", requester)):
                why = self._why_usable(scc, who.user, who.groups, view.namespace)
                if why:
                    usable[scc.name] = _Usable(subject_type, why)
                    break
        if len(self._usable_cache) > 4096:
            self._usable_cache.clear()
        self._usable_cache[key] = usable
        return usable

    def _why_usable(self, scc: SCC, user: str, groups: tuple[str, ...], namespace: str) -> str:
        if user in scc.users:
            return "scc users"
        if any(group in scc.groups for group in groups):
            return "scc groups"
        grant = self.authorizer.authorize(
            UserInfo(user, groups), "use", SCC_API_GROUP, SCC_RESOURCE, scc.name, namespace
        )
        return grant.describe() if grant else ""

    def _restricted_hint(
        self, candidates: list[SCC], ns: Namespace, view: PodView, usable: Mapping[str, _Usable]
    ) -> Iterator[str]:
        """OpenShift's hint when restricted-v2 refused and unusable restricted would admit."""
        names = {s.name: s for s in candidates}
        if (
            "restricted-v2" in names
            and "restricted" in names
            and "restricted" not in usable
            and not self._apply(names["restricted"], ns, view).errors
        ):
            yield (
                "no access to scc/restricted: Forbidden: the pod fails to validate against "
                "the `restricted-v2` security context constraint, but would validate "
                "successfully against the `restricted` security context constraint"
            )


def _namespace_name(namespace: Mapping[str, Any] | None) -> str:
    if not isinstance(namespace, Mapping):
        return ""
    metadata = namespace.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return name if isinstance(name, str) else ""


def _flatten(objects: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for obj in objects:
        if obj is None:
            continue
        if not isinstance(obj, Mapping):
            raise BadInput(f"expected a Kubernetes object (a mapping), got {type_name(obj)}")
        kind = obj.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list):
            yield from _flatten(obj["items"])
        else:
            yield obj

"""Ranges a namespace carries in its `openshift.io/sa.scc.*` annotations, and their use.

SCC strategies with no explicit range (MustRunAsRange without uidRangeMin/Max, SELinux
MustRunAs without a level, group MustRunAs without ranges) take them from the pod's namespace,
as OpenShift's `CreateProviderFromConstraint` does. A missing or malformed annotation is an
error worded as OpenShift words it; it refuses that SCC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.values import type_name
from tenlayer.policy.scc.constraints import SCC, IDRange
from tenlayer.policy.scc.reading import Fields
from tenlayer.policy.scc.securitycontext import SELinuxOptions

UID_RANGE_ANNOTATION = "openshift.io/sa.scc.uid-range"
MCS_ANNOTATION = "openshift.io/sa.scc.mcs"
SUPPLEMENTAL_GROUPS_ANNOTATION = "openshift.io/sa.scc.supplemental-groups"

RUN_LEVEL_LABEL = "openshift.io/run-level"
RUN_LEVEL_ZERO_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
RUN_LEVEL_ONE_NAMESPACES = frozenset({"openshift-node", "openshift-infra", "openshift"})

_UINT32 = 2**32
_SLASH = re.compile(r"([+]?\d+)/([+]?\d+)")
_DASH = re.compile(r"([+]?\d+)-([+]?\d+)")


class AllocationError(Exception):
    """An SCC cannot be configured for the namespace; the message is OpenShift's."""


@dataclass(frozen=True, slots=True)
class Block:
    start: int
    end: int


def parse_block(text: str) -> Block:
    """`start/size` or `start-end`, as OpenShift's uid.ParseBlock reads them (uint32)."""
    if "/" in text:
        match, what = _SLASH.match(text), 'block not in the format "<start>/<size>"'
    else:
        match, what = _DASH.match(text), 'block not in the format "<start>-<end>"'
    if match is None:
        raise AllocationError(what)
    first, second = int(match.group(1)), int(match.group(2))
    if first >= _UINT32 or second >= _UINT32:
        raise AllocationError(f"strconv.ParseUint: parsing {text!r}: value out of range")
    if "/" in text:
        return Block(first, (first + second - 1) % _UINT32)
    return Block(first, second)


@dataclass(frozen=True, slots=True)
class Namespace:
    """The pod's namespace: its name and the annotations SCC admission reads."""

    name: str
    annotations: Mapping[str, str]
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_object(cls, obj: Mapping[str, Any] | None, name: str) -> Namespace:
        """From a Namespace manifest (or None: a namespace without annotations)."""
        if obj is None:
            return cls(name, {})
        if not isinstance(obj, Mapping):
            raise BadInput(f"Namespace/{name}: expected a mapping, got {type_name(obj)}")
        fields = Fields(f"Namespace/{name}")
        metadata = fields.mapping(obj.get("metadata"), "metadata") or {}
        return cls(
            name,
            fields.string_map(metadata.get("annotations"), "metadata.annotations"),
            fields.string_map(metadata.get("labels"), "metadata.labels"),
        )

    @property
    def run_level(self) -> str:
        """`0` or `1` for the namespaces OpenShift bootstraps itself in ("" otherwise)."""
        if self.name in RUN_LEVEL_ZERO_NAMESPACES:
            return "0"
        if self.name in RUN_LEVEL_ONE_NAMESPACES:
            return "1"
        level = self.labels.get(RUN_LEVEL_LABEL, "")
        return level if level in ("0", "1") else ""

    def key(self) -> tuple[str, str | None, str | None, str | None]:
        """What providers built for this namespace depend on."""
        a = self.annotations
        return (
            self.name,
            a.get(UID_RANGE_ANNOTATION),
            a.get(MCS_ANNOTATION),
            a.get(SUPPLEMENTAL_GROUPS_ANNOTATION),
        )

    def _uid_range(self) -> tuple[int, int]:
        value = self.annotations.get(UID_RANGE_ANNOTATION)
        if value is None:
            raise AllocationError(f"unable to find annotation {UID_RANGE_ANNOTATION}")
        if not value:
            raise AllocationError(f"found annotation {UID_RANGE_ANNOTATION} but it was empty")
        block = parse_block(value)
        return block.start, block.end

    def _level(self) -> str:
        value = self.annotations.get(MCS_ANNOTATION)
        if value is None:
            raise AllocationError(f"unable to find annotation {MCS_ANNOTATION}")
        if not value:
            raise AllocationError(f"found annotation {MCS_ANNOTATION} but it was empty")
        return value

    def _group_blocks(self) -> list[Block]:
        value = self.annotations.get(SUPPLEMENTAL_GROUPS_ANNOTATION)
        if value is None:
            value = self.annotations.get(UID_RANGE_ANNOTATION)
            if value is None:
                raise AllocationError(
                    f"unable to find supplemental group or uid annotation for namespace {self.name}"
                )
        if not value:
            raise AllocationError(
                f"unable to find groups using {SUPPLEMENTAL_GROUPS_ANNOTATION} and "
                f"{UID_RANGE_ANNOTATION} annotations"
            )
        return [parse_block(segment) for segment in value.split(",")]

    def configure(self, scc: SCC) -> SCC:
        """`scc` with the namespace's ranges filled in where its strategies leave them open.

        Raises AllocationError with OpenShift's message when an annotation it needs is missing.
        """
        changes: dict[str, Any] = {}
        context = f"for namespace {self.name} while trying to configure SCC {scc.name}"
        if (
            scc.run_as_user_type == "MustRunAsRange"
            and scc.uid_range_min is None
            and scc.uid_range_max is None
        ):
            try:
                changes["uid_range_min"], changes["uid_range_max"] = self._uid_range()
            except AllocationError as error:
                raise AllocationError(
                    f"unable to find pre-allocated uid annotation {context}: {error}"
                ) from None
        if scc.selinux_type == "MustRunAs" and (
            scc.selinux_options is None or not scc.selinux_options.level
        ):
            try:
                level = self._level()
            except AllocationError as error:
                raise AllocationError(
                    f"unable to find pre-allocated mcs annotation {context}: {error}"
                ) from None
            changes["selinux_options"] = replace(
                scc.selinux_options or SELinuxOptions(), level=level
            )
        if scc.fs_group_type == "MustRunAs" and not scc.fs_group_ranges:
            try:
                first = self._group_blocks()[0]
            except AllocationError as error:
                raise AllocationError(
                    f"unable to find pre-allocated group annotation {context}: {error}"
                ) from None
            changes["fs_group_ranges"] = (IDRange(first.start, first.start),)
        if scc.supplemental_groups_type == "MustRunAs" and not scc.supplemental_groups_ranges:
            try:
                blocks = self._group_blocks()
            except AllocationError as error:
                raise AllocationError(
                    f"unable to find pre-allocated group annotation {context}: {error}"
                ) from None
            changes["supplemental_groups_ranges"] = tuple(IDRange(b.start, b.end) for b in blocks)
        return replace(scc, **changes) if changes else scc

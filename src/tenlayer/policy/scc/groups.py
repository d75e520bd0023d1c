"""fsGroup and supplementalGroups strategies: MustRunAs (within ranges) and RunAsAny."""

from __future__ import annotations

from tenlayer.policy.scc.constraints import IDRange
from tenlayer.policy.scc.fielderrors import invalid


def default_groups(
    kind: str, ranges: tuple[IDRange, ...], current: tuple[int, ...]
) -> tuple[int, ...]:
    """The groups after MustRunAs fills in none with the first range's minimum."""
    if kind == "MustRunAs" and not current and ranges:
        return (ranges[0].min,)
    return current


def validate_groups(
    kind: str,
    ranges: tuple[IDRange, ...],
    path: str,
    groups: tuple[int, ...] | None,
) -> list[str]:
    """Errors for `groups` (None when the field is unset) at `path`."""
    if kind != "MustRunAs":
        return []
    shown = None if groups is None else list(groups)
    errors = []
    if not groups and ranges:
        errors.append(
            invalid(path, shown, "unable to validate empty groups against required ranges")
        )
    for group in groups or ():
        if not any(group in r for r in ranges):
            errors.append(invalid(path, shown, f"{group} is not an allowed group"))
    return errors

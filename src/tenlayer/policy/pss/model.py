"""The records of the Pod Security Standards engine: levels, policy versions, violations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """A Pod Security Standards level; each is stricter than the one before."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"


@dataclass(frozen=True, order=True, slots=True)
class PolicyVersion:
    """A policy version: `v1.N`, or `latest`.

    Field order makes `latest` sort above every numbered version, as the library's
    `Version.Older` does ("latest is always considered newer, even than future versions").
    A numbered version newer than the newest the engine knows is evaluated as that newest
    one, again as the library does; `latest` means the newest known too.
    """

    is_latest: bool
    major: int = 1
    minor: int = 0

    @classmethod
    def of(cls, minor: int, major: int = 1) -> PolicyVersion:
        return cls(False, major, minor)

    @classmethod
    def latest(cls) -> PolicyVersion:
        return cls(True, 0, 0)

    @classmethod
    def parse(cls, text: str) -> PolicyVersion:
        """`latest` or `v1.N` (no leading zeros), the only forms the library accepts."""
        if text == "latest":
            return cls.latest()
        digits = text[3:] if text.startswith("v1.") else ""
        if (
            not digits
            or not digits.isascii()
            or not digits.isdigit()
            or (len(digits) > 1 and digits[0] == "0")
        ):
            raise ValueError(
                f'invalid Pod Security Standards version {text!r}: must be "latest" or "v1.N" '
                '(for example "v1.25")'
            )
        return cls(False, 1, int(digits))

    def __str__(self) -> str:
        return "latest" if self.is_latest else f"v{self.major}.{self.minor}"


@dataclass(frozen=True, slots=True)
class Violation:
    """One control that denied a pod, worded as the library's forbidden reason and detail.

    `paths` name the offending fields relative to the pod (`spec.…`, `metadata.annotations[…]`);
    for a field that is required but missing, the path is where it must be set.
    """

    control: str
    level: Level
    reason: str
    paths: tuple[str, ...]
    breaks_baseline: tuple[str, ...] = ()
    """At restricted: the baseline controls this control overrides that the pod also breaks
    (`capabilities-restricted` overriding `capabilities-baseline` for an added SYS_ADMIN).
    The library reports only the restricted control; the severity must not fall with it."""

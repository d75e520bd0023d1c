"""How severe an advisory is for one package, and who says so.

For an OS package the distribution's own rating comes first: it weighs the flaw as the
distribution builds and configures the package (a Debian `unimportant` can be an NVD 9.8).
Otherwise CVSS v4, then v3 (scored with the `cvss` library), then a source's rating word
(GHSA's `HIGH`), then CVSS v2. What was used is always shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from tenlayer.model import Severity
from tenlayer.vulndb.records import Advisory, SeverityScore

_RATINGS = {
    "unimportant": Severity.LOW,
    "negligible": Severity.LOW,
    "low": Severity.LOW,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "important": Severity.HIGH,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
_CVSS_TYPES = ("CVSS_V4", "CVSS_V3", "CVSS_V2")
_DISTRIBUTIONS = frozenset(("Debian", "Ubuntu", "Red Hat", "Alpine", "Wolfi", "Chainguard"))


@dataclass(frozen=True, slots=True)
class Rating:
    severity: Severity
    source: str
    """`CVSS:3.1 (NVD)`, `Debian urgency`, `GHSA rating`, … or "" when nothing rates it."""
    vector: str = ""
    score: float | None = None


UNRATED = Rating(Severity.UNKNOWN, "")


def rate(
    advisory: Advisory, package_scores: Sequence[SeverityScore], *, os_package: bool
) -> Rating:
    """`package_scores`: what the advisory says of this package alone (OSV's per-`affected`
    severity), which comes before its general severity."""
    scores = (*package_scores, *advisory.severity)
    if os_package:
        for entry in scores:
            if _is_distribution_rating(entry):
                found = _from_word(entry)
                if found is not None:
                    return found
    for kind in _CVSS_TYPES[:2]:
        for entry in scores:
            if entry.type == kind:
                found = _from_cvss(entry.type, entry.score, entry.source)
                if found is not None:
                    return found
    for entry in scores:
        if entry.type not in _CVSS_TYPES:
            found = _from_word(entry)
            if found is not None:
                return found
    for entry in scores:
        if entry.type == "CVSS_V2":
            found = _from_cvss(entry.type, entry.score, entry.source)
            if found is not None:
                return found
    return UNRATED


def _is_distribution_rating(entry: SeverityScore) -> bool:
    return entry.type == "Ubuntu" or (entry.type == "rating" and entry.source in _DISTRIBUTIONS)


def _from_word(entry: SeverityScore) -> Rating | None:
    severity = _RATINGS.get(entry.score.strip().rstrip("*").lower())
    if severity is None:
        return None
    who = entry.source or entry.type
    kind = "priority" if entry.type == "Ubuntu" else "urgency" if who == "Debian" else "rating"
    return Rating(severity, f"{who} {kind}")


@lru_cache(maxsize=8192)
def _from_cvss(kind: str, vector: str, source: str) -> Rating | None:
    """Score a vector; None when it does not parse (a bad vector must not stop a scan)."""
    from cvss import CVSS2, CVSS3, CVSS4  # ~5 ms to import: only when scoring

    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            score, word = float(v4.base_score), str(v4.severity)
        elif kind == "CVSS_V3":
            v3 = CVSS3(vector)
            score, word = float(v3.scores()[0]), str(v3.severities()[0])
        else:
            score = float(CVSS2(vector).scores()[0])
            word = "High" if score >= 7 else "Medium" if score >= 4 else "Low"
    except Exception:  # the cvss library raises its own assorted errors on bad vectors
        return None
    severity = _RATINGS.get(word.lower(), Severity.INFO if score == 0 else Severity.UNKNOWN)
    label = vector.split("/", 1)[0] if vector.startswith("CVSS:") else "CVSS:2.0"
    return Rating(severity, f"{label} ({source})" if source else label, vector, score)

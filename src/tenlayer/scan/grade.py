"""The health grade: Red Hat's Container Health Index, A to F.

Red Hat grades an image by the age of the security fixes it has not applied, not by how
many flaws it has: only unapplied errata for Critical and Important (tenlayer: HIGH) flaws
count, and each one's grade follows the time since the advisory was published. The image
gets the worst grade of any counted advisory, so an image only gets worse while it is not
rebuilt (Red Hat: "container trust is temporal"; the catalogue API has a `next_drop_date`
for when it does).

Here an advisory counts when the match is not suppressed, its status is FIXED and it names a
fixed version (a fix exists and the image does not have it), and its severity is CRITICAL or
HIGH. Medium, low and unrated advisories never count, nor do unfixed ones: no rebuild could
remove them.

Ages are counted in whole days in UTC: an advisory published on day P has age 0 on day P.
"≤ 7 days" holds up to and including P + 7; "12 months" is the same calendar day a year
later (29 February counts to 28 February).

Publication dates. The matcher gives the earliest `published` of the merged advisories.
When an advisory has none, its `modified` date is used instead: an advisory has existed at
least since it was last modified, so the grade this gives is the best the image can deserve
(it may deserve worse), never a made-up one; a warning names the advisory. With neither
date (or dates that do not parse) the age is unknown and the advisory counts as F, the
worst case, with a warning: the grade gates deployments (`--fail-on-grade`), and an
unapplied critical fix of unknown age must not pass as a fresh one. Both are rare (OSV
requires `modified`), and the ignore file or a VEX statement can settle a single advisory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tenlayer.model import FixStatus, Severity, VulnerabilityMatch

LETTERS = ("A", "B", "C", "D", "E", "F")
_Counted = tuple[VulnerabilityMatch, date | None]


@dataclass(frozen=True, slots=True)
class Period:
    """An age limit: a number of days, or of calendar months."""

    days: int = 0
    months: int = 0

    def after(self, start: date) -> date:
        """The last day an advisory published on `start` is within this limit."""
        if self.months:
            month_index = start.month - 1 + self.months
            year, month = start.year + month_index // 12, month_index % 12 + 1
            day = start.day
            while True:
                try:
                    return date(year, month, day)
                except ValueError:  # 29-31 in a shorter month: its last day
                    day -= 1
        return start + timedelta(days=self.days)

    def __str__(self) -> str:
        return f"{self.months} months" if self.months else f"{self.days} days"


@dataclass(frozen=True, slots=True)
class Threshold:
    """A grade holds while every counted advisory is at most this old, by severity."""

    letter: str
    critical: Period
    high: Period

    def limit(self, severity: Severity) -> Period:
        return self.critical if severity >= Severity.CRITICAL else self.high


THRESHOLDS = (
    Threshold("B", critical=Period(days=7), high=Period(days=30)),
    Threshold("C", critical=Period(days=30), high=Period(days=90)),
    Threshold("D", critical=Period(days=90), high=Period(months=12)),
    Threshold("E", critical=Period(months=12), high=Period(months=12)),
)
"""Red Hat's Container Health Index, as the Red Hat Ecosystem Catalog documents it
(redhat-connect.gitbook.io/catalog-help/container-images/container-health; access.redhat.com
article "Container Health Index grades as used inside the Red Hat Container Catalog"):

- A: no unapplied errata that fix Critical or Important flaws;
- B: Critical ones at most 7 days old, Important at most 30;
- C: Critical at most 30 days, Important at most 90;
- D: Critical at most 90 days, Important at most 12 months;
- E: Critical or Important at most 12 months (so in practice: a Critical one of 91 days to
  12 months, as Important ones that young are already D);
- F: any older than 12 months.

The first row whose limit an advisory's age is within gives its letter; past every row, F.
"""


@dataclass(frozen=True, slots=True)
class Grade:
    letter: str
    """A (best) to F."""
    match: VulnerabilityMatch | None
    """The advisory that sets the grade: the worst-graded counted one (the oldest among
    equals); None for A."""
    since: date | None
    """The date its age is counted from (publication, else last modification); None when
    unknown."""
    next_drop: date | None
    """The first day the grade is worse if the image is not rebuilt; None for A and F."""
    next_letter: str | None
    """The grade from `next_drop` on."""
    counted: int
    """How many matches count towards the grade."""
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for reports: `C: CVE-… in openssl (critical, published 2024-05-01); …`."""
        if self.match is None:
            return f"{self.letter}: no unapplied fixes for critical or high vulnerabilities"
        vulnerability = self.match.vulnerability
        severity = vulnerability.severity.name.lower()
        when = f"published {self.since.isoformat()}" if self.since else "publication unknown"
        text = (
            f"{self.letter}: {vulnerability.id} in {self.match.package.name} "
            f"({severity}, {when}, fixed in {self.match.fixed_version})"
        )
        if self.next_drop is not None:
            text += f"; drops to {self.next_letter} on {self.next_drop.isoformat()}"
        return text


def counts(match: VulnerabilityMatch) -> bool:
    """Whether a match counts towards the grade: an unapplied fix for a critical/high flaw."""
    return (
        not match.suppressed_by
        and match.status is FixStatus.FIXED
        and bool(match.fixed_version)
        and match.vulnerability.severity >= Severity.HIGH
    )


def letter_at(published: date | None, severity: Severity, day: date) -> str:
    """The letter one advisory gives on `day` (F when its age is unknown)."""
    if published is None:
        return "F"
    for threshold in THRESHOLDS:
        if day <= threshold.limit(severity).after(published):
            return threshold.letter
    return "F"


def _drop_after(published: date | None, severity: Severity, letter: str) -> date | None:
    """The first day this advisory gives a letter worse than `letter`."""
    if published is None:
        return None
    for threshold in THRESHOLDS:
        if threshold.letter == letter:
            return threshold.limit(severity).after(published) + timedelta(days=1)
    return None  # A (nothing to drop from) or F (nothing below)


def grade(matches: Iterable[VulnerabilityMatch], *, now: datetime) -> Grade:
    """Grade the image whose vulnerability matches these are, as of `now`.

    Suppressed matches (ignore file, VEX) do not count. `now` without a time zone is UTC.
    """
    today = _utc(now).date()
    warnings: dict[str, str] = {}
    counted: list[_Counted] = []
    for match in matches:
        if counts(match):
            counted.append((match, _counted_from(match, warnings)))
    if not counted:
        return Grade("A", None, None, None, None, 0, tuple(warnings.values()))

    def rank(item: _Counted) -> tuple[int, date, int, tuple[int, str, str, str, str]]:
        match, since = item
        letter = letter_at(since, match.vulnerability.severity, today)
        return (
            -LETTERS.index(letter),
            since or date.min,
            -match.vulnerability.severity,
            match.sort_key(),
        )

    worst, since = min(counted, key=rank)
    letter = letter_at(since, worst.vulnerability.severity, today)
    drops = [
        drop
        for match, published in counted
        if (drop := _drop_after(published, match.vulnerability.severity, letter)) is not None
    ]
    next_drop = min(drops, default=None)
    next_letter = None
    if next_drop is not None:
        next_letter = max(
            (letter_at(p, m.vulnerability.severity, next_drop) for m, p in counted),
            key=LETTERS.index,
        )
    return Grade(
        letter=letter,
        match=worst,
        since=since,
        next_drop=next_drop,
        next_letter=next_letter,
        counted=len(counted),
        warnings=tuple(warnings[key] for key in sorted(warnings)),
    )


def _counted_from(match: VulnerabilityMatch, warnings: dict[str, str]) -> date | None:
    vulnerability = match.vulnerability
    published = parse_date(vulnerability.published)
    if published is not None:
        return published
    modified = parse_date(vulnerability.modified)
    if modified is not None:
        warnings[vulnerability.id] = (
            f"health grade: {vulnerability.id} has no publication date; its age is counted "
            f"from its last modification ({modified.isoformat()}), so the grade may be "
            "better than it should"
        )
        return modified
    warnings[vulnerability.id] = (
        f"health grade: {vulnerability.id} has no usable publication or modification date; "
        "counted as F (age unknown)"
    )
    return None


def parse_date(text: str) -> date | None:
    """The UTC date of an RFC 3339 timestamp or a plain date; None when empty or invalid."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return _utc(moment).date()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

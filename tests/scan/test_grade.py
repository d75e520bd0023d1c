"""The health grade at every threshold, the next drop date, and what does not count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from tenlayer.model import FixStatus, Severity
from tenlayer.scan.grade import THRESHOLDS, Period, grade
from tests.scan.builders import match, vulnerability

PUBLISHED = date(2024, 1, 1)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def _one(severity: Severity, published: str = "2024-01-01T08:00:00Z"):  # type: ignore[no-untyped-def]
    return match(vuln=vulnerability(severity=severity, published=published))


# age in days on the day of the scan -> (letter, first day of the next letter, next letter)
CRITICAL = [
    (0, "B", PUBLISHED + timedelta(days=8), "C"),
    (7, "B", PUBLISHED + timedelta(days=8), "C"),
    (8, "C", PUBLISHED + timedelta(days=31), "D"),
    (30, "C", PUBLISHED + timedelta(days=31), "D"),
    (31, "D", PUBLISHED + timedelta(days=91), "E"),
    (90, "D", PUBLISHED + timedelta(days=91), "E"),
    (91, "E", date(2025, 1, 2), "F"),
    (366, "E", date(2025, 1, 2), "F"),  # 2025-01-01: 12 months (2024 is a leap year)
    (367, "F", None, None),
    (3000, "F", None, None),
]
HIGH = [
    (0, "B", PUBLISHED + timedelta(days=31), "C"),
    (30, "B", PUBLISHED + timedelta(days=31), "C"),
    (31, "C", PUBLISHED + timedelta(days=91), "D"),
    (90, "C", PUBLISHED + timedelta(days=91), "D"),
    (91, "D", date(2025, 1, 2), "F"),  # an important flaw is never E
    (366, "D", date(2025, 1, 2), "F"),
    (367, "F", None, None),
]


@pytest.mark.parametrize(("age", "letter", "drop", "next_letter"), CRITICAL)
def test_critical_thresholds(age: int, letter: str, drop: date | None, next_letter: str) -> None:
    result = grade([_one(Severity.CRITICAL)], now=_at(PUBLISHED + timedelta(days=age)))
    assert (result.letter, result.next_drop, result.next_letter) == (letter, drop, next_letter)
    assert result.since == PUBLISHED
    assert result.counted == 1


@pytest.mark.parametrize(("age", "letter", "drop", "next_letter"), HIGH)
def test_high_thresholds(age: int, letter: str, drop: date | None, next_letter: str) -> None:
    result = grade([_one(Severity.HIGH)], now=_at(PUBLISHED + timedelta(days=age)))
    assert (result.letter, result.next_drop, result.next_letter) == (letter, drop, next_letter)


def test_the_drop_date_is_the_first_day_of_the_worse_grade() -> None:
    scan = _one(Severity.CRITICAL)
    before = grade([scan], now=_at(PUBLISHED))
    assert before.next_drop is not None
    on = grade([scan], now=_at(before.next_drop))
    day_before = grade([scan], now=_at(before.next_drop - timedelta(days=1)))
    assert day_before.letter == before.letter == "B"
    assert on.letter == before.next_letter == "C"


def test_no_counted_advisory_is_a() -> None:
    result = grade([], now=_at(PUBLISHED))
    assert (result.letter, result.match, result.next_drop, result.counted) == ("A", None, None, 0)
    assert result.describe() == "A: no unapplied fixes for critical or high vulnerabilities"


@pytest.mark.parametrize(
    "scan",
    [
        match(vuln=vulnerability(severity=Severity.MEDIUM, published="2010-01-01")),
        match(vuln=vulnerability(severity=Severity.LOW, published="2010-01-01")),
        match(vuln=vulnerability(severity=Severity.UNKNOWN, published="2010-01-01")),
        match(vuln=vulnerability(severity=Severity.CRITICAL, published="2010-01-01"),
              status=FixStatus.NOT_FIXED),
        match(vuln=vulnerability(severity=Severity.CRITICAL, published="2010-01-01"),
              status=FixStatus.WONT_FIX),
        match(vuln=vulnerability(severity=Severity.CRITICAL, published="2010-01-01"), fixed=None),
        match(vuln=vulnerability(severity=Severity.CRITICAL, published="2010-01-01"),
              suppressed_by="vex: not_affected (component_not_present) by Jane"),
    ],
    ids=["medium", "low", "unrated", "not-fixed", "wont-fix", "no-fixed-version", "suppressed"],
)
def test_what_does_not_count(scan) -> None:  # type: ignore[no-untyped-def]
    assert grade([scan], now=_at(PUBLISHED)).letter == "A"


def test_worst_advisory_sets_the_grade_and_earliest_drop_wins() -> None:
    critical = match("libc6", vulnerability("CVE-2024-1000", Severity.CRITICAL, "2024-03-01"))
    high = match("bash", vulnerability("CVE-2024-2000", Severity.HIGH, "2024-01-10"))
    medium = match("tzdata", vulnerability("CVE-2000-1", Severity.MEDIUM, "2000-01-01"))
    now = _at(date(2024, 3, 11))  # critical: 10 days -> C until 03-31; high: 61 days -> C
    result = grade([medium, high, critical], now=now)
    assert result.letter == "C"
    assert result.counted == 2
    # both are C; the older one (the high, published first) is named
    assert result.match == high
    # the high becomes D after 90 days (2024-04-10), the critical after 30 (2024-04-01)
    assert result.next_drop == date(2024, 4, 1)
    assert result.next_letter == "D"
    assert result.describe() == (
        "C: CVE-2024-2000 in bash (high, published 2024-01-10, fixed in 9.9); "
        "drops to D on 2024-04-01"
    )


def test_a_worse_letter_beats_an_older_advisory() -> None:
    high = match("bash", vulnerability("CVE-2024-2000", Severity.HIGH, "2024-01-01"))
    critical = match("libc6", vulnerability("CVE-2024-1000", Severity.CRITICAL, "2024-01-20"))
    result = grade([high, critical], now=_at(date(2024, 2, 1)))  # high 31 d: C; crit 12 d: C
    assert result.letter == "C"
    result = grade([high, critical], now=_at(date(2024, 2, 20)))  # crit 31 d: D
    assert (result.letter, result.match) == ("D", critical)


def test_publication_time_is_counted_in_utc() -> None:
    late = _one(Severity.CRITICAL, published="2024-01-01T23:30:00-05:00")  # 2024-01-02 UTC
    assert grade([late], now=_at(date(2024, 1, 9))).letter == "B"
    assert grade([late], now=_at(date(2024, 1, 10))).letter == "C"
    naive_now = datetime(2024, 1, 10, 0, 30)
    assert grade([late], now=naive_now).letter == "C"


def test_twelve_months_from_a_leap_day() -> None:
    leap = _one(Severity.CRITICAL, published="2024-02-29")
    assert Period(months=12).after(date(2024, 2, 29)) == date(2025, 2, 28)
    assert grade([leap], now=_at(date(2025, 2, 28))).letter == "E"
    assert grade([leap], now=_at(date(2025, 3, 1))).letter == "F"


def test_missing_publication_date_counts_from_modification() -> None:
    scan = match(vuln=vulnerability(severity=Severity.CRITICAL, published="",
                                    modified="2024-01-01T00:00:00Z"))
    result = grade([scan, scan], now=_at(date(2024, 1, 5)))
    assert (result.letter, result.since) == ("B", date(2024, 1, 1))
    assert result.warnings == (
        "health grade: CVE-2024-0001 has no publication date; its age is counted from its "
        "last modification (2024-01-01), so the grade may be better than it should",
    )


def test_no_usable_date_is_the_worst_case() -> None:
    scan = match(vuln=vulnerability(severity=Severity.HIGH, published="soon", modified=""))
    fresh = match("bash", vulnerability("CVE-2024-9", Severity.CRITICAL, "2024-01-01"))
    result = grade([fresh, scan], now=_at(date(2024, 1, 2)))
    assert (result.letter, result.match, result.since, result.next_drop) == ("F", scan, None, None)
    assert result.warnings == (
        "health grade: CVE-2024-0001 has no usable publication or modification date; "
        "counted as F (age unknown)",
    )
    assert "publication unknown" in result.describe()


def test_thresholds_are_one_table_in_order() -> None:
    assert [t.letter for t in THRESHOLDS] == ["B", "C", "D", "E"]
    for earlier, later in pairwise(THRESHOLDS):
        for severity in (Severity.CRITICAL, Severity.HIGH):
            limits = earlier.limit(severity), later.limit(severity)
            assert limits[0].after(PUBLISHED) <= limits[1].after(PUBLISHED)


def test_grade_does_not_depend_on_order() -> None:
    scans = [
        match(name, vulnerability(f"CVE-2024-{n}", severity, "2023-06-01"))
        for n, (name, severity) in enumerate(
            [("libc6", Severity.HIGH), ("bash", Severity.CRITICAL), ("tzdata", Severity.HIGH)]
        )
    ]
    now = _at(date(2024, 1, 1))
    assert grade(scans, now=now) == grade(list(reversed(scans)), now=now)
    assert grade(scans, now=now).match == scans[1]
    assert replace(grade(scans, now=now), warnings=()) == grade(scans, now=now)

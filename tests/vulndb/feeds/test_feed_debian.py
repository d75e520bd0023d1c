"""Debian's security tracker JSON and DSA list, read into advisories."""

from __future__ import annotations

import json
from pathlib import Path

from tenlayer.model import FixStatus
from tenlayer.vulndb.feeds.debian import iter_debian, parse_advisory_list
from tenlayer.vulndb.records import SeverityScore
from tests.vulndb.feeds.feedsupport import by_id, read, samples, shape


def test_sample_tracker_with_its_dsa_list() -> None:
    tracker = samples("debian", "input", "debian.json")
    advisories, problems = read(iter_debian, tracker)
    assert problems == []
    found = by_id(advisories)
    # CVE-2007-2383 is `fixed_version: 0` everywhere (never affected): no advisory.
    # CVE-2022-0358 has `releases: []`: nothing to say.
    assert sorted(found) == [
        "DEBIAN-CVE-2005-3111",
        "DEBIAN-CVE-2008-7220",
        "DEBIAN-CVE-2013-1444",
        "DEBIAN-CVE-2022-0456",
        "DEBIAN-CVE-2025-53603",
    ]

    sope = found["DEBIAN-CVE-2025-53603"]
    assert sope.aliases == ("CVE-2025-53603",)
    assert sope.related == ("DSA-5970-1",)  # from the DSA list beside the JSON
    assert sope.published == ""  # the tracker has no dates
    assert sope.modified.endswith("Z")  # the file's time
    assert sope.details.startswith("In Alinto SOPE SOGo 2.0.2 through 5.12.2")
    assert sope.references == (
        "https://security-tracker.debian.org/tracker/CVE-2025-53603",
        "https://bugs.debian.org/1108798",
    )
    assert sope.severity == ()  # "not yet assigned" is not a rating
    assert [shape(a) for a in sope.affected] == [  # sid is skipped
        ("Debian:11", "sope", (("introduced", "0"), ("fixed", "5.0.1-2+deb11u1")), "fixed"),
        ("Debian:12", "sope", (("introduced", "0"), ("fixed", "5.8.0-1+deb12u1")), "fixed"),
        ("Debian:13", "sope", (("introduced", "0"), ("fixed", "5.12.1-2")), "fixed"),
    ]

    chromium = found["DEBIAN-CVE-2022-0456"]
    assert chromium.related == ()
    assert [shape(a) for a in chromium.affected] == [
        ("Debian:9", "chromium", (("introduced", "0"),), "wont-fix"),  # end-of-life
        ("Debian:10", "chromium", (("introduced", "0"),), "wont-fix"),  # end-of-life
        (
            "Debian:11",
            "chromium",
            (("introduced", "0"), ("fixed", "98.0.4758.80-1~deb11u1")),
            "fixed",
        ),
        ("Debian:12", "chromium", (("introduced", "0"), ("fixed", "98.0.4758.80-1")), "fixed"),
    ]

    prototype = found["DEBIAN-CVE-2008-7220"]
    high = SeverityScore("rating", "high", "Debian")  # "high**": the NVD marker is dropped
    assert prototype.severity == (high,)
    assert [(a.ecosystem, a.severity) for a in prototype.affected] == [
        ("Debian:8", (high,)),
        ("Debian:9", (high,)),
        ("Debian:10", (high,)),
    ]
    assert found["DEBIAN-CVE-2013-1444"].severity == (SeverityScore("rating", "low", "Debian"),)


def test_a_directory_finds_the_json_and_the_list() -> None:
    advisories, problems = read(iter_debian, samples("debian"))
    assert problems == []  # legacy/ (vunnel's own output) is not the tracker: not read
    assert by_id(advisories)["DEBIAN-CVE-2025-53603"].related == ("DSA-5970-1",)


def test_dsa_list() -> None:
    content = samples("debian", "input", "DSA").read_text()
    related = parse_advisory_list(content)
    assert related["CVE-2002-0660"] == ["DSA-140"]
    assert related["CVE-2002-0728"] == ["DSA-140"]  # one DSA, two CVEs: related, not aliases
    assert related["CVE-2025-53603"] == ["DSA-5970-1"]
    listed = (
        "[10 Jan 2024] DSA-5600-1 foo - security update\n"
        "\t{CVE-2024-0001 CVE-2024-0002}\n"
        "\t[bookworm] - foo 1.0-1+deb12u1\n"
        "[20 Jan 2024] DSA-5600-2 foo - regression update\n"
        "\t[bookworm] - foo 1.0-1+deb12u2\n"
        "[01 Feb 2024] DLA-3700-1 bar - security update\n"
        "\t{CVE-2024-0002}\n"
    )
    assert parse_advisory_list(listed) == {
        "CVE-2024-0001": ["DSA-5600-1", "DSA-5600-2"],  # the regression update inherits
        "CVE-2024-0002": ["DSA-5600-1", "DSA-5600-2", "DLA-3700-1"],
    }


def release(status: str, **fields: str) -> dict[str, object]:
    return {"status": status, "repositories": {}, **fields}


def test_tracker_states(tmp_path: Path) -> None:
    tracker = {
        "zlib": {
            "CVE-2023-45853": {
                "description": "MiniZip overflow",
                "releases": {
                    "bookworm": release(
                        "open", urgency="unimportant", nodsa="contrib only", nodsa_reason="ignored"
                    ),
                    "bullseye": release(
                        "open", urgency="low", nodsa="Minor issue", nodsa_reason="postponed"
                    ),
                    "buster": release(
                        "open", urgency="medium*", nodsa="Minor issue", nodsa_reason=""
                    ),
                    "trixie": release("open", urgency="high"),
                    "forky": release("undetermined", urgency="not yet assigned"),
                    "sid": release("open", urgency="low"),
                    "experimental": release("open"),
                },
            },
            "TEMP-0000000-ABCDEF": {"releases": {"bookworm": release("open")}},
        },
        "minizip": {
            "CVE-2023-45853": {
                "debianbug": 1054290,
                "releases": {"bookworm": release("resolved", fixed_version="1.1-8+deb12u1")},
            },
        },
    }
    path = tmp_path / "debian.json"
    path.write_text(json.dumps(tracker))
    advisories, problems = read(iter_debian, path)
    assert problems == []
    [advisory] = advisories  # TEMP-… ids are skipped
    assert advisory.id == "DEBIAN-CVE-2023-45853"
    assert advisory.aliases == ("CVE-2023-45853",)
    assert advisory.details == "MiniZip overflow"
    assert advisory.references[-1] == "https://bugs.debian.org/1054290"
    assert advisory.severity == (SeverityScore("rating", "high", "Debian"),)  # the highest
    states = {(a.name, a.ecosystem): (a.state, a.severity) for a in advisory.affected}
    rating = {
        w: (SeverityScore("rating", w, "Debian"),) for w in ("unimportant", "low", "medium", "high")
    }
    assert states == {
        ("minizip", "Debian:12"): (FixStatus.FIXED, ()),
        ("zlib", "Debian:10"): (FixStatus.WONT_FIX, rating["medium"]),  # <no-dsa>
        ("zlib", "Debian:11"): (FixStatus.NOT_FIXED, rating["low"]),  # <postponed>
        ("zlib", "Debian:12"): (FixStatus.WONT_FIX, rating["unimportant"]),  # <ignored>
        ("zlib", "Debian:13"): (FixStatus.NOT_FIXED, rating["high"]),  # open
        # forky: undetermined, nothing; sid and experimental: no release number
    }


def test_malformed_entries_are_named_and_skipped(tmp_path: Path) -> None:
    tracker = {
        "good": {"CVE-2024-1": {"releases": {"bookworm": release("resolved", fixed_version="2")}}},
        "bad-status": {"CVE-2024-2": {"releases": {"bookworm": release("fixed-ish")}}},
        "no-version": {"CVE-2024-3": {"releases": {"bookworm": release("resolved")}}},
        "bad-releases": {"CVE-2024-4": {"releases": "bookworm"}},
        "bad-release": {"CVE-2024-5": {"releases": {"bookworm": ["open"]}}},
        "bad-issue": {"CVE-2024-6": "open"},
        "bad-package": ["CVE-2024-7"],
    }
    path = tmp_path / "debian.json"
    path.write_text(json.dumps(tracker))
    advisories, problems = read(iter_debian, path)
    assert [a.id for a in advisories] == ["DEBIAN-CVE-2024-1"]
    messages = [str(p) for p in problems]
    assert len(messages) == 6
    assert all(m.startswith(f"{path}: ") for m in messages)
    assert "bad-status CVE-2024-2: Debian:12: unknown status 'fixed-ish'" in messages[0]
    assert "no-version CVE-2024-3: Debian:12: resolved without a fixed_version" in messages[1]
    assert "bad-package: expected an object of CVEs" in messages[5]


def test_broken_json_is_one_problem_and_what_came_before_is_kept(tmp_path: Path) -> None:
    good = {"releases": {"bookworm": release("resolved", fixed_version="2")}}
    text = json.dumps({"a": {"CVE-2024-1": good}, "b": {"CVE-2024-2": good}})
    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[: text.index('"b"') + 20])
    advisories, problems = read(iter_debian, truncated)
    assert [a.id for a in advisories] == ["DEBIAN-CVE-2024-1"]
    [problem] = problems
    assert "not valid JSON" in str(problem)

    for content, why in (
        ("[1, 2]", "not a JSON object"),
        ('{"a": {}} x', "unexpected data"),
        ('{"a" {}}', "expected ':'"),
        ("\xff\xfe", "cannot be read"),
    ):
        path = tmp_path / "other.json"
        path.write_bytes(content.encode("latin-1"))
        advisories, problems = read(iter_debian, path)
        assert advisories == []
        assert [why in str(p) for p in problems] == [True], (content, problems)


def test_streamed_members_equal_a_full_parse() -> None:
    from tenlayer.vulndb.feeds.debian import _members

    text = samples("debian", "input", "debian.json").read_text()
    assert dict(_members(text)) == json.loads(text)
    assert dict(_members("{}")) == {}
    assert dict(_members(' { "a" : [] , "b":{"c":1} } \n')) == {"a": [], "b": {"c": 1}}

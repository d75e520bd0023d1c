"""One OSV record -> Advisory: every field, the rating words feeds use, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tenlayer.vulndb.osv import parse_record, sort_key
from tenlayer.vulndb.records import (
    Event,
    EventKind,
    MalformedRecord,
    RangeType,
    SeverityScore,
)
from tenlayer.vulndb.sources import SourceStats, load_yaml, records_in
from tests.vulndb.store.osvdata import record


def test_every_field() -> None:
    document = record(
        "GHSA-xxxx-yyyy-zzzz",
        withdrawn="2024-02-01T00:00:00Z",
        related=["CVE-2023-0001", "GHSA-xxxx-yyyy-zzzz"],
        details="Long text.",
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        database_specific={"severity": "HIGH", "cwe_ids": ["CWE-79"]},
        upstream=["CVE-2023-32681"],
    )
    advisory = parse_record(document, "x.json")
    assert advisory.id == "GHSA-xxxx-yyyy-zzzz"
    assert advisory.modified == "2024-01-02T03:04:05Z"
    assert advisory.published == "2023-05-22T20:00:00Z"
    assert advisory.withdrawn == "2024-02-01T00:00:00Z"
    assert advisory.aliases == ("CVE-2023-32681",)
    assert advisory.related == ("CVE-2023-0001",)  # its own id is not related to itself
    assert advisory.summary == "requests is vulnerable"
    assert advisory.details == "Long text."
    assert advisory.severity == (
        SeverityScore("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "GHSA"),
        SeverityScore("rating", "HIGH", "GHSA"),
    )
    assert advisory.references == ("https://example.test/GHSA-xxxx-yyyy-zzzz",)
    assert advisory.source == "x.json"
    assert advisory.extra == {"upstream": "CVE-2023-32681"}
    (affected,) = advisory.affected
    assert (affected.ecosystem, affected.name) == ("PyPI", "requests")
    (only_range,) = affected.ranges
    assert only_range.type is RangeType.ECOSYSTEM
    assert only_range.events == (
        Event(EventKind.INTRODUCED, "0"),
        Event(EventKind.FIXED, "2.31.0"),
    )


def test_go_symbols_and_git_ranges() -> None:
    document = record("GO-2024-2687", ecosystem="Go", name="stdlib")
    document["affected"][0]["ecosystem_specific"] = {
        "imports": [
            {"path": "net/http", "symbols": ["Client.Do", "Get"]},
            {"path": "golang.org/x/net/http2"},  # no symbols: the whole package
        ]
    }
    document["affected"][0]["ranges"].append(
        {
            "type": "GIT",
            "repo": "https://go.googlesource.com/go",
            "events": [{"introduced": "0"}, {"fixed": "abc123"}],
        }
    )
    (affected,) = parse_record(document).affected
    assert affected.symbols == ("net/http.Client.Do", "net/http.Get", "golang.org/x/net/http2")
    git = affected.ranges[1]
    assert (git.type, git.repo, git.events[1].version) == (
        RangeType.GIT, "https://go.googlesource.com/go", "abc123",
    )


def test_distribution_ratings_per_package() -> None:
    document = record("DEBIAN-CVE-2024-0001", ecosystem="Debian:12", name="openssl")
    document["affected"][0]["ecosystem_specific"] = {"urgency": "low"}
    ubuntu = record("USN-1-1", ecosystem="Ubuntu:22.04:LTS", name="openssl")
    ubuntu["affected"][0]["database_specific"] = {
        "cves_map": {"cves": [
            {"id": "CVE-1", "severity": [{"type": "Ubuntu", "score": "low"}]},
            {"id": "CVE-2", "severity": [{"type": "Ubuntu", "score": "high"}]},
        ]}
    }  # fmt: skip
    (debian,) = parse_record(document).affected
    assert debian.severity == (SeverityScore("rating", "low", "Debian"),)
    (usn,) = parse_record(ubuntu).affected
    assert usn.severity == (SeverityScore("Ubuntu", "high", "Ubuntu"),)


def test_forgiving_of_what_feeds_write() -> None:
    document = record(aliases=None, related=None, references=[{"type": "WEB"}, "https://a.test"])
    document["affected"][0]["ranges"][0]["events"] = [{"introduced": 0, "fixed": "2.0"}]
    document["affected"][0]["versions"] = ["1.0", 1, "1.0"]
    document["affected"].append({"ranges": [{"type": "GIT", "repo": "r", "events": []}]})
    advisory = parse_record(document)
    assert advisory.aliases == ()
    assert advisory.references == ("https://a.test",)
    (affected,) = advisory.affected  # the entry without a package matches nothing
    assert affected.ranges[0].events == (
        Event(EventKind.INTRODUCED, "0"), Event(EventKind.FIXED, "2.0"),
    )
    assert affected.versions == ("1.0", "1")


def test_yaml_scalars_stay_strings() -> None:
    text = b"""id: PYSEC-2099-1
modified: 2023-11-07T20:24:23.946863Z
affected:
- package: {ecosystem: PyPI, name: demo}
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: 0
    - fixed: 1.10
  versions: [1.0, 1.9, 2]
"""
    document: Any = load_yaml(text)
    advisory = parse_record(document)
    assert advisory.modified == "2023-11-07T20:24:23.946863Z"
    (affected,) = advisory.affected
    assert [e.version for e in affected.ranges[0].events] == ["0", "1.10"]
    assert affected.versions == ("1.0", "1.9", "2")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("id"), "missing id"),
        (lambda d: d.update(id=7), "id is not a string"),
        (lambda d: d.pop("modified"), "GHSA-aaaa-bbbb-cccc: missing modified"),
        (lambda d: d.update(modified="yesterday"), "modified 'yesterday' is not an RFC 3339"),
        (lambda d: d.update(aliases="CVE-1"), "aliases is a string, expected a list"),
        (lambda d: d.update(aliases=[1]), "aliases[0] is a int, expected a string"),
        (lambda d: d.update(affected={"a": 1}), "affected is a object, expected a list"),
        (lambda d: d["affected"][0]["package"].pop("name"), "affected[0].package.name missing"),
        (lambda d: d["affected"][0]["ranges"][0].update(type="RANGE"), "is not ECOSYSTEM"),
        (lambda d: d["affected"][0]["ranges"][0]["events"].append({"x": "1"}),
         "events[2] has none of introduced"),
        (lambda d: d["affected"][0]["ranges"][0]["events"].append({"fixed": 1.1}),
         "events[2].fixed is a float, expected a version string"),
        (lambda d: d.update(severity=[{"type": "CVSS_V3"}]), "severity[0].score missing"),
        (lambda d: d.update(summary=["x"]), "summary is a list, expected a string"),
    ],
)  # fmt: skip
def test_malformed_says_what(change: Any, message: str) -> None:
    document = record()
    change(document)
    with pytest.raises(MalformedRecord) as caught:
        parse_record(document)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_not_an_object() -> None:
    with pytest.raises(MalformedRecord, match=r"not an OSV record \(a string"):
        parse_record("GHSA-1")


def test_sort_key_orders_times_across_offsets_and_precision() -> None:
    times = ["2024-01-01T10:00:00+02:00", "2024-01-01T09:00:00.5Z", "2024-01-01T09:00:00Z",
             "0001-01-01T00:00:00Z", "2024-01-01"]  # fmt: skip
    assert sorted(times, key=sort_key) == [  # 10:00+02:00 is 08:00 UTC
        "0001-01-01T00:00:00Z", "2024-01-01", "2024-01-01T10:00:00+02:00",
        "2024-01-01T09:00:00Z", "2024-01-01T09:00:00.5Z",
    ]  # fmt: skip


def test_a_file_may_hold_a_list_of_records() -> None:
    stats = SourceStats("x", "file")
    data = b'[{"id": "A-1", "modified": "2024-01-01T00:00:00Z"}, {"id": "A-2"}]'
    advisories = list(records_in(data, "list.json", stats))
    assert [a.id for a in advisories] == ["A-1"]
    assert stats.malformed_named == ["list.json[1]: A-2: missing modified"]

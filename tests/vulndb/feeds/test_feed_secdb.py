"""Alpine's secdb and the secdb of Wolfi and Chainguard, read into advisories."""

from __future__ import annotations

import json
from pathlib import Path

from tenlayer.vulndb.feeds.secdb import iter_alpine, iter_wolfi
from tests.vulndb.feeds.feedsupport import by_id, read, samples, shape


def fixed(ecosystem: str, name: str, version: str) -> tuple[object, ...]:
    return (ecosystem, name, (("introduced", "0"), ("fixed", version)), "fixed")


def test_alpine_sample() -> None:
    advisories, problems = read(iter_alpine, samples("alpine"))
    assert problems == []
    found = by_id(advisories)
    assert len(found) == 16  # 3 CVEs in community.yaml, 13 in main.yaml
    zlib = found["ALPINE-CVE-2022-37434"]
    assert zlib.aliases == ("CVE-2022-37434",)
    assert zlib.published == ""
    assert zlib.source.endswith("v3.15/main.yaml")
    assert [shape(a) for a in zlib.affected] == [fixed("Alpine:v3.15", "zlib", "1.2.12-r2")]
    assert [shape(a) for a in found["ALPINE-CVE-2018-1071"].affected] == [
        fixed("Alpine:v3.15", "zsh", "5.4.2-r1")
    ]
    assert [shape(a) for a in found["ALPINE-CVE-2021-38370"].affected] == [
        fixed("Alpine:v3.15", "alpine", "2.25-r0")  # community.yaml
    ]
    main, _ = read(iter_alpine, samples("alpine", "input", "secdb", "v3.15", "main.yaml"))
    assert len(main) == 13


def test_wolfi_sample() -> None:
    advisories, problems = read(iter_wolfi, samples("wolfi", "input", "secdb", "security.json"))
    assert problems == []
    found = by_id(advisories)
    assert len(found) == 53
    assert [shape(a) for a in found["WOLFI-CVE-2022-3602"].affected] == [
        fixed("Wolfi", "openssl", "3.0.7-r0")
    ]
    assert [shape(a) for a in found["WOLFI-CVE-2023-39325"].affected] == [
        fixed("Wolfi", "apko", "0.10.0-r6")
    ]
    # "0": the package was never affected
    for never in ("CVE-2016-2781", "CVE-2019-6293", "CVE-2017-8806", "GHSA-jq35-85cj-fj4p"):
        assert f"WOLFI-{never}" not in found


def write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def secdb(release: str | None, packages: list[object], **extra: object) -> dict[str, object]:
    document: dict[str, object] = {
        "apkurl": "{{urlprefix}}/x.apk",
        "archs": ["x86_64"],
        "reponame": "main",
        "packages": packages,
        **extra,
    }
    if release is not None:
        document["distroversion"] = release
    return document


def pkg(name: object, secfixes: object) -> dict[str, object]:
    return {"pkg": {"name": name, "secfixes": secfixes}}


def test_one_advisory_per_id_across_releases(tmp_path: Path) -> None:
    write(
        tmp_path / "v3.19" / "main.json",
        secdb("v3.19", [pkg("zlib", {"1.3-r2": ["CVE-2023-45853"]})]),
    )
    write(
        tmp_path / "v3.20" / "main.json",
        secdb("v3.20", [pkg("zlib", {"1.3.1-r0": ["CVE-2023-45853"]})]),
    )
    write(
        tmp_path / "v3.20" / "community.json",
        secdb("v3.20", [pkg("minizip", {"1.3.1-r0": ["CVE-2023-45853"]})]),
    )
    advisories, problems = read(iter_alpine, tmp_path)
    assert problems == []
    [advisory] = advisories
    assert [shape(a) for a in advisory.affected] == [
        fixed("Alpine:v3.19", "zlib", "1.3-r2"),
        fixed("Alpine:v3.20", "minizip", "1.3.1-r0"),
        fixed("Alpine:v3.20", "zlib", "1.3.1-r0"),
    ]


def test_yaml_versions_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "main.yaml"
    path.write_text(
        "distroversion: v3.20\nreponame: main\narchs: [x86_64]\npackages:\n"
        "- pkg:\n    name: foo\n    secfixes:\n      1.10:\n      - CVE-2024-1\n"
        "      0:\n      - CVE-2024-2\n      2.0-r1:\n      - CVE-2024-3 XSA-99\n"
        "      3.0-r0:\n"
    )
    advisories, problems = read(iter_alpine, path)
    assert problems == []
    assert {a.id: shape(a.affected[0]) for a in advisories} == {
        "ALPINE-CVE-2024-1": fixed("Alpine:v3.20", "foo", "1.10"),  # not the float 1.1
        "ALPINE-CVE-2024-3": fixed("Alpine:v3.20", "foo", "2.0-r1"),
        "ALPINE-XSA-99": fixed("Alpine:v3.20", "foo", "2.0-r1"),
    }


def test_chainguard_by_its_url(tmp_path: Path) -> None:
    path = write(
        tmp_path / "security.json",
        secdb(
            None,
            [pkg("glibc", {"2.38-r1": ["CVE-2023-4911"]})],
            urlprefix="https://packages.cgr.dev",
        ),
    )
    [advisory], _ = read(iter_wolfi, path)
    assert advisory.id == "CHAINGUARD-CVE-2023-4911"
    assert shape(advisory.affected[0]) == fixed("Chainguard", "glibc", "2.38-r1")


def test_which_apk_distribution(tmp_path: Path) -> None:
    from tenlayer.vulndb.feeds import detect, sniff

    packages = [pkg("glibc", {"2.38-r1": ["CVE-2023-4911"]})]
    cases = {
        "https://packages.cgr.dev": ("wolfi", "CHAINGUARD-CVE-2023-4911"),
        "https://packages.wolfi.dev": ("wolfi", "WOLFI-CVE-2023-4911"),
        "https://dl-cdn.alpinelinux.org/alpine": ("alpine", None),  # no distroversion
        "https://example.org/apk": (None, None),  # another apk distribution
    }
    for number, (url, (feed, ident)) in enumerate(cases.items()):
        path = write(tmp_path / f"{number}.json", secdb(None, packages, urlprefix=url))
        assert sniff(path) == feed, url
        if feed is not None:
            reader = detect(path)
            assert reader is not None
            advisories, problems = read(reader, path)
            assert [a.id for a in advisories] == ([ident] if ident else [])
            assert len(problems) == (0 if ident else 1)
    advisories, problems = read(iter_wolfi, tmp_path / "3.json")  # read as Wolfi anyway
    assert advisories == [] and "neither Wolfi's nor Chainguard's" in str(problems[0])


def test_malformed_entries_are_named_and_skipped(tmp_path: Path) -> None:
    good = pkg("good", {"1.0-r0": ["CVE-2024-1"]})
    write(
        tmp_path / "a" / "main.json",
        secdb(
            "v3.20",
            [
                good,
                pkg(None, {}),
                pkg("bad", ["CVE-2024-2"]),
                pkg("junk", {"1.0-r0": ["not an id"]}),
                "text",
                {"pkg": None},
            ],
        ),
    )
    write(tmp_path / "b" / "main.json", secdb("3.20", [good]))  # not `v3.20`
    write(tmp_path / "c" / "main.json", secdb("v3.20", "all of them"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "main.yaml").write_text("distroversion: v3.20\npackages: [\n")
    advisories, problems = read(iter_alpine, tmp_path)
    assert [a.id for a in advisories] == ["ALPINE-CVE-2024-1"]
    messages = sorted(str(p) for p in problems)
    assert len(messages) == 8, messages  # 5 packages of a, then b, c, d
    assert any("packages[1]: package without a name" in m for m in messages)
    assert any("packages[2]: bad: 'secfixes' is not a mapping" in m for m in messages)
    assert any("packages[3]: junk 1.0-r0: no vulnerability id" in m for m in messages)
    assert any("b/main.json: distroversion '3.20' is not an Alpine release" in m for m in messages)
    assert any("c/main.json: 'packages' is not a list" in m for m in messages)
    assert any("d/main.yaml: not valid YAML" in m for m in messages)

"""What every scheme promises: a key or one clear InvalidVersion line for any text, and the
ecosystem -> scheme map."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenlayer.vulndb.versions import (
    SCHEMES,
    InvalidVersion,
    UnknownEcosystem,
    get_scheme,
    scheme_for,
    scheme_for_range,
)
from tenlayer.vulndb.versions.base import MAX_LENGTH

ANY_TEXT = st.one_of(st.text(), st.text("0123456789.-_~^+:abrcpv ", max_size=12))


@pytest.mark.parametrize("name", SCHEMES)
@given(a=ANY_TEXT, b=ANY_TEXT)
def test_any_text_gives_a_key_or_one_clear_line(name: str, a: str, b: str) -> None:
    scheme = get_scheme(name)
    try:
        ka = scheme.key(a)
    except InvalidVersion as error:
        message = str(error)
        assert message.startswith(f"invalid {name} version ")
        assert "\n" not in message and "\r" not in message
        assert error.scheme == name and error.version == a
        return
    hash(ka)
    try:
        kb = scheme.key(b)
    except InvalidVersion:
        return
    assert scheme.compare(a, b) == (ka > kb) - (ka < kb)
    assert scheme.compare(a, a) == 0


@pytest.mark.parametrize("name", SCHEMES)
def test_overlong_versions_are_refused(name: str) -> None:
    with pytest.raises(InvalidVersion, match=f"longer than {MAX_LENGTH} characters"):
        get_scheme(name).key("1" * (MAX_LENGTH + 1))


@pytest.mark.parametrize("name", SCHEMES)
def test_message_shows_a_long_version_cut_short(name: str) -> None:
    with pytest.raises(InvalidVersion) as raised:
        get_scheme(name).key("\n" + "x" * 5000)
    assert len(str(raised.value)) < 200


@pytest.mark.parametrize(
    ("ecosystem", "name"),
    [
        ("Debian", "dpkg"),
        ("Debian:12", "dpkg"),
        ("Ubuntu:22.04:LTS", "dpkg"),
        ("Ubuntu:Pro:22.04", "dpkg"),
        ("Red Hat:enterprise_linux:9::appstream", "rpm"),
        ("Rocky Linux:9", "rpm"),
        ("AlmaLinux:8", "rpm"),
        ("Fedora:40", "rpm"),
        ("openSUSE:Leap 15.5", "rpm"),
        ("SUSE:Linux Enterprise Server 15 SP5", "rpm"),
        ("Alpine:v3.20", "apk"),
        ("Wolfi", "apk"),
        ("Chainguard", "apk"),
        ("PyPI", "pep440"),
        ("npm", "semver"),
        ("crates.io", "semver"),
        ("Go", "go"),
        ("Maven", "maven"),
    ],
)
def test_scheme_for(ecosystem: str, name: str) -> None:
    assert scheme_for(ecosystem).name == name


@pytest.mark.parametrize("ecosystem", ["Packagist", "", "NuGet", "Debianish"])
def test_unknown_ecosystem(ecosystem: str) -> None:
    with pytest.raises(UnknownEcosystem) as raised:
        scheme_for(ecosystem)
    assert str(raised.value) == f"unknown ecosystem {ecosystem!r}: no version scheme orders it"
    assert isinstance(raised.value, ValueError)


def test_ranges() -> None:
    assert scheme_for_range("SEMVER", "Go").name == "go"
    assert scheme_for_range("SEMVER", "crates.io").name == "semver"
    assert scheme_for_range("ECOSYSTEM", "Debian:12").name == "dpkg"
    assert scheme_for_range("ecosystem", "PyPI").name == "pep440"
    with pytest.raises(UnknownEcosystem, match="GIT ranges are ordered by commit history"):
        scheme_for_range("GIT", "Go")
    with pytest.raises(UnknownEcosystem, match="unknown OSV range type 'FOO'"):
        scheme_for_range("FOO", "Go")
    with pytest.raises(UnknownEcosystem):
        scheme_for_range("ECOSYSTEM", "Packagist")


def test_unknown_scheme_name() -> None:
    with pytest.raises(UnknownEcosystem, match="unknown version scheme 'nope'"):
        get_scheme("nope")

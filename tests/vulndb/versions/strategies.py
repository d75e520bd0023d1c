"""Hypothesis strategies for version strings: realistic shapes, edge cases, and near misses.

Random text alone would almost never produce two versions that are equal or differ only in
their last character, which is where comparators go wrong; so pairs are drawn as two
independent versions, a version and itself, or a version and a small edit of it.
"""

from __future__ import annotations

from hypothesis import strategies as st

Pair = tuple[str, str]
# Printable ASCII without whitespace (whitespace has its own tests; the oracles speak lines).
PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))


def _join(parts: list[str]) -> str:
    return "".join(parts)


def pairs_of(
    versions: st.SearchStrategy[str], chunks: st.SearchStrategy[str]
) -> st.SearchStrategy[Pair]:
    """Pairs (a, b): independent, identical, or b an edit of a (appended, cut, or replaced)."""

    @st.composite
    def edited(draw: st.DrawFn) -> Pair:
        a = draw(versions)
        how = draw(st.sampled_from(("append", "cut", "replace", "same")))
        if how == "same":
            return a, a
        cut = draw(st.integers(min_value=1, max_value=max(1, len(a))))
        chunk = draw(chunks)
        b = {"append": a + chunk, "cut": a[:cut], "replace": a[: cut - 1] + chunk}[how]
        return (a, b) if draw(st.booleans()) else (b, a)

    return st.one_of(st.tuples(versions, versions), edited())


def batches(pairs: st.SearchStrategy[Pair]) -> st.SearchStrategy[list[Pair]]:
    return st.lists(pairs, min_size=20, max_size=60)


def _digits(max_size: int = 3) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(("0", "1", "2", "9", "10", "00", "01", "007")),
        st.text("0123456789", min_size=1, max_size=max_size),
    )


# ---- dpkg ----------------------------------------------------------------------------------

_DPKG_UPSTREAM_CHUNKS = st.one_of(
    _digits(),
    st.sampled_from(
        (
            ".",
            "~",
            "+",
            "-",
            ":",
            "~~",
            "a",
            "b",
            "Z",
            "rc",
            "dfsg",
            "+deb12u1",
            "~rc1",
            "~bpo11+1",
            "ubuntu1",
            "build1",
            ".0",
            "+b1",
            "~~a",
            "é",
            "_",
            "=",
        )
    ),
)
_DPKG_EPOCHS = st.sampled_from(
    (
        "",
        "",
        "",
        "0:",
        "1:",
        "2:",
        "00:",
        "10:",
        "+1:",
        "-0:",
        "a:",
        ":",
        "1a:",
        "-1:",
        "99999999999:",
    )
)
_DPKG_REVISION = st.one_of(
    st.just(""),
    st.lists(
        st.sampled_from(
            ("1", "0", "2", "10", ".", "+", "~", "deb12u1", "ubuntu", "a", "build", "-", "")
        ),
        max_size=4,
    ).map(lambda parts: "-" + "".join(parts)),
)


@st.composite
def _dpkg_structured(draw: st.DrawFn) -> str:
    upstream = draw(st.lists(_DPKG_UPSTREAM_CHUNKS, min_size=1, max_size=5).map(_join))
    return draw(_DPKG_EPOCHS) + upstream + draw(_DPKG_REVISION)


DPKG_VERSIONS = st.one_of(
    _dpkg_structured(),
    _dpkg_structured(),
    st.text(PRINTABLE, min_size=1, max_size=10),
    st.text("0123456789.~+-:ab", min_size=1, max_size=10),
)
DPKG_PAIRS = pairs_of(DPKG_VERSIONS, _DPKG_UPSTREAM_CHUNKS)

# ---- rpm -----------------------------------------------------------------------------------

_RPM_CHUNKS = st.one_of(
    _digits(),
    st.sampled_from(
        (
            ".",
            "~",
            "^",
            "_",
            "-",
            "+",
            ":",
            "a",
            "b",
            "Z",
            "rc",
            "el9",
            ".el9_2",
            "~rc1",
            "^git20240101",
            "^20240101git1234567",
            "fc39",
            "alpha",
            "~~",
            "^^",
            "é",
            "%",
            "1.0",
        )
    ),
)
_RPM_EPOCHS = st.sampled_from(("", "", "", "0:", "1:", "2:", "00:", "10:", ":", "a:"))


@st.composite
def _rpm_structured(draw: st.DrawFn) -> str:
    version = draw(st.lists(_RPM_CHUNKS, min_size=1, max_size=5).map(_join))
    release = draw(
        st.one_of(st.just(""), st.lists(_RPM_CHUNKS, max_size=3).map(lambda p: "-" + "".join(p)))
    )
    return draw(_RPM_EPOCHS) + version + release


RPM_VERSIONS = st.one_of(
    _rpm_structured(),
    _rpm_structured(),
    st.text(PRINTABLE, min_size=1, max_size=10),
    st.text("0123456789.~^_-:aZ", min_size=1, max_size=10),
)
RPM_PAIRS = pairs_of(RPM_VERSIONS, _RPM_CHUNKS)

# ---- maven ---------------------------------------------------------------------------------

_MAVEN_WORDS = st.sampled_from(
    (
        "alpha",
        "beta",
        "milestone",
        "rc",
        "cr",
        "snapshot",
        "ga",
        "final",
        "release",
        "sp",
        "a",
        "b",
        "m",
        "x",
        "foo",
        "SNAPSHOT",
        "RC",
        "Final",
        "RELEASE",
        "M",
        "jre",
        "android",
        "redhat",
        "v",
        "b",
        "pre",
        "dev",
        "GA",
        "CR",
        "SP",
        "ß",
        "İ",
        "Ω",
    )
)
_MAVEN_TOKENS = st.one_of(
    _digits(4),
    _MAVEN_WORDS,
    st.sampled_from(("0000000000", "1234567890123", "12345678901234567890")),
)
_MAVEN_SEPARATORS = st.sampled_from((".", "-", "", ".", "-", "_", "--", ".-"))


@st.composite
def _maven_structured(draw: st.DrawFn) -> str:
    tokens = draw(st.lists(_MAVEN_TOKENS, min_size=1, max_size=6))
    out = tokens[0]
    for token in tokens[1:]:
        out += draw(_MAVEN_SEPARATORS) + token
    return out


MAVEN_VERSIONS = st.one_of(
    _maven_structured(),
    _maven_structured(),
    st.text("0123456789.-abxs", min_size=1, max_size=10),
    st.text(PRINTABLE, min_size=1, max_size=8),
)
MAVEN_PAIRS = pairs_of(
    MAVEN_VERSIONS,
    st.one_of(_MAVEN_TOKENS, _MAVEN_SEPARATORS, st.sampled_from(("-1", ".1", ".0", "-sp"))),
)

# ---- semver --------------------------------------------------------------------------------

_SEMVER_NUMBERS = st.one_of(
    st.sampled_from(("0", "1", "2", "10", "01", "9007199254740991")),
    st.integers(min_value=0, max_value=999).map(str),
)
_SEMVER_IDENTIFIERS = st.one_of(
    st.sampled_from(
        (
            "alpha",
            "beta",
            "rc",
            "0",
            "1",
            "2",
            "10",
            "x-y",
            "-",
            "00a",
            "01",
            "a1",
            "Alpha",
            "ALPHA",
            "1a",
            "9007199254740991",
            "--",
            "x.y",
            "",
        )
    ),
    st.text("0123456789abAZ-", min_size=1, max_size=4),
)


@st.composite
def _semver_structured(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(("", "", "", "v", "=", "=v", " ", "v ", "vv", "V")))
    core = ".".join(draw(st.lists(_SEMVER_NUMBERS, min_size=3, max_size=3)))
    if draw(st.integers(0, 9)) == 0:
        core = ".".join(draw(st.lists(_SEMVER_NUMBERS, min_size=1, max_size=4)))
    pre = draw(st.lists(_SEMVER_IDENTIFIERS, max_size=4))
    build = draw(st.lists(st.sampled_from(("build", "1", "001", "sha-abc", "x")), max_size=2))
    text = prefix + core
    if pre:
        text += "-" + ".".join(pre)
    if build:
        text += "+" + ".".join(build)
    return text


SEMVER_VERSIONS = st.one_of(
    _semver_structured(),
    _semver_structured(),
    _semver_structured(),
    st.text("0123456789.-+av", min_size=1, max_size=10),
)
SEMVER_PAIRS = pairs_of(
    SEMVER_VERSIONS,
    st.one_of(
        st.sampled_from((".1", ".0", "-0", "-alpha", ".alpha", "+b", "-rc.1", "1", "a", "-")),
        _SEMVER_IDENTIFIERS,
    ),
)

# ---- go ------------------------------------------------------------------------------------


@st.composite
def _go_structured(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(("v", "v", "")))
    numbers = draw(st.lists(st.sampled_from(("0", "1", "2", "10", "01")), min_size=1, max_size=3))
    text = prefix + ".".join(numbers)
    kind = draw(st.sampled_from(("release", "pre", "pseudo0", "pseudopre", "pseudopatch", "build")))
    stamp = draw(st.sampled_from(("20210101010101", "20200101000000", "20221231235959")))
    commit = draw(st.sampled_from(("abcdef123456", "000000000000", "ffffffffffff")))
    if kind == "pre":
        text += "-" + ".".join(draw(st.lists(_SEMVER_IDENTIFIERS, min_size=1, max_size=3)))
    elif kind == "pseudo0":
        text = f"{prefix}0.0.0-{stamp}-{commit}"
    elif kind == "pseudopre":
        text += f"-rc.1.0.{stamp}-{commit}"
    elif kind == "pseudopatch":
        text += f"-0.{stamp}-{commit}"
    elif kind == "build":
        text += draw(st.sampled_from(("+incompatible", "+meta.1")))
    return text


_GO_TAGS = st.builds(
    lambda minor, patch, pre: f"go1.{minor}{patch}{pre}",
    st.sampled_from(("0", "9", "19", "20", "21", "22")),
    st.sampled_from(("", ".0", ".1", ".5")),
    st.sampled_from(("", "", "rc1", "rc2", "beta1", "-pre4")),
)
GO_VERSIONS = st.one_of(_go_structured(), _go_structured(), _GO_TAGS, st.just("go1"))

# ---- apk -----------------------------------------------------------------------------------


@st.composite
def _apk_structured(draw: st.DrawFn) -> str:
    text = ".".join(
        draw(
            st.lists(
                st.sampled_from(("0", "1", "2", "9", "10", "01", "001", "0015", "20240101")),
                min_size=1,
                max_size=4,
            )
        )
    )
    text += draw(st.sampled_from(("", "", "", "a", "b", "z")))
    for _ in range(draw(st.integers(0, 2))):
        text += "_" + draw(
            st.sampled_from(("alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"))
        )
        text += draw(st.sampled_from(("", "", "0", "1", "2", "10", "20240101")))
    text += draw(st.sampled_from(("", "", "", "~abc", "~1234", "~0")))
    text += draw(st.sampled_from(("", "", "-r0", "-r1", "-r2", "-r10")))
    return text


APK_VERSIONS = _apk_structured()

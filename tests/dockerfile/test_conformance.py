"""Every Dockerfile of ../shared/data/dockerfiles (219 official-image Dockerfiles and the 13
docker-library templates among them) parses, and its instructions agree with an independent
reading:

- BuildKit's own parser (Go), through the `dockerfile` package when it is installed:
  keyword, start and end line, flags, values, JSON form and heredocs of every instruction
  (templates: of the text with the `{{ … }}` blocks blanked, before placeholder lines are
  joined, since BuildKit has no notion of those);
- always, a plain line scan: an instruction starts on each line that is neither blank nor a
  comment nor the continuation of a line ending in `\\` (files without heredocs or templates,
  where that scan is unambiguous).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tenlayer.dockerfile.load import read_dockerfile
from tenlayer.dockerfile.parser import parse_nodes
from tenlayer.dockerfile.template import blank_blocks, is_template
from tests import conformance

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dockerfiles"

pytestmark = pytest.mark.conformance

TEMPLATES = {
    "buildpack-deps/Dockerfile-curl.template", "buildpack-deps/Dockerfile-scm.template",
    "buildpack-deps/Dockerfile.template", "docker-node/Dockerfile-alpine.template",
    "docker-node/Dockerfile-debian.template", "docker-node/Dockerfile-slim.template",
    "golang/Dockerfile-windows-nanoserver.template",
    "golang/Dockerfile-windows-servercore.template", "php/Dockerfile-linux.template",
    "postgres/Dockerfile-alpine.template", "postgres/Dockerfile-debian.template",
    "python/Dockerfile-linux.template", "python/Dockerfile-windows.template",
}


def _files() -> list[Path]:
    if not DATA.is_dir():
        pytest.skip(f"conformance data absent: {DATA} (see ../shared/README.md)")
    return sorted(p for p in DATA.rglob("*") if p.is_file())


def _scan_starts(text: str) -> list[int]:
    starts, continued = [], False
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not continued:
            starts.append(number)
        continued = bool(re.search(r"(?<!\\)\\\s*$", line))
    return starts


def _rows(instructions: Any, *, oracle: bool) -> list[tuple[Any, ...]]:
    if oracle:
        return [(c.cmd.upper(), c.start_line, c.end_line, c.flags,
                 c.value if c.cmd.upper() in _KNOWN else (), c.json,
                 tuple((h.name, h.content) for h in c.heredocs)) for c in instructions]
    return [(i.keyword, i.start_line, i.end_line, i.flags, i.values,
             i.json or bool(i.sub and i.sub.json),
             tuple((h.name, h.content) for h in i.heredocs)) for i in instructions]


def test_every_dockerfile_parses_and_agrees() -> None:
    files = _files()
    assert len(files) == 219, f"expected the 219 Dockerfiles under {DATA}"
    try:
        import dockerfile as buildkit
    except ImportError:
        buildkit = None
    failures = []
    templates = set()
    for path in files:
        name = str(path.relative_to(DATA))
        text = path.read_text(encoding="utf-8")
        try:
            parsed = read_dockerfile(str(path))
        except Exception as error:  # a refusal is a disagreement, reported by name
            failures.append(f"{name}: {error}")
            continue
        if parsed.template:
            templates.add(name)
        raw_text = blank_blocks(text)[0] if is_template(name) else text
        if buildkit is not None:
            theirs = _rows(buildkit.parse_string(raw_text), oracle=True)
            ours = _rows(parse_nodes(raw_text).instructions, oracle=False)
            if ours != theirs:
                failures.append(f"{name}: differs from BuildKit's parser")
                continue
        if not parsed.template and "<<" not in text:
            starts = [i.start_line for i in parsed.instructions]
            if starts != _scan_starts(text):
                failures.append(f"{name}: instruction lines differ from a line scan")
    conformance.record("dockerfiles parse (BuildKit's parser and a line scan)",
                       passed=len(files) - len(failures), total=len(files), failures=failures)
    assert templates == TEMPLATES
    assert failures == []


_KNOWN = {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
          "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
          "WORKDIR"}

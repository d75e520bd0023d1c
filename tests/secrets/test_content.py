"""The content scanner: each rule on a planted secret, redaction, binaries, known formats,
and the look-alikes it must leave alone."""

from __future__ import annotations

import time

from tenlayer.model import Severity
from tenlayer.secrets.content import SecretMatch, scan_content
from tenlayer.secrets.redact import redact

AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_" + "aB3" * 12
KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
    "aFDrBz9vFqU4yJZrTkFp\n"
    "-----END RSA PRIVATE KEY-----\n"
)


def found(path: str, text: str) -> list[tuple[str, int, str]]:
    return [(m.rule_id, m.line, m.redacted) for m in scan_content(path, text.encode())]


def test_redaction_keeps_a_public_prefix_at_most_and_has_a_fixed_length() -> None:
    assert redact(AWS_ID) == "AKIA****************"
    assert redact(GITHUB) == "ghp_****************"
    assert redact("glpat-" + "x1Y2z3" * 4) == "glpat-****************"
    assert redact("xoxb-123456789012-abcdefABCDEF") == "xoxb-****************"
    assert redact(KEY) == "-----BEGIN RSA PRIVATE KEY-----****************"
    # free-form values show nothing, whatever their length (the review's examples)
    for secret in ("Tr0ub4dor&3xyz!", "Pa55word-is-very-long", "abc12", "hunter2", "x",
                   AWS_SECRET, "0123456789" * 10):
        assert redact(secret) == "********", secret
    # a value that only starts like a token keeps no prefix either
    assert redact("AKIAmypassword") == "********"
    assert redact("ghp_short") == "********"
    assert {redact("a" * n) for n in range(200)} == {"********"}
    assert {redact("AKIA" + "B" * 16), redact("AKIA" + "C" * 16)} == {"AKIA****************"}


def test_each_shape_with_its_line_and_severity() -> None:
    text = "\n".join((
        "# credentials",
        f"id = {AWS_ID}",
        f"token: {GITHUB}",
        "gl = glpat-" + "x1Y2z3" * 4,
        "slack = xoxb-123456789012-abcdefABCDEF",
        "hook = https://hooks.slack.com/services/T01234567/B01234567/abcdefghijklmnopqrstuvwx",
        "stripe = sk_live_" + "a1" * 12,
        "google = AIza" + "b2C3d" * 7,
        "npm = npm_" + "Z9" * 18,
        "jwt = eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ))
    matches = scan_content("notes.txt", text.encode())
    assert [(m.rule_id, m.line, m.redacted, m.severity) for m in matches] == [
        ("aws-access-key-id", 2, "AKIA****************", Severity.CRITICAL),
        ("github-token", 3, "ghp_****************", Severity.CRITICAL),
        ("gitlab-token", 4, "glpat-****************", Severity.CRITICAL),
        ("slack-token", 5, "xoxb-****************", Severity.HIGH),
        ("slack-webhook", 6, "https://hooks.slack.com/services/****************", Severity.MEDIUM),
        ("stripe-secret-key", 7, "sk_live_****************", Severity.CRITICAL),
        ("google-api-key", 8, "AIza****************", Severity.HIGH),
        ("npm-token", 9, "npm_****************", Severity.CRITICAL),
        ("jwt", 10, "eyJ****************", Severity.MEDIUM),
    ]


def test_private_key_is_found_at_its_first_line_and_the_body_is_redacted() -> None:
    assert scan_content("srv/tls/server.key", ("\n\n" + KEY).encode()) == (
        SecretMatch("private-key", "A private key", Severity.HIGH, 3,
                    "-----BEGIN RSA PRIVATE KEY-----****************"),
    )


def test_public_keys_and_certificates_are_not_secrets() -> None:
    text = KEY.replace("RSA PRIVATE KEY", "PUBLIC KEY") + KEY.replace(
        "RSA PRIVATE KEY", "CERTIFICATE"
    )
    assert found("certs/ca.pem", text) == []


def test_aws_secret_key_by_name_and_next_to_a_key_id() -> None:
    assert found("home/u/.aws/credentials", (
        "[default]\n"
        f"aws_access_key_id = {AWS_ID}\n"
        f"aws_secret_access_key = {AWS_SECRET}\n"
    )) == [
        ("aws-access-key-id", 2, "AKIA****************"),
        ("aws-secret-access-key", 3, "********"),
    ]
    assert found("app/settings.py", f'KEY_ID = "{AWS_ID}"\nKEY = "{AWS_SECRET}"\n') == [
        ("aws-access-key-id", 1, "AKIA****************"),
        ("aws-secret-access-key", 2, "********"),
    ]
    # 40 characters without an access key id nearby: a hash, not a secret
    assert found("app/settings.py", f'KEY = "{AWS_SECRET}"\n') == []


def test_passwords_in_configuration_files() -> None:
    assert found("app/.env", "DB_HOST=db\nDB_PASSWORD=hunter2\nAPI_TOKEN=${TOKEN}\n") == [
        ("config-password", 2, "********")
    ]
    assert found("etc/app/app.ini", "[db]\npassword = s3cr3t-Pa55\npassword_file = /run/x\n") == [
        ("config-password", 2, "********")
    ]
    assert found("etc/app/config.yaml", "db:\n  password: \"correct horse\"\n  user: app\n") == [
        ("config-password", 2, "********")
    ]
    assert found("app/application.properties",
                 "spring.datasource.password=Tr0ub4dor&3\n") == [
        ("config-password", 1, "********")
    ]
    assert found("etc/app/db.conf", "url = postgres://app:pa55word@db:5432/app\n") == [
        ("url-password", 1, "********")
    ]
    # placeholders, references, empty values and comments are not passwords
    assert found("app/.env", "PASSWORD=\nPASSWORD=changeit\nPASSWORD=$DB_PASS\n#PASSWORD=x\n") == []
    # a password line in a file of no known format is not judged
    assert found("app/README", "password = hunter2\n") == []
    assert found("etc/nsswitch.conf", "passwd:         files\n") == []


def test_credential_files() -> None:
    assert found("root/.netrc", "machine example.com login me password hunter22\n") == [
        ("netrc-password", 1, "********")
    ]
    assert found("var/lib/postgresql/.pgpass", "# comment\ndb:5432:*:app:s3cret!\n*:*:*:*:*\n") == [
        ("pgpass-password", 2, "********")
    ]
    assert found("root/.docker/config.json",
                 '{"auths": {"registry.example.com": {"auth": "dXNlcjpwYXNzd29yZA=="}}}') == [
        ("docker-config-auth", 1, "********")
    ]
    assert found("root/.git-credentials", "https://me:ghs_notashape@github.com\n") == [
        ("git-credentials", 1, "********")
    ]


def test_package_manager_credentials() -> None:
    assert found("root/.npmrc", "registry=https://r.example.com/\n"
                                "//r.example.com/:_authToken=npm-abcdef123456\n"
                                "_auth = ${NPM_AUTH}\n") == [("npmrc-auth", 2, "********")]
    assert found("root/.pypirc", "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5v\n"
                 ) == [("config-password", 3, "********")]
    assert found("root/.dockercfg", '{"r.example.com": {"auth": "dXNlcjpwYXNz"}}') == [
        ("docker-config-auth", 1, "********")
    ]


def test_binaries_are_not_scanned() -> None:
    assert scan_content("usr/bin/tool", b"\x7fELF\0\0" + AWS_ID.encode()) == ()


def test_a_large_text_file_is_scanned_quickly() -> None:
    data = (b"nothing to see here, just words and numbers 12345\n" * 40_000)  # 2 MB
    start = time.perf_counter()
    assert scan_content("var/log/big.log", data) == ()
    assert time.perf_counter() - start < 0.5

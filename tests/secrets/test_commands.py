"""The command-line scanner shared by Entrypoint/Cmd, history lines and environment values:
each form of a secret on a command line, exact reasons and redacted lines, and the options
that look alike but hold none."""

from __future__ import annotations

import pytest

from tenlayer.secrets.commands import command_secrets, redact_command

GITHUB = "ghp_" + "aB3" * 12


@pytest.mark.parametrize(
    ("line", "reasons", "redacted"),
    [
        ("--password=AnotherS3cret99",
         [("the option --password is given a value", "AnotherS3cret99")],
         "--password=********"),
        ("-Xmx1g -Dspring.datasource.password=s3cr3t",
         [("the option -Dspring.datasource.password is given a value", "s3cr3t")],
         "-Xmx1g -Dspring.datasource.password=********"),
        ("sh -c 'mysql -pTopS3cretMysql -h db'",
         [("mysql's option -p is given a password", "TopS3cretMysql")],
         "sh -c 'mysql -p******** -h db'"),
        ("/bin/sh -c mysqldump -uroot -p'my pass' app > /dump.sql",
         [("mysqldump's option -p is given a password", "my pass")],
         "/bin/sh -c mysqldump -uroot -p'********' app > /dump.sql"),
        ("/usr/bin/mariadb -pS3cr3t -e 'select 1'",
         [("mariadb's option -p is given a password", "S3cr3t")],
         "/usr/bin/mariadb -p******** -e 'select 1'"),
        ("mysql --password=X1y2z3 -h db",
         [("the option --password is given a value", "X1y2z3")],
         "mysql --password=******** -h db"),
        ("PGPASSWORD=pgS3cret psql -h db -U app",
         [("PGPASSWORD: its name (PGPASSWORD) says it holds a secret", "pgS3cret")],
         "PGPASSWORD=******** psql -h db -U app"),
        ("sh -c 'SSHPASS=x sshpass -e ssh host'",
         [("SSHPASS: its name (SSHPASS) says it holds a secret", "x")],
         "sh -c 'SSHPASS=******** sshpass -e ssh host'"),
        ("sshpass -p Sup3rPass ssh -p 2222 deploy@host",
         [("sshpass's option -p is given a password", "Sup3rPass")],
         "sshpass -p ******** ssh -p 2222 deploy@host"),
        ("echo start && sshpass -p'a b' scp f h: ; mysql -pY",
         [("sshpass's option -p is given a password", "a b"),
          ("mysql's option -p is given a password", "Y")],
         "echo start && sshpass -p'********' scp f h: ; mysql -p********"),
        ("curl -fsSL -u admin:Adm1nPass https://repo.example.com/x",
         [("curl's option -u is given a user and password", "Adm1nPass")],
         "curl -fsSL -u admin:******** https://repo.example.com/x"),
        ("curl -sSu me:pw https://x && curl --user=me:pw2 https://y",
         [("curl's option -u is given a user and password", "pw"),
          ("curl's option --user is given a user and password", "pw2")],
         "curl -sSu me:******** https://x && curl --user=me:******** https://y"),
        ("curl -umine:pw3 -U proxy:ppw https://x",
         [("curl's option -u is given a user and password", "pw3"),
          ("curl's option -U is given a user and password", "ppw")],
         "curl -umine:******** -U proxy:******** https://x"),
        (f"RUN |1 GITHUB_TOKEN={GITHUB} /bin/sh -c make install # buildkit",
         [("GITHUB_TOKEN: its value has the shape of a GitHub token", GITHUB)],
         "RUN |1 GITHUB_TOKEN=ghp_**************** /bin/sh -c make install # buildkit"),
        ("/app/server --db-url postgres://app:pa55word@db/app --token t0k3n",
         [("a password in a URL", "pa55word"), ("the option --token is given a value", "t0k3n")],
         "/app/server --db-url postgres://app:********@db/app --token ********"),
    ],
)
def test_secrets_on_a_command_line(line: str, reasons: list[tuple[str, str]], redacted: str
                                   ) -> None:
    assert [(s.reason, s.value) for s in command_secrets(line)] == reasons
    assert all(line[s.start:s.end] == s.value for s in command_secrets(line))
    assert redact_command(line) == redacted


@pytest.mark.parametrize(
    "line",
    [
        "mysql -u root -p appdb < /schema.sql",  # -p, then a blank: a prompt, appdb the database
        "mkdir -p /srv/data && cp -p a b",       # -p of other programs is not a password
        "docker run -p 8080:80 nginx",
        "ssh -p 2222 host",
        "curl -u admin https://x",              # a user alone: curl prompts
        'curl -u "$USER:$PASS" https://x',      # references, not secrets
        "PGPASSWORD=$DB_PASSWORD psql",
        "ENV DB_PASSWORD=${DB_PASSWORD}",
        "sshpass -f /run/secrets/pw ssh host",
        "PATH=/usr/local/bin:/usr/bin",
        "MYSQL_ALLOW_EMPTY_PASSWORD=yes mysqld",
    ],
)
def test_look_alikes_hold_no_secret(line: str) -> None:
    assert command_secrets(line) == []
    assert redact_command(line) == line


def test_names_tools_read_a_password_from() -> None:
    from tenlayer.secrets.env import name_says_secret, secret_reason

    assert [name for name in ("PGPASSWORD", "SSHPASS", "REDISCLI_AUTH", "MYSQL_PWD",
                              "ROOTPASSWD", "PGPASSFILE", "PGPASSWORD_FILE", "PWD", "PGHOST")
            if name_says_secret(name)] == [
        "PGPASSWORD", "SSHPASS", "REDISCLI_AUTH", "MYSQL_PWD", "ROOTPASSWD"]
    assert secret_reason("PGPASSWORD", "x") == "its name (PGPASSWORD) says it holds a secret"
    assert secret_reason("PGPASSWORD", "$(FROM_SECRET)") is None

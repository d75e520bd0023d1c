"""Each Dockerfile rule on small Dockerfiles: exact findings (check, line, location), what
does not count, inline ignores, Windows stages."""

from __future__ import annotations

import pytest

from tenlayer.checks.catalogue import catalogue
from tenlayer.dockerfile.checks import CHECKS
from tenlayer.dockerfile.lint import LintOptions, lint
from tenlayer.dockerfile.parser import parse
from tenlayer.model import Layer, Severity

QUIET = ("build/no-healthcheck", "build/user-root", "build/image-not-pinned")
"""Checks most snippets below trip on purpose-free lines; left out unless a test is about them."""


def found(text: str, *, keep: tuple[str, ...] = (), allowed: tuple[str, ...] = ()
          ) -> list[tuple[str, int, str]]:
    findings = lint(parse(text, "Dockerfile"), LintOptions(allowed_registries=allowed))
    return sorted((f.check_id, f.line, f.location) for f in findings
                  if f.check_id not in QUIET or f.check_id in keep)


def test_catalogue_entries() -> None:
    assert len(CHECKS) == 18
    for check in CHECKS:
        assert check.id.startswith("build/")
        assert check.layer is Layer.BUILD
        assert catalogue()[check.id] is check
        assert check.title and check.description and check.remediation


def test_user_root_catalogue_says_both_severities() -> None:
    check = catalogue()["build/user-root"]
    assert check.severity is Severity.HIGH
    assert check.title == (
        "The image runs as root (explicit USER root: high; no USER at all: medium)")
    assert "Severity: explicit USER root: high; no USER at all: medium" in check.description
    explicit = lint(parse("FROM a:1\nUSER root\n"))
    unset = lint(parse("FROM a:1\n"))
    assert [(f.severity, f.title) for f in explicit if f.check_id == "build/user-root"] == [
        (Severity.HIGH, "The image runs as root (USER root)")]
    assert [(f.severity, f.title) for f in unset if f.check_id == "build/user-root"] == [
        (Severity.MEDIUM, "No USER in the stages the image is built from: it runs as root "
         "unless the base image sets a user")]


def test_user_root_or_unset() -> None:
    assert found("FROM a:1\nUSER root\n", keep=("build/user-root",)) == [
        ("build/user-root", 2, "USER[0]")]
    assert found("FROM a:1\nUSER 0:0\n", keep=("build/user-root",)) == [
        ("build/user-root", 2, "USER[0]")]
    unset = lint(parse("FROM a:1 AS b\nUSER app\nFROM c:1\nRUN true\n"))
    user = [f for f in unset if f.check_id == "build/user-root"]
    assert [(f.line, f.location, f.severity, f.subject) for f in user] == [
        (3, "FROM[0]", Severity.MEDIUM, "stage 1")]
    # inherited from the stage it is built from; the last USER wins
    assert found("FROM a:1 AS base\nUSER app\nFROM base\nRUN true\n",
                 keep=("build/user-root",)) == []
    assert found("FROM a:1\nUSER root\nRUN x\nUSER 1000\n", keep=("build/user-root",)) == []


@pytest.mark.parametrize("user", ["0", "00", "0000", "+0", "00:1", "0:0", "root", "root:app",
                                  "+00:+0"])
def test_every_spelling_of_uid_0_is_root(user: str) -> None:
    findings = lint(parse(f"FROM a:1\nUSER {user}\n"))
    assert [(f.check_id, f.severity, f.line, f.title) for f in findings
            if f.check_id == "build/user-root"] == [
        ("build/user-root", Severity.HIGH, 2, f"The image runs as root (USER {user})")]


@pytest.mark.parametrize("user", ["1000", "10", "+1000", "01000", "app", "rootless", "0app"])
def test_not_root(user: str) -> None:
    assert found(f"FROM a:1\nUSER {user}\n", keep=("build/user-root",)) == []


def user_findings(text: str) -> list[tuple[Severity, int, str, str, dict[str, str]]]:
    return [(f.severity, f.line, f.location, f.title, dict(f.evidence))
            for f in lint(parse(text)) if f.check_id == "build/user-root"]


def test_user_not_set_in_the_stage() -> None:
    assert user_findings("FROM a:1\nUSER $NOTSET\n") == [
        (Severity.MEDIUM, 2, "USER[0]",
         "The image runs as root (USER $NOTSET: NOTSET is not set in the stage, so the user "
         "is empty)", {"user": "", "written": "$NOTSET", "unset": "NOTSET"})]
    assert user_findings("ARG U=app\nFROM a:1\nRUN true\nUSER $U\n") == [
        (Severity.MEDIUM, 4, "USER[0]",
         "The image runs as root (USER $U: U is not set in the stage, so the user is empty; "
         "an ARG before FROM must be declared again in the stage (ARG U))",
         {"user": "", "written": "$U", "unset": "U"})]
    assert [f[:3] for f in user_findings("FROM a:1\nUSER ${A}:${B}\n")] == [
        (Severity.MEDIUM, 2, "USER[0]")]
    # declared again: its value; an ARG without a default: --build-arg's; a default or a
    # name around the variable: not empty
    assert user_findings("ARG U=app\nFROM a:1\nARG U\nUSER $U\n") == []
    assert user_findings("FROM a:1\nARG U\nUSER $U\n") == []
    assert user_findings("FROM a:1\nUSER ${U:-1000}\n") == []
    assert user_findings("FROM a:1\nUSER app${N}\n") == []


def test_user_and_expose_expand_arg_and_env() -> None:
    keep = ("build/user-root",)
    assert found("FROM a:1\nARG UID=0\nUSER ${UID}\n", keep=keep) == [
        ("build/user-root", 3, "USER[0]")]
    assert found("FROM a:1\nENV U=root G=0\nUSER $U:${G}\n", keep=keep) == [
        ("build/user-root", 3, "USER[0]")]
    assert found("FROM a:1\nARG UID=1000\nUSER ${UID}\n", keep=keep) == []
    assert found("FROM a:1\nARG UID\nUSER ${UID}\n", keep=keep) == []  # --build-arg's
    assert found("FROM a:1\nUSER ${UID:-0}\n", keep=keep) == [
        ("build/user-root", 2, "USER[0]")]
    # an ARG before FROM is seen only where the stage declares it again: not declared, the
    # user is empty, root all the same (test_user_not_set_in_the_stage)
    assert found("ARG UID=1000\nFROM a:1\nUSER ${UID}\n", keep=keep) == [
        ("build/user-root", 3, "USER[0]")]
    assert found("ARG UID=0\nFROM a:1\nARG UID\nUSER ${UID}\n", keep=keep) == [
        ("build/user-root", 4, "USER[0]")]
    # ENV goes on into the stages built FROM the stage; ARG does not
    assert found("FROM a:1 AS base\nENV U=0\nFROM base\nUSER $U\n", keep=keep) == [
        ("build/user-root", 4, "USER[0]")]
    assert user_findings("FROM a:1 AS base\nARG U=1000\nFROM base\nUSER $U\n") == [
        (Severity.MEDIUM, 4, "USER[0]",
         "The image runs as root (USER $U: U is not set in the stage, so the user is empty)",
         {"user": "", "written": "$U", "unset": "U"})]
    # ENV wins over an ARG of the same name; a later ENV counts only after it
    assert found("FROM a:1\nENV U=0\nARG U=1000\nUSER $U\n", keep=keep) == [
        ("build/user-root", 4, "USER[0]")]
    assert found("FROM a:1\nUSER $U\nENV U=1000\n", keep=keep) == [
        ("build/user-root", 2, "USER[0]")]  # not set yet: empty
    root = lint(parse("FROM a:1\nARG UID=0\nUSER ${UID}\n"))
    assert [(f.title, f.evidence) for f in root if f.check_id == "build/user-root"] == [
        ("The image runs as root (USER ${UID}, which is 0)",
         (("user", "0"), ("written", "${UID}")))]

    text = ("FROM a:1\nARG SSH_PORT=22\nEXPOSE ${SSH_PORT}\nENV P=22\nEXPOSE $P 80\n"
            "ARG PORTS=\"8080 22/tcp\"\nEXPOSE $PORTS\nEXPOSE $NOPE\nARG Q=22\nENV R=$Q\n"
            "EXPOSE $R/udp\n")
    assert found(text) == [
        ("build/ssh-port-exposed", 3, "EXPOSE[0] 22"),
        ("build/ssh-port-exposed", 5, "EXPOSE[1] 22"),
        ("build/ssh-port-exposed", 7, "EXPOSE[2] 22/tcp"),
    ]
    assert found("ARG P=22\nFROM a:1\nEXPOSE $P\n") == []
    assert found("ARG P=22\nFROM a:1\nARG P\nEXPOSE $P\n") == [
        ("build/ssh-port-exposed", 4, "EXPOSE[0] 22")]
    assert found("FROM a:1 AS base\nENV P=22\nFROM base\nEXPOSE ${P}\n") == [
        ("build/ssh-port-exposed", 4, "EXPOSE[0] 22")]


def test_add_remote_url() -> None:
    text = ("FROM a:1\nADD https://user:pw@example.com/x.tgz /x\n"
            "ADD --checksum=sha256:abc https://example.com/y /y\nADD local.tgz /z\n"
            'ADD ["http://example.com/z", "/z"]\n')
    assert found(text) == [("build/add-remote-url", 2, "ADD[0] https://example.com/x.tgz"),
                           ("build/add-remote-url", 5, "ADD[3] http://example.com/z")]
    first = next(f for f in lint(parse(text)) if f.check_id == "build/add-remote-url")
    assert "pw" not in first.title and dict(first.evidence) == {
        "url": "https://example.com/x.tgz"}


@pytest.mark.parametrize("run", [
    "curl -fsSL https://x.sh | sh",
    "wget -qO- https://x.sh | sudo -E bash -",
    "set -e; curl https://x | bash -s -- --flag",
    'sh -c "$(curl -fsSL https://x.sh)"',
    "bash <(curl -s https://x.sh)",
    "curl -sSL https://install.python-poetry.org | python3 -",
])
def test_curl_piped_into_a_shell(run: str) -> None:
    findings = found(f"FROM a:1\nRUN {run}\n")
    assert ("build/curl-pipe-shell", 2, "RUN[0]") in findings


@pytest.mark.parametrize("run", [
    "curl -fsSL https://x.tgz | tar -xz",
    "curl -o x.sh https://x.sh && sha256sum -c sums && sh x.sh",
    "echo 'curl x | sh'",
])
def test_not_curl_piped_into_a_shell(run: str) -> None:
    assert found(f"FROM a:1\nRUN {run}\n") == []


def test_more_ways_to_run_a_download() -> None:
    text = ("FROM a:1\n"
            'RUN eval "$(curl -fsSL https://x)"\n'
            "RUN curl -fsSL https://x | env bash\n"
            "RUN curl https://x | tee /tmp/f | sh\n"
            "RUN wget -O- https://x | sudo bash\n"
            "RUN curl -s https://x | env -i PATH=/bin nohup sh -s -- -y\n"
            "RUN eval `wget -qO- https://x`\n"
            "RUN curl -s https://x | tee /tmp/f | grep y | sh\n"
            "RUN curl -s https://x | tee /tmp/f\n"
            "RUN command -v curl | sh\n"
            'RUN eval "$(ssh-agent -s)"\n')
    findings = [f for f in lint(parse(text)) if f.check_id not in QUIET]
    assert [(f.check_id, f.line, f.title, dict(f.evidence)) for f in findings] == [
        ("build/curl-pipe-shell", 2, "A downloaded script is run by a shell",
         {"command": 'eval "$(curl'}),
        ("build/curl-pipe-shell", 3, "curl output piped into bash",
         {"downloader": "curl", "shell": "bash"}),
        ("build/curl-pipe-shell", 4, "curl output piped into sh",
         {"downloader": "curl", "shell": "sh"}),
        ("build/curl-pipe-shell", 5, "wget output piped into bash",
         {"downloader": "wget", "shell": "bash"}),
        ("build/curl-pipe-shell", 6, "curl output piped into sh",
         {"downloader": "curl", "shell": "sh"}),
        ("build/curl-pipe-shell", 7, "A downloaded script is run by a shell",
         {"command": "eval `wget"}),
        ("build/sudo", 5, "RUN uses sudo", {}),
    ]


def test_chmod_run_by_find_or_xargs() -> None:
    text = ("FROM a:1\nRUN find / -type d -exec chmod 777 {} \\;\n"
            "RUN find /srv -execdir chmod -R o+w {} +\n"
            "RUN find /app -print0 | xargs -0 -n 1 chmod 0666\n"
            "RUN find /app -exec chmod 755 {} \\; -o -exec chown app {} \\;\n"
            "RUN ls | xargs -I{} chmod 1777 {}\n")
    assert found(text) == [
        ("build/chmod-world-writable", 2, "RUN[0]"),
        ("build/chmod-world-writable", 3, "RUN[1]"),
        ("build/chmod-world-writable", 4, "RUN[2]"),
    ]


def test_world_writable_modes_outside_chmod() -> None:
    text = ("FROM a:1\n"
            "COPY --chmod=777 app /app\n"                               # 2
            "ADD --chmod=0666 x.tgz /x\n"                               # 3
            "RUN install -m 777 -d /srv\n"                              # 4
            "RUN mkdir -p -m 777 /data\n"                               # 5
            "RUN install -m=0777 a /b\n"                                # 6
            "RUN mkdir --mode=777 /c\n"                                 # 7
            "RUN install --mode 0666 a /b && mkdir -pm777 /d\n"         # 8
            "RUN install -Dm 0757 a /b\n"                               # 9
            "COPY --chmod=1777 tmp /tmp2\n"
            "COPY --chmod=755 app /app\n"
            "RUN install -m 755 a /b && mkdir -m 1777 /t && install --mode 3777 -d /r\n"
            "RUN mkdir -m 0750 /e && install -o app -g 777 a /b\n"
            "ARG MODE=0777\nCOPY --chmod=$MODE a /a\n")                 # 15
    findings = [f for f in lint(parse(text)) if f.check_id == "build/chmod-world-writable"]
    assert [(f.line, f.location, f.title, dict(f.evidence)) for f in findings] == [
        (2, "COPY[0] --chmod=777", "COPY --chmod=777 makes files writable by everyone",
         {"mode": "777"}),
        (3, "ADD[0] --chmod=0666", "ADD --chmod=0666 makes files writable by everyone",
         {"mode": "0666"}),
        (4, "RUN[0]", "install -m 777 makes files writable by everyone",
         {"mode": "777", "command": "install"}),
        (5, "RUN[1]", "mkdir -m 777 makes files writable by everyone",
         {"mode": "777", "command": "mkdir"}),
        (6, "RUN[2]", "install -m 0777 makes files writable by everyone",
         {"mode": "0777", "command": "install"}),
        (7, "RUN[3]", "mkdir -m 777 makes files writable by everyone",
         {"mode": "777", "command": "mkdir"}),
        (8, "RUN[4]", "install -m 0666 makes files writable by everyone",
         {"mode": "0666", "command": "install"}),
        (9, "RUN[5]", "install -m 0757 makes files writable by everyone",
         {"mode": "0757", "command": "install"}),
        (15, "COPY[3] --chmod=$MODE", "COPY --chmod=0777 makes files writable by everyone",
         {"mode": "0777"}),
    ]


def test_secrets_never_print_the_value() -> None:
    text = ("ARG GITHUB_TOKEN\nARG VERSION=1\nFROM a:1\n"
            "ENV DB_PASSWORD=hunter2 PASSWORD_FILE=/run/secrets/pw\n"
            "ENV KEY AKIAABCDEFGHIJKLMNOP\nARG API_KEY=s3cr3t-value\nENV TOKEN=${TOKEN}\n")
    assert found(text) == [
        ("build/secret-in-arg", 1, "global ARG[0] GITHUB_TOKEN"),
        ("build/secret-in-arg", 6, "ARG[0] API_KEY"),
        ("build/secret-in-env", 4, "ENV[0] DB_PASSWORD"),
        ("build/secret-in-env", 5, "ENV[1] KEY"),
    ]
    rendered = repr(lint(parse(text)))
    for value in ("hunter2", "AKIAABCDEFGHIJKLMNOP", "s3cr3t-value"):
        assert value not in rendered


def test_base_images() -> None:
    text = ("ARG TAG=latest\nFROM debian AS one\nFROM debian:${TAG}\nFROM debian:12\n"
            "FROM debian:12@sha256:" + "a" * 64 + "\nFROM one\nFROM scratch\n"
            "FROM ${UNSET}\nFROM quay.io/org/app:1\n")
    assert found(text, keep=("build/image-not-pinned",)) == [
        ("build/image-latest-tag", 2, "FROM[0]"),
        ("build/image-latest-tag", 3, "FROM[0]"),
        ("build/image-not-pinned", 4, "FROM[0]"),
        ("build/image-not-pinned", 9, "FROM[0]"),
    ]
    allowed = found(text, allowed=("docker.io/library",))
    assert [f for f in allowed if f[0] == "build/image-registry-not-allowed"] == [
        ("build/image-registry-not-allowed", 9, "FROM[0]")]


def images(text: str, allowed: tuple[str, ...] = ()) -> list[tuple[str, str, int, str, str]]:
    findings = lint(parse(text, "Dockerfile"), LintOptions(allowed_registries=allowed))
    return [(f.check_id, f.severity.name, f.line, f.location, f.title) for f in findings
            if f.check_id.startswith("build/image")]


def test_base_image_chosen_by_a_build_arg() -> None:
    allowed = ("registry.example.com",)
    assert images("ARG IMG\nFROM $IMG\n", allowed) == [
        ("build/image-registry-not-allowed", "HIGH", 2, "FROM[0]",
         "Base image $IMG is chosen at build time (--build-arg IMG): its registry cannot be "
         "checked"),
        ("build/image-not-pinned", "LOW", 2, "FROM[0]",
         "Base image $IMG is chosen at build time (--build-arg IMG): it is not pinned"),
    ]
    assert images("ARG IMG\nFROM $IMG\n") == [
        ("build/image-not-pinned", "LOW", 2, "FROM[0]",
         "Base image $IMG is chosen at build time (--build-arg IMG): it is not pinned")]
    # a default does not close it: --build-arg REG=… still chooses the registry
    for text in ("ARG REG\nFROM ${REG}/team/app:1\n",
                 "ARG REG\nFROM ${REG:-registry.example.com}/team/app:1\n"):
        assert [f[:4] for f in images(text, allowed)] == [
            ("build/image-registry-not-allowed", "HIGH", 2, "FROM[0]"),
            ("build/image-not-pinned", "LOW", 2, "FROM[0]")]
    # only the tag is open: the registry is checked all the same
    assert images("ARG TAG\nFROM registry.example.com/app:${TAG}\n", allowed) == [
        ("build/image-not-pinned", "LOW", 2, "FROM[0]",
         "Base image registry.example.com/app:${TAG} is chosen at build time (--build-arg "
         "TAG): its tag is not pinned by digest")]
    assert [f[:4] for f in images("ARG TAG\nFROM debian:${TAG}\n", allowed)] == [
        ("build/image-registry-not-allowed", "HIGH", 2, "FROM[0]"),
        ("build/image-not-pinned", "LOW", 2, "FROM[0]")]
    # ARGs with a value are expanded; a variable never declared is empty (BuildKit's)
    assert images("ARG REG=registry.example.com\nFROM ${REG}/app:1@sha256:" + "a" * 64
                  + "\n", allowed) == []
    assert images("FROM ${UNSET}\n", allowed) == []
    assert [f[:4] for f in images("FROM debian${UNSET}:12\n")] == [
        ("build/image-not-pinned", "LOW", 1, "FROM[0]")]
    # the automatic platform ARGs are the platform's, not --build-arg's (read as linux/amd64)
    assert images("FROM ${TARGETARCH}/alpine:3\nARG TARGETOS\nCOPY --from=x-${TARGETOS}:1 "
                  "/a /a\n", ("docker.io",)) == [
        ("build/image-not-pinned", "LOW", 1, "FROM[0]",
         "Base image ${TARGETARCH}/alpine:3, which is amd64/alpine:3, is not pinned by digest"),
        ("build/image-not-pinned", "LOW", 3, "COPY[0] --from=x-${TARGETOS}:1",
         "COPY --from image x-${TARGETOS}:1, which is x-linux:1, is not pinned by digest")]


def test_base_image_chosen_at_build_time_under_a_known_registry() -> None:
    def gate(text: str, *allowed: str) -> list[str]:
        return [f[4] for f in images(text, allowed)
                if f[0] == "build/image-registry-not-allowed"]

    app = "ARG APP\nFROM registry.example.com/team/${APP}:1\n"
    assert gate(app, "registry.example.com") == []
    assert gate(app, "registry.example.com/team") == []
    assert gate(app, "*.example.com") == []
    assert gate(app, "registry.example.com/team/web") == [
        "Base image registry.example.com/team/${APP}:1 is chosen at build time (--build-arg "
        "APP): whether its path is allowed cannot be checked"]
    assert gate("ARG APP\nFROM quay.io/${APP}:1\n", "registry.example.com") == [
        "Base image quay.io/${APP}:1 is from quay.io, which is not an allowed registry"]
    assert gate("ARG APP\nFROM team/${APP}:1\n", "docker.io") == []
    assert gate("ARG APP\nFROM team/${APP}:1\n", "quay.io") == [
        "Base image team/${APP}:1 is from docker.io, which is not an allowed registry"]
    assert gate("ARG R\nFROM registry.example${R}.com/x:1\n", "registry.example.com") == [
        "Base image registry.example${R}.com/x:1 is chosen at build time (--build-arg R): its "
        "registry cannot be checked"]


def test_invalid_image_reference() -> None:
    assert images("FROM Debian:12\n", ("registry.example.com",)) == [
        ("build/image-reference-invalid", "MEDIUM", 1, "FROM[0]",
         "Base image Debian:12 is not a valid image reference: repository names must be "
         "lowercase")]
    assert images("ARG V=12\nFROM debian:${V}!\n") == [
        ("build/image-reference-invalid", "MEDIUM", 2, "FROM[0]",
         "Base image debian:${V}!, which is debian:12!, is not a valid image reference: "
         "malformed tag '12!'")]
    assert [f[:4] for f in images("ARG TAG\nFROM Debian:${TAG}\n")] == [
        ("build/image-reference-invalid", "MEDIUM", 2, "FROM[0]")]


def test_images_copied_or_mounted_are_checked_as_base_images() -> None:
    text = ("FROM registry.example.com/b:1@sha256:" + "a" * 64 + " AS build\n"
            "ARG TOOLS=quay.io/evil/tools\n"
            "COPY --from=quay.io/evil/tools:1 /x /x\n"                              # 3
            "COPY --from=build /a /a\nCOPY --from=0 /a /a\nCOPY --from=Build /a /a\n"
            "COPY --from=alpine /a /a\n"                                            # 7
            "COPY --from=${TOOLS}:2 /a /a\n"                                        # 8
            "RUN --mount=type=bind,from=ghcr.io/evil/x:1,target=/x true\n"          # 9
            "RUN --mount=type=cache,target=/c --mount=type=secret,id=x "
            "--mount=from=build,target=/b true\n"
            "RUN --mount=type=cache,from=registry.example.com/c:1,target=/c true\n"  # 11
            "COPY --from=Tools:1 /a /a\n"                                           # 12
            "ARG IMG\nCOPY --from=$IMG /a /a\n")                                    # 14
    assert [(f[0], f[2], f[3]) for f in images(text, ("registry.example.com",))] == [
        ("build/image-registry-not-allowed", 3, "COPY[0] --from=quay.io/evil/tools:1"),
        ("build/image-registry-not-allowed", 7, "COPY[4] --from=alpine"),
        ("build/image-registry-not-allowed", 8, "COPY[5] --from=${TOOLS}:2"),
        ("build/image-registry-not-allowed", 9, "RUN[0] --mount from=ghcr.io/evil/x:1"),
        ("build/image-registry-not-allowed", 14, "COPY[7] --from=$IMG"),
        ("build/image-latest-tag", 7, "COPY[4] --from=alpine"),
        ("build/image-reference-invalid", 12, "COPY[6] --from=Tools:1"),
        ("build/image-not-pinned", 3, "COPY[0] --from=quay.io/evil/tools:1"),
        ("build/image-not-pinned", 8, "COPY[5] --from=${TOOLS}:2"),
        ("build/image-not-pinned", 9, "RUN[0] --mount from=ghcr.io/evil/x:1"),
        ("build/image-not-pinned", 11, "RUN[2] --mount from=registry.example.com/c:1"),
        ("build/image-not-pinned", 14, "COPY[7] --from=$IMG"),
    ]
    titles = {(f[2], f[0]): f[4] for f in images(text, ("registry.example.com",))}
    assert titles[(3, "build/image-registry-not-allowed")] == (
        "COPY --from image quay.io/evil/tools:1 is from quay.io, which is not an allowed "
        "registry")
    assert titles[(8, "build/image-not-pinned")] == (
        "COPY --from image ${TOOLS}:2, which is quay.io/evil/tools:2, is not pinned by digest")
    assert titles[(9, "build/image-not-pinned")] == (
        "RUN --mount image ghcr.io/evil/x:1 is not pinned by digest")
    assert titles[(14, "build/image-registry-not-allowed")] == (
        "COPY --from image $IMG is chosen at build time (--build-arg IMG): its registry "
        "cannot be checked")
    # ignorable on the instruction, as every finding
    assert images("FROM a:1@sha256:" + "a" * 64 + "\n# tenlayer ignore=image-not-pinned\n"
                  "COPY --from=b:1 /a /a\n") == []


def test_switches_named_after_secrets_are_not_secrets() -> None:
    text = ("FROM a:1\nENV MYSQL_ALLOW_EMPTY_PASSWORD=yes\nENV AUTH_TOKEN_ENABLED=true\n"
            "ENV NPM_CONFIG_PASSWORD_PROTECTION=off\nENV MYSQL_RANDOM_ROOT_PASSWORD=\"1\"\n"
            "ARG SECRET=none\nENV POSTGRES_PASSWORD=postgres\nARG TOKEN=Y\nARG API_TOKEN\n")
    assert found(text) == [
        ("build/secret-in-arg", 9, "ARG[2] API_TOKEN"),
        ("build/secret-in-env", 7, "ENV[4] POSTGRES_PASSWORD"),
    ]


def test_sudo_chmod_and_ssh() -> None:
    text = ("FROM a:1\nRUN sudo apt-get install -y x\nRUN chmod 777 /app\n"
            "RUN chmod -R a+rwx /data\nRUN chmod o+w,u+x /f\nRUN chmod 1777 /tmp\n"
            "RUN chmod 755 /bin/x && chmod +x y\nEXPOSE 80 22/tcp\nEXPOSE 2000-2300\n"
            "EXPOSE 22/udp\n")
    assert found(text) == [
        ("build/chmod-world-writable", 3, "RUN[1]"),
        ("build/chmod-world-writable", 4, "RUN[2]"),
        ("build/chmod-world-writable", 5, "RUN[3]"),
        ("build/ssh-port-exposed", 8, "EXPOSE[0] 22/tcp"),
        ("build/sudo", 2, "RUN[0]"),
    ]


def test_package_caches() -> None:
    text = (
        "FROM a:1\n"
        "RUN apt-get update && apt-get install -y x\n"                      # 2 lists left
        "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get update && apt-get install -y x && apt-get dist-clean\n"
        "RUN --mount=type=cache,target=/var/lib/apt apt-get update\n"
        "RUN apk add curl\n"                                                  # 6
        "RUN apk add --no-cache curl\n"
        "RUN pip install flask\n"                                             # 8
        "RUN python3 -m pip install --no-cache-dir flask\n"
        "RUN pipx install black\n"
        "RUN yum install -y x\n"                                              # 11
        "RUN yum install -y x && yum clean all\n"
        "RUN dnf install -y x\n"                                              # 13
        "RUN yarn install\n"                                                  # 14
        "RUN yarn install && yarn cache clean\n"
        "ENV PIP_NO_CACHE_DIR=1\n"
        "RUN pip install x\n"
    )
    assert found(text) == [
        ("build/apk-cache-left", 6, "RUN[4]"),
        ("build/apt-lists-left", 2, "RUN[0]"),
        ("build/pip-cache-left", 8, "RUN[6]"),
        ("build/rpm-cache-left", 11, "RUN[9]"),
        ("build/rpm-cache-left", 13, "RUN[11]"),
        ("build/yarn-cache-left", 14, "RUN[12]"),
    ]


def test_caches_only_in_stages_the_image_holds() -> None:
    text = "FROM a:1 AS build\nRUN apt-get update\nFROM b:1\nRUN apk add x\n"
    assert found(text) == [("build/apk-cache-left", 4, "RUN[0]")]


def test_heredoc_scripts_are_read() -> None:
    text = "FROM a:1\nRUN <<EOF\nset -e\nsudo true\nEOF\nRUN cat <<EOF > /x\nsudo\nEOF\n"
    assert found(text) == [("build/sudo", 2, "RUN[0]")]


def test_healthcheck() -> None:
    assert found("FROM a:1\n", keep=("build/no-healthcheck",)) == [
        ("build/no-healthcheck", 1, "FROM[0]")]
    assert found("FROM a:1 AS base\nHEALTHCHECK NONE\nFROM base\n",
                 keep=("build/no-healthcheck",)) == []


def test_inline_ignores() -> None:
    text = ("FROM a:1\n# tenlayer ignore=build/sudo,chmod-world-writable\n"
            "RUN sudo chmod 777 /x\n# tenlayer ignore=build/sudo\n\nRUN sudo true\n"
            "# why: the base image's user\n# tenlayer ignore=user-root\nUSER root\n")
    assert found(text, keep=("build/user-root",)) == [("build/sudo", 6, "RUN[1]")]


def test_ignore_comments_naming_no_check_are_warned_about() -> None:
    from tenlayer.dockerfile.lint import LintWarning, ignore_warnings

    text = ("# syntax=docker/dockerfile:1\n# tenlayer ignore=image-not-pined\nFROM a:1\n"
            "# tenlayer ignore=sudo, deploy/privileged-container ,build/sudo\nRUN sudo x\n"
            "# tenlayer ignore=nope\n# other\n# tenlayer ignore=build/user-root,build/typo\n"
            "USER root\n")
    assert ignore_warnings(parse(text, "df")) == [
        LintWarning("df", 2, "unknown check build/image-not-pined in ignore comment"),
        LintWarning("df", 4, "unknown check deploy/privileged-container in ignore comment"),
        LintWarning("df", 6, "unknown check build/nope in ignore comment"),
        LintWarning("df", 8, "unknown check build/typo in ignore comment"),
    ]
    assert found(text, keep=("build/user-root",)) == []


def test_ignore_comments_naming_other_commands_checks_or_none() -> None:
    from tenlayer.dockerfile.lint import LintWarning, ignore_warnings

    text = ("FROM a:1\n# tenlayer ignore=image/runs-as-root,deploy/pss-privileged\nUSER root\n"
            "# tenlayer ignore=\nRUN sudo x\n# tenlayer ignore = , \nRUN true\n"
            "#tenlayer ignore=user-root\nUSER 0\n")
    assert ignore_warnings(parse(text, "df")) == [
        LintWarning("df", 2, "image/runs-as-root in ignore comment is not a Dockerfile check"),
        LintWarning("df", 2,
                    "deploy/pss-privileged in ignore comment is not a Dockerfile check"),
        LintWarning("df", 4, "ignore comment names no check"),
        LintWarning("df", 6, "ignore comment names no check"),
    ]
    assert found(text, keep=("build/user-root",)) == [("build/sudo", 5, "RUN[0]")]


def test_windows_stages_skip_linux_rules() -> None:
    text = ("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
            "RUN sudo x; chmod 777 y; curl x | sh\nUSER ContainerAdministrator\nEXPOSE 22\n")
    assert found(text, keep=("build/user-root",)) == [
        ("build/ssh-port-exposed", 5, "EXPOSE[0] 22")]


@pytest.mark.parametrize("run", [
    "iwr https://x/i.ps1 -UseBasicParsing | iex",
    "irm https://get.scoop.sh | Invoke-Expression",
    "Invoke-Expression (Invoke-WebRequest https://x -UseBasicParsing).Content",
    "Set-ExecutionPolicy Bypass -Force; "
    "iex ((New-Object System.Net.WebClient).DownloadString('https://x/install.ps1'))",
    "(New-Object Net.WebClient).DownloadString('https://x') | iex",
    '["powershell", "-Command", "iwr https://x | iex"]',
])
def test_powershell_download_and_run_on_windows(run: str) -> None:
    text = f"# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN {run}\n"
    findings = [f for f in lint(parse(text)) if f.check_id not in QUIET]
    assert [(f.check_id, f.severity, f.line, f.location, f.title) for f in findings] == [
        ("build/curl-pipe-shell", Severity.HIGH, 3, "RUN[0]",
         "A downloaded PowerShell script is run (Invoke-Expression)")]


@pytest.mark.parametrize("run", [
    "Invoke-WebRequest https://x -OutFile x.zip; Expand-Archive x.zip",
    "iwr https://x -OutFile i.ps1; if ((Get-FileHash i.ps1).Hash -ne $h) { exit 1 }; ./i.ps1",
    "Write-Host 'iex'",
])
def test_powershell_downloads_not_run(run: str) -> None:
    text = f"FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN {run}\n"
    assert found(text) == []


def test_backtick_escape_is_not_windows() -> None:
    text = ("# escape=`\nFROM debian:12\nRUN apt-get update && `\n"
            "    curl -fsSL https://example.com/i.sh `\n  | sh\n")
    assert found(text, keep=("build/user-root",)) == [
        ("build/apt-lists-left", 3, "RUN[0]"),
        ("build/curl-pipe-shell", 3, "RUN[0]"),
        ("build/user-root", 2, "FROM[0]"),
    ]


@pytest.mark.parametrize("text", [
    "FROM --platform=windows/amd64 example.com/base:1\nRUN curl x | sh\n",
    "FROM example.com/base:1\nSHELL [\"pwsh\", \"-Command\"]\nRUN curl x | sh\n",
    "FROM example.com/base:1\nSHELL [\"C:\\\\Windows\\\\cmd.exe\", \"/S\", \"/C\"]\n"
    "RUN curl x | sh\n",
    "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS w\nFROM w\nRUN curl x | sh\n",
    "FROM mcr.microsoft.com/powershell:lts-nanoserver-ltsc2022\nRUN curl x | sh\n",
    "FROM mcr.microsoft.com/windows:ltsc2019\nRUN curl x | sh\n",
])
def test_windows_from_base_platform_or_shell(text: str) -> None:
    assert found(text, keep=("build/user-root",)) == []


def test_commands_under_sudo_are_judged_too() -> None:
    text = "FROM a:1\nRUN sudo -u root apk add x && sudo chmod 0777 /y\n"
    assert found(text) == [("build/apk-cache-left", 2, "RUN[0]"),
                           ("build/chmod-world-writable", 2, "RUN[0]"),
                           ("build/sudo", 2, "RUN[0]")]


def test_onbuild_run() -> None:
    text = "FROM a:1\nONBUILD RUN curl -s https://x | sh && apt-get update\n"
    assert found(text) == [("build/curl-pipe-shell", 2, "ONBUILD[0]")]

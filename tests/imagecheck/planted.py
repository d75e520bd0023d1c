"""An image with planted problems in its config and its layers, and what must be found."""

from __future__ import annotations

import tarfile
from pathlib import Path

from tests.imagecheck.images import write_image
from tests.support.images import Layer

AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_" + "aB3" * 12
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def entry(layer: Layer, path: str, kind: bytes, mode: int, target: str = "") -> Layer:
    info = tarfile.TarInfo(path)
    info.type = kind
    info.mode = mode
    info.linkname = target
    layer.members.append((info, None))
    return layer


def planted_layers() -> list[Layer]:
    base = (
        Layer()
        .directory("etc")
        .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        .file("etc/nsswitch.conf", "passwd:         files\n")
        .directory("usr").directory("usr/local").directory("usr/local/bin")
        .file("usr/local/bin/helper", b"\x7fELF\0", mode=0o4755)
        .file("usr/local/bin/grouped", b"\x7fELF\0", mode=0o2711)
        .file("usr/local/bin/both", b"\x7fELF\0", mode=0o6755)
        .directory("srv")
        .file("srv/open.txt", "anyone may write\n", mode=0o666)
        .directory("app")
        .file("app/.env", f"DB_HOST=db\nDB_PASSWORD=hunter2\nAWS_ACCESS_KEY_ID={AWS_ID}\n"
                          f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n")
        .directory("root").directory("root/.ssh")
        .file("root/.ssh/id_ed25519", KEY, mode=0o600)
        .file("usr/share/doc/tool/example.conf", "password = documented-example\n")
    )
    entry(base, "srv/drop", tarfile.DIRTYPE, 0o777)        # world-writable, no sticky bit
    entry(base, "tmp", tarfile.DIRTYPE, 0o1777)            # sticky: fine
    entry(base, "srv/link", tarfile.SYMTYPE, 0o777, "open.txt")  # symlinks are 0777
    entry(base, "usr/local/bin/grouped-link", tarfile.LNKTYPE, 0o2711, "usr/local/bin/grouped")
    second = (
        Layer()
        .whiteout("app/.env")
        .file("usr/local/bin/helper", b"\x7fELF\0", mode=0o755)   # setuid bit dropped
        .directory("opt").directory("opt/cache")
        .file("opt/cache/token.txt", f"token {GITHUB}\n")
    )
    third = (
        Layer()
        .opaque("opt/cache")
        .file("app/config.yaml", "db:\n  user: app\n  password: Tr0ub4dor&3\n")
    )
    return [base, second, third]


CONFIG = {
    "Env": ["PATH=/usr/local/bin:/usr/bin", "DB_PASSWORD=hunter2", f"KEY={AWS_ID}",
            "DB_PASSWORD_FILE=/run/secrets/db"],
    "Labels": {"maintainer": "team@example.com", "ci.token": "tok-1234567890"},
    "Entrypoint": ["/app/server", "--db-url", "postgres://app:pa55word@db/app"],
    "Cmd": ["--token", "t0k3n-value", "--verbose"],
}
HISTORY = [
    {"created_by": "ADD rootfs.tar / # buildkit"},
    {"created_by": f"ARG GITHUB_TOKEN={GITHUB}", "empty_layer": True},
    {"created_by": f"RUN |1 GITHUB_TOKEN={GITHUB} /bin/sh -c make install # buildkit"},
    {"created_by": "/bin/sh -c #(nop)  ENV DB_PASSWORD=hunter2", "empty_layer": True},
    {"created_by": "/bin/sh -c mysql -u root --password s3cretpass < /schema.sql"},
]


def write_planted(path: Path, *, user: str | None = None) -> list[str]:
    config = dict(CONFIG)
    if user is not None:
        config["User"] = user
    return write_image(path, planted_layers(), config=config, history=HISTORY)

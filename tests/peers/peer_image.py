"""An image with one secret of each shape both scanners know, for the trivy comparison."""

from __future__ import annotations

from pathlib import Path

from tests.imagecheck.images import write_image
from tests.support.images import Layer

AWS_ID = "AKIA2E0A8F3B244C9986"
AWS_SECRET = "Xz8qP3mN7vR2tY6wL1kJ9hG4fD5sA0zXc8vB7nM2"
KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
    "aFDrBz9vFqU4yJZrTkFpQx7Lm3Nc8Ye5Wq2Rt6Uv9Io0Pa1Sd4Fg7Hj3Kl6Zx9Cv\n"
    "-----END RSA PRIVATE KEY-----\n"
)
TOKENS = "\n".join((
    "github = ghp_" + "aB3cD4eF5g" * 3 + "h6I7j8",
    "gitlab = glpat-" + "x1Y2z3W4v5" * 2,
    "slack = xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1",
    "stripe = sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "npm = npm_" + "Rq7Lm2Xc9Vb4Nz8Kd3Jf6Hg1Ts5Yw0Pu" + "Ae2Q",
    "",
))


def write_peer_image(path: Path) -> list[str]:
    first = (
        Layer()
        .file("app/.env", f"AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
                          "DB_PASSWORD=hunter2\n")
        .file("app/tokens.txt", TOKENS)
        .file("root/.ssh/id_rsa", KEY, mode=0o600)
        .file("usr/local/bin/helper", b"\x7fELF\0", mode=0o4755)
    )
    second = Layer().whiteout("app/.env")
    return write_image(
        path, [first, second],
        config={"User": "", "Env": ["PATH=/usr/bin", "DB_PASSWORD=hunter2", f"KEY={AWS_ID}"]},
        history=[
            {"created_by": "ADD rootfs.tar / # buildkit"},
            {"created_by": "ARG GITHUB_TOKEN=ghp_" + "aB3cD4eF5g" * 3 + "h6I7j8",
             "empty_layer": True},
            {"created_by": "/bin/sh -c #(nop)  ENV DB_PASSWORD=hunter2", "empty_layer": True},
            {"created_by": "RUN /bin/sh -c rm /app/.env # buildkit"},
        ],
    )

"""The image-config and layer-file checks of the catalogue (layer 4, build)."""

from __future__ import annotations

from tenlayer.checks.catalogue import Check
from tenlayer.model import Layer, Severity

_SECRETS_REMEDIATION = (
    "Remove the secret from the image and rotate it. Pass secrets at run time (an "
    "orchestrator secret, a mounted file) or at build time with `RUN --mount=type=secret`; "
    "deleting a file in a later layer does not remove it from the image."
)

CHECKS: tuple[Check, ...] = (
    Check(
        id="image/runs-as-root",
        layer=Layer.BUILD,
        severity=Severity.HIGH,
        title="The image runs as root",
        description=(
            "The image config's User is unset, `root`, UID 0 however it is spelt (`0`, `00`, "
            "`+0`, `0:1`) or a name the image's /etc/passwd gives UID 0, so the container's "
            "process runs as root unless the deployment overrides it; a breakout starts with "
            "root's rights."
        ),
        remediation="Create an unprivileged user and end the Dockerfile with `USER <uid>`.",
        references=("https://docs.docker.com/build/building/best-practices/#user",),
    ),
    Check(
        id="image/secret-in-env",
        layer=Layer.BUILD,
        severity=Severity.HIGH,
        title="A secret in the image's environment",
        description=(
            "An environment variable of the image config holds a plain-text secret, by its "
            "name, its value's shape, or an option in its value (`OPTS=--password=X`): anyone "
            "who can pull the image can read it (`docker inspect`)."
        ),
        remediation=_SECRETS_REMEDIATION,
    ),
    Check(
        id="image/secret-in-label",
        layer=Layer.BUILD,
        severity=Severity.HIGH,
        title="A secret in an image label",
        description="A label of the image config holds a plain-text secret.",
        remediation=_SECRETS_REMEDIATION,
    ),
    Check(
        id="image/secret-in-history",
        layer=Layer.BUILD,
        severity=Severity.HIGH,
        title="A secret in the image history",
        description=(
            "A build step recorded in the image history (`created_by`: ARG, ENV and RUN lines "
            "with build arguments) holds a plain-text secret; `docker history` shows it."
        ),
        remediation=_SECRETS_REMEDIATION,
    ),
    Check(
        id="image/secret-in-command",
        layer=Layer.BUILD,
        severity=Severity.HIGH,
        title="A secret in the image's command",
        description=(
            "The Entrypoint or Cmd of the image config passes a plain-text secret (an option "
            "such as `--password VALUE` or `--password=VALUE`, `mysql -pPASSWORD`, "
            "`sshpass -p PASSWORD`, `curl -u USER:PASSWORD`, a `NAME=value` assignment such "
            "as `PGPASSWORD=…`, a password in a URL, a credential's shape)."
        ),
        remediation=_SECRETS_REMEDIATION,
    ),
    Check(
        id="image/setuid-file",
        layer=Layer.BUILD,
        severity=Severity.LOW,
        title="A setuid or setgid file",
        description=(
            "A file in the final file system has the setuid or setgid bit: it runs with its "
            "owner's or group's rights, a way to escalate inside the container."
        ),
        remediation=(
            "Remove the bit where it is not needed (`chmod u-s,g-s FILE` in the last build "
            "stage) and run containers with `no-new-privileges`."
        ),
    ),
    Check(
        id="image/world-writable-file",
        layer=Layer.BUILD,
        severity=Severity.MEDIUM,
        title="A world-writable file or directory",
        description=(
            "Any user in the container can change this file (or the content of this "
            "directory, which lacks the sticky bit)."
        ),
        remediation="Remove write permission for others (`chmod o-w PATH`).",
    ),
    Check(
        id="image/secret-in-layer",
        layer=Layer.BUILD,
        severity=Severity.HIGH,
        title="A secret in a layer file",
        description=(
            "A file in a layer holds a private key, a cloud credential, a token or a "
            "password. A file deleted in a later layer is still in the earlier layer's blob."
        ),
        remediation=_SECRETS_REMEDIATION,
    ),
    Check(
        id="image/file-not-scanned",
        layer=Layer.BUILD,
        severity=Severity.INFO,
        title="A credential-like file was too large to scan for secrets",
        description=(
            "A file whose name says it may hold credentials (a key, .env, a config file) is "
            "larger than the secret scanner's size limit and was not read."
        ),
        remediation="Check the file by hand; if it is genuine, report the limit as too low.",
    ),
)

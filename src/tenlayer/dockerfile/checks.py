"""The Dockerfile rules of the catalogue (layer 4, build)."""

from __future__ import annotations

from tenlayer.checks.catalogue import Check
from tenlayer.model import Layer, Severity

_REF = "https://docs.docker.com/reference/dockerfile/"
_PRACTICES = "https://docs.docker.com/build/building/best-practices/"
_CHECKS_REF = "https://docs.docker.com/reference/build-checks/"


def _check(id: str, severity: Severity, title: str, description: str, remediation: str,
           *references: str) -> Check:
    return Check(id=f"build/{id}", layer=Layer.BUILD, severity=severity, title=title,
                 description=description, remediation=remediation, references=references)


CHECKS: tuple[Check, ...] = (
    _check(
        "user-root", Severity.HIGH,
        "The image runs as root (explicit USER root: high; no USER at all: medium)",
        "The final stage's last USER is root or UID 0 in any spelling (`0`, `00`, `+0`, "
        "`0:1`), or a variable that is not set in the stage (`USER $NOTSET`: the user is "
        "empty, medium), or no stage the image is built from sets a USER, so the "
        "container's processes run as root unless the runtime says "
        "otherwise: a process that escapes the application owns the container. Severity: "
        "explicit USER root: high; no USER at all: medium (a base image may set a USER of "
        "its own; this check cannot see inside it).",
        "Create an unprivileged user and end the final stage with `USER <name or uid>`.",
        _REF + "#user", _PRACTICES + "#user",
    ),
    _check(
        "add-remote-url", Severity.MEDIUM, "ADD fetches a remote URL without a checksum",
        "ADD downloads the URL at build time and trusts whatever the server sends: the "
        "content is not verified and may change between builds.",
        "Download with curl or wget in a RUN and verify a checksum, or give ADD "
        "`--checksum=sha256:…`.",
        _REF + "#add", _PRACTICES + "#add-or-copy",
    ),
    _check(
        "curl-pipe-shell", Severity.HIGH, "A downloaded script is piped into a shell",
        "`curl … | sh` (or `| bash`, `| sudo bash`, `| env bash`, `| tee log | sh`, "
        "`| python3 -`, `sh -c \"$(curl …)\"`, `eval \"$(curl …)\"`; on Windows, "
        "PowerShell's `iwr … | iex`, `Invoke-Expression (Invoke-WebRequest …)`, "
        "`iex ((New-Object Net.WebClient).DownloadString(…))`) runs whatever the "
        "server sends, unverified, with the build's privileges; a compromised or spoofed "
        "server owns the image.",
        "Download the script to a file, verify its checksum or signature, then run it.",
    ),
    _check(
        "secret-in-env", Severity.HIGH, "A secret is set with ENV",
        "ENV values are stored in the image configuration: anyone who can pull the image "
        "reads them (`docker inspect`). The value is not printed in this report.",
        "Pass secrets at build time with `RUN --mount=type=secret`, and at run time from the "
        "orchestrator's secret store.",
        _CHECKS_REF + "secrets-used-in-arg-or-env/",
    ),
    _check(
        "secret-in-arg", Severity.HIGH, "A secret is passed with ARG",
        "Build arguments are recorded in the image history of every RUN that uses them, and "
        "a default value is in the Dockerfile itself. The value is not printed in this "
        "report.",
        "Use `RUN --mount=type=secret,id=…` and `docker build --secret` instead of ARG.",
        _CHECKS_REF + "secrets-used-in-arg-or-env/",
    ),
    _check(
        "image-latest-tag", Severity.MEDIUM, "Base image without a tag or tagged latest",
        "`latest` (written or implied) is whatever was pushed last: builds are not "
        "reproducible and what is built is not what was reviewed. Images that `COPY "
        "--from=IMAGE` and `RUN --mount=from=IMAGE` pull are checked as base images are.",
        "Name a version tag, better a digest: `FROM debian:bookworm-slim@sha256:…`.",
        _REF + "#from",
    ),
    _check(
        "image-not-pinned", Severity.LOW, "Base image not pinned by digest",
        "A tag can be moved to another image at any time; only a digest names exactly the "
        "base image that was reviewed and scanned. A base image chosen at build time "
        "(`FROM $IMG`, an ARG without a default) is not pinned either. Images that `COPY "
        "--from=IMAGE` and `RUN --mount=from=IMAGE` pull are checked as base images are.",
        "Add the digest: `FROM debian:bookworm-slim@sha256:…` (and let a bot update it).",
        _PRACTICES + "#pin-base-image-versions",
    ),
    _check(
        "image-registry-not-allowed", Severity.HIGH,
        "Base image from a registry outside --allowed-registries",
        "The base image comes from a registry the organisation does not trust, or is "
        "chosen at build time (`ARG IMG` + `FROM $IMG`, an ARG without a default): then "
        "`--build-arg` can name any registry and this one cannot be checked. Images that "
        "`COPY --from=IMAGE` and `RUN --mount=from=IMAGE` pull are checked as base images "
        "are.",
        "Build from an image in an allowed registry (mirror the base image there); give the "
        "ARG that chooses it a default in an allowed registry, or write the registry out.",
    ),
    _check(
        "image-reference-invalid", Severity.MEDIUM, "Base image is not a valid image reference",
        "The image name cannot be parsed (`Debian:12`: repository names are lower case), "
        "so the build fails to pull it, or pulls something other than was meant (FROM, `COPY "
        "--from=IMAGE`, `RUN --mount=from=IMAGE`).",
        "Write the image as [registry/]repository[:tag][@digest].",
        _REF + "#from",
    ),
    _check(
        "sudo", Severity.MEDIUM, "RUN uses sudo",
        "Build steps already run as the current USER; sudo in an image means a sudo binary "
        "and a sudoers policy that a compromised process can use to become root.",
        "Switch with USER root … USER app around the steps that need root, or use gosu.",
        _PRACTICES + "#user",
    ),
    _check(
        "chmod-world-writable", Severity.MEDIUM, "chmod makes files writable by everyone",
        "Modes such as 777, 666, `a+rwx` or `o+w` let any user in the container change the "
        "files, e.g. replace a program root later runs; chmod run by `find … -exec` or "
        "`xargs` counts too, and so do the modes `install -m`, `mkdir -m` and COPY/ADD "
        "`--chmod` give. Directories with the sticky bit (1777, like /tmp) are not "
        "reported.",
        "Give the owner (or group) what it needs: 755, 644, `u+w`; chown to the user that "
        "writes (`COPY --chown=app --chmod=755`).",
    ),
    _check(
        "ssh-port-exposed", Severity.MEDIUM, "EXPOSE 22 (SSH)",
        "An SSH server in a container is one more service to attack and a way around the "
        "orchestrator's access control.",
        "Remove the SSH server; use `docker exec` or `kubectl exec` for access.",
    ),
    _check(
        "apt-lists-left", Severity.LOW, "apt-get update without removing /var/lib/apt/lists",
        "The package lists downloaded by `apt-get update` stay in the layer of that RUN "
        "(tens of MB) unless the same RUN removes them; a later RUN cannot take them out of "
        "the image. Only stages the image is built from are checked.",
        "End the RUN with `rm -rf /var/lib/apt/lists/*` (or `apt-get dist-clean`), or mount "
        "a cache at /var/lib/apt/lists.",
        "https://github.com/hadolint/hadolint/wiki/DL3009",
    ),
    _check(
        "apk-cache-left", Severity.LOW, "apk add without --no-cache",
        "`apk add` keeps the package index in /var/cache/apk in the layer.",
        "Use `apk add --no-cache …` (or remove /var/cache/apk/* in the same RUN).",
        "https://github.com/hadolint/hadolint/wiki/DL3019",
    ),
    _check(
        "pip-cache-left", Severity.LOW, "pip install without --no-cache-dir",
        "pip keeps downloaded wheels in ~/.cache/pip, in the layer.",
        "Use `pip install --no-cache-dir …`, or set `ENV PIP_NO_CACHE_DIR=1` earlier.",
        "https://github.com/hadolint/hadolint/wiki/DL3042",
    ),
    _check(
        "rpm-cache-left", Severity.LOW, "yum, dnf or zypper install without cleaning its cache",
        "The RPM package managers keep metadata and packages in /var/cache in the layer "
        "unless the same RUN cleans them.",
        "End the RUN with `yum clean all`, `dnf clean all`, `microdnf clean all` or "
        "`zypper clean`.",
        "https://github.com/hadolint/hadolint/wiki/DL3032",
    ),
    _check(
        "yarn-cache-left", Severity.LOW, "yarn install without yarn cache clean",
        "yarn keeps every downloaded package in its cache, in the layer.",
        "End the RUN with `yarn cache clean`.",
        "https://github.com/hadolint/hadolint/wiki/DL3060",
    ),
    _check(
        "no-healthcheck", Severity.INFO, "No HEALTHCHECK",
        "Without a HEALTHCHECK, Docker and Swarm only know whether the process runs, not "
        "whether it works (Kubernetes ignores HEALTHCHECK and uses probes).",
        "Add `HEALTHCHECK CMD …`, or `HEALTHCHECK NONE` to say there is none on purpose.",
        _REF + "#healthcheck",
    ),
)

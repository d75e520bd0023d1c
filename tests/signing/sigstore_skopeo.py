"""A skopeo that can make and check sigstore signatures, for the interop tests.

Debian 12's skopeo 1.9.3 (and its podman and buildah) is built with sigstore removed: every
sigstore operation fails with "Debian-local change: sigstore disabled". Debian 13's skopeo
1.18 has it, but needs glibc 2.38. So the tests fetch Debian 13's skopeo with its C
libraries (`apt-get download` with a private apt configuration: the machine's apt sources
and state are not touched), unpack them under `.cache/tools/` and run the binary through
Debian 13's own dynamic loader.

`TENLAYER_SIGSTORE_SKOPEO` may name a skopeo command to use instead (split on spaces).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "tools" / "skopeo-sigstore"
PACKAGES = ("skopeo", "libc6", "libgpgme11t64", "libassuan9", "libgpg-error0", "libsqlite3-0")
SOURCE = (
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
    "http://deb.debian.org/debian trixie main\n"
)


class Unavailable(Exception):
    pass


def sigstore_skopeo() -> list[str]:
    """The command line that runs a sigstore-capable skopeo; Unavailable says why not."""
    configured = os.environ.get("TENLAYER_SIGSTORE_SKOPEO")
    if configured:
        return configured.split()
    command = _command()
    if not (CACHE / "tree" / "usr" / "bin" / "skopeo").is_file():
        _fetch()
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise Unavailable(f"Debian 13's skopeo does not run here: {done.stderr.strip()}")
    return command


def _command() -> list[str]:
    libraries = CACHE / "tree" / "usr" / "lib" / "x86_64-linux-gnu"
    return [
        str(libraries / "ld-linux-x86-64.so.2"), "--library-path", str(libraries),
        str(CACHE / "tree" / "usr" / "bin" / "skopeo"),
    ]


def _fetch() -> None:
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise Unavailable("needs apt-get and dpkg-deb to fetch Debian 13's skopeo")
    work = CACHE / "apt"
    shutil.rmtree(CACHE, ignore_errors=True)
    for sub in ("lists/partial", "cache/archives/partial", "parts", "debs"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    (work / "sources.list").write_text(SOURCE)
    options = [
        "-o", f"Dir::Etc::SourceList={work / 'sources.list'}",
        "-o", f"Dir::Etc::SourceParts={work / 'parts'}",
        "-o", f"Dir::State::Lists={work / 'lists'}",
        "-o", f"Dir::Cache={work / 'cache'}",
        "-o", "APT::Sandbox::User=root",
    ]
    for command, cwd in (
        (["apt-get", *options, "update"], work),
        (["apt-get", *options, "download", *PACKAGES], work / "debs"),
    ):
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise Unavailable(
                f"cannot fetch Debian 13's skopeo ({' '.join(command[:1] + command[-1:])}): "
                f"{done.stderr.strip()[-500:]}"
            )
    for deb in sorted((work / "debs").glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(CACHE / "tree")], check=True,
                       timeout=120)
    shutil.rmtree(work, ignore_errors=True)

"""Passwords in files whose format says where a password is: credential files (`.netrc`,
`.pgpass`, docker's `config.json` and `.dockercfg`, `.git-credentials`, `.npmrc`, `.pypirc`)
and configuration files (`.env`, `.ini`, `.conf`, `.yaml`, `.properties`, `.toml`, `.json`)
with `password = …` lines.

Each function returns `(rule id, title, start offset, secret)` for every password found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from tenlayer.secrets.env import secret_reason

Hit = tuple[str, str, int, bytes]

_NETRC = re.compile(rb"(?:^|\s)password\s+(\S+)")
_DOCKER_AUTH = re.compile(rb'"(?:auth|identitytoken|registrytoken)"\s*:\s*"([^"]{4,})"')
_NPM_AUTH = re.compile(rb"(?m)(?:^|:)_(?:authToken|auth|password)\s*=\s*[\"']?([^\s\"']{4,})")
_URL_PASSWORD = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@")
_ASSIGNMENT = re.compile(
    rb"(?im)^[ \t]*(?:export[ \t]+)?[\"']?([A-Za-z0-9_.-]*"
    rb"(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|pwd)"
    rb"[A-Za-z0-9_.-]*)[\"']?[ \t]*[=:][ \t]*[\"']?([^\s\"'#;,]{1,200})"
)
_PLACEHOLDERS = frozenset(
    (b"true", b"false", b"yes", b"no", b"on", b"off", b"none", b"null", b"nil", b"~",
     b"required", b"optional", b"|", b">", b"|-", b">-", b"[]", b"{}", b"*", b"xxx",
     b"changeit", b"<redacted>", b"redacted")
)
_REFERENCE_START = (b"$", b"%(", b"{{", b"<", b"@", b"!", b"&", b"*")

NOT_ASSIGNMENTS = frozenset(("nsswitch.conf",))
"""Configuration files whose `passwd:` lines name a database, not a password."""
CONFIG_SUFFIXES = (".env", ".ini", ".cfg", ".conf", ".cnf", ".yaml", ".yml", ".properties",
                   ".toml", ".json")


def _netrc(data: bytes) -> Iterator[Hit]:
    for m in _NETRC.finditer(data):
        yield "netrc-password", "A password in a .netrc file", m.start(1), m.group(1)


def _pgpass(data: bytes) -> Iterator[Hit]:
    offset = 0
    for line in data.split(b"\n"):
        fields = line.split(b":")
        if not line.startswith(b"#") and len(fields) >= 5 and fields[-1].strip() not in (b"", b"*"):
            start = offset + len(line) - len(fields[-1])
            yield "pgpass-password", "A password in a .pgpass file", start, fields[-1].strip()
        offset += len(line) + 1


def _docker_config(data: bytes) -> Iterator[Hit]:
    for m in _DOCKER_AUTH.finditer(data):
        yield ("docker-config-auth", "Registry credentials in a docker config.json",
               m.start(1), m.group(1))


def _npmrc(data: bytes) -> Iterator[Hit]:
    for m in _NPM_AUTH.finditer(data):
        if not m.group(1).startswith(b"$"):
            yield "npmrc-auth", "A registry token in an .npmrc file", m.start(1), m.group(1)


def _git_credentials(data: bytes) -> Iterator[Hit]:
    for m in _URL_PASSWORD.finditer(data):
        yield "git-credentials", "A password in .git-credentials", m.start(1), m.group(1)


def _assignments(data: bytes) -> Iterator[Hit]:
    for m in _ASSIGNMENT.finditer(data):
        value = m.group(2)
        if value.lower() in _PLACEHOLDERS or value.startswith(_REFERENCE_START):
            continue
        name = m.group(1).decode("ascii", "replace")
        if secret_reason(name, value.decode("utf-8", "replace")) is None:
            continue
        yield "config-password", "A password in a configuration file", m.start(2), value
    for m in _URL_PASSWORD.finditer(data):
        if not m.group(1).startswith(b"$"):
            yield "url-password", "A password in a URL", m.start(1), m.group(1)


def scanner_for(path: str) -> Callable[[bytes], Iterator[Hit]] | None:
    """The password scanner for a file, by its name; None for files of no known format."""
    name = path[path.rfind("/") + 1 :]
    if name in (".netrc", "_netrc"):
        return _netrc
    if name == ".pgpass":
        return _pgpass
    if name == ".git-credentials":
        return _git_credentials
    if name == ".npmrc":
        return _npmrc
    if name == ".dockercfg":
        return _docker_config
    if name == ".pypirc":
        return _assignments
    if (name == "config.json" and path.endswith(".docker/config.json")) or (
        name == "auth.json" and "containers/" in path
    ):
        return _docker_config
    if name in NOT_ASSIGNMENTS:
        return None
    if name.startswith(".env") or name.endswith(CONFIG_SUFFIXES):
        return _assignments
    return None

"""Does an environment variable hold a secret in plain text?

Two signals, either enough: the variable's name says it is a secret (`DB_PASSWORD`,
`API_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `PGPASSWORD`, `SSHPASS`) — unless the name says it
holds where the secret is (`PASSWORD_FILE`, `TOKEN_URL`) — or the value has the shape of a
well-known credential (AWS access key id, PEM private key, GitHub, GitLab, Slack and Stripe
tokens, a JWT). Values that are references, not secrets (`$(OTHER_VAR)`, `${VAR}`), and empty
values never count; a value that is a switch (`yes`, `off`, `0`, `true`, `none`, … as in
MYSQL_ALLOW_EMPTY_PASSWORD=yes) is not a secret by its name alone.

The value is never copied into a finding: reports travel further than manifests.
"""

from __future__ import annotations

import itertools
import re

_SECRET_WORDS = frozenset(
    {"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL",
     "CREDENTIALS", "PRIVATEKEY", "SECRETKEY", "ACCESSKEY", "AUTHTOKEN", "PWD"}
)
_SECRET_PAIRS = frozenset({("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"),
                           ("SECRET", "KEY"), ("CLIENT", "SECRET"), ("AUTH", "KEY")})
_NOT_THE_SECRET = frozenset(
    {"FILE", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT", "NAME", "USER",
     "USERNAME", "ID", "TTL", "EXPIRY", "EXPIRES", "LENGTH", "TYPE", "MODE", "ENABLED",
     "HEADER", "REF", "KEYREF", "LOCATION", "SECRETNAME", "FIELD", "PARAM", "ISSUER",
     "AUDIENCE", "TIMEOUT", "ALGORITHM", "FORMAT", "POLICY", "REQUIRED", "MIN", "MAX"}
)
"""A last word that says the variable names where or how, not what: `PASSWORD_FILE`."""
_TOOL_SECRETS = frozenset({"SSHPASS", "REDISCLI_AUTH"})
"""Variables that tools read a password from, whose names have no secret word in them."""
_SECRET_ENDINGS = ("PASSWORD", "PASSWD", "PASSPHRASE")
"""A word that ends in one of these is a password's name too: `PGPASSWORD`, `ROOTPASSWD`."""
_SWITCHES = frozenset({"yes", "no", "true", "false", "on", "off", "0", "1", "y", "n",
                       "enabled", "disabled", "none", "null", "empty"})
"""Values (any case) that turn a setting on or off: a name such as ALLOW_EMPTY_PASSWORD says
what the switch is about, not that it holds a secret."""
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
_REFERENCE = re.compile(r"^\$(?:\([A-Za-z_][A-Za-z0-9_]*\)|\{[^}]*\})$")
_CREDENTIAL_SHAPES = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
    ("a Stripe secret key", re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}\b")),
    ("a JSON Web Token",
     re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")),
)


_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@")
"""`postgres://user:password@host`: the password part, unless it is a `$(VAR)` reference."""


def secret_reason(name: str, value: str) -> str | None:
    """Why `name=value` looks like a plain-text secret, or None."""
    if not value or _REFERENCE.match(value.strip()):
        return None
    url = _URL_PASSWORD.search(value)
    if url and not url.group(1).startswith("$"):
        return "its value holds a password in a URL"
    for what, shape in _CREDENTIAL_SHAPES:
        if shape.search(value):
            return f"its value has the shape of {what}"
    if value.strip().strip("'\"").lower() in _SWITCHES:
        return None
    if name_says_secret(name):
        return f"its name ({name}) says it holds a secret"
    return None


def name_says_secret(name: str) -> bool:
    """The variable's (or option's) name says it holds a secret: `DB_PASSWORD`, `apiKey`,
    `PGPASSWORD`, `SSHPASS`; not `PASSWORD_FILE` nor the shell's `PWD`."""
    words = [w.upper() for w in _SPLIT.split(name) if w]
    if not words or words[-1] in _NOT_THE_SECRET:
        return False
    if name == "PWD":  # the shell's working directory
        return False
    if name.upper() in _TOOL_SECRETS:
        return True
    if any(word in _SECRET_WORDS or word.endswith(_SECRET_ENDINGS) for word in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))

"""Show which kind of secret was found, never anything of the secret itself.

Every redaction has a fixed length, whatever the secret's length. A token of a well-known
shape keeps only the public prefix its issuer documents (it says what the token is, not
which one): `AKIAIOSFODNN7EXAMPLE` -> `AKIA****************`, a GitHub token ->
`ghp_****************`, a PEM private key -> `-----BEGIN RSA PRIVATE KEY-----****************`.
Anything else (a password, a base64 blob, an AWS secret access key) shows no character at
all: `********`.
"""

from __future__ import annotations

import re

HIDDEN = "*" * 16
"""What follows a token's public prefix."""
FREE_FORM = "*" * 8
"""A password or any other value without a public prefix."""

_PREFIXED = re.compile(
    r"(?P<prefix>AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"           # AWS access key id
    r"|(?P<prefix2>gh[pousr]_)[A-Za-z0-9]{36,255}"            # GitHub
    r"|(?P<prefix3>github_pat_)[A-Za-z0-9_]{22,255}"          # GitHub fine-grained
    r"|(?P<prefix4>glpat-|glrt-|gldt-)[A-Za-z0-9_-]{20,}"     # GitLab
    r"|(?P<prefix5>xox(?:[abprs]|e(?:\.xox[bp])?)-)[A-Za-z0-9-]{10,250}"  # Slack
    r"|(?P<prefix6>[rs]k_live_)[A-Za-z0-9]{16,247}"           # Stripe
    r"|(?P<prefix7>AIza)[0-9A-Za-z_-]{35}"                    # Google API key
    r"|(?P<prefix8>npm_)[A-Za-z0-9]{36}"                      # npm
    r"|(?P<prefix9>eyJ)[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # JWT
    r"|(?P<prefix10>https://hooks\.slack\.com/(?:services|workflows)/)\S+"  # Slack webhook
)
_PEM_LABEL = re.compile(r"-----BEGIN [A-Z0-9 _-]{0,100}PRIVATE KEY(?: BLOCK)?-----")


def redact(secret: str) -> str:
    """The secret's public prefix, if it is a token of a well-known shape, then `*` x 16;
    `********` for anything else. Never longer or shorter with the secret's length."""
    text = secret.strip()
    label = _PEM_LABEL.match(text)
    if label is not None:
        return label.group(0) + HIDDEN
    shaped = _PREFIXED.fullmatch(text)
    if shaped is not None:
        prefix = next(value for name, value in shaped.groupdict().items()
                      if name.startswith("prefix") and value is not None)
        return prefix + HIDDEN
    return FREE_FORM

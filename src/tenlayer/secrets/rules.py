"""Well-known credential shapes, for file contents: one rule a shape, with its keywords.

A rule's regular expression only runs on a file whose lower-cased content holds one of its
keywords (as trivy's secret scanner does), so most files cost one keyword search each.
Group 1 of each pattern is the secret with its public prefix (a PEM key's label, a webhook's
URL): what redact.py turns into that prefix and a fixed run of `*`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenlayer.model import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity
    keywords: tuple[bytes, ...]
    """Lower-case; the rule runs when one of them is in the lower-cased file."""
    pattern: re.Pattern[bytes]


def _rule(
    rule_id: str, title: str, severity: Severity, keywords: tuple[str, ...], pattern: str
) -> Rule:
    return Rule(rule_id, title, severity, tuple(k.encode() for k in keywords),
                re.compile(pattern.encode()))


RULES = (
    _rule("private-key", "A private key", Severity.HIGH, ("private key",),
          r"(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s]*"
          r"(?:[A-Za-z0-9+/=:, -]{1,200}[\r\n]+){0,6}[A-Za-z0-9+/=]{8,})"),
    _rule("aws-access-key-id", "An AWS access key id", Severity.CRITICAL,
          ("akia", "asia", "abia", "acca", "a3t"),
          r"(?<![A-Z0-9])((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])"),
    _rule("aws-secret-access-key", "An AWS secret access key", Severity.CRITICAL, ("aws",),
          r"(?i)aws[_.-]?(?:secret)?[_.-]?(?:access)?[_.-]?key[\"']?\s{0,3}[:=]{1,2}\s{0,3}"
          r"[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
    _rule("github-token", "A GitHub token", Severity.CRITICAL,
          ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
          r"(?<![A-Za-z0-9_])((?:gh[pousr]_[A-Za-z0-9]{36,255})|github_pat_[A-Za-z0-9_]{82})"
          r"(?![A-Za-z0-9_])"),
    _rule("gitlab-token", "A GitLab token", Severity.CRITICAL, ("glpat-", "glrt-", "gldt-"),
          r"(?<![A-Za-z0-9_-])((?:glpat|glrt|gldt)-[A-Za-z0-9_-]{20,})"),
    _rule("slack-token", "A Slack token", Severity.HIGH,
          ("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe"),
          r"(?<![A-Za-z0-9-])(xox(?:[abprs]|e(?:\.xox[bp])?)-[A-Za-z0-9-]{10,250})"),
    _rule("slack-webhook", "A Slack incoming-webhook URL", Severity.MEDIUM,
          ("hooks.slack.com",),
          r"(https://hooks\.slack\.com/(?:services|workflows)/"
          r"T[A-Za-z0-9_]{8,}/B[A-Za-z0-9_]{8,}/[A-Za-z0-9_]{20,})"),
    _rule("stripe-secret-key", "A Stripe secret key", Severity.CRITICAL,
          ("sk_live_", "rk_live_"),
          r"(?<![A-Za-z0-9_])([rs]k_live_[A-Za-z0-9]{20,247})"),
    _rule("google-api-key", "A Google API key", Severity.HIGH, ("aiza",),
          r"(?<![A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])"),
    _rule("npm-token", "An npm access token", Severity.CRITICAL, ("npm_",),
          r"(?<![A-Za-z0-9_])(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])"),
    _rule("jwt", "A JSON Web Token", Severity.MEDIUM, ("eyj",),
          r"(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})"),
)

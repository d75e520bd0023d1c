"""Lint one parsed Dockerfile: every rule, then the inline ignores.

`# tenlayer ignore=build/sudo,build/user-root` in the comment lines just above an instruction
(no blank line between) drops those findings on that instruction; the `build/` prefix may be
left out. A finding about the whole image (no USER, no HEALTHCHECK) sits on the final FROM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenlayer.dockerfile.context import Context, Hit
from tenlayer.dockerfile.images import base_images
from tenlayer.dockerfile.rules import add_remote, no_healthcheck, secrets, ssh_exposed, user_root
from tenlayer.dockerfile.run_rules import run_rules
from tenlayer.dockerfile.syntax import Dockerfile, Instruction
from tenlayer.model import Finding

_IGNORE = re.compile(r"^tenlayer\s+ignore\s*=\s*([\w/.,\s-]+)$")


@dataclass(frozen=True, slots=True)
class LintOptions:
    allowed_registries: tuple[str, ...] = ()
    """Normalised (policy.workloads.normalize_registries); empty: any registry."""


def lint(dockerfile: Dockerfile, options: LintOptions | None = None,
         context: Context | None = None) -> list[Finding]:
    options = options or LintOptions()
    context = context or Context.of(dockerfile)
    hits: list[Hit] = [
        *user_root(context), *add_remote(context), *secrets(context), *ssh_exposed(context),
        *no_healthcheck(context), *base_images(context, options.allowed_registries),
        *run_rules(context),
    ]
    return sorted((h.finding for h in hits if not _ignored(h)), key=Finding.sort_key)


def ignored_ids(instruction: Instruction) -> frozenset[str]:
    ids: set[str] = set()
    for comment in instruction.comments:
        match = _IGNORE.match(comment.strip())
        if match:
            for part in match.group(1).split(","):
                part = part.strip()
                if part:
                    ids.add(part if "/" in part else f"build/{part}")
    return frozenset(ids)


def _ignored(hit: Hit) -> bool:
    return hit.finding.check_id in ignored_ids(hit.instruction)

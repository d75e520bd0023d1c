"""Lint one parsed Dockerfile: every rule, then the inline ignores.

`# tenlayer ignore=build/sudo,build/user-root` in the comment lines just above an instruction
(no blank line between) drops those findings on that instruction; the `build/` prefix may be
left out. A finding about the whole image (no USER, no HEALTHCHECK) sits on the final FROM.
An id there that is no Dockerfile check (a typo, or a check of another command such as
`image/runs-as-root`), or a comment naming none, is a warning (`ignore_warnings`), not silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LintOptions", "LintWarning", "ignore_warnings", "ignored_ids", "lint"]

from tenlayer.dockerfile.checks import CHECKS
from tenlayer.dockerfile.context import Context, Hit
from tenlayer.dockerfile.images import image_rules
from tenlayer.dockerfile.rules import add_remote, no_healthcheck, secrets, ssh_exposed, user_root
from tenlayer.dockerfile.run_rules import run_rules
from tenlayer.dockerfile.syntax import Dockerfile, Instruction, LintWarning
from tenlayer.model import Finding

_IGNORE = re.compile(r"^tenlayer\s+ignore\s*=\s*([\w/.,\s-]*)$")


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
        *no_healthcheck(context), *image_rules(context, options.allowed_registries),
        *run_rules(context),
    ]
    hit_at = {id(hit.instruction): hit.instruction for hit in hits}
    ignored = {key: ignored_ids(instruction) for key, instruction in hit_at.items()}
    return sorted((h.finding for h in hits if h.finding.check_id not in ignored[id(h.instruction)]),
                  key=Finding.sort_key)


_KNOWN = frozenset(check.id for check in CHECKS)


def _in_catalogue(check_id: str) -> bool:
    from tenlayer.checks.catalogue import catalogue

    return check_id in catalogue()


def ignored_ids(instruction: Instruction) -> frozenset[str]:
    return frozenset(i for comment in instruction.comments for i in _ids_in(comment))


def _ids_in(comment: str) -> list[str]:
    match = _IGNORE.match(comment.strip())
    if not match:
        return []
    parts = (part.strip() for part in match.group(1).split(","))
    return [part if "/" in part else f"build/{part}" for part in parts if part]


def ignore_warnings(dockerfile: Dockerfile) -> list[LintWarning]:
    """An ignore comment that silences nothing: it names a check that does not exist, a check
    of another command (`image/runs-as-root`), or no check at all (`# tenlayer ignore=`)."""
    warnings = []
    for instruction in dockerfile.instructions:
        first = instruction.start_line - len(instruction.comments)  # they are just above it
        for offset, comment in enumerate(instruction.comments):
            line = first + offset
            ids = _ids_in(comment)
            if not ids and _IGNORE.match(comment.strip()):
                warnings.append(LintWarning(dockerfile.path, line,
                                            "ignore comment names no check"))
            for check_id in ids:
                if check_id in _KNOWN:
                    continue
                message = (f"{check_id} in ignore comment is not a Dockerfile check"
                           if _in_catalogue(check_id) else
                           f"unknown check {check_id} in ignore comment")
                warnings.append(LintWarning(dockerfile.path, line, message))
    return warnings

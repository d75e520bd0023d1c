"""Field paths as findings print them: `spec.containers[0].securityContext.privileged`.

A list index is `[N]`; a map key that is not a plain name (it holds a dot, a slash, …) is
written in brackets, as kubectl does: `metadata.annotations[container.apparmor.security.
beta.kubernetes.io/app]`.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[str | int, ...]:
    """`a.b[0][x.y]` -> ("a", "b", 0, "x.y"). Bracketed digits are list indices."""
    steps: list[str | int] = []
    position, end = 0, len(path)
    while position < end:
        char = path[position]
        if char == ".":
            position += 1
            continue
        if char == "[":
            close = path.find("]", position)
            if close < 0:
                steps.append(path[position + 1 :])
                break
            inner = path[position + 1 : close]
            steps.append(int(inner) if inner.isdigit() else inner)
            position = close + 1
            continue
        stop = position
        while stop < end and path[stop] not in ".[":
            stop += 1
        steps.append(path[position:stop])
        position = stop
    return tuple(steps)


def key_step(key: str) -> str:
    """How a map key is written in a path: `.name` when plain, `[odd/key]` otherwise."""
    return f".{key}" if _PLAIN_KEY.fullmatch(key) else f"[{key}]"


def join(prefix: str, path: str) -> str:
    """`spec.template` + `spec.containers[0]` -> `spec.template.spec.containers[0]`."""
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"

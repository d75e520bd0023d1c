"""Paths inside an image: one normal form, and no way out of the root."""

from __future__ import annotations

from tenlayer.errors import BadInput

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


def normalize(name: str, *, context: str) -> str:
    """Return `name` relative to the image root: no leading `/` or `./`, no `.` or `..` parts.

    The root itself is "". A path whose `..` parts climb above the root is hostile input:
    extracting it would write outside the container's filesystem.
    """
    if (
        ".." not in name
        and "//" not in name
        and "/./" not in name
        and not name.startswith(("/", "./"))
    ):
        return name[:-1] if name.endswith("/") else name
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise BadInput(f"{context}: entry {name!r} escapes the image root")
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def parent(path: str) -> str:
    cut = path.rfind("/")
    return path[:cut] if cut >= 0 else ""


def ancestors(path: str) -> list[str]:
    """Every proper ancestor directory of `path`, nearest first, without the root."""
    found = []
    cut = path.rfind("/")
    while cut > 0:
        path = path[:cut]
        found.append(path)
        cut = path.rfind("/")
    return found


def is_under(path: str, directory: str) -> bool:
    """True when `path` lies strictly inside `directory` ("" is the root)."""
    if not directory:
        return path != ""
    return path.startswith(directory) and path[len(directory) : len(directory) + 1] == "/"

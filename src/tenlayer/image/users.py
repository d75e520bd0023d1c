"""Which `USER` values make a container run as root, before any /etc/passwd is read.

The runtime (runc, through the OCI spec's user field) reads the part before `:` as a number
when it is one: `0`, `00`, `0000` and `+0` are all UID 0 (`podman run --user +0 … id -u`
prints 0). The name `root` is UID 0 in every image that has it; other names need the image's
passwd (tenlayer.imagecheck.accounts), and an empty user is the runtime's default, root.
"""

from __future__ import annotations

import re

_UID_ZERO = re.compile(r"\+?0+")


def user_part(user: str) -> str:
    """`app:staff` → `app`; surrounding blanks dropped."""
    return user.strip().partition(":")[0].strip()


def is_root_user(user: str) -> bool:
    """True for an empty user, `root` and every spelling of UID 0 (`0`, `00`, `+0`, `0:1`)."""
    name = user_part(user)
    return name in ("", "root") or _UID_ZERO.fullmatch(name) is not None


def is_numeric_user(user: str) -> bool:
    """A UID (`1000`, `+1000`): the runtime takes it as is, without reading passwd."""
    return re.fullmatch(r"\+?[0-9]+", user_part(user)) is not None

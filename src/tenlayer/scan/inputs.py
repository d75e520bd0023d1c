"""Reading the small policy files a scan takes (ignore files, VEX documents) safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenlayer.errors import BadInput


def read_text(path: Path, *, limit: int, what: str) -> str:
    """The file as UTF-8 text; BadInput when missing, unreadable, too large or not text."""
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise BadInput(f"{path}: cannot read {what} ({error.strerror})") from None
    if len(data) > limit:
        raise BadInput(f"{path}: {what} is larger than {limit // 1024} KiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: {what} is not UTF-8 text (byte {error.start})") from None


def load_yaml(text: str, *, source: str, what: str) -> Any:
    """Safe YAML: no Python tags, no anchors or aliases (so no alias bombs), one document.

    Aliases are refused outright rather than limited: nothing in a policy file needs them,
    and a few hundred bytes of nested aliases expand to gigabytes once anything walks them.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                where = f" (line {mark.line + 1})" if mark is not None else ""
                raise BadInput(f"{source}: {what} uses YAML aliases{where}, which are not allowed")
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "malformed"
        raise BadInput(f"{source}: {what} is not valid YAML{where}: {problem}") from None
    except (ValueError, OverflowError) as error:  # e.g. a timestamp like 2024-02-30
        raise BadInput(f"{source}: {what} holds a value YAML cannot read: {error}") from None

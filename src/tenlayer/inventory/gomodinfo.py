"""The module information text of a Go binary (what `go version -m` prints), parsed.

    path	github.com/anchore/syft/cmd/syft
    mod	github.com/anchore/syft	(devel)
    dep	github.com/x/y	v1.2.3	h1:…
    =>	github.com/fork/y	v1.2.4	h1:…
    build	-ldflags="-s -w -X main.version=1.18.1"

Lines are tab-separated; `=>` replaces the module on the line before it; `build` keys and
values are Go-quoted (strconv.Quote) when they hold spaces, tabs, quotes or `=`. Go's own
parser rejects the whole text for one bad line; this one skips the line and says so, so one
damaged line does not hide every other module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_TAB = "\t"


@dataclass(frozen=True, slots=True)
class Module:
    path: str
    version: str
    replace: Module | None = None

    @property
    def effective(self) -> Module:
        """The module whose code is in the binary: the replacement when there is one."""
        return self.replace if self.replace is not None else self


@dataclass(slots=True)
class ModInfo:
    path: str = ""
    """The main package's import path (`…/cmd/syft`), or `command-line-arguments`."""
    main: Module | None = None
    deps: list[Module] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def parse_modinfo(text: str) -> ModInfo:
    info = ModInfo()
    last: str | None = None  # "main" or "dep": what a `=>` line would replace
    for number, line in enumerate(text.split("\n"), start=1):
        kind, _, rest = line.partition(_TAB)
        if kind == "path":
            info.path = rest
            last = None
        elif kind in ("mod", "dep"):
            module = _module(rest)
            if module is None:
                info.problems.append(f"line {number}: expected `{kind} PATH VERSION [SUM]`")
                last = None
            elif kind == "mod":
                info.main, last = module, "main"
            else:
                info.deps.append(module)
                last = "dep"
        elif kind == "=>":
            replacement = _module(rest)
            if replacement is None or last is None:
                info.problems.append(f"line {number}: a replacement with no module to replace")
            elif last == "main" and info.main is not None:
                info.main = Module(info.main.path, info.main.version, replacement)
            else:
                target = info.deps[-1]
                info.deps[-1] = Module(target.path, target.version, replacement)
            last = None
        elif kind == "build":
            setting = _setting(rest)
            if setting is None:
                info.problems.append(f"line {number}: unreadable build setting")
            else:
                info.settings.setdefault(*setting)
            last = None
        # blank lines and kinds newer Go versions may add are ignored, as Go ignores them
    return info


def _module(rest: str) -> Module | None:
    fields = rest.split(_TAB)
    if len(fields) not in (2, 3):
        return None
    return Module(fields[0], fields[1])


def _setting(rest: str) -> tuple[str, str] | None:
    if rest.startswith('"'):
        unquoted = unquote_prefix(rest)
        if unquoted is None:
            return None
        key, rest = unquoted
        if not rest.startswith("="):
            return None
        raw_value = rest[1:]
    else:
        key, sep, raw_value = rest.partition("=")
        if not sep:
            return None
    if raw_value.startswith(('"', "`")):
        unquoted = unquote_prefix(raw_value)
        if unquoted is None or unquoted[1]:
            return None
        return key, unquoted[0]
    return key, raw_value


_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}


def unquote_prefix(text: str) -> tuple[str, str] | None:
    """Go's strconv.QuotedPrefix + Unquote: the quoted string `text` starts with, and the rest.

    Handles "interpreted" strings with Go's escapes (`\\xNN` bytes, `\\uNNNN`, octal `\\NNN`) and
    `raw` strings in backquotes. None if `text` does not start with a valid quoted string.
    """
    if text.startswith("`"):
        end = text.find("`", 1)
        return None if end < 0 else (text[1:end], text[end + 1 :])
    if not text.startswith('"'):
        return None
    out = bytearray()
    index = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            return out.decode("utf-8", "replace"), text[index + 1 :]
        if char == "\n":
            return None
        if char != "\\":
            out += char.encode("utf-8", "surrogatepass")
            index += 1
            continue
        escape = text[index + 1 : index + 2]
        if escape in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[escape].encode()
            index += 2
        elif escape in _HEX_DIGITS:
            digits = text[index + 2 : index + 2 + _HEX_DIGITS[escape]]
            value = _parse_int(digits, 16, _HEX_DIGITS[escape])
            if value is None:
                return None
            out += bytes([value]) if escape == "x" else _rune(value)
            index += 2 + len(digits)
        elif escape and escape in "01234567":
            value = _parse_int(text[index + 1 : index + 4], 8, 3)
            if value is None or value > 0xFF:
                return None
            out.append(value)
            index += 4
        else:
            return None
    return None


_DIGITS = {8: frozenset("01234567"), 16: frozenset("0123456789abcdefABCDEF")}


def _parse_int(digits: str, base: int, width: int) -> int | None:
    if len(digits) != width or not set(digits) <= _DIGITS[base]:
        return None
    return int(digits, base)


def _rune(value: int) -> bytes:
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "\ufffd".encode()
    return chr(value).encode("utf-8")

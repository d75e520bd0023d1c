"""Maven versions, ordered exactly as Maven 3.8's `ComparableVersion`.

Parsing (lower-cased): `.` and `-` separate items, and so does every change between digits
and non-digits; `-` (and a digit/letter change after the first item) opens a nested list,
and a qualifier directly followed by digits becomes a list of its own (`1.0.RC1` is `1`,
then the list `[rc, [1]]`). Digit runs are numbers; other runs are qualifiers, with the
aliases `ga`/`final`/`release` = "" (the release itself), `cr` = `rc`, and `a1`/`b1`/`m1` =
`alpha-1`/`beta-1`/`milestone-1`. Each list is then normalised by dropping trailing "null"
items (0, "", empty lists), scanning back past nested lists: `1.0.0` = `1`, `1.0-rc` = `1-rc`.

Comparison goes item by item: number > list > qualifier when kinds differ; numbers
numerically (by Maven's int/long/BigInteger classes, which order as the numbers do except
for zero-padded runs of 10+ digits); qualifiers as alpha < beta < milestone < rc <
snapshot < "" < sp < any other (others by name); lists recursively; and where one list has
run out, the other's next items are compared with "nothing", which a 0, a "", an empty
list... compare equal to, `sp` and other unknown qualifiers are above, alpha..snapshot below.

That last rule makes Maven's order intransitive on some unusual versions: Maven itself says
`1.0.alpha.1` < `1` < `1.sp.1` < `1.0.alpha.1`, and `1-x` < `1-x.sp.1` < `1-x-alpha` < `1-x`.
No totally ordered key can agree with Maven there, so this scheme's key is a `MavenKey` whose
comparisons *are* Maven's (exact on every pair, and a consistent total order on every set
of versions Maven itself orders consistently); equality is an equivalence (`1.0` == `1` ==
`1-ga`), and hashing agrees with it.
"""

from __future__ import annotations

from functools import lru_cache, total_ordering
from typing import Any

from tenlayer.vulndb.versions.base import CACHE_SIZE, InvalidVersion, check_length

NAME = "maven"

# Item kinds, in the order Maven ranks them when kinds differ.
_STRING, _LIST, _NUMBER = 0, 1, 2

# A parsed item: (_NUMBER, size class, value) | (_STRING, qualifier key) | (_LIST, items).
Item = tuple[Any, ...]
Items = tuple[Item, ...]

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}


def _qualifier_key(text: str) -> bytes:
    """Maven's `comparableQualifier` as bytes ordered as Java orders its strings.

    Known qualifiers become their index ("0".."6"), others "7-" + name; Java compares
    strings by UTF-16 code units, which big-endian UTF-16 bytes reproduce.
    """
    try:
        comparable = str(_QUALIFIERS.index(text))
    except ValueError:
        comparable = f"{len(_QUALIFIERS)}-{text}"
    return comparable.encode("utf-16-be", "surrogatepass")


_RELEASE = _qualifier_key("")
_ZERO: Item = (_NUMBER, 0, 0)


def _string_item(text: str, followed_by_digit: bool) -> Item:
    if followed_by_digit and len(text) == 1:
        text = _SHORT.get(text, text)
    return (_STRING, _qualifier_key(_ALIASES.get(text, text)))


def _number_item(digits: str) -> Item:
    stripped = digits.lstrip("0") or digits  # Java strips ASCII zeros only, keeps "000"
    size = len(stripped)
    size_class = 0 if size <= 9 else 1 if size <= 18 else 2  # IntItem, LongItem, BigInteger
    return (_NUMBER, size_class, int(stripped))


def _item(is_digit: bool, text: str) -> Item:
    return _number_item(text) if is_digit else _string_item(text, False)


def _is_null(item: object) -> bool:
    if isinstance(item, list):
        return not item
    assert isinstance(item, tuple)
    kind = item[0]
    if kind == _NUMBER:
        return bool(item[2] == 0)
    if kind == _STRING:
        return bool(item[1] == _RELEASE)
    return not item[1]


def _normalize(items: list[Any]) -> None:
    index = len(items) - 1
    while index >= 0:
        item = items[index]
        if _is_null(item):
            del items[index]
        elif not isinstance(item, list):
            break
        index -= 1


def _freeze(items: list[Any]) -> Items:
    return tuple((_LIST, _freeze(item)) if isinstance(item, list) else item for item in items)


def parse(version: str) -> Items:
    """The normalised item tree of a Maven version, as `ComparableVersion.parseVersion`."""
    check_length(version, NAME)
    if not version:
        raise InvalidVersion(version, NAME, "version string is empty")
    text = version.lower()
    current: list[Any] = []
    lists = [current]  # every list, each nested in the one before

    def open_list() -> list[Any]:
        nested: list[Any] = []
        current.append(nested)
        lists.append(nested)
        return nested

    is_digit = False
    start = 0
    for index, char in enumerate(text):
        if char == "." or char == "-":
            current.append(_ZERO if index == start else _item(is_digit, text[start:index]))
            start = index + 1
            if char == "-":
                current = open_list()
        elif char.isdecimal():
            if not is_digit and index > start:
                # "1.0.0.X1" < "1.0.0-X2": a qualifier before digits gets a list of its own
                if current:
                    current = open_list()
                current.append(_string_item(text[start:index], True))
                start = index
                current = open_list()
            is_digit = True
        else:
            if is_digit and index > start:
                current.append(_number_item(text[start:index]))
                start = index
                current = open_list()
            is_digit = False
    if len(text) > start:
        if not is_digit and current:
            current = open_list()
        current.append(_item(is_digit, text[start:]))
    for items in reversed(lists):
        _normalize(items)
    return _freeze(lists[0])


def _versus_nothing(item: Item) -> int:
    """How an item compares with the end of a shorter list (Maven's `compareTo(null)`)."""
    kind = item[0]
    if kind == _NUMBER:
        return 1 if item[2] else 0
    if kind == _STRING:
        qualifier: bytes = item[1]
        return (qualifier > _RELEASE) - (qualifier < _RELEASE)
    for inner in item[1]:
        result = _versus_nothing(inner)
        if result:
            return result
    return 0


def _compare_items(left: Items, right: Items) -> int:
    if left == right:
        return 0
    for index in range(max(len(left), len(right))):
        if index >= len(left):
            result = -_versus_nothing(right[index])
        elif index >= len(right):
            result = _versus_nothing(left[index])
        else:
            a, b = left[index], right[index]
            kind_a, kind_b = a[0], b[0]
            if kind_a != kind_b:
                return 1 if kind_a > kind_b else -1
            # numbers by (size class, value), qualifiers by key, lists recursively
            result = _compare_items(a[1], b[1]) if kind_a == _LIST else (a > b) - (a < b)
        if result:
            return result
    return 0


@total_ordering
class MavenKey:
    """A parsed Maven version whose comparisons are `ComparableVersion.compareTo`."""

    __slots__ = ("_hash", "items")

    def __init__(self, items: Items) -> None:
        self.items = items
        self._hash = hash(items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MavenKey):
            return NotImplemented
        return self.items == other.items

    def __lt__(self, other: MavenKey) -> bool:
        return _compare_items(self.items, other.items) < 0

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"MavenKey({self.items!r})"


@lru_cache(maxsize=CACHE_SIZE)
def key(version: str) -> MavenKey:
    """The ordering key of a Maven version; raises InvalidVersion only for ''."""
    return MavenKey(parse(version))


class MavenScheme:
    __slots__ = ()
    name = NAME

    @staticmethod
    def key(version: str) -> MavenKey:
        return key(version)

    @staticmethod
    def compare(a: str, b: str) -> int:
        return _compare_items(key(a).items, key(b).items)

    def __repr__(self) -> str:
        return f"<version scheme {NAME}>"


SCHEME = MavenScheme()

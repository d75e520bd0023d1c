"""OpenVEX: statements by a supplier or a team that a product is, or is not, affected.

https://github.com/openvex/spec (v0.2.0; the v0.0.x shapes, where `vulnerability` and the
products are plain strings, are read too). A statement names a vulnerability (with
aliases), the products it speaks for, and a status:

- `not_affected` (with a justification or an impact statement, as the spec requires) and
  `fixed` suppress the matching matches; the reason is kept in `suppressed_by`;
- `affected` and `under_investigation` suppress nothing; as the latest word on a product
  they also undo an earlier `not_affected`.

When several statements speak for the same vulnerability and package, the latest one wins
(its own timestamp, else its document's; on equal times the later document, then the later
statement), as the spec describes a product's VEX history.

Which products a statement speaks for:

- a package URL names the packages it matches (`tenlayer.scan.purls`: qualifiers and version
  compared only where the statement gives them; an OS package also by its source name);
- the image itself (a `pkg:oci` purl whose version is the image's manifest or config digest,
  or with no version one whose name is the image's repository; a bare `sha256:` digest; a
  reference ending `@sha256:…`): every package in it, or, when the product lists
  `subcomponents`, the packages those name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tenlayer.errors import BadInput
from tenlayer.model import Image, Package, VulnerabilityMatch
from tenlayer.scan.inputs import read_text
from tenlayer.scan.purls import PurlPattern, parse_pattern, pattern_matches

MAX_VEX_FILE = 64 * 1024 * 1024
STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
SUPPRESSING = ("not_affected", "fixed")
JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
PREFIX = "vex: "
"""`suppressed_by` of a VEX suppression starts so: `vex: not_affected (justification) by …`."""


@dataclass(frozen=True, slots=True)
class ProductId:
    """One way a statement names a product: a package URL, or another identifier."""

    text: str
    purl: PurlPattern | None


@dataclass(frozen=True, slots=True)
class Product:
    ids: tuple[ProductId, ...]
    subcomponents: tuple[tuple[ProductId, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Statement:
    vulnerability: str
    aliases: tuple[str, ...]
    products: tuple[Product, ...]
    status: str
    justification: str
    impact_statement: str
    timestamp: datetime | None
    author: str
    where: str
    """`statement 3`: where in its document, for messages."""


@dataclass(frozen=True, slots=True)
class VexDocument:
    source: str
    id: str
    author: str
    timestamp: datetime | None
    statements: tuple[Statement, ...]


def load_vex(path: Path) -> VexDocument:
    """Read and check an OpenVEX JSON document; BadInput (one line) when it is not one."""
    text = read_text(path, limit=MAX_VEX_FILE, what="VEX document")
    return parse_vex(text, source=str(path))


def parse_vex(text: str, *, source: str) -> VexDocument:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(
            f"{source}: not a JSON document (line {error.lineno}: {error.msg})"
        ) from None
    if not isinstance(document, dict):
        raise BadInput(f"{source}: not an OpenVEX document (expected a JSON object)")
    context = document.get("@context")
    if not isinstance(context, str) or not context.startswith("https://openvex.dev/ns"):
        raise BadInput(
            f"{source}: not an OpenVEX document ('@context' is not https://openvex.dev/ns…)"
        )
    author = _string(document, "author", source, "document", required=True)
    timestamp = _timestamp(document.get("timestamp"), source, "document")
    statements = document.get("statements")
    if not isinstance(statements, list):
        raise BadInput(f"{source}: 'statements' must be a list")
    parsed = tuple(
        _statement(item, source, f"statement {n}", author, timestamp)
        for n, item in enumerate(statements, start=1)
    )
    return VexDocument(
        source=source,
        id=str(document.get("@id") or ""),
        author=author,
        timestamp=timestamp,
        statements=parsed,
    )


def apply_vex(
    matches: Iterable[VulnerabilityMatch],
    documents: Sequence[VexDocument],
    *,
    image: Image | None = None,
) -> list[VulnerabilityMatch]:
    """Suppress the matches whose latest applicable statement is `not_affected` or `fixed`.

    `image` lets statements about the image (its digest or repository as the product)
    apply; without it only statements naming packages do. A match already suppressed
    keeps its first reason.
    """
    by_id: dict[str, list[tuple[tuple[datetime, int, int], Statement]]] = {}
    for doc_index, document in enumerate(documents):
        for index, statement in enumerate(document.statements):
            order = (statement.timestamp or _EPOCH, doc_index, index)
            names = {statement.vulnerability, *statement.aliases}
            for name in {n.casefold() for n in names}:
                by_id.setdefault(name, []).append((order, statement))
    identity = _ImageIdentity.of(image)
    result = []
    for match in matches:
        if not match.suppressed_by:
            latest = _latest(match, by_id, identity)
            if latest is not None and latest.status in SUPPRESSING:
                match = replace(match, suppressed_by=describe(latest))
        result.append(match)
    return result


def describe(statement: Statement) -> str:
    """`vex: not_affected (vulnerable_code_not_present) by Jane <jane@…>: impact statement`."""
    text = PREFIX + statement.status
    if statement.justification:
        text += f" ({statement.justification})"
    text += f" by {statement.author}"
    if statement.impact_statement:
        text += f": {statement.impact_statement}"
    return text


def verdict(suppressed_by: str) -> tuple[str, str] | None:
    """(status, justification) of a suppression `describe` wrote; None for any other."""
    if not suppressed_by.startswith(PREFIX):
        return None
    rest = suppressed_by[len(PREFIX) :]
    status, _, rest = rest.partition(" ")
    if status not in STATUSES:
        return None
    justification = ""
    if rest.startswith("("):
        candidate = rest[1:].partition(")")[0]
        if candidate in JUSTIFICATIONS:
            justification = candidate
    return status, justification


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _latest(
    match: VulnerabilityMatch,
    by_id: dict[str, list[tuple[tuple[datetime, int, int], Statement]]],
    image: _ImageIdentity,
) -> Statement | None:
    """The latest statement that speaks for this vulnerability (by any of its ids) here."""
    vulnerability = match.vulnerability
    applicable = [
        (order, statement)
        for name in {n.casefold() for n in (vulnerability.id, *vulnerability.aliases)}
        for order, statement in by_id.get(name, ())
        if _applies(statement, match.package, image)
    ]
    if not applicable:
        return None
    return max(applicable, key=lambda item: item[0])[1]


@dataclass(frozen=True, slots=True)
class _ImageIdentity:
    digests: frozenset[str]
    repositories: frozenset[str]
    """`registry/path/name` of every reference and tag the image is known by."""

    @classmethod
    def of(cls, image: Image | None) -> _ImageIdentity:
        if image is None:
            return cls(frozenset(), frozenset())
        digests = {d for d in (image.manifest_digest, image.config_digest) if d}
        repositories = set()
        for reference in (image.reference, *image.repo_tags):
            name = reference.removeprefix("docker://").partition("@")[0]
            slash, colon = name.rfind("/"), name.rfind(":")
            if colon > slash:
                name = name[:colon]
            if name:
                repositories.add(name.lower())
        return cls(frozenset(digests), frozenset(repositories))

    def named_by(self, product: ProductId) -> bool:
        if product.purl is None:
            digest = product.text.rpartition("@")[2] if "@" in product.text else product.text
            return digest in self.digests
        purl = product.purl
        if purl.type != "oci":
            return False
        if purl.version is not None:
            return unquote(purl.version) in self.digests
        qualifiers = dict(purl.qualifiers)
        wanted = qualifiers.get("repository_url", "").lower()
        for repository in self.repositories:
            last = repository.rsplit("/", 1)[-1]
            if last == purl.name.lower() and (
                not wanted or repository == wanted or repository.endswith("/" + wanted)
            ):
                return True
        return False


def _applies(statement: Statement, package: Package, image: _ImageIdentity) -> bool:
    for product in statement.products:
        if product.subcomponents:
            if any(image.named_by(p) for p in product.ids) and any(
                _names_package(ids, package) for ids in product.subcomponents
            ):
                return True
        elif _names_package(product.ids, package) or any(image.named_by(p) for p in product.ids):
            return True
    return False


def _names_package(ids: tuple[ProductId, ...], package: Package) -> bool:
    return any(p.purl is not None and pattern_matches(p.purl, package) for p in ids)


def _statement(
    item: Any, source: str, where: str, author: str, timestamp: datetime | None
) -> Statement:
    if not isinstance(item, dict):
        raise BadInput(f"{source}: {where}: expected an object")
    name, aliases = _vulnerability(item.get("vulnerability"), source, where)
    where = f"{where} ({name})"
    status = item.get("status")
    if status not in STATUSES:
        raise BadInput(f"{source}: {where}: status {status!r} is not one of {', '.join(STATUSES)}")
    justification = _string(item, "justification", source, where)
    if justification and justification not in JUSTIFICATIONS:
        raise BadInput(
            f"{source}: {where}: justification {justification!r} is not one of "
            + ", ".join(JUSTIFICATIONS)
        )
    impact = _string(item, "impact_statement", source, where)
    if status == "not_affected" and not (justification or impact):
        raise BadInput(
            f"{source}: {where}: a not_affected statement needs a justification or an "
            "impact_statement"
        )
    products = item.get("products")
    if not isinstance(products, list) or not products:
        raise BadInput(f"{source}: {where}: 'products' must be a non-empty list")
    return Statement(
        vulnerability=name,
        aliases=aliases,
        products=tuple(_product(p, source, where) for p in products),
        status=status,
        justification=justification,
        impact_statement=impact,
        timestamp=_timestamp(item.get("timestamp"), source, where) or timestamp,
        author=_string(item, "supplier", source, where) or author,
        where=where,
    )


def _vulnerability(value: Any, source: str, where: str) -> tuple[str, tuple[str, ...]]:
    if isinstance(value, str) and value.strip():  # OpenVEX v0.0.x
        return value.strip(), ()
    if not isinstance(value, dict):
        raise BadInput(f"{source}: {where}: 'vulnerability' must be an object with a 'name'")
    name = value.get("name") or value.get("@id")
    if not isinstance(name, str) or not name.strip():
        raise BadInput(f"{source}: {where}: the vulnerability has no 'name'")
    aliases = value.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise BadInput(f"{source}: {where}: the vulnerability's 'aliases' must be strings")
    return name.strip(), tuple(a.strip() for a in aliases)


def _product(value: Any, source: str, where: str) -> Product:
    ids = _product_ids(value, source, where)
    subcomponents: tuple[tuple[ProductId, ...], ...] = ()
    if isinstance(value, dict) and value.get("subcomponents") is not None:
        items = value["subcomponents"]
        if not isinstance(items, list):
            raise BadInput(f"{source}: {where}: 'subcomponents' must be a list")
        subcomponents = tuple(_product_ids(s, source, where) for s in items)
    return Product(ids=ids, subcomponents=subcomponents)


def _product_ids(value: Any, source: str, where: str) -> tuple[ProductId, ...]:
    texts: list[str] = []
    if isinstance(value, str):  # OpenVEX v0.0.x
        texts.append(value)
    elif isinstance(value, dict):
        if isinstance(value.get("@id"), str):
            texts.append(value["@id"])
        identifiers = value.get("identifiers")
        if isinstance(identifiers, dict) and isinstance(identifiers.get("purl"), str):
            texts.append(identifiers["purl"])
    else:
        raise BadInput(f"{source}: {where}: a product must be an object with an '@id'")
    if not texts:
        raise BadInput(f"{source}: {where}: a product has neither '@id' nor identifiers.purl")
    ids = []
    for text in dict.fromkeys(t.strip() for t in texts):
        purl = None
        if text.startswith("pkg:"):
            try:
                purl = parse_pattern(text)
            except ValueError as error:
                raise BadInput(f"{source}: {where}: {error}") from None
        ids.append(ProductId(text=text, purl=purl))
    return tuple(ids)


def _string(
    item: dict[str, Any], key: str, source: str, where: str, *, required: bool = False
) -> str:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise BadInput(f"{source}: {where}: '{key}' is missing")
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{source}: {where}: '{key}' must be a string")
    return value.strip()


def _timestamp(value: Any, source: str, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    raise BadInput(f"{source}: {where}: timestamp {value!r} is not an RFC 3339 time")

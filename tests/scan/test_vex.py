"""OpenVEX: which statements suppress which matches, and clear errors on bad documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenlayer.errors import BadInput
from tenlayer.scan.vex import apply_vex, load_vex, parse_vex, verdict
from tests.sbom.inventories import CONFIG_DIGEST, MANIFEST_DIGEST
from tests.scan.builders import INVENTORY, match, vulnerability

CVE = vulnerability("CVE-2024-1111", aliases=("GHSA-aaaa-bbbb-cccc",))
IMAGE = INVENTORY.image


def _doc(*statements: dict[str, Any], **top: Any) -> str:
    document = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "Jane Doe <jane@example.com>",
        "timestamp": "2024-05-01T00:00:00Z",
        "version": 1,
        "statements": list(statements),
    }
    document.update(top)
    return json.dumps(document)


def _statement(products: list[Any], status: str = "not_affected", **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "vulnerability": {"name": "CVE-2024-1111"},
        "products": products,
        "status": status,
    }
    if status == "not_affected" and "impact_statement" not in extra:
        statement["justification"] = "vulnerable_code_not_present"
    statement.update(extra)
    return statement


def _reasons(*documents: str, names: tuple[str, ...] = ("libc6", "bash", "six"), image=IMAGE):  # type: ignore[no-untyped-def]
    parsed = [parse_vex(text, source=f"vex{n}.json") for n, text in enumerate(documents)]
    return [m.suppressed_by for m in apply_vex([match(n, CVE) for n in names], parsed, image=image)]


REASON = "vex: not_affected (vulnerable_code_not_present) by Jane Doe <jane@example.com>"


def test_not_affected_package_purl() -> None:
    text = _doc(_statement([{"@id": "pkg:deb/debian/bash"}]))
    assert _reasons(text) == ["", REASON, ""]


def test_identifiers_purl_and_versions() -> None:
    product = {"@id": "urn:x", "identifiers": {"purl": "pkg:pypi/six@1.16.0"}}
    assert _reasons(_doc(_statement([product]))) == ["", "", REASON]
    wrong = {"@id": "pkg:pypi/six@1.16.1"}
    assert _reasons(_doc(_statement([wrong]))) == ["", "", ""]


def test_source_package_names_binary_packages() -> None:
    text = _doc(_statement([{"@id": "pkg:deb/debian/glibc@2.36-9%2Bdeb12u4"}]))
    assert _reasons(text) == [REASON, "", ""]


def test_alias_in_the_statement_or_the_match() -> None:
    by_alias = _statement(
        [{"@id": "pkg:deb/debian/bash"}],
        vulnerability={"name": "GHSA-aaaa-bbbb-cccc"},
    )
    assert _reasons(_doc(by_alias)) == ["", REASON, ""]
    listing = _statement(
        [{"@id": "pkg:deb/debian/bash"}],
        vulnerability={"name": "OTHER-1", "aliases": ["cve-2024-1111"]},
    )
    assert _reasons(_doc(listing)) == ["", REASON, ""]


def test_image_product_with_subcomponents() -> None:
    image_purl = f"pkg:oci/app@{MANIFEST_DIGEST.replace(':', '%3A')}?arch=amd64"
    product = {"@id": image_purl, "subcomponents": [{"@id": "pkg:deb/debian/libc6"}]}
    assert _reasons(_doc(_statement([product]))) == [REASON, "", ""]
    other_image = {
        "@id": "pkg:oci/app@sha256:" + "00" * 32,
        "subcomponents": [{"@id": "pkg:deb/debian/libc6"}],
    }
    assert _reasons(_doc(_statement([other_image]))) == ["", "", ""]
    # without the image the product cannot be recognised
    assert _reasons(_doc(_statement([product])), image=None) == ["", "", ""]


@pytest.mark.parametrize(
    "product",
    [
        f"pkg:oci/app@{MANIFEST_DIGEST}",
        "pkg:oci/app?repository_url=registry.example.com/team/app",
        "pkg:oci/app",
        CONFIG_DIGEST,
        f"registry.example.com/team/app@{MANIFEST_DIGEST}",
    ],
)
def test_whole_image_products(product: str) -> None:
    assert _reasons(_doc(_statement([{"@id": product}]))) == [REASON] * 3


def test_image_product_that_is_another_image() -> None:
    for product in ("pkg:oci/other", "pkg:oci/app?repository_url=elsewhere.io/x/app"):
        assert _reasons(_doc(_statement([{"@id": product}]))) == ["", "", ""]


def test_fixed_suppresses_affected_does_not() -> None:
    fixed = _doc(_statement([{"@id": "pkg:deb/debian/bash"}], "fixed"))
    assert _reasons(fixed) == ["", "vex: fixed by Jane Doe <jane@example.com>", ""]
    for status in ("affected", "under_investigation"):
        text = _doc(_statement([{"@id": "pkg:deb/debian/bash"}], status))
        assert _reasons(text) == ["", "", ""]


def test_latest_statement_wins() -> None:
    product = [{"@id": "pkg:deb/debian/bash"}]
    earlier = _statement(product, timestamp="2024-05-01T00:00:00Z")
    later = _statement(product, "affected", timestamp="2024-05-02T00:00:00Z")
    assert _reasons(_doc(later, earlier)) == ["", "", ""]
    assert _reasons(_doc(earlier), _doc(later)) == ["", "", ""]
    # equal times: the later document
    assert _reasons(_doc(_statement(product, "affected")), _doc(_statement(product))) == [
        "",
        REASON,
        "",
    ]


def test_impact_statement_supplier_and_v0_0_shapes() -> None:
    statement = {
        "vulnerability": "CVE-2024-1111",
        "products": ["pkg:deb/debian/bash"],
        "status": "not_affected",
        "impact_statement": "bash is never run",
        "supplier": "Debian",
    }
    text = _doc(statement, **{"@context": "https://openvex.dev/ns"})
    assert _reasons(text) == ["", "vex: not_affected by Debian: bash is never run", ""]


def test_verdict_reads_back_what_describe_wrote() -> None:
    assert verdict(REASON) == ("not_affected", "vulnerable_code_not_present")
    assert verdict("vex: fixed by Jane") == ("fixed", "")
    assert verdict("ignored by x.yaml") is None
    assert verdict("vex: bogus by Jane") is None


def test_already_suppressed_keeps_its_reason() -> None:
    parsed = parse_vex(_doc(_statement([{"@id": "pkg:deb/debian/bash"}])), source="v")
    kept = match("bash", CVE, suppressed_by="ignored by .trivyignore")
    assert apply_vex([kept], [parsed])[0].suppressed_by == "ignored by .trivyignore"


def test_load_from_file(tmp_path: Path) -> None:
    path = tmp_path / "app.openvex.json"
    path.write_text(_doc(_statement([{"@id": "pkg:deb/debian/bash"}])))
    document = load_vex(path)
    assert (document.author, document.id, len(document.statements)) == (
        "Jane Doe <jane@example.com>",
        "https://example.com/vex/1",
        1,
    )


GOOD = _statement([{"@id": "pkg:deb/debian/bash"}])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "v.json: not a JSON document (line 1: Expecting property name"),
        ("[]", "v.json: not an OpenVEX document (expected a JSON object)"),
        (json.dumps({"statements": []}), "v.json: not an OpenVEX document ('@context'"),
        (_doc(GOOD, author=""), "v.json: document: 'author' is missing"),
        (_doc(GOOD, timestamp="yesterday"), "v.json: document: timestamp 'yesterday' is not"),
        (_doc(statements={}), "v.json: 'statements' must be a list"),
        (_doc(_statement([{"@id": "pkg:x/y"}], "maybe")),
         "v.json: statement 1 (CVE-2024-1111): status 'maybe' is not one of"),
        (_doc(_statement([{"@id": "pkg:x/y"}], justification="because")),
         "v.json: statement 1 (CVE-2024-1111): justification 'because' is not one of"),
        (_doc({"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:x/y"}],
               "status": "not_affected"}),
         "v.json: statement 1 (CVE-1): a not_affected statement needs a justification"),
        (_doc(_statement([])), "v.json: statement 1 (CVE-2024-1111): 'products' must be"),
        (_doc(_statement([{"@id": "pkg:"}])), "v.json: statement 1 (CVE-2024-1111): 'pkg:' is not"),
        (_doc(_statement([{"name": "x"}])), "v.json: statement 1 (CVE-2024-1111): a product has"),
        (_doc(_statement([3])), "v.json: statement 1 (CVE-2024-1111): a product must be"),
        (_doc({"vulnerability": {}, "products": [], "status": "fixed"}),
         "v.json: statement 1: the vulnerability has no 'name'"),
        (_doc(_statement([{"@id": "x", "subcomponents": "y"}])),
         "v.json: statement 1 (CVE-2024-1111): 'subcomponents' must be a list"),
    ],
)
def test_bad_documents(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_vex(text, source="v.json")
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)

"""Sort each declared license into a valid SPDX expression or a name that is not one.

The inventory already maps known short names to SPDX ids (`inventory/licenses.py`); what is
left is either valid SPDX (`MIT`, `GPL-2.0-or-later OR Artistic-1.0-Perl`) or a name with no
SPDX meaning (`public-domain`, `GPL-1+ or Artistic`). Both SBOM writers ask here, so a license
is an id in CycloneDX exactly when it is one in SPDX. The check is spdx-tools' own licensing
table, the one its validator uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class DeclaredLicense:
    text: str
    """As the inventory has it."""
    spdx: str | None
    """The normalised SPDX expression when every license in it is a known SPDX id."""

    @property
    def is_single_id(self) -> bool:
        return self.spdx is not None and not any(ch.isspace() for ch in self.spdx)


@lru_cache(maxsize=4096)
def classify(text: str) -> DeclaredLicense:
    from spdx_tools.common.spdx_licensing import spdx_licensing

    cleaned = text.strip()
    try:
        info = spdx_licensing.validate(cleaned)
    except Exception:  # the parser raises on input it cannot tokenise (`MIT/X11`)
        return DeclaredLicense(text=cleaned, spdx=None)
    if info.errors or not info.normalized_expression:
        return DeclaredLicense(text=cleaned, spdx=None)
    return DeclaredLicense(text=cleaned, spdx=str(info.normalized_expression))


def declared(texts: tuple[str, ...]) -> tuple[DeclaredLicense, ...]:
    """Each license once, blanks dropped, in the inventory's order."""
    seen: dict[str, DeclaredLicense] = {}
    for text in texts:
        if text.strip() and text.strip() not in seen:
            seen[text.strip()] = classify(text)
    return tuple(seen.values())


def and_all(expressions: list[str]) -> str:
    """Several valid SPDX expressions as one: each compound one in parentheses, joined by AND."""
    if len(expressions) == 1:
        return expressions[0]
    return " AND ".join(f"({e})" if any(ch.isspace() for ch in e) else e for e in expressions)

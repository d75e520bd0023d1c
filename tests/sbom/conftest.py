from __future__ import annotations

import pytest

from tenlayer.model import Inventory
from tests.sbom.inventories import make_inventory


@pytest.fixture
def inventory() -> Inventory:
    return make_inventory()


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """SOURCE_DATE_EPOCH fixes the creation time, so outputs compare byte for byte."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")

"""Listing a real registry's repositories and tags, page by page."""

from __future__ import annotations

import pytest

from tenlayer.errors import BadInput
from tenlayer.image.registry import client as client_module
from tenlayer.image.registry.client import RegistryClient
from tenlayer.image.registry.credentials import CredentialLookup
from tenlayer.image.registry.reference import parse_reference
from tests.support import registry as support


def connected(registry: support.Registry, repository: str) -> RegistryClient:
    client = RegistryClient(parse_reference(f"{registry.address}/{repository}:latest"),
                            CredentialLookup(None), insecure=True, timeout=10)
    client.connect()
    return client


@pytest.mark.parametrize("page_size", [1, 2, 1000])
def test_catalog_and_tags_follow_every_page(
    plain_registry: support.Registry, monkeypatch: pytest.MonkeyPatch, page_size: int
) -> None:
    monkeypatch.setattr(client_module, "PAGE_SIZE", page_size)
    client = connected(plain_registry, "test/small")
    try:
        assert client.catalog() == ["test/docker", "test/multi", "test/small"]
        assert client.tags() == ["v1"]
    finally:
        client.close()


def test_tags_of_a_missing_repository_are_an_error(plain_registry: support.Registry) -> None:
    client = connected(plain_registry, "test/none")
    try:
        with pytest.raises(BadInput) as raised:
            client.tags()
        assert str(raised.value).endswith(
            "refused the tags of test/none (HTTP 404 Not Found: NAME_UNKNOWN: repository name "
            "not known to registry)")
    finally:
        client.close()

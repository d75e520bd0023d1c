"""Pull images from registries over the Distribution API v2 (`docker://`, `registry:`).

Modules, each with one job: `reference` (parsing `[registry/]repository[:tag][@digest]`),
`credentials` (docker config.json, containers auth.json, credential helpers), `auth`
(challenges, basic and bearer tokens), `transport` (streaming and HTTP errors), `client`
(the API requests) and `source` (the `OpenedImage`). httpx is imported only when an image
is actually pulled, so importing this package for `parse_reference` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenlayer.image.registry.reference import Reference, parse_reference

if TYPE_CHECKING:
    from tenlayer.image.open import OpenOptions
    from tenlayer.image.registry.source import RegistryImage

__all__ = ["Reference", "open_registry_image", "parse_reference"]


def open_registry_image(reference: str, options: OpenOptions) -> RegistryImage:
    """Pull `reference` from its registry; see `source.open_registry_image`."""
    from tenlayer.image.registry.source import open_registry_image as open_image

    return open_image(reference, options)

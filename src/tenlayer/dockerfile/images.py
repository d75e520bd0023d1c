"""Base-image rules: latest or untagged, not pinned by digest, outside --allowed-registries.

A FROM that names an earlier stage, `scratch`, an image that a build argument without a
default leaves open, or a template placeholder (`{{ … }}`) names no image to judge.
References are normalised as `tenlayer k8s check` does (image.registry.reference), and the
registries by policy.workloads' helpers.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenlayer.dockerfile.context import Context, Hit
from tenlayer.errors import BadInput
from tenlayer.image.registry.reference import Reference, parse_reference
from tenlayer.policy.workloads import registry_allowed


def base_images(context: Context, allowed: tuple[str, ...]) -> Iterator[Hit]:
    for stage in context.stages:
        image = stage.image
        if stage.parent is not None or stage.is_scratch or not image or "{{" in image:
            continue
        reference = _reference(image)
        if reference is None:
            continue
        start = stage.start
        if reference.digest is None and reference.tag == "latest":
            implied = ":" not in image.rpartition("/")[2]
            yield context.hit(
                "build/image-latest-tag", stage, start,
                title=f"Base image {image} "
                + ("has no tag (latest is implied)" if implied else "is tagged latest"),
                evidence={"image": image},
            )
        elif reference.digest is None:
            yield context.hit("build/image-not-pinned", stage, start,
                              title=f"Base image {image} is not pinned by digest",
                              evidence={"image": image})
        repository = f"{reference.registry.lower()}/{reference.repository}"
        if allowed and not registry_allowed(repository, allowed):
            yield context.hit(
                "build/image-registry-not-allowed", stage, start,
                title=f"Base image {image} is from {reference.registry}, which is not an "
                "allowed registry",
                evidence={"image": image, "registry": reference.registry},
            )


def _reference(image: str) -> Reference | None:
    try:
        return parse_reference(image)
    except BadInput:
        return None  # BuildKit refuses it too; the build fails before any of this matters

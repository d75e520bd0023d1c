"""Image references as Docker and the distribution project spell them.

`[registry/]repository[:tag][@digest]`. The first path component names a registry only when
it looks like a host: it holds a dot or a colon (`registry.example.com`, `127.0.0.1`,
`host:5000`, `[::1]:5000`) or is `localhost`; anything else is a repository on Docker Hub,
where a single-component name lives under `library/`. Without tag or digest, `latest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenlayer.errors import BadInput
from tenlayer.image.blobs import check_digest

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_LEGACY_KEY = "https://index.docker.io/v1/"
"""The key `docker login` uses for Docker Hub in config.json."""
DEFAULT_TAG = "latest"
MAX_NAME_LENGTH = 255

_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_HOST_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_REGISTRY = re.compile(
    rf"(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*|\[[a-fA-F0-9:]+\])(?::[0-9]{{1,5}})?"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_IMAGE_ID = re.compile(r"[a-f0-9]{64}")


@dataclass(frozen=True, slots=True)
class Reference:
    registry: str
    """As the user names it (`docker.io`, `127.0.0.1:5000`); the key for credentials."""
    repository: str
    tag: str | None
    digest: str | None

    @property
    def host(self) -> str:
        """Where the registry API answers: Docker Hub's API lives on another host."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def manifest_ref(self) -> str:
        """What goes after /manifests/: the digest when there is one, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_reference(text: str) -> Reference:
    """Parse and normalize `text`; anything malformed is a one-line BadInput."""

    def bad(why: str) -> BadInput:
        return BadInput(f"{text!r}: invalid image reference: {why}")

    if not text or text != text.strip():
        raise bad("empty or surrounded by spaces")
    rest, at, digest = text.partition("@")
    if at:
        if not _DIGEST_SHAPE.fullmatch(digest):
            raise bad(f"malformed digest {digest!r} (expected sha256:<64 hex digits>)")
        algorithm = digest.partition(":")[0]
        if algorithm not in ("sha256", "sha512"):
            raise bad(f"unsupported digest algorithm {algorithm!r}")
        try:
            check_digest(digest, context=text)
        except BadInput:
            raise bad(f"malformed {algorithm} digest {digest!r}") from None
    name, tag = rest, None
    colon, slash = rest.rfind(":"), rest.rfind("/")
    if colon > slash:
        name, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise bad(f"malformed tag {tag!r}")
    if not name:
        raise bad("no repository name")
    if _IMAGE_ID.fullmatch(name):
        raise bad("a 64-digit hexadecimal string is an image ID, not a repository name")
    registry, repository = _split_registry(name)
    if registry is None:
        registry = DOCKER_HUB
    elif not _REGISTRY.fullmatch(registry):
        raise bad(f"malformed registry host {registry!r}")
    if registry == "index.docker.io":
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    for component in repository.split("/"):
        if not _PATH_COMPONENT.fullmatch(component):
            if component.lower() != component:
                raise bad("repository names must be lowercase")
            raise bad(f"malformed repository name component {component!r}")
    if len(f"{registry}/{repository}") > MAX_NAME_LENGTH:
        raise bad(f"name longer than {MAX_NAME_LENGTH} characters")
    if tag is None and not at:
        tag = DEFAULT_TAG
    return Reference(registry, repository, tag, digest if at else None)


def _split_registry(name: str) -> tuple[str | None, str]:
    first, slash, remainder = name.partition("/")
    if not slash:
        return None, name
    # An uppercase letter also marks a host (`Registry/app`): repositories are lowercase.
    if "." in first or ":" in first or first == "localhost" or first.lower() != first:
        return first, remainder
    return None, name

"""Image references normalize as Docker's do, and malformed ones get one exact line."""

from __future__ import annotations

import pytest

from tenlayer.errors import EXIT_BAD_INPUT, BadInput
from tenlayer.image.registry import Reference, parse_reference

D = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest", "host"),
    [
        ("alpine", "docker.io", "library/alpine", "latest", None, "registry-1.docker.io"),
        ("alpine:3.20", "docker.io", "library/alpine", "3.20", None, "registry-1.docker.io"),
        ("library/alpine", "docker.io", "library/alpine", "latest", None, "registry-1.docker.io"),
        ("docker.io/alpine", "docker.io", "library/alpine", "latest", None, "registry-1.docker.io"),
        ("index.docker.io/user/app:1", "docker.io", "user/app", "1", None, "registry-1.docker.io"),
        ("user/app", "docker.io", "user/app", "latest", None, "registry-1.docker.io"),
        ("localhost/app", "localhost", "app", "latest", None, "localhost"),
        ("localhost:5000/app:v1", "localhost:5000", "app", "v1", None, "localhost:5000"),
        ("127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app", "latest", None,
         "127.0.0.1:5000"),
        ("10.0.0.7/app", "10.0.0.7", "app", "latest", None, "10.0.0.7"),
        ("[::1]:5000/app", "[::1]:5000", "app", "latest", None, "[::1]:5000"),
        ("Registry.Example.com/app", "Registry.Example.com", "app", "latest", None,
         "Registry.Example.com"),
        ("quay.io/a/b/c:v1.2-rc_3", "quay.io", "a/b/c", "v1.2-rc_3", None, "quay.io"),
        (f"ghcr.io/o/app@{D}", "ghcr.io", "o/app", None, D, "ghcr.io"),
        (f"ghcr.io/o/app:v1@{D}", "ghcr.io", "o/app", "v1", D, "ghcr.io"),
        ("my-reg.local:443/a.b/c__d/e--f", "my-reg.local:443", "a.b/c__d/e--f", "latest", None,
         "my-reg.local:443"),
    ],
)
def test_normalizes_like_docker(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None, host: str
) -> None:
    reference = parse_reference(text)
    assert reference == Reference(registry, repository, tag, digest)
    assert reference.host == host


def test_string_form_and_manifest_reference() -> None:
    assert str(parse_reference("alpine")) == "docker.io/library/alpine:latest"
    assert parse_reference("alpine").manifest_ref == "latest"
    pinned = parse_reference(f"127.0.0.1:5000/app:v1@{D}")
    assert str(pinned) == f"127.0.0.1:5000/app:v1@{D}"
    assert pinned.manifest_ref == D  # the digest wins over the tag, as in docker pull
    assert pinned.name == "127.0.0.1:5000/app"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "'': invalid image reference: empty or surrounded by spaces"),
        (" app", "' app': invalid image reference: empty or surrounded by spaces"),
        ("App", "'App': invalid image reference: repository names must be lowercase"),
        ("docker.io/Team/app", "'docker.io/Team/app': invalid image reference: "
         "repository names must be lowercase"),
        ("app:", "'app:': invalid image reference: malformed tag ''"),
        ("app:-x", "'app:-x': invalid image reference: malformed tag '-x'"),
        ("app:" + "t" * 129, f"'app:{'t' * 129}': invalid image reference: "
         f"malformed tag '{'t' * 129}'"),
        ("app@sha256:1234", "'app@sha256:1234': invalid image reference: "
         "malformed digest 'sha256:1234' (expected sha256:<64 hex digits>)"),
        ("app@sha256:" + "A" * 64, f"'app@sha256:{'A' * 64}': invalid image reference: "
         f"malformed sha256 digest 'sha256:{'A' * 64}'"),
        ("app@md5:" + "0" * 32, f"'app@md5:{'0' * 32}': invalid image reference: "
         "unsupported digest algorithm 'md5'"),
        ("a" * 64, f"'{'a' * 64}': invalid image reference: a 64-digit hexadecimal string is "
         "an image ID, not a repository name"),
        (":v1", "':v1': invalid image reference: no repository name"),
        ("reg:notaport/app", "'reg:notaport/app': invalid image reference: "
         "malformed registry host 'reg:notaport'"),
        ("-reg.io/app", "'-reg.io/app': invalid image reference: "
         "malformed registry host '-reg.io'"),
        ("reg.io//app", "'reg.io//app': invalid image reference: "
         "malformed repository name component ''"),
        ("reg.io/app-", "'reg.io/app-': invalid image reference: "
         "malformed repository name component 'app-'"),
        ("reg.io/a__-b", "'reg.io/a__-b': invalid image reference: "
         "malformed repository name component 'a__-b'"),
        ("reg.io/" + "a" * 250, f"'reg.io/{'a' * 250}': invalid image reference: "
         "name longer than 255 characters"),
    ],
)
def test_malformed_references_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_reference(text)
    assert str(caught.value) == message
    assert caught.value.exit_code == EXIT_BAD_INPUT

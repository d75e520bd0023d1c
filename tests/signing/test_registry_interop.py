"""Interop with the real tools: tenlayer's signatures against skopeo's sigstore policy, and
skopeo's signatures against `tenlayer image verify`, on a real `docker-registry`.

skopeo (Debian 13's 1.18, see sigstore_skopeo.py) reads the signatures from the registry with
`use-sigstore-attachments: true` and checks them with a containers-policy `sigstoreSigned`
requirement (`keyPath`, `signedIdentity: matchRepository`, as cosign names the repository
without a tag).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.signing.sigstore_skopeo import Unavailable, sigstore_skopeo
from tests.support import registry as support

pytestmark = pytest.mark.integration

PASSWORD = "correct horse"


def need(condition: bool, message: str) -> None:
    """As the registry tests do: CI installs the tools, so there a missing one fails."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def skopeo() -> list[str]:
    try:
        return sigstore_skopeo()
    except Unavailable as error:
        need(False, str(error))
        raise


@dataclass
class World:
    registry: support.Registry
    layout: Path
    keys: Path
    """cosign.key/.pub (password PASSWORD) and other.key/.pub, made by tenlayer."""
    work: Path

    @property
    def address(self) -> str:
        return self.registry.address


def tenlayer(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenlayer", *args], capture_output=True, text=True, cwd=cwd,
        timeout=120, env={**os.environ, "COSIGN_PASSWORD": PASSWORD, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    missing = support.missing_tools()
    need(not missing, f"needs {', '.join(missing)} (apt-get install docker-registry skopeo umoci)")
    work = tmp_path_factory.mktemp("signing")
    layout = work / "oci"
    support.build_layout(layout, "one", [{"/etc/hello.txt": b"one\n"}])
    support.build_layout(layout, "two", [{"/etc/hello.txt": b"two\n"}])
    keys = work / "keys"
    keys.mkdir()
    for prefix in ("cosign", "other"):
        done = tenlayer("keys", "generate", "--output-key-prefix", prefix, cwd=keys)
        assert done.returncode == 0, done.stderr
    registry = support.start_registry(work / "registry")
    try:
        yield World(registry, layout, keys, work)
    finally:
        registry.stop()


def push(world: World, tag: str, repository: str) -> str:
    support.skopeo_copy(f"oci:{world.layout}:{tag}", f"docker://{world.address}/{repository}")
    return support.describe_layout_image(world.layout, tag).manifest_digest


def policy_copy(
    world: World, skopeo: list[str], reference: str, public_key: Path, name: str
) -> subprocess.CompletedProcess[str]:
    """`skopeo copy` from the registry, allowed only by a sigstoreSigned policy."""
    registries_d = world.work / "registries.d"
    registries_d.mkdir(exist_ok=True)
    (registries_d / "test.yaml").write_text(
        f"docker:\n  {world.address}:\n    use-sigstore-attachments: true\n"
    )
    policy = world.work / f"policy-{name}.json"
    policy.write_text(json.dumps({
        "default": [{"type": "reject"}],
        "transports": {"docker": {world.address: [{
            "type": "sigstoreSigned", "keyPath": str(public_key),
            "signedIdentity": {"type": "matchRepository"},
        }]}},
    }))
    return subprocess.run(
        [*skopeo, "copy", "--quiet", "--remove-signatures", "--policy", str(policy),
         "--registries.d", str(registries_d), "--src-tls-verify=false",
         f"docker://{reference}", f"oci:{world.work / 'copies'}:{name}"],
        capture_output=True, text=True, timeout=120,
    )


def sig_tag(digest: str) -> str:
    return "sha256-" + digest.removeprefix("sha256:") + ".sig"


def test_tenlayer_signature_passes_skopeos_policy(world: World, skopeo: list[str]) -> None:
    digest = push(world, "one", "test/app:v1")
    reference = f"{world.address}/test/app:v1"
    signed = tenlayer("image", "sign", reference, "--key", "cosign.key", "--insecure",
                      cwd=world.keys)
    assert (signed.returncode, signed.stderr) == (0, "")
    assert signed.stdout == (
        f"Signed {reference} ({digest}) with cosign.key\n"
        f"Signature stored: {world.address}/test/app:{sig_tag(digest)} (1 signatures)\n"
    )
    accepted = policy_copy(world, skopeo, reference, world.keys / "cosign.pub", "ok")
    assert (accepted.returncode, accepted.stderr) == (0, "")

    refused = policy_copy(world, skopeo, reference, world.keys / "other.pub", "other-key")
    assert refused.returncode == 1
    assert "Source image rejected: cryptographic signature verification failed" in refused.stderr

    verified = tenlayer("image", "verify", reference, "--key", "other.pub", "--key",
                        "cosign.pub", "--insecure", cwd=world.keys)
    assert (verified.returncode, verified.stderr) == (0, "")
    assert verified.stdout.splitlines()[3] == (
        f"  #1 valid: signed by cosign.pub for {world.address}/test/app (payload "
        + verified.stdout.split("(payload ")[1].split(")")[0] + ")"
    )
    assert verified.stdout.splitlines()[-2:] == [
        "Verified: 1 of 1 signatures valid", "Content: all 3 blobs match their digests"
    ]


def test_image_changed_after_signing_is_refused(world: World, skopeo: list[str]) -> None:
    first = push(world, "one", "test/moved:v1")
    reference = f"{world.address}/test/moved:v1"
    assert tenlayer("image", "sign", reference, "--key", "cosign.key", "--insecure",
                    cwd=world.keys).returncode == 0
    second = push(world, "two", "test/moved:v1")  # the tag now names another image
    refused = policy_copy(world, skopeo, reference, world.keys / "cosign.pub", "moved")
    assert refused.returncode == 1
    assert "Source image rejected: A signature was required, but no signature exists" in (
        refused.stderr
    )
    verified = tenlayer("image", "verify", reference, "--key", "cosign.pub", "--insecure",
                        cwd=world.keys)
    assert verified.returncode == 1
    assert verified.stderr == f"tenlayer: {reference}: not verified (no signatures)\n"
    assert verified.stdout.splitlines()[1:3] == [
        f"Digest: {second}",
        f"Signatures: {world.address}/test/moved:{sig_tag(second)} (not found)",
    ]

    # The old image's signatures copied beside the new image: they name the old digest.
    old = support.skopeo_inspect_raw(f"docker://{world.address}/test/moved:{sig_tag(first)}")
    support.push_manifest(world.registry.url, "test/moved", sig_tag(second), old,
                          support.OCI_MANIFEST)
    refused = policy_copy(world, skopeo, reference, world.keys / "cosign.pub", "replayed")
    assert refused.returncode == 1
    assert "Source image rejected" in refused.stderr
    verified = tenlayer("image", "verify", reference, "--key", "cosign.pub", "--insecure",
                        cwd=world.keys)
    assert verified.returncode == 1
    assert verified.stdout.splitlines()[3] == (
        f"  #1 invalid: payload signs manifest {first}, not the image's {second}"
    )
    assert verified.stderr == (
        f"tenlayer: {reference}: not verified (none of 1 signatures is valid)\n"
    )


def test_skopeo_signature_verifies_with_tenlayer(world: World, skopeo: list[str]) -> None:
    """skopeo signs with a key tenlayer generated: this also proves the key format."""
    (world.work / "passphrase").write_text(PASSWORD)
    registries_d = world.work / "registries-sign.d"
    registries_d.mkdir(exist_ok=True)
    (registries_d / "test.yaml").write_text(
        f"docker:\n  {world.address}:\n    use-sigstore-attachments: true\n"
    )
    open_policy = world.work / "open.json"
    open_policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    reference = f"{world.address}/test/by-skopeo:v1"
    done = subprocess.run(
        [*skopeo, "copy", "--quiet", "--policy", str(open_policy), "--registries.d",
         str(registries_d), "--dest-tls-verify=false",
         "--sign-by-sigstore-private-key", str(world.keys / "cosign.key"),
         "--sign-passphrase-file", str(world.work / "passphrase"),
         f"oci:{world.layout}:one", f"docker://{reference}"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    verified = tenlayer("image", "verify", reference, "--key", "cosign.pub", "--insecure",
                        "-f", "json", cwd=world.keys)
    assert (verified.returncode, verified.stderr) == (0, "")
    document = json.loads(verified.stdout)
    digest = support.describe_layout_image(world.layout, "one").manifest_digest
    assert document["digest"] == digest and document["verified"] is True
    [signature] = document["signatures"]
    assert (signature["valid"], signature["key"], signature["docker_reference"]) == (
        True, "cosign.pub", reference  # skopeo names the tag as well
    )
    wrong = tenlayer("image", "verify", reference, "--key", "other.pub", "--insecure",
                     cwd=world.keys)
    assert wrong.returncode == 1
    assert wrong.stdout.splitlines()[3] == "  #1 invalid: signature does not verify with other.pub"

    # tenlayer appends its own signature to skopeo's signature manifest, keeping skopeo's.
    more = tenlayer("image", "sign", reference, "--key", "other.key", "--insecure",
                    cwd=world.keys)
    assert more.returncode == 0, more.stderr
    assert more.stdout.endswith("(2 signatures)\n")
    both = tenlayer("image", "verify", reference, "--key", "cosign.pub", "--key", "other.pub",
                    "--insecure", "-f", "json", cwd=world.keys)
    assert [(s["valid"], s["key"]) for s in json.loads(both.stdout)["signatures"]] == [
        (True, "cosign.pub"), (True, "other.pub")
    ]
    for key in ("cosign.pub", "other.pub"):
        accepted = policy_copy(world, skopeo, reference, world.keys / key, f"both-{key}")
        assert (accepted.returncode, accepted.stderr) == (0, "")


def test_second_signature_is_appended(world: World, skopeo: list[str]) -> None:
    push(world, "two", "test/twice:v1")
    reference = f"{world.address}/test/twice:v1"
    for key, count in (("cosign.key", 1), ("other.key", 2)):
        done = tenlayer("image", "sign", reference, "--key", key, "--insecure", cwd=world.keys)
        assert done.returncode == 0, done.stderr
        assert done.stdout.endswith(f"({count} signatures)\n")
    only_other = tenlayer("image", "verify", reference, "--key", "other.pub", "--insecure",
                          cwd=world.keys)
    assert only_other.returncode == 0
    lines = only_other.stdout.splitlines()
    assert lines[3] == "  #1 invalid: signature does not verify with other.pub"
    assert lines[4].startswith(f"  #2 valid: signed by other.pub for {world.address}/test/twice")
    assert lines[5:] == ["Verified: 1 of 2 signatures valid",
                         "Content: all 3 blobs match their digests"]
    accepted = policy_copy(world, skopeo, reference, world.keys / "other.pub", "twice")
    assert (accepted.returncode, accepted.stderr) == (0, "")


def test_sign_by_digest_and_with_annotations(world: World) -> None:
    digest = push(world, "one", "test/pinned:v1")
    reference = f"{world.address}/test/pinned@{digest}"
    done = tenlayer("image", "sign", reference, "--key", "cosign.key", "-a", "build=42",
                    "--insecure", cwd=world.keys)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(support.skopeo_inspect_raw(
        f"docker://{world.address}/test/pinned:{sig_tag(digest)}"
    ))
    [layer] = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"], validate=True)
    payload = world.registry.blob_path(layer["digest"]).read_bytes()
    assert json.loads(payload) == {
        "critical": {
            "identity": {"docker-reference": f"{world.address}/test/pinned"},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": {"build": "42"},
    }


def test_unreachable_registry_and_missing_image(world: World) -> None:
    address = support.refused_address()
    done = tenlayer("image", "verify", f"{address}/test/app:v1", "--key", "cosign.pub",
                    "--insecure", cwd=world.keys)
    assert done.returncode == 3
    assert done.stderr == (
        f"tenlayer: {address}/test/app:v1: cannot connect to registry {address} "
        "(connection refused)\n"
    )
    missing = tenlayer("image", "sign", f"{world.address}/test/none:v1", "--key", "cosign.key",
                       "--insecure", cwd=world.keys)
    assert missing.returncode == 2
    assert missing.stderr == (
        f"tenlayer: {world.address}/test/none:v1: image not found (registry {world.address} "
        "has no manifest v1 in repository test/none)\n"
    )


def test_push_needs_push_rights_with_token_auth(world: World, tmp_path: Path) -> None:
    pytest.importorskip("jwt")

    def readers_pull_only(account: str | None, kind: str, name: str, actions: list[str]
                          ) -> list[str]:
        if account == "reader":
            return [a for a in actions if a == "pull"]
        return support.grant_users_everything(account, kind, name, actions)

    tokens = support.TokenServer(tmp_path / "tokens", users={"alice": "a-pw", "reader": "r-pw"},
                                 grant=readers_pull_only)
    try:
        registry = support.start_registry(tmp_path / "registry", auth=tokens.registry_auth())
        try:
            support.skopeo_copy(f"oci:{world.layout}:one",
                                f"docker://{registry.address}/test/app:v1",
                                "--dest-creds", "alice:a-pw")
            reference = f"{registry.address}/test/app:v1"
            for user, password in (("alice", "a-pw"), ("reader", "r-pw")):
                config = tmp_path / user
                config.mkdir()
                auth = base64.b64encode(f"{user}:{password}".encode()).decode()
                (config / "config.json").write_text(
                    json.dumps({"auths": {registry.address: {"auth": auth}}})
                )
            tokens.requests.clear()
            signed = tenlayer("image", "sign", reference, "--key", "cosign.key", "--insecure",
                              cwd=world.keys, env={"DOCKER_CONFIG": str(tmp_path / "alice")})
            assert signed.returncode == 0, signed.stderr
            assert {tuple(r.scopes) for r in tokens.requests} == {
                ("repository:test/app:pull,push",)
            }
            refused = tenlayer("image", "sign", reference, "--key", "other.key", "--insecure",
                               cwd=world.keys, env={"DOCKER_CONFIG": str(tmp_path / "reader")})
            assert refused.returncode == 2
            assert refused.stderr.startswith(
                f"tenlayer: {reference}: not authorized to push test/app on {registry.address}"
            )
            verified = tenlayer("image", "verify", reference, "--key", "cosign.pub",
                                "--insecure", cwd=world.keys,
                                env={"DOCKER_CONFIG": str(tmp_path / "reader")})
            assert verified.returncode == 0, verified.stderr
        finally:
            registry.stop()
    finally:
        tokens.stop()


def test_keys_generated_by_skopeo(world: World, skopeo: list[str]) -> None:
    """skopeo writes the older `ENCRYPTED COSIGN PRIVATE KEY` label: tenlayer signs with it."""
    keys = world.work / "skopeo-keys"
    keys.mkdir()
    (keys / "passphrase").write_text(PASSWORD)
    done = subprocess.run(
        [*skopeo, "generate-sigstore-key", "--output-prefix", "sk", "--passphrase-file",
         "passphrase"], cwd=keys, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (keys / "sk.private").read_text().startswith(
        "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----"
    )
    push(world, "one", "test/skopeo-key:v1")
    reference = f"{world.address}/test/skopeo-key:v1"
    signed = tenlayer("image", "sign", reference, "--key", "sk.private", "--insecure", cwd=keys)
    assert signed.returncode == 0, signed.stderr
    verified = tenlayer("image", "verify", reference, "--key", "sk.pub", "--insecure", cwd=keys)
    assert verified.returncode == 0, verified.stderr
    accepted = policy_copy(world, skopeo, reference, keys / "sk.pub", "skopeo-key")
    assert (accepted.returncode, accepted.stderr) == (0, "")


def test_verify_fetches_and_hashes_every_blob(world: World, tmp_path: Path) -> None:
    """The registry checks digests when blobs are pushed, so a tampered blob cannot be put
    there; the tampering cases are in tests/cli/test_signing_cli.py on OCI layouts. Here:
    every blob of an image and of a two-platform index is fetched and counted."""
    push(world, "one", "test/content:v1")
    reference = f"{world.address}/test/content:v1"
    assert tenlayer("image", "sign", reference, "--key", "cosign.key", "--insecure",
                    cwd=world.keys).returncode == 0
    done = tenlayer("image", "verify", reference, "--key", "cosign.pub", "--insecure",
                    cwd=world.keys)
    assert (done.returncode, done.stderr) == (0, "")
    layers = len(support.describe_layout_image(world.layout, "one").layer_digests)
    assert done.stdout.splitlines()[4:] == [
        "Verified: 1 of 1 signatures valid",
        f"Content: all {2 + layers} blobs match their digests",
    ]

    layout = tmp_path / "multi"
    support.build_layout(layout, "amd", [{"/etc/arch": b"amd64\n"}])
    support.build_layout(layout, "arm", [{"/etc/arch": b"arm64\n"}], architecture="arm64")
    index_digest = support.add_index(layout, "both", [
        ("amd", {"os": "linux", "architecture": "amd64"}),
        ("arm", {"os": "linux", "architecture": "arm64"}),
    ])
    support.skopeo_copy(f"oci:{layout}:both", f"docker://{world.address}/test/multi:v1", "--all")
    multi = f"{world.address}/test/multi:v1"
    signed = tenlayer("image", "sign", multi, "--key", "cosign.key", "--insecure",
                      cwd=world.keys)
    assert signed.stdout.startswith(f"Signed {multi} ({index_digest}) with cosign.key\n")
    done = tenlayer("image", "verify", multi, "--key", "cosign.pub", "--insecure", "-f", "json",
                    cwd=world.keys)
    assert (done.returncode, done.stderr) == (0, "")
    blobs = 1 + sum(
        2 + len(support.describe_layout_image(layout, tag).layer_digests)
        for tag in ("amd", "arm")
    )
    assert json.loads(done.stdout)["content"] == {"blobs": blobs, "valid": True, "problem": None}


def test_signing_again_with_the_same_key_adds_nothing(world: World, skopeo: list[str]) -> None:
    digest = push(world, "two", "test/again:v1")
    reference = f"{world.address}/test/again:v1"
    location = f"{world.address}/test/again:{sig_tag(digest)}"
    assert tenlayer("image", "sign", reference, "--key", "cosign.key", "--insecure",
                    cwd=world.keys).returncode == 0
    before = support.skopeo_inspect_raw(f"docker://{location}")
    again = tenlayer("image", "sign", reference, "--key", "cosign.key", "--insecure",
                     cwd=world.keys)
    assert (again.returncode, again.stderr) == (0, "")
    assert again.stdout == (
        f"{reference} ({digest}) is already signed by cosign.key; no signature added\n"
        f"Signatures: {location} (1 signatures)\n"
    )
    assert support.skopeo_inspect_raw(f"docker://{location}") == before
    # another key adds one; by digest the payload names the same repository, so a second
    # signature with that key is a duplicate too
    by_digest = f"{world.address}/test/again@{digest}"
    other = tenlayer("image", "sign", by_digest, "--key", "other.key", "--insecure",
                     cwd=world.keys)
    assert other.stdout.endswith(f"Signature stored: {location} (2 signatures)\n")
    twice = tenlayer("image", "sign", by_digest, "--key", "other.key", "--insecure",
                     cwd=world.keys)
    assert twice.stdout == (
        f"{by_digest} ({digest}) is already signed by other.key; no signature added\n"
        f"Signatures: {location} (2 signatures)\n"
    )
    accepted = policy_copy(world, skopeo, reference, world.keys / "other.pub", "again")
    assert (accepted.returncode, accepted.stderr) == (0, "")

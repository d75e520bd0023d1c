"""`tenlayer keys generate`, `image sign` and `image verify` on OCI layouts: exact output,
exit codes and one-line errors for bad keys and tampered signatures."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from tests.support.images import Layer, layout_to_archive, write_docker_archive, write_oci_layout

PASSWORD = "pw"


def run(*args: str, cwd: Path, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("COSIGN_PASSWORD", None)
    if password is not None:
        env["COSIGN_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "tenlayer", *args], capture_output=True, text=True, cwd=cwd,
        timeout=120, env=env, stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    for prefix in ("cosign", "other"):
        done = run("keys", "generate", "--output-key-prefix", prefix, cwd=directory)
        assert done.returncode == 0, done.stderr
    return directory


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "oci"
    write_oci_layout(root, [Layer().file("etc/hello", b"hi\n")], tag="v1")
    index = json.loads((root / "index.json").read_text())
    return root, index["manifests"][0]["digest"]


def sig_tag(digest: str) -> str:
    return "sha256-" + digest.removeprefix("sha256:") + ".sig"


# -- keys generate --------------------------------------------------------------------------


def test_generate_writes_cosign_key_pair(tmp_path: Path) -> None:
    done = run("keys", "generate", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Private key written to cosign.key\nPublic key written to cosign.pub\n"
    assert stat.S_IMODE((tmp_path / "cosign.key").stat().st_mode) == 0o600
    assert (tmp_path / "cosign.key").read_text().startswith(
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    )
    assert (tmp_path / "cosign.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cosign.key", "cosign.pub"]


def test_generate_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / "cosign.pub").write_text("mine")
    done = run("keys", "generate", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "tenlayer: cosign.pub: already exists; pass --force to overwrite it\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cosign.pub"]
    assert (tmp_path / "cosign.pub").read_text() == "mine"
    forced = run("keys", "generate", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "cosign.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")


def test_generate_needs_a_password_source(tmp_path: Path) -> None:
    done = run("keys", "generate", cwd=tmp_path, password=None)
    assert done.returncode == 2
    assert done.stderr == (
        "tenlayer: no password for cosign.key: set COSIGN_PASSWORD or run on a terminal\n"
    )
    assert list(tmp_path.iterdir()) == []


# -- sign and verify a layout ---------------------------------------------------------------


def test_sign_and_verify_a_layout(keys: Path, layout: tuple[Path, str]) -> None:
    root, digest = layout
    signed = run("image", "sign", f"oci:{root}:v1", "--key", "cosign.key", cwd=keys)
    assert (signed.returncode, signed.stderr) == (0, "")
    assert signed.stdout == (
        f"Signed oci:{root}:v1 ({digest}) with cosign.key\n"
        f"Signature stored: {root}:{sig_tag(digest)} (1 signatures)\n"
    )
    verified = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", cwd=keys)
    assert (verified.returncode, verified.stderr) == (0, "")
    lines = verified.stdout.splitlines()
    assert lines[:3] == [f"Image: {root}:v1", f"Digest: {digest}",
                         f"Signatures: {root}:{sig_tag(digest)}"]
    assert lines[3].startswith("  #1 valid: signed by cosign.pub for v1 (payload sha256:")
    assert lines[4:] == ["Verified: 1 of 1 signatures valid",
                         "Content: all 3 blobs match their digests"]
    wrong = run("image", "verify", f"{root}:v1", "--key", "other.pub", cwd=keys)
    assert wrong.returncode == 1
    assert wrong.stdout.splitlines()[3] == "  #1 invalid: signature does not verify with other.pub"
    assert wrong.stderr == f"tenlayer: {root}:v1: not verified (none of 1 signatures is valid)\n"
    # the layout still opens as one image for the other commands
    sbom = run("image", "sbom", str(root), "-f", "json", cwd=keys)
    assert sbom.returncode == 0, sbom.stderr


def test_unsigned_layout(keys: Path, layout: tuple[Path, str]) -> None:
    root, digest = layout
    done = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", "-f", "json", cwd=keys)
    assert done.returncode == 1
    assert json.loads(done.stdout) == {
        "image": f"{root}:v1", "digest": digest,
        "signature_manifest": f"{root}:{sig_tag(digest)}", "found": False, "verified": False,
        "signatures": [], "content": None,
    }
    assert done.stderr == f"tenlayer: {root}:v1: not verified (no signatures)\n"


def test_wrong_password(keys: Path, layout: tuple[Path, str]) -> None:
    root, _ = layout
    done = run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys, password="nope")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "tenlayer: cosign.key: wrong password (or a corrupted key: decryption failed)\n"
    )
    assert not any(p.name.endswith(".sig") for p in root.iterdir())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "cosign.pub: not a PEM file (expected a PUBLIC KEY block)"),
        (b"-----BEGIN PUBLIC KEY-----\nMFkw", "cosign.pub: truncated PEM block 'PUBLIC KEY' "
         "(no END line)"),
    ],
)
def test_bad_public_key_files(
    tmp_path: Path, layout: tuple[Path, str], content: bytes, message: str
) -> None:
    (tmp_path / "cosign.pub").write_bytes(content)
    done = run("image", "verify", f"{layout[0]}:v1", "--key", "cosign.pub", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"tenlayer: {message}\n")


def test_missing_and_rsa_keys(keys: Path, layout: tuple[Path, str], tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    missing = run("image", "verify", f"{layout[0]}:v1", "--key", str(tmp_path / "no.pub"),
                  cwd=keys)
    assert (missing.returncode, missing.stderr) == (
        2, f"tenlayer: {tmp_path / 'no.pub'}: no such public key file\n"
    )
    rsa_pub = tmp_path / "rsa.pub"
    rsa_pub.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048)
                        .public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    done = run("image", "verify", f"{layout[0]}:v1", "--key", str(rsa_pub), cwd=keys)
    assert (done.returncode, done.stderr) == (
        2, f"tenlayer: {rsa_pub}: an RSA-2048 public key; only ECDSA P-256 keys are supported\n"
    )


# -- tampered signatures in a layout --------------------------------------------------------


def signature_manifest(root: Path, digest: str) -> tuple[dict[str, object], dict[str, object]]:
    index = json.loads((root / "index.json").read_text())
    entry = next(e for e in index["manifests"]
                 if e.get("annotations", {}).get("org.opencontainers.image.ref.name")
                 == sig_tag(digest))
    blob = root / "blobs" / "sha256" / entry["digest"].removeprefix("sha256:")
    return index, json.loads(blob.read_bytes())


def store_manifest(root: Path, digest: str, manifest: dict[str, object]) -> None:
    index, _ = signature_manifest(root, digest)
    data = json.dumps(manifest).encode()
    new = "sha256:" + hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256" / new.removeprefix("sha256:")).write_bytes(data)
    for entry in index["manifests"]:  # type: ignore[attr-defined]
        if entry.get("annotations", {}).get("org.opencontainers.image.ref.name") == sig_tag(
            digest
        ):
            entry.update(digest=new, size=len(data))
    (root / "index.json").write_text(json.dumps(index))


def signed_layout(keys: Path, layout: tuple[Path, str]) -> tuple[Path, str, dict[str, object]]:
    root, digest = layout
    assert run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    return root, digest, signature_manifest(root, digest)[1]


def verify_reason(keys: Path, root: Path) -> tuple[int, str]:
    done = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", cwd=keys)
    return done.returncode, done.stdout.splitlines()[3]


def test_signature_annotation_truncated_or_not_base64(keys: Path, layout: tuple[Path, str]) -> None:
    root, digest, manifest = signed_layout(keys, layout)
    layer = manifest["layers"][0]  # type: ignore[index]
    good = layer["annotations"]["dev.cosignproject.cosign/signature"]
    for value, reason in (
        (good[:-6], "signature annotation is not valid base64"),
        (base64.b64encode(base64.b64decode(good)[:20]).decode(),
         "signature does not verify with cosign.pub"),
    ):
        layer["annotations"]["dev.cosignproject.cosign/signature"] = value
        store_manifest(root, digest, manifest)
        assert verify_reason(keys, root) == (1, f"  #1 invalid: {reason}")


def test_payload_naming_another_digest(keys: Path, layout: tuple[Path, str], tmp_path: Path
                                       ) -> None:
    root, digest = layout
    other = tmp_path / "other"
    write_oci_layout(other, [Layer().file("etc/x", b"x\n")], tag="v1")
    other_digest = json.loads((other / "index.json").read_text())["manifests"][0]["digest"]
    assert run("image", "sign", f"{other}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    _, moved = signature_manifest(other, other_digest)
    payload_digest = moved["layers"][0]["digest"]  # type: ignore[index]
    name = payload_digest.removeprefix("sha256:")
    (root / "blobs" / "sha256" / name).write_bytes(
        (other / "blobs" / "sha256" / name).read_bytes()
    )
    assert run("image", "sign", f"{root}:v1", "--key", "other.key", cwd=keys).returncode == 0
    store_manifest(root, digest, moved)
    assert verify_reason(keys, root) == (
        1, f"  #1 invalid: payload signs manifest {other_digest}, not the image's {digest}"
    )


def test_payload_blob_not_matching_its_digest(keys: Path, layout: tuple[Path, str]) -> None:
    root, _, manifest = signed_layout(keys, layout)
    payload_digest = manifest["layers"][0]["digest"]  # type: ignore[index]
    blob = root / "blobs" / "sha256" / payload_digest.removeprefix("sha256:")
    forged = blob.read_bytes().replace(b'"optional":null', b'"optional":{"a":"b"}')
    blob.write_bytes(forged)
    forged_digest = "sha256:" + hashlib.sha256(forged).hexdigest()
    size = manifest["layers"][0]["size"]  # type: ignore[index]
    assert verify_reason(keys, root) == (
        1, f"  #1 invalid: payload blob does not match its descriptor ({len(forged)} bytes "
        f"hashing to {forged_digest}; the descriptor says {size} bytes, {payload_digest})"
    )


def test_huge_payload_is_not_read(keys: Path, layout: tuple[Path, str]) -> None:
    root, digest, manifest = signed_layout(keys, layout)
    manifest["layers"][0]["size"] = 50 << 20  # type: ignore[index]
    store_manifest(root, digest, manifest)
    assert verify_reason(keys, root) == (
        1, f"  #1 invalid: payload is {50 << 20} bytes, over the {1 << 20}-byte limit"
    )


def test_corrupt_signature_manifest(keys: Path, layout: tuple[Path, str]) -> None:
    root, digest, _ = signed_layout(keys, layout)
    data = b'{"schemaVersion": 2, "layers": '
    new = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256" / new).write_bytes(data)
    index = json.loads((root / "index.json").read_text())
    for entry in index["manifests"]:
        if entry.get("annotations", {}).get("org.opencontainers.image.ref.name") == sig_tag(
            digest
        ):
            entry.update(digest=f"sha256:{new}", size=len(data))
    (root / "index.json").write_text(json.dumps(index))
    done = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", cwd=keys)
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"tenlayer: {root}:{sig_tag(digest)}: signature manifest is not valid JSON ("
    )
    assert done.stderr.count("\n") == 1


def test_bad_annotation_option_and_unknown_layout_tag(keys: Path, layout: tuple[Path, str]
                                                      ) -> None:
    root, _ = layout
    done = run("image", "sign", f"{root}:v1", "--key", "cosign.key", "-a", "novalue", cwd=keys)
    assert (done.returncode, done.stderr) == (2, "tenlayer: -a 'novalue': expected key=value\n")
    done = run("image", "verify", f"{root}:v9", "--key", "cosign.pub", cwd=keys)
    assert (done.returncode, done.stderr) == (
        2, f"tenlayer: {root}:v9: layout has no image tagged 'v9' (tags: v1)\n"
    )


def test_generate_asks_twice_on_a_terminal(tmp_path: Path) -> None:
    import pty
    import select

    from tenlayer.signing.keys import decrypt_private_key

    env = {k: v for k, v in os.environ.items() if k != "COSIGN_PASSWORD"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: tenlayer on a terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "tenlayer", "keys", "generate"], env)
    seen = b""

    def expect(text: bytes) -> None:
        nonlocal seen
        while text not in seen:
            ready, _, _ = select.select([fd], [], [], 30)
            assert ready, f"no {text!r} in {seen!r}"
            seen += os.read(fd, 1024)

    expect(b"Enter password for cosign.key: ")
    os.write(fd, b"tty secret\n")
    expect(b"Enter password again: ")
    os.write(fd, b"tty secret\n")
    expect(b"Public key written to cosign.pub")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"tty secret" not in seen  # not echoed
    key = decrypt_private_key((tmp_path / "cosign.key").read_bytes(), b"tty secret", context="k")
    assert key.curve.name == "secp256r1"


def test_identity_option(keys: Path, layout: tuple[Path, str]) -> None:
    root, _ = layout
    name = "registry.example.com/team/app"
    signed = run("image", "sign", f"{root}:v1", "--key", "cosign.key", "--identity", name,
                 cwd=keys)
    assert signed.returncode == 0, signed.stderr
    assert verify_reason(keys, root) == (
        1, f"  #1 invalid: payload names {name!r}, not repository 'v1'"
    )
    verified = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", "--identity",
                   f"{name}:any-tag", cwd=keys)
    assert verified.returncode == 0, verified.stdout


# -- the image itself: its blobs against their digests --------------------------------------


def blob_file(root: Path, digest: str) -> Path:
    return root / "blobs" / "sha256" / digest.removeprefix("sha256:")


def flip_byte(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def image_manifest(root: Path, digest: str) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(blob_file(root, digest).read_bytes()))


def test_verify_checks_the_image_blobs(keys: Path, layout: tuple[Path, str]) -> None:
    root, _ = layout
    assert run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    done = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", "-f", "json", cwd=keys)
    assert (done.returncode, done.stderr) == (0, "")
    # the manifest, the config and the one layer
    assert json.loads(done.stdout)["content"] == {"blobs": 3, "valid": True, "problem": None}
    table = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", cwd=keys)
    assert table.stdout.splitlines()[4:] == [
        "Verified: 1 of 1 signatures valid", "Content: all 3 blobs match their digests",
    ]


@pytest.mark.parametrize("which", ["layer", "config"])
def test_tampered_blob_fails_verification(
    keys: Path, layout: tuple[Path, str], which: str
) -> None:
    root, digest = layout
    assert run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    manifest = image_manifest(root, digest)
    target = manifest["layers"][0]["digest"] if which == "layer" else manifest["config"]["digest"]
    flip_byte(blob_file(root, target))
    done = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", cwd=keys)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[3].startswith("  #1 valid: signed by cosign.pub for v1")  # the signature is fine
    assert lines[4:] == [
        "Verified: 1 of 1 signatures valid",
        f"Content: image blob {target} does not match its digest",
    ]
    assert done.stderr == (
        f"tenlayer: {root}:v1: not verified (image blob {target} does not match its digest)\n"
    )
    as_json = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", "-f", "json", cwd=keys)
    assert as_json.returncode == 1
    document = json.loads(as_json.stdout)
    assert document["verified"] is False
    assert document["content"] == {
        "blobs": 1 if which == "config" else 2, "valid": False,
        "problem": f"image blob {target} does not match its digest",
    }


def test_tampered_manifest_and_missing_or_grown_blob(keys: Path, layout: tuple[Path, str]
                                                     ) -> None:
    root, digest = layout
    assert run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    layer = image_manifest(root, digest)["layers"][0]["digest"]
    original = blob_file(root, layer).read_bytes()

    blob_file(root, layer).write_bytes(original + b"\0")  # one byte more than the descriptor
    assert verify_stderr(keys, root) == (
        1, f"tenlayer: {root}:v1: not verified (image blob {layer} does not match its digest)\n"
    )
    blob_file(root, layer).unlink()
    assert verify_stderr(keys, root) == (
        1, f"tenlayer: {root}:v1: not verified (image blob {layer} is missing)\n"
    )
    blob_file(root, layer).write_bytes(original)
    assert verify_stderr(keys, root) == (0, "")

    manifest = blob_file(root, digest)
    manifest.write_bytes(manifest.read_bytes().replace(b'"schemaVersion": 2',
                                                       b'"schemaVersion":  2'))
    assert verify_stderr(keys, root) == (
        1, f"tenlayer: {root}:v1: not verified (image blob {digest} does not match its digest)\n"
    )
    # signing refuses such a layout outright
    signed = run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys)
    assert (signed.returncode, signed.stderr) == (
        2, f"tenlayer: {root}:v1: manifest blob {digest} does not match its digest\n"
    )


def verify_stderr(keys: Path, root: Path, tag: str = "v1") -> tuple[int, str]:
    done = run("image", "verify", f"{root}:{tag}", "--key", "cosign.pub", cwd=keys)
    return done.returncode, done.stderr


def test_index_children_and_their_blobs_are_checked(keys: Path, tmp_path: Path) -> None:
    root = tmp_path / "multi"
    children = []
    for architecture, content in (("amd64", b"amd\n"), ("arm64", b"arm\n")):
        built = write_oci_layout(root, [Layer().file("etc/arch", content)], tag=None,
                                 architecture=architecture)
        children.append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": built.manifest_digest,
            "size": blob_file(root, built.manifest_digest).stat().st_size,
            "platform": {"os": "linux", "architecture": architecture},
        })
    index = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": children}).encode()
    index_digest = "sha256:" + hashlib.sha256(index).hexdigest()
    blob_file(root, index_digest).write_bytes(index)
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": index_digest,
        "size": len(index), "annotations": {"org.opencontainers.image.ref.name": "v1"},
    }]}))
    assert run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    done = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", "-f", "json", cwd=keys)
    assert (done.returncode, done.stderr) == (0, "")
    # the index, and for each of the two images its manifest, config and layer
    assert json.loads(done.stdout)["content"] == {"blobs": 7, "valid": True, "problem": None}

    arm_layer = image_manifest(root, str(children[1]["digest"]))["layers"][0]["digest"]
    flip_byte(blob_file(root, arm_layer))
    assert verify_stderr(keys, root) == (
        1, f"tenlayer: {root}:v1: not verified (image blob {arm_layer} does not match its "
        "digest)\n"
    )
    flip_byte(blob_file(root, arm_layer))
    flip_byte(blob_file(root, str(children[0]["digest"])), offset=30)
    assert verify_stderr(keys, root) == (
        1, f"tenlayer: {root}:v1: not verified (image blob {children[0]['digest']} does not "
        "match its digest)\n"
    )


def test_content_is_not_checked_without_a_valid_signature(
    keys: Path, layout: tuple[Path, str]
) -> None:
    root, digest = layout
    assert run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    flip_byte(blob_file(root, image_manifest(root, digest)["layers"][0]["digest"]))
    done = run("image", "verify", f"{root}:v1", "--key", "other.pub", cwd=keys)
    assert done.returncode == 1
    assert done.stdout.splitlines()[4:] == [
        "Verified: 0 of 1 signatures valid", "Content: not checked (no valid signature)",
    ]
    assert done.stderr == f"tenlayer: {root}:v1: not verified (none of 1 signatures is valid)\n"


# -- signing twice --------------------------------------------------------------------------


def test_signing_again_with_the_same_key_adds_nothing(keys: Path, layout: tuple[Path, str]
                                                      ) -> None:
    root, digest = layout
    location = f"{root}:{sig_tag(digest)}"
    assert run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    before = signature_manifest(root, digest)[1]
    again = run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys)
    assert (again.returncode, again.stderr) == (0, "")
    assert again.stdout == (
        f"{root}:v1 ({digest}) is already signed by cosign.key; no signature added\n"
        f"Signatures: {location} (1 signatures)\n"
    )
    assert signature_manifest(root, digest)[1] == before
    # another key, or another payload (annotations), is a new signature
    other = run("image", "sign", f"{root}:v1", "--key", "other.key", cwd=keys)
    assert other.stdout.endswith(f"Signature stored: {location} (2 signatures)\n")
    annotated = run("image", "sign", f"{root}:v1", "--key", "cosign.key", "-a", "build=7",
                    cwd=keys)
    assert annotated.stdout.endswith(f"Signature stored: {location} (3 signatures)\n")
    for key in ("cosign.key", "other.key"):
        done = run("image", "sign", f"{root}:v1", "--key", key, cwd=keys)
        assert (done.returncode, done.stdout) == (
            0, f"{root}:v1 ({digest}) is already signed by {key}; no signature added\n"
            f"Signatures: {location} (3 signatures)\n"
        )
    layers = signature_manifest(root, digest)[1]["layers"]
    assert len(layers) == 3  # type: ignore[arg-type]


# -- inputs that cannot carry a signature ---------------------------------------------------


@pytest.mark.parametrize("command", ["sign", "verify"])
def test_archives_and_other_sources_are_refused_by_name(
    keys: Path, layout: tuple[Path, str], tmp_path: Path, command: str
) -> None:
    write_docker_archive(tmp_path / "x.docker.tar", [Layer().file("etc/a", b"a\n")])
    layout_to_archive(layout[0], tmp_path / "x.oci.tar")
    (tmp_path / "rootfs").mkdir()
    key = "cosign.key" if command == "sign" else "cosign.pub"
    action = "signed" if command == "sign" else "verified"
    for spec in ("x.docker.tar", "./x.docker.tar", "docker-archive:x.docker.tar",
                 "oci-archive:x.oci.tar", "x.oci.tar:v1", "oci:x.docker.tar", "rootfs:rootfs",
                 "dir:rootfs", "docker-daemon:app:1"):
        done = run("image", command, spec, "--key", str(keys / key), cwd=tmp_path)
        assert (done.returncode, done.stdout, done.stderr) == (
            2, "", f"tenlayer: {spec}: only registry references and OCI layouts can be "
            f"{action} (push the image to a registry or copy it to an OCI layout with skopeo)\n"
        ), spec
    missing = run("image", command, "gone.tar", "--key", str(keys / key), cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (
        2, "tenlayer: gone.tar: no such file or directory\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "oci", "rootfs", "x.docker.tar", "x.oci.tar"  # nothing written beside them
    ]


def test_unsupported_image_is_said_before_the_password_is_asked(keys: Path, tmp_path: Path
                                                                ) -> None:
    write_docker_archive(tmp_path / "x.docker.tar", [Layer().file("etc/a", b"a\n")])
    done = run("image", "sign", "x.docker.tar", "--key", str(keys / "cosign.key"),
               cwd=tmp_path, password=None)
    assert (done.returncode, done.stderr) == (
        2, "tenlayer: x.docker.tar: only registry references and OCI layouts can be signed "
        "(push the image to a registry or copy it to an OCI layout with skopeo)\n"
    )


def test_a_blob_that_is_not_a_file_is_bad_input(keys: Path, layout: tuple[Path, str]) -> None:
    root, digest = layout
    assert run("image", "sign", f"{root}:v1", "--key", "cosign.key", cwd=keys).returncode == 0
    blob = blob_file(root, image_manifest(root, digest)["layers"][0]["digest"])
    blob.unlink()
    blob.mkdir()
    done = run("image", "verify", f"{root}:v1", "--key", "cosign.pub", cwd=keys)
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", f"tenlayer: {blob}: not a regular file\n"
    )

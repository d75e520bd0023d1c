"""Credentials are found where docker login and podman login leave them, in their order."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

from tenlayer.image.registry.credentials import Credentials, auth_files, find_credentials

REG = "127.0.0.1:5000"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def env(home: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), "PATH": os.environ.get("PATH", ""), **extra}


def secrets(found: Credentials | None) -> tuple[str, str, str] | None:
    return None if found is None else (found.username, found.password, found.identity_token)


def test_docker_config_auth_field(tmp_path: Path) -> None:
    config = write(tmp_path / ".docker/config.json", {"auths": {REG: {"auth": b64("bob:pw:x")}}})
    lookup = find_credentials(REG, "team/app", env(tmp_path))
    assert secrets(lookup.credentials) == ("bob", "pw:x", "")  # only the first colon splits
    assert lookup.credentials is not None
    assert lookup.credentials.source == f"{config} ({REG})"
    assert lookup.warnings == []


def test_docker_config_keys_may_be_urls_and_fields_may_be_separate(tmp_path: Path) -> None:
    write(
        tmp_path / ".docker/config.json",
        {"auths": {
            "https://127.0.0.1:5000/v2/": {"username": "bob", "password": "pw"},
            "https://index.docker.io/v1/": {"auth": b64("hubuser:hubpw")},
        }},
    )
    assert secrets(find_credentials(REG, "app", env(tmp_path)).credentials) == ("bob", "pw", "")
    hub = find_credentials("docker.io", "library/alpine", env(tmp_path))
    assert secrets(hub.credentials) == ("hubuser", "hubpw", "")
    assert find_credentials("other.example", "app", env(tmp_path)).credentials is None


def test_docker_config_env_var(tmp_path: Path) -> None:
    write(tmp_path / ".docker/config.json", {"auths": {REG: {"auth": b64("home:pw")}}})
    write(tmp_path / "elsewhere/config.json", {"auths": {REG: {"auth": b64("env:pw")}}})
    lookup = find_credentials(REG, "app", env(tmp_path, DOCKER_CONFIG=str(tmp_path / "elsewhere")))
    assert secrets(lookup.credentials) == ("env", "pw", "")


def test_auth_json_locations_and_order(tmp_path: Path) -> None:
    runtime, config_home = tmp_path / "run", tmp_path / "cfg"
    write(tmp_path / ".docker/config.json", {"auths": {REG: {"auth": b64("docker:pw")}}})
    environ = env(tmp_path)
    assert secrets(find_credentials(REG, "app", environ).credentials) == ("docker", "pw", "")
    write(tmp_path / ".config/containers/auth.json", {"auths": {REG: {"auth": b64("cfg:pw")}}})
    assert secrets(find_credentials(REG, "app", environ).credentials) == ("cfg", "pw", "")
    write(config_home / "containers/auth.json", {"auths": {REG: {"auth": b64("xdg:pw")}}})
    environ = env(tmp_path, XDG_CONFIG_HOME=str(config_home))
    assert secrets(find_credentials(REG, "app", environ).credentials) == ("xdg", "pw", "")
    write(runtime / "containers/auth.json", {"auths": {REG: {"auth": b64("run:pw")}}})
    environ["XDG_RUNTIME_DIR"] = str(runtime)
    assert secrets(find_credentials(REG, "app", environ).credentials) == ("run", "pw", "")
    override = write(tmp_path / "mine.json", {"auths": {REG: {"auth": b64("override:pw")}}})
    environ["REGISTRY_AUTH_FILE"] = str(override)
    assert secrets(find_credentials(REG, "app", environ).credentials) == ("override", "pw", "")
    assert auth_files(environ) == [
        override,
        config_home / "containers/auth.json",
        tmp_path / ".docker/config.json",
        tmp_path / ".dockercfg",
    ]


def test_auth_json_namespaces_most_specific_first(tmp_path: Path) -> None:
    write(
        tmp_path / "auth.json",
        {"auths": {
            REG: {"auth": b64("registry-wide:pw")},
            f"{REG}/team": {"auth": b64("team:pw")},
            f"{REG}/team/app": {"auth": b64("app:pw")},
            f"{REG}/other": {"auth": b64("other:pw")},
        }},
    )
    environ = env(tmp_path, REGISTRY_AUTH_FILE=str(tmp_path / "auth.json"))
    assert secrets(find_credentials(REG, "team/app", environ).credentials) == ("app", "pw", "")
    assert secrets(find_credentials(REG, "team/db", environ).credentials) == ("team", "pw", "")
    assert secrets(find_credentials(REG, "tea", environ).credentials) == (
        "registry-wide", "pw", "",
    )


def test_a_file_without_an_entry_passes_to_the_next(tmp_path: Path) -> None:
    write(tmp_path / "auth.json", {"auths": {"quay.io": {"auth": b64("q:pw")}}})
    write(tmp_path / ".docker/config.json", {"auths": {REG: {"auth": b64("docker:pw")}}})
    environ = env(tmp_path, REGISTRY_AUTH_FILE=str(tmp_path / "auth.json"))
    lookup = find_credentials(REG, "app", environ)
    assert secrets(lookup.credentials) == ("docker", "pw", "")
    assert lookup.searched == [str(tmp_path / "auth.json"), str(tmp_path / ".docker/config.json")]


def test_legacy_dockercfg(tmp_path: Path) -> None:
    write(tmp_path / ".dockercfg", {f"https://{REG}": {"auth": b64("old:pw"), "email": "x"}})
    assert secrets(find_credentials(REG, "app", env(tmp_path)).credentials) == ("old", "pw", "")


def test_identity_token(tmp_path: Path) -> None:
    write(
        tmp_path / ".docker/config.json",
        {"auths": {REG: {"auth": b64("bob:"), "identitytoken": "refresh-123"}}},
    )
    assert secrets(find_credentials(REG, "app", env(tmp_path)).credentials) == (
        "bob", "", "refresh-123",
    )


def helper(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / f"docker-credential-{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nserver=$(cat)\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


HELPER = """case "$server" in
  127.0.0.1:5000) echo '{"ServerURL":"127.0.0.1:5000","Username":"helped","Secret":"hpw"}' ;;
  token.example) echo '{"ServerURL":"token.example","Username":"<token>","Secret":"rt-1"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"hub","Username":"hubhelped","Secret":"x"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"""


def test_credential_helpers(tmp_path: Path) -> None:
    helper(tmp_path / "bin", "tltest", HELPER)
    write(
        tmp_path / ".docker/config.json",
        {
            "credHelpers": {REG: "tltest", "token.example": "tltest", "docker.io": "tltest"},
            "auths": {REG: {"auth": b64("file:pw")}, "elsewhere.example": {"auth": b64("e:p")}},
            "credsStore": "tltest",
        },
    )
    environ = env(tmp_path, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    lookup = find_credentials(REG, "app", environ)
    assert secrets(lookup.credentials) == ("helped", "hpw", "")
    assert lookup.credentials is not None
    assert lookup.credentials.source == "docker-credential-tltest"
    token = find_credentials("token.example", "app", environ).credentials
    assert secrets(token) == ("", "", "rt-1")
    assert secrets(find_credentials("docker.io", "library/x", environ).credentials) == (
        "hubhelped", "x", "",
    )
    # The store knows nothing of this one: its auths entry is used, and nothing is warned.
    other = find_credentials("elsewhere.example", "app", environ)
    assert secrets(other.credentials) == ("e", "p", "")
    assert other.warnings == []


def test_missing_helper_warns_and_falls_back(tmp_path: Path) -> None:
    config = write(
        tmp_path / ".docker/config.json",
        {"credsStore": "nosuchhelper", "auths": {REG: {"auth": b64("file:pw")}}},
    )
    lookup = find_credentials(REG, "app", env(tmp_path, PATH=str(tmp_path / "empty")))
    assert secrets(lookup.credentials) == ("file", "pw", "")
    assert lookup.warnings == [
        f"{config}: credential helper docker-credential-nosuchhelper is not on PATH; "
        f"trying the file's other entries for {REG}"
    ]


def test_failing_helper_warns_without_leaking(tmp_path: Path) -> None:
    helper(tmp_path / "bin", "broken", "echo 'keychain locked' >&2\nexit 4\n")
    write(tmp_path / ".docker/config.json", {"credHelpers": {REG: "broken"}})
    path = f"{tmp_path / 'bin'}:{os.environ['PATH']}"
    lookup = find_credentials(REG, "app", env(tmp_path, PATH=path))
    assert lookup.credentials is None
    assert lookup.warnings == ["docker-credential-broken get failed (exit 4: keychain locked)"]


def test_damaged_files_warn_and_are_skipped(tmp_path: Path) -> None:
    auth = write(tmp_path / "auth.json", "{not json")
    config = write(tmp_path / ".docker/config.json", {"auths": {REG: {"auth": "%%%"}}})
    lookup = find_credentials(REG, "app", env(tmp_path, REGISTRY_AUTH_FILE=str(auth)))
    assert lookup.credentials is None
    assert lookup.warnings == [
        f"{auth}: malformed JSON; ignoring it",
        f"{config} ({REG}): 'auth' is not base64 of user:password; ignoring it",
    ]
    assert lookup.describe() == f"no credentials found in {auth}, {config}"


def test_placeholders_and_nothing_at_all(tmp_path: Path) -> None:
    write(tmp_path / ".docker/config.json", {"auths": {REG: {}}})
    lookup = find_credentials(REG, "app", env(tmp_path))
    assert lookup.credentials is None
    empty = find_credentials(REG, "app", env(tmp_path / "nowhere"))
    assert empty.describe() == (
        "no credentials found (no docker config.json or containers auth.json)"
    )


def test_secrets_stay_out_of_repr_and_messages(tmp_path: Path) -> None:
    write(tmp_path / ".docker/config.json", {"auths": {REG: {"auth": b64("bob:hunter2")}}})
    lookup = find_credentials(REG, "app", env(tmp_path))
    assert "hunter2" not in repr(lookup.credentials)
    assert "hunter2" not in repr(lookup)
    assert "hunter2" not in lookup.describe()
    assert lookup.describe() == f"credentials from {tmp_path / '.docker/config.json'} ({REG})"

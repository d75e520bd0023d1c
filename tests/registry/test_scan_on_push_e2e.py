"""Scan on push and the project-rules gate, end to end with real components on 127.0.0.1:

- `docker-registry` with token auth from `tenlayer registry serve`, and
  `notifications.endpoints` pointing at its `/events` (a shared secret in both);
- `tenlayer registry front --config` (nginx + the project-rules gate) before the registry;
- a vulnerability database built by `tenlayer db update` from hand-written OSV records;
- skopeo pushing and pulling through the front as a developer and as the scanner robot.

A vulnerable image pushed is scanned and refused on pull with its reason; the fixed image
pushed under the same tag is allowed; after a new advisory and `tenlayer registry rescan`
it is refused again. Every server is started here and stopped by its PID.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tenlayer.registry.front.nginx import find_nginx
from tenlayer.registry.keys import write_key
from tenlayer.registry.store import Store, StoredImage
from tests.support import registry as support
from tests.vulndb.store.osvdata import record, write_json

pytestmark = pytest.mark.integration

SERVICE, ISSUER = "tenlayer-scan-e2e", "tenlayer-scan-e2e-issuer"
PASSWORD = "correct horse"
EVENTS_SECRET = "events-shared-secret-0123456789"
METADATA = "/usr/lib/python3/dist-packages/xz_utils-{v}.dist-info/METADATA"


def need(condition: bool, message: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def tenlayer(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tenlayer", *args], capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env={**os.environ, "TENLAYER_CACHE_DIR": "/nonexistent-cache",
                               "COSIGN_PASSWORD": "cosign-password", **env})


def advisory(ident: str, fixed: str, severity: str, published: str) -> dict[str, object]:
    return record(ident, name="xz-utils", fixed=fixed, aliases=[], published=published,
                  database_specific={"severity": severity})


def xz_image(layout: Path, version: str) -> None:
    support.build_layout(layout, "1", [{
        METADATA.format(v=version): f"Metadata-Version: 2.1\nName: xz-utils\n"
                                    f"Version: {version}\n".encode(),
        "/etc/os-release": b"ID=debian\nVERSION_ID=12\n",
    }])


class Process:
    def __init__(self, command: list[str], log: Path) -> None:
        self.log = log
        with log.open("wb") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)

    def wait_for(self, url: str) -> None:
        """Until `url` answers below 500 (the front's nginx answers 500 until its decision
        endpoint listens: it refuses rather than lets through)."""
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(url, timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class World:
    work: Path
    config: Path
    store: Store
    front: str
    registry: support.Registry
    scanner_secret: str
    osv: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    missing = support.missing_tools()
    need(not missing, f"needs {', '.join(missing)} (apt-get install docker-registry skopeo umoci)")
    need(find_nginx() is not None, "needs nginx with auth_request (Debian: nginx-light)")
    work = tmp_path_factory.mktemp("scan-on-push")
    osv = work / "osv"
    write_json(osv / "PyPI" / "CVE-2024-3094.json",
               advisory("CVE-2024-3094", "5.6.2", "CRITICAL", "2024-03-29T00:00:00Z"))
    done = tenlayer("db", "update", "--source", str(osv / "PyPI"), "--db",
                    str(work / "vulndb.sqlite"))
    assert done.returncode == 0, done.stderr
    xz_image(work / "vulnerable", "5.6.0")
    xz_image(work / "fixed", "5.6.2")
    xz_image(work / "clean", "9.9.9")
    write_key(work / "keys", ISSUER)
    (work / "events.secret").write_text(EVENTS_SECRET + "\n")
    service_port, front_port = support.free_port(), support.free_port()
    store = Store(f"sqlite:///{work / 'tenlayer-registry.db'}")
    from tenlayer.registry.access import Role
    from tenlayer.registry.store import ProjectSettings

    store.add_user("alice", PASSWORD)
    store.add_project("quarantine", settings=ProjectSettings(severity_threshold="high"))
    store.add_member("quarantine", "user", "alice", Role.DEVELOPER)
    store.add_user("maria", PASSWORD)
    store.add_member("quarantine", "user", "maria", Role.MAINTAINER)
    store.add_user("outsider", PASSWORD)
    store.add_user("gus", PASSWORD)
    store.add_member("quarantine", "user", "gus", Role.GUEST)
    store.add_project("frozen", settings=ProjectSettings(immutable_tags=("v*",)))
    store.add_member("frozen", "user", "alice", Role.DEVELOPER)
    store.add_member("frozen", "user", "maria", Role.MAINTAINER)
    for name in ("trusted", "untrusted"):
        done = tenlayer("keys", "generate", "--output-key-prefix", str(work / name))
        assert done.returncode == 0, done.stderr
    store.add_project("signed", settings=ProjectSettings(
        require_signatures=True, trusted_keys=((work / "trusted.pub").read_text(),)))
    store.add_member("signed", "user", "alice", Role.DEVELOPER)
    robot = store.add_robot("scanner", {p: ["pull"] for p in ("quarantine", "frozen", "signed")},
                            expires_at=None)
    (work / "scanner.secret").write_text(robot.secret)
    processes: list[Process] = []
    registry = support.start_registry(
        work / "registry",
        auth={"token": {"realm": f"http://127.0.0.1:{service_port}/token", "service": SERVICE,
                        "issuer": ISSUER, "rootcertbundle": str(work / "keys" / "token.crt")}},
        extra={"notifications": {"endpoints": [{
            "name": "tenlayer", "url": f"http://127.0.0.1:{service_port}/events",
            "headers": {"Authorization": [f"Bearer {EVENTS_SECRET}"]},
            "timeout": "2s", "threshold": 3, "backoff": "1s",
        }]}},
    )
    try:
        config = work / "tenlayer-registry.yml"
        config.write_text(json.dumps({
            "listen": f"127.0.0.1:{service_port}", "issuer": ISSUER, "service": SERVICE,
            "keys": [{"certificate": "keys/token.crt", "key": "keys/token.key"}],
            "upstream": registry.url, "events": {"secret_file": "events.secret"},
            "scanner": {"account": "robot$scanner", "secret_file": "scanner.secret"},
            "vulndb": "vulndb.sqlite", "front": {"listen": f"127.0.0.1:{front_port}"},
            "throttle": {"free": 1000, "base": 1, "cap": 1},
        }))
        serve = Process([sys.executable, "-m", "tenlayer", "registry", "serve", "--config",
                         str(config)], work / "serve.log")
        processes.append(serve)
        serve.wait_for(f"http://127.0.0.1:{service_port}/health")
        front = Process([sys.executable, "-m", "tenlayer", "registry", "front", "--config",
                         str(config), "--prefix", str(work / "nginx")], work / "front.log")
        processes.append(front)
        front.wait_for(f"http://127.0.0.1:{front_port}/v2/")
        yield World(work, config, store, f"127.0.0.1:{front_port}", registry, robot.secret,
                    osv)
    finally:
        for process in reversed(processes):
            process.stop()
        registry.stop()
        store.close()


def skopeo(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    home = world.work / "home"
    home.mkdir(exist_ok=True)
    policy = home / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_RUNTIME_DIR": str(home),
           "REGISTRY_AUTH_FILE": str(home / "auth.json")}
    return subprocess.run(["skopeo", "--policy", str(policy), *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def push(world: World, layout: str, target: str = "quarantine/app:1") -> None:
    done = push_to(world, layout, target)
    assert done.returncode == 0, done.stderr


def push_to(world: World, layout: str, target: str) -> subprocess.CompletedProcess[str]:
    return skopeo(world, "copy", "--dest-tls-verify=false", "--dest-creds", f"alice:{PASSWORD}",
                  f"oci:{world.work / layout}:1", f"docker://{world.front}/{target}")


def pull(world: World, creds: str) -> subprocess.CompletedProcess[str]:
    target = world.work / f"pulled-{time.monotonic_ns()}"
    return skopeo(world, "copy", "--src-tls-verify=false", "--src-creds", creds,
                  f"docker://{world.front}/quarantine/app:1", f"dir:{target}")


def scanned(world: World, digest: str) -> StoredImage:
    return scanned_in(world, "quarantine/app", digest)


def scanned_in(world: World, repository: str, digest: str) -> StoredImage:
    deadline = time.monotonic() + 60
    while True:
        image = world.store.image(repository, digest)
        if image is not None and image.status != "pending" and image.digest == digest:
            return image
        assert time.monotonic() < deadline, (world.work / "serve.log").read_text()[-3000:]
        time.sleep(0.1)


def digest_of(world: World, layout: str) -> str:
    index = json.loads((world.work / layout / "index.json").read_text())
    return str(index["manifests"][0]["digest"])


def test_vulnerable_refused_fixed_allowed_rescan_refuses(world: World) -> None:
    reason = ("quarantine/app:1: critical CVE-2024-3094 (xz-utils) at or above the project's "
              "threshold high")
    # before any push the registry has no such tag: its own answer, not the gate's
    unknown = pull(world, f"alice:{PASSWORD}")
    assert unknown.returncode != 0
    assert "manifest unknown" in unknown.stderr and "not yet scanned" not in unknown.stderr
    push(world, "vulnerable")
    vulnerable = digest_of(world, "vulnerable")
    image = scanned(world, vulnerable)
    assert (image.status, image.tag, image.grade, image.worst_severity) == (
        "scanned", "1", "F", "critical")
    assert [(f.id, f.package, f.version, f.fixed_version) for f in image.findings] == [
        ("CVE-2024-3094", "xz-utils", "5.6.0", "5.6.2")]
    refused = pull(world, f"alice:{PASSWORD}")
    assert refused.returncode != 0
    assert reason in refused.stderr
    # the scanner's robot may still pull
    assert pull(world, f"robot$scanner:{world.scanner_secret}").returncode == 0

    push(world, "fixed")
    fixed = digest_of(world, "fixed")
    image = scanned(world, fixed)
    assert (image.status, image.grade, image.worst_severity, image.findings) == (
        "scanned", "A", None, ())
    allowed = pull(world, f"alice:{PASSWORD}")
    assert allowed.returncode == 0, allowed.stderr

    # a newly published advisory reaches the gate after `db update` and `rescan`
    write_json(world.osv / "PyPI" / "CVE-2026-9999.json",
               advisory("CVE-2026-9999", "5.8.0", "HIGH", "2020-01-01T00:00:00Z"))
    done = tenlayer("db", "update", "--source", str(world.osv / "PyPI"), "--db",
                    str(world.work / "vulndb.sqlite"))
    assert done.returncode == 0, done.stderr
    done = tenlayer("registry", "rescan", "--config", str(world.config))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == sorted([
        f"quarantine/app@{vulnerable}: grade F, worst severity critical, 2 vulnerabilities",
        f"quarantine/app@{fixed}: grade F, worst severity high, 1 vulnerabilities",
    ])
    refused = pull(world, f"alice:{PASSWORD}")
    assert refused.returncode != 0
    assert ("quarantine/app:1: high CVE-2026-9999 (xz-utils) at or above the project's "
            "threshold high") in refused.stderr

    audited(world, ("alice", "push", "1", True, f"pushed quarantine/app@{vulnerable}"),
            ("robot$scanner", "scan", vulnerable, True,
             "grade F, worst severity critical, 1 vulnerabilities"),
            ("alice", "pull", "1", False, reason),
            ("robot$scanner", "pull", "1", True, f"pulled quarantine/app@{vulnerable}"),
            ("alice", "pull", "1", True, f"pulled quarantine/app@{fixed}"))
    # who, and from where: the token service's and distribution's records carry the client
    entries = world.store.audit_log(limit=100_000)
    clients = {e.client.partition(":")[0] for e in entries
               if e.action in ("token", "push", "pull")}
    assert clients == {"127.0.0.1"}


def delete(world: World, creds: str, target: str) -> subprocess.CompletedProcess[str]:
    return skopeo(world, "delete", "--tls-verify=false", "--creds", creds,
                  f"docker://{world.front}/{target}")


def forgotten(world: World, repository: str, digest: str) -> None:
    deadline = time.monotonic() + 30
    while world.store.image(repository, digest) is not None:
        assert time.monotonic() < deadline, "no delete notification"
        time.sleep(0.1)


def test_a_maintainer_deletes_a_refused_image(world: World) -> None:
    push(world, "vulnerable", "quarantine/doomed:1")
    digest = digest_of(world, "vulnerable")
    assert scanned_in(world, "quarantine/doomed", digest).tags == ("1",)
    reason = ("quarantine/doomed:1: critical CVE-2024-3094 (xz-utils) at or above the "
              "project's threshold high")
    refused = skopeo(world, "copy", "--src-tls-verify=false", "--src-creds",
                     f"maria:{PASSWORD}", f"docker://{world.front}/quarantine/doomed:1",
                     f"dir:{world.work / 'doomed'}")
    assert refused.returncode != 0
    assert reason in refused.stderr
    # a developer may not delete: distribution refuses (the token grants no delete)
    done = delete(world, f"alice:{PASSWORD}", "quarantine/doomed:1")
    assert done.returncode != 0
    assert world.store.image("quarantine/doomed", digest) is not None
    done = delete(world, f"maria:{PASSWORD}", "quarantine/doomed:1")
    assert done.returncode == 0, done.stderr
    forgotten(world, "quarantine/doomed", digest)
    assert world.store.tag_digest("quarantine/doomed", "1") is None
    audited(world,
            ("maria", "pull", "1", False, reason),
            ("maria", "pull", "1", True, f"{reason}; let through: maria may delete "
             "quarantine/doomed (a delete reads the manifest first)"),
            ("maria", "delete", digest, True, f"deleted quarantine/doomed@{digest}"),
            ("maria", "delete", "1", True, "deleted tag 1"))
    listed = tenlayer("registry", "images", "--config", str(world.config))
    assert "quarantine/doomed" not in listed.stdout


def test_a_deleted_immutable_tag_can_be_pushed_again(world: World) -> None:
    push(world, "vulnerable", "frozen/gone:v1")
    digest = digest_of(world, "vulnerable")
    scanned_in(world, "frozen/gone", digest)
    assert push_to(world, "fixed", "frozen/gone:v1").returncode != 0
    done = delete(world, f"maria:{PASSWORD}", "frozen/gone:v1")
    assert done.returncode == 0, done.stderr
    forgotten(world, "frozen/gone", digest)
    push(world, "fixed", "frozen/gone:v1")
    deadline = time.monotonic() + 30
    while world.store.tag_digest("frozen/gone", "v1") != digest_of(world, "fixed"):
        assert time.monotonic() < deadline, "no push notification for frozen/gone:v1"
        time.sleep(0.1)


def test_tags_of_one_digest_are_all_listed(world: World) -> None:
    push(world, "fixed", "frozen/many:a")
    push(world, "fixed", "frozen/many:b")
    digest = digest_of(world, "fixed")
    deadline = time.monotonic() + 30
    while (image := scanned_in(world, "frozen/many", digest)).tags != ("a", "b"):
        assert time.monotonic() < deadline, image
        time.sleep(0.1)
    listed = tenlayer("registry", "images", "--config", str(world.config))
    assert f"frozen/many@{digest} tags=a,b scanned grade=" in listed.stdout


def multi_platform_layout(world: World, out: Path, platforms: dict[str, str]) -> list[str]:
    """An OCI layout whose tag `1` is an index of the single-image layouts `platforms`
    (architecture -> layout name); the platform manifests' digests, in that order."""
    import hashlib
    import shutil

    out.mkdir()
    (out / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    entries = []
    for architecture, name in platforms.items():
        shutil.copytree(world.work / name / "blobs", out / "blobs", dirs_exist_ok=True)
        descriptor = json.loads((world.work / name / "index.json").read_text())["manifests"][0]
        descriptor.pop("annotations", None)
        entries.append({**descriptor, "platform": {"os": "linux", "architecture": architecture}})
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": entries}).encode()
    digest = hashlib.sha256(index).hexdigest()
    (out / "blobs" / "sha256" / digest).write_bytes(index)
    (out / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": f"sha256:{digest}",
        "size": len(index), "annotations": {"org.opencontainers.image.ref.name": "1"}}]}))
    return [str(entry["digest"]) for entry in entries]


def test_every_platform_of_an_index_is_scanned_and_judged_as_one(world: World) -> None:
    amd64, arm64 = multi_platform_layout(world, world.work / "multi",
                                         {"amd64": "fixed", "arm64": "vulnerable"})
    done = skopeo(world, "copy", "--all", "--dest-tls-verify=false", "--dest-creds",
                  f"alice:{PASSWORD}", f"oci:{world.work / 'multi'}:1",
                  f"docker://{world.front}/quarantine/multi:1")
    assert done.returncode == 0, done.stderr
    index = digest_of(world, "multi")
    image = scanned_in(world, "quarantine/multi", index)
    assert (image.status, image.manifests) == ("scanned", (index, amd64, arm64))
    assert ("CVE-2024-3094", "5.6.0") in {(f.id, f.version) for f in image.findings}
    assert (image.grade, image.worst_severity) == ("F", "critical")
    # the tag is judged on every platform; each platform manifest, pushed (and notified)
    # on its own, on its own scan: the arm64 one is vulnerable
    refused = pull_from(world, "quarantine/multi:1")
    assert refused.returncode != 0
    assert ("quarantine/multi:1: critical CVE-2024-3094 (xz-utils, linux/arm64) at or above "
            "the project's threshold high") in refused.stderr
    refused = pull_from(world, f"quarantine/multi@{arm64}")
    assert refused.returncode != 0
    assert (f"quarantine/multi@{arm64}: critical CVE-2024-3094 (xz-utils) at or above the "
            "project's threshold high") in refused.stderr
    own = scanned_in(world, "quarantine/multi", amd64)
    assert own.manifests == (amd64,)
    assert "CVE-2024-3094" not in {f.id for f in own.findings}


def test_rescan_discovers_images_pushed_before_tenlayer_watched(world: World) -> None:
    push(world, "clean", "quarantine/old:1")
    digest = digest_of(world, "clean")
    scanned_in(world, "quarantine/old", digest)
    # as if pushed before tenlayer received the registry's notifications
    assert world.store.record_delete("quarantine/old", digest=digest, tag=None)
    refused = pull_from(world, "quarantine/old:1")
    assert refused.returncode != 0
    assert "quarantine/old:1: not yet scanned" in refused.stderr
    done = tenlayer("registry", "rescan", "--discover", "--config", str(world.config))
    assert done.returncode == 0, done.stderr
    assert "not known before" in done.stderr and ", 1 not known before" in done.stderr
    assert (f"quarantine/old@{digest}: grade A, worst severity none, 0 vulnerabilities"
            in done.stdout.splitlines())
    allowed = pull_from(world, "quarantine/old:1")
    assert allowed.returncode == 0, allowed.stderr
    audited(world, ("robot$scanner", "discover", "1", True,
                    f"found quarantine/old:1 at {digest} in the registry"))
    again = tenlayer("registry", "rescan", "--discover", "--config", str(world.config))
    assert ", 0 not known before" in again.stderr


def test_refusals_by_role_say_why_and_tell_outsiders_nothing(world: World) -> None:
    push(world, "vulnerable", "quarantine/secret:1")
    digest = digest_of(world, "vulnerable")
    scanned_in(world, "quarantine/secret", digest)
    for command in (["inspect", "--tls-verify=false", "--creds", f"outsider:{PASSWORD}",
                     f"docker://{world.front}/quarantine/secret:1"],
                    ["copy", "--src-tls-verify=false", "--src-creds", f"outsider:{PASSWORD}",
                     f"docker://{world.front}/quarantine/secret@{digest}",
                     f"dir:{world.work / 'outsider'}"]):
        refused = skopeo(world, *command)
        assert refused.returncode != 0
        assert ("outsider may not pull quarantine/secret: no role in project quarantine"
                in refused.stderr), refused.stderr
        assert "CVE" not in refused.stderr and "scan" not in refused.stderr
    # the same words for a project that does not exist
    refused = skopeo(world, "inspect", "--tls-verify=false", "--creds", f"outsider:{PASSWORD}",
                     f"docker://{world.front}/nowhere/app:1")
    assert "outsider may not pull nowhere/app: no role in project nowhere" in refused.stderr
    # a push's first request is a HEAD (does the blob exist?): no body, so the reason
    # travels in the challenge's error_description
    refused = skopeo(world, "copy", "--dest-tls-verify=false", "--dest-creds",
                     f"outsider:{PASSWORD}", f"oci:{world.work / 'clean'}:1",
                     f"docker://{world.front}/quarantine/secret:3")
    assert refused.returncode != 0
    assert ("outsider may not pull quarantine/secret: no role in project quarantine"
            in refused.stderr), refused.stderr
    refused = skopeo(world, "copy", "--dest-tls-verify=false", "--dest-creds", f"gus:{PASSWORD}",
                     f"oci:{world.work / 'clean'}:1",
                     f"docker://{world.front}/quarantine/secret:2")
    assert refused.returncode != 0
    assert ("gus may not push quarantine/secret: guest in project quarantine may pull"
            in refused.stderr), refused.stderr
    # a developer deleting a refused image learns of the role, not of the image's CVE
    refused = delete(world, f"alice:{PASSWORD}", "quarantine/secret:1")
    assert refused.returncode != 0
    assert ("alice may not delete quarantine/secret: developer in project quarantine may "
            "pull, push") in refused.stderr, refused.stderr
    assert "CVE" not in refused.stderr
    push(world, "clean", "quarantine/secret:clean")
    scanned_in(world, "quarantine/secret", digest_of(world, "clean"))
    refused = delete(world, f"alice:{PASSWORD}", "quarantine/secret:clean")
    assert refused.returncode != 0
    assert ("alice may not delete quarantine/secret: developer in project quarantine may "
            "pull, push") in refused.stderr, refused.stderr
    audited(world,
            ("alice", "delete", "", False,
             "alice may not delete quarantine/secret: developer in project quarantine may "
             "pull, push"),
            ("outsider", "pull", "", False,
             "outsider may not pull quarantine/secret: no role in project quarantine"),
            ("gus", "push", "", False,
             "gus may not push quarantine/secret: guest in project quarantine may pull"))


def pull_from(world: World, target: str) -> subprocess.CompletedProcess[str]:
    return skopeo(world, "copy", "--src-tls-verify=false", "--src-creds", f"alice:{PASSWORD}",
                  f"docker://{world.front}/{target}",
                  f"dir:{world.work / f'pulled-{time.monotonic_ns()}'}")


def audited(world: World, *expected: tuple[str, str, str, bool, str]) -> None:
    """Wait until the audit table holds every expected (identity, action, reference,
    allowed, reason): the front and the token service write it in batches."""
    deadline = time.monotonic() + 10
    while True:
        entries = [(e.identity, e.action, e.reference, e.allowed, e.reason)
                   for e in world.store.audit_log(limit=100_000)]
        missing = [entry for entry in expected if entry not in entries]
        if not missing:
            return
        assert time.monotonic() < deadline, (missing, entries[-20:])
        time.sleep(0.1)


def test_immutable_tag_not_overwritten(world: World) -> None:
    push(world, "vulnerable", "frozen/app:v1")
    deadline = time.monotonic() + 30
    while world.store.tag_digest("frozen/app", "v1") is None:
        assert time.monotonic() < deadline, "no push notification for frozen/app:v1"
        time.sleep(0.1)
    refused = push_to(world, "fixed", "frozen/app:v1")
    assert refused.returncode != 0
    assert ("frozen/app:v1: tag v1 is immutable in project frozen (pattern v*); push a new "
            "tag") in refused.stderr
    assert world.store.tag_digest("frozen/app", "v1") == digest_of(world, "vulnerable")
    push(world, "fixed", "frozen/app:v2")
    push(world, "vulnerable", "frozen/app:latest")
    push(world, "fixed", "frozen/app:latest")  # not immutable: overwritten
    audited(world, ("alice", "push", "v1", False, "frozen/app:v1: tag v1 is immutable in "
                    "project frozen (pattern v*); push a new tag"))


def test_signatures_by_a_trusted_key(world: World) -> None:
    push(world, "fixed", "signed/app:1")
    image = scanned_in(world, "signed/app", digest_of(world, "fixed"))
    assert image.status == "scanned"

    def pulled() -> subprocess.CompletedProcess[str]:
        return skopeo(world, "copy", "--src-tls-verify=false", "--src-creds",
                      f"alice:{PASSWORD}", f"docker://{world.front}/signed/app:1",
                      f"dir:{world.work / f'signed-{time.monotonic_ns()}'}")

    refused = pulled()
    assert refused.returncode != 0
    assert ("signed/app:1: no valid signature by a trusted key (the image has no signatures)"
            in refused.stderr)
    # signed at the registry itself (a pull through the front is what the gate refuses);
    # the payload names the registry's address, the gate compares the repository path
    auth = world.work / "sign-auth.json"
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    auth.write_text(json.dumps({"auths": {world.registry.address: {"auth": token}}}))
    reference = f"{world.registry.address}/signed/app:1"

    def sign(key: str) -> None:
        done = tenlayer("image", "sign", reference, "--key", str(world.work / f"{key}.key"),
                        "--insecure", REGISTRY_AUTH_FILE=str(auth))
        assert done.returncode == 0, done.stderr

    sign("untrusted")
    refused = pulled()
    assert refused.returncode != 0
    assert ("signed/app:1: no valid signature by a trusted key (signature 1: signature does "
            "not verify with trusted key 1)") in refused.stderr
    sign("trusted")
    allowed = pulled()
    assert allowed.returncode == 0, allowed.stderr
    # the signature manifests were recorded as such, so verifying through the front works
    signatures = [i for i in world.store.list_images()
                  if i.repository == "signed/app" and i.tag and i.tag.endswith(".sig")]
    assert [i.status for i in signatures] == ["signature", "signature"]
    rescanned = tenlayer("registry", "rescan", "--config", str(world.config))
    for signature in signatures:
        assert (f"signed/app@{signature.digest}: a signature manifest (nothing to scan)"
                in rescanned.stdout.splitlines())
    auth.write_text(json.dumps({"auths": {world.front: {"auth": token}}}))
    done = tenlayer("image", "verify", f"{world.front}/signed/app:1", "--key",
                    str(world.work / "trusted.pub"), "--insecure",
                    "--identity", reference.rpartition(":")[0],
                    REGISTRY_AUTH_FILE=str(auth))
    assert done.returncode == 0, done.stdout + done.stderr


def test_events_need_the_secret(world: World) -> None:
    service = json.loads(world.config.read_text())["listen"]
    envelope = {"events": [{"action": "push", "target": {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:" + "0" * 64, "repository": "quarantine/other", "tag": "x"}}]}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        answer = httpx.post(f"http://{service}/events", json=envelope, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["errors"][0]["message"] == "the events secret is missing or wrong"
    assert world.store.image("quarantine/other", "sha256:" + "0" * 64) is None
    answer = httpx.post(f"http://{service}/events", content=b"[]",
                        headers={"Authorization": f"Bearer {EVENTS_SECRET}"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == (
        "not a notification envelope: no events list")


def test_a_client_cannot_choose_its_address_in_the_audit(world: World) -> None:
    """distribution believes X-Forwarded-For for its notifications; the front replaces it."""
    push(world, "fixed", "frozen/addr:1")
    service = json.loads(world.config.read_text())["listen"]
    answer = httpx.get(f"http://{service}/token", params={
        "service": SERVICE, "scope": "repository:frozen/addr:pull"}, auth=("alice", PASSWORD))
    bearer = answer.json()["token"]
    pulled = httpx.get(f"http://{world.front}/v2/frozen/addr/manifests/1", headers={
        "Authorization": f"Bearer {bearer}", "X-Forwarded-For": "203.0.113.9",
        "X-Real-IP": "203.0.113.9",
        "Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert pulled.status_code == 200
    deadline = time.monotonic() + 10
    while not (pulls := [e for e in world.store.audit_log(limit=100_000)
                         if e.action == "pull" and e.repository == "frozen/addr"
                         and e.identity == "alice"]):
        assert time.monotonic() < deadline, "no pull notification"
        time.sleep(0.1)
    assert [(e.identity, e.client) for e in pulls] == [("alice", "127.0.0.1")]

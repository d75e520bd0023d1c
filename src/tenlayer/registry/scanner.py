"""Scan on push: distribution's notifications in, stored scans out; and signatures checked
against the registry for the gate.

distribution (`notifications.endpoints`) POSTs an envelope
`{"events": [{"action": "push", "target": {"mediaType", "digest", "repository", "tag",
"url"}, ...}]}` to `POST /events` with the headers its configuration names; tenlayer wants
`Authorization: Bearer SECRET` with the secret both configurations share. Each manifest
push is recorded at once (so the gate says "not yet scanned" rather than judging an older
digest of the tag) and queued; one worker thread pulls the manifest from the registry
itself as the scanner robot, scans it with `tenlayer image scan`'s engine (vulnerabilities
only: the grade and the gate's rules are about them) and stores digest, repository, tag,
time, grade, worst severity and the findings.
"""

from __future__ import annotations

import datetime
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tenlayer.registry.store import AuditEntry, ScanOutcome, Store, StoredFinding
from tenlayer.registry.web import client_host
from tenlayer.signing.verify import Identity

if TYPE_CHECKING:
    from tenlayer.image.registry.client import RegistryClient

log = logging.getLogger("tenlayer.registry.scanner")

MANIFEST_MEDIA_TYPES = frozenset({
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
})
MAX_EVENTS_BODY = 4 << 20
MAX_PLATFORMS = 32
"""An index listing more platform images than this is not scanned (a failed scan, so its
pulls are refused): each one is a whole image to pull and scan."""


@dataclass(frozen=True)
class RegistryEvent:
    """One manifest push, pull or delete (or tag delete) that distribution reports."""

    action: str
    """`push`, `pull` or `delete`."""
    repository: str
    digest: str | None
    """None for a tag delete (distribution reports the tag alone)."""
    tag: str | None
    actor: str
    """The token's subject as distribution saw it; "" for anonymous."""
    client: str = ""
    """The client's address (`request.addr`: the front passes the client's own)."""
    method: str = ""


class BadEnvelope(ValueError):
    """The body is not distribution's notification envelope."""


def registry_events(document: Any) -> list[RegistryEvent]:
    """The manifest pushes, manifest GETs and deletes of a notification envelope. Blob
    events, and the HEAD requests that only ask whether a manifest exists, are left out."""
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise BadEnvelope("no events list")
    events = []
    for event in document["events"]:
        if not isinstance(event, dict) or event.get("action") not in ("push", "pull", "delete"):
            continue
        action = event["action"]
        target, request = event.get("target"), event.get("request")
        if not isinstance(target, dict):
            continue
        request = request if isinstance(request, dict) else {}
        method = _text(request.get("method"))
        if action != "delete" and target.get("mediaType") not in MANIFEST_MEDIA_TYPES:
            continue
        if action == "pull" and method != "GET":
            continue
        repository, digest, tag = target.get("repository"), target.get("digest"), target.get("tag")
        digest = digest if isinstance(digest, str) and ":" in digest else None
        tag = tag if isinstance(tag, str) and tag else None
        if not isinstance(repository, str) or not repository or (
                digest is None and (action != "delete" or tag is None)):
            raise BadEnvelope(f"a {action} event without a repository and a digest")
        actor = event.get("actor")
        events.append(RegistryEvent(
            action, repository, digest, tag,
            _text(actor.get("name")) if isinstance(actor, dict) else "",
            client_host(_text(request.get("addr"))), method,
        ))
    return events


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


# -- pulling and scanning from the registry ------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """The registry itself, and the scanner robot's credentials for it."""

    url: str
    account: str = ""
    secret: str = ""
    timeout: float = 60.0

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def insecure(self) -> bool:
        return urlsplit(self.url).scheme == "http"

    def client(self, repository: str, reference: str) -> RegistryClient:
        """A connected RegistryClient for `repository` (`reference`: `@sha256:…` or `:tag`)."""
        from tenlayer.image.registry.client import RegistryClient
        from tenlayer.image.registry.credentials import CredentialLookup, Credentials
        from tenlayer.image.registry.reference import parse_reference

        parsed = parse_reference(f"{self.host}/{repository}{reference}")
        credentials = None
        if self.account:
            credentials = Credentials(username=self.account, password=self.secret,
                                      source="the scanner robot")
        client = RegistryClient(parsed, CredentialLookup(credentials), insecure=self.insecure,
                                timeout=self.timeout)
        try:
            client.connect()
        except BaseException:
            client.close()
            raise
        return client


def scan_manifest(
    upstream: Upstream, repository: str, digest: str, *, database: Path | None,
    now: datetime.datetime,
) -> ScanOutcome:
    """Pull `repository@digest` from the registry and scan it; a failure is an outcome with
    `error` set, never an exception (EnvironmentProblem, BadInput alike).

    An index (multi-platform image) is scanned platform by platform, and judged as one
    image: the findings of every platform, the worst grade, and each platform manifest's
    digest among `manifests`, so a client that pulls its own platform by digest meets the
    same verdict as one that pulls the tag."""
    from tenlayer.errors import BadInput, EnvironmentProblem, TenlayerError

    try:
        client = upstream.client(repository, f"@{digest}")
        try:
            data = client.get_manifest(digest)[0]
        finally:
            client.close()
        if is_signature_manifest(data):
            return ScanOutcome(now, None, None, manifests=(digest,), signature=True)
        platforms = platform_manifests(data)
        if len(platforms) > MAX_PLATFORMS:
            raise BadInput(f"{repository}@{digest}: the index lists {len(platforms)} "
                           f"platform images; tenlayer scans at most {MAX_PLATFORMS}")
        scans = [_scan_one(upstream, repository, target, database=database, now=now,
                           platform=platform)
                 for target, platform in platforms or [(digest, "")]]
    except TenlayerError as error:
        return ScanOutcome(now, None, None, error=str(error).splitlines()[0],
                           transient=isinstance(error, EnvironmentProblem))
    return _merged(now, digest, scans)


@dataclass(frozen=True)
class _PlatformScan:
    manifest: str
    grade: str | None
    findings: tuple[StoredFinding, ...]


def _scan_one(
    upstream: Upstream, repository: str, digest: str, *, database: Path | None,
    now: datetime.datetime, platform: str = "",
) -> _PlatformScan:
    """Scan one image manifest (or, for an index whose entries name no platform, the
    default platform's)."""
    from tenlayer.image.open import OpenOptions
    from tenlayer.image.registry.source import RegistryImage
    from tenlayer.image.walker import walk
    from tenlayer.inventory.assemble import assemble
    from tenlayer.inventory.scan import default_analyzers
    from tenlayer.scan.run import ScanOptions, scan_inventory

    client = upstream.client(repository, f"@{digest}")
    try:
        opened = RegistryImage(client.reference, client, OpenOptions(timeout=upstream.timeout))
        try:
            walked = walk(opened, default_analyzers)
        finally:
            opened.close()
    finally:
        client.close()
    result = scan_inventory(assemble(opened.image, walked), ScanOptions(database=database),
                            now=now)
    findings = tuple(
        StoredFinding(
            m.vulnerability.id, tuple(m.vulnerability.aliases), m.package.name,
            m.package.version, m.vulnerability.severity.name.lower(), m.status.value,
            m.fixed_version, m.vulnerability.published, m.vulnerability.modified, platform,
        )
        for m in result.reported
    )
    return _PlatformScan(opened.image.manifest_digest or digest,
                         result.grade.letter if result.grade else None, findings)


def _merged(now: datetime.datetime, digest: str, scans: list[_PlatformScan]) -> ScanOutcome:
    from tenlayer.model import Severity
    from tenlayer.scan.grade import LETTERS

    findings = tuple(dict.fromkeys(f for scan in scans for f in scan.findings))
    grades = [scan.grade for scan in scans if scan.grade]
    grade = max(grades, key=LETTERS.index) if grades else None
    severities = [Severity.parse(f.severity) for f in findings]
    worst = max(severities).name.lower() if severities else None
    manifests = tuple(dict.fromkeys([digest, *(scan.manifest for scan in scans)]))
    return ScanOutcome(now, grade, worst, findings, manifests)


def platform_manifests(data: bytes) -> list[tuple[str, str]]:
    """The platform manifests of an index, in its order, each with its platform as the
    index names it (`linux/arm64/v8`); attestations and other entries for the `unknown`
    platform left out. Empty for an image manifest."""
    import orjson

    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return []
    entries = document.get("manifests") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return []
    found: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            continue
        platform = entry.get("platform")
        platform = platform if isinstance(platform, dict) else {}
        if platform.get("os") == "unknown":
            continue
        name = "/".join(str(platform[part]) for part in ("os", "architecture", "variant")
                        if isinstance(platform.get(part), str) and platform[part])
        found.setdefault(entry["digest"], name)
    return list(found.items())


def is_signature_manifest(data: bytes) -> bool:
    """An image manifest whose layers are all cosign simple-signing payloads (no file
    system: nothing to scan, nothing a runtime could run)."""
    import orjson

    from tenlayer.signing.manifest import SIMPLE_SIGNING

    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    layers = document.get("layers") if isinstance(document, dict) else None
    return bool(layers) and isinstance(layers, list) and all(
        isinstance(layer, dict) and layer.get("mediaType") == SIMPLE_SIGNING
        for layer in layers
    )


class ScanQueue:
    """Pushed manifests waiting for a scan, and the one thread that scans them in order."""

    RETRY_DELAYS = (10.0, 60.0, 300.0)
    """Seconds before each new attempt at a scan that failed for a reason that may pass
    (the registry unreachable, a timeout: EnvironmentProblem); a malformed image is not
    retried. After the last, the image stays `failed` until `registry rescan`."""

    def __init__(
        self, store: Store, upstream: Upstream, *, database: Path | None,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.store = store
        self.upstream = upstream
        self.database = database
        self.now = now
        self.retry_delays = retry_delays
        self._failures: dict[tuple[str, str], int] = {}
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.idle = threading.Event()
        self.idle.set()

    def handle(self, event: RegistryEvent) -> None:
        """Record what distribution reports: a push (queue a scan when the digest is new to
        the repository), a pull, a delete (forget the image or tag, so the gate and the tag
        rules no longer see it). Each goes to the audit table with who did it and from
        where."""
        now = self.now()
        reference = f"{event.repository}@{event.digest}"
        if event.action == "push" and event.digest is not None:
            new = self.store.record_push(event.repository, event.digest, event.tag, now=now)
            reason = f"pushed {reference}" + ("" if new else " (seen before)")
        elif event.action == "pull":
            new, reason = False, f"pulled {reference}"
        else:
            new = False
            known = self.store.record_delete(event.repository, digest=event.digest,
                                             tag=event.tag)
            if event.digest is None:  # distribution follows a manifest's delete with one
                reason = f"deleted tag {event.tag}"  # event per tag that named it
            else:
                reason = f"deleted {reference}" + ("" if known else " (not known to tenlayer)")
        self.store.audit(AuditEntry(now, event.actor, event.action, event.repository,
                                    event.tag or event.digest or "", True, reason,
                                    event.client))
        if new and event.digest is not None:
            self.submit(event.repository, event.digest)

    def submit(self, repository: str, digest: str) -> None:
        self.idle.clear()
        self._queue.put((repository, digest))

    def scan_now(self, repository: str, digest: str) -> ScanOutcome:
        outcome = scan_manifest(self.upstream, repository, digest, database=self.database,
                                now=self.now())
        self.store.record_scan(repository, digest, outcome)
        retry = self._retry(repository, digest, outcome)
        if outcome.error:
            reason = f"scan failed: {outcome.error}{retry}"
        elif outcome.signature:
            reason = "a signature manifest: nothing to scan"
        else:
            reason = (f"grade {outcome.grade}, worst severity {outcome.worst_severity or 'none'}"
                      f", {len(outcome.findings)} vulnerabilities")
        self.store.audit(AuditEntry(outcome.at, self.upstream.account, "scan", repository,
                                    digest, not outcome.error, reason))
        log.info("scanned %s@%s: %s", repository, digest, reason)
        return outcome

    def _retry(self, repository: str, digest: str, outcome: ScanOutcome) -> str:
        """Queue the scan again later when its failure may pass (forget earlier failures
        after a success); what the audit adds to the reason."""
        key = (repository, digest)
        failures = self._failures.get(key, 0)
        if not outcome.error:
            self._failures.pop(key, None)
            return ""
        if not outcome.transient or failures >= len(self.retry_delays):
            self._failures.pop(key, None)
            return "" if not outcome.transient else "; no more retries (registry rescan)"
        self._failures[key] = failures + 1
        delay = self.retry_delays[failures]
        timer = threading.Timer(delay, self.submit, (repository, digest))
        timer.daemon = True
        timer.start()
        return f"; retry {failures + 1} of {len(self.retry_delays)} in {delay:g} s"

    def start(self) -> None:
        """Start the worker, with the pushes a previous run left unscanned queued first."""
        for image in self.store.list_images():
            if image.status == "pending":
                self.submit(image.repository, image.digest)
        self._thread = threading.Thread(target=self._work, name="tenlayer-scan", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self.scan_now(*item)
            except Exception:  # a bug must not stop the queue; the row stays pending
                log.exception("scanning %s@%s failed", *item)
            finally:
                if self._queue.empty():
                    self.idle.set()


@dataclass(frozen=True)
class Discovered:
    repository: str
    tag: str
    digest: str
    new: bool
    """The tag was unknown to tenlayer, or named another digest."""


def discover(upstream: Upstream, store: Store, *, now: datetime.datetime) -> list[Discovered]:
    """Record every tag the registry holds (its catalog, as the scanner robot) that the
    push notifications never told of: images pushed before tenlayer watched the registry,
    or while its notifications failed. Each newly found tag is recorded as a push would be
    (so `rescan` scans it), and audited as `discover`."""
    import hashlib

    from tenlayer.errors import BadInput

    client = upstream.client("library/catalog", ":latest")
    try:
        repositories = sorted(client.catalog())
    finally:
        client.close()
    found = []
    for repository in repositories:
        client = upstream.client(repository, ":latest")
        try:
            for tag in sorted(client.tags()):
                try:
                    data, _type, sent = client.get_manifest(tag)
                except BadInput:  # deleted between the listing and now
                    continue
                digest = sent or "sha256:" + hashlib.sha256(data).hexdigest()
                new = store.tag_digest(repository, tag) != digest
                if new:
                    store.record_push(repository, digest, tag, now=now)
                    store.audit(AuditEntry(now, upstream.account, "discover", repository, tag,
                                           True, f"found {repository}:{tag} at {digest} in "
                                           "the registry"))
                found.append(Discovered(repository, tag, digest, new))
        finally:
            client.close()
    return found


def upstream_tag_exists(upstream: Upstream) -> Callable[[str, str], bool]:
    """`rules.TagExists` against the registry, as the scanner robot."""

    def exists(repository: str, tag: str) -> bool:
        from tenlayer.image.registry.client import MANIFEST_ACCEPT

        client = upstream.client(repository, f":{tag}")
        try:
            return client.find_manifest(tag, accept=MANIFEST_ACCEPT) is not None
        finally:
            client.close()

    return exists


# -- signatures, for the gate --------------------------------------------------------------


class UpstreamSignatures:
    """`SignatureCheck` against the registry: the cosign signature manifest tagged
    `sha256-HEX.sig` beside the image, verified offline with the project's keys
    (signing/verify.py). The payload must name the image's digest and the same repository
    path (on any host: clients reach the registry through the front, under its name)."""

    def __init__(
        self, upstream: Upstream, *, ttl: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.upstream = upstream
        self.ttl = ttl
        self.monotonic = monotonic
        self._valid: dict[tuple[str, str, tuple[str, ...]], float] = {}
        self._lock = threading.Lock()

    def __call__(self, repository: str, digest: str, keys: tuple[str, ...]) -> str | None:
        """A valid result is kept `ttl` seconds (a manifest's signatures are only ever
        added to); an invalid one is asked again at the next pull, so a new signature
        counts at once."""
        key = (repository, digest, keys)
        now = self.monotonic()
        with self._lock:
            until = self._valid.get(key)
        if until is not None and until > now:
            return None
        problem = self._check(repository, digest, keys)
        if problem is None:
            with self._lock:
                if len(self._valid) > 10_000:
                    self._valid = {k: v for k, v in self._valid.items() if v > now}
                self._valid[key] = now + self.ttl
        return problem

    def _check(self, repository: str, digest: str, keys: tuple[str, ...]) -> str | None:
        from tenlayer.errors import TenlayerError
        from tenlayer.image.oci import OCI_MANIFEST
        from tenlayer.signing.keys import load_public_key
        from tenlayer.signing.manifest import parse_signature_manifest, signature_tag
        from tenlayer.signing.verify import PublicKey, check_signatures

        public = [
            PublicKey(f"trusted key {number + 1}",
                      load_public_key(pem.encode(), context=f"trusted key {number + 1}"))
            for number, pem in enumerate(keys)
        ]
        try:
            client = self.upstream.client(repository, f"@{digest}")
            try:
                found = client.find_manifest(signature_tag(digest), accept=OCI_MANIFEST)
                if found is None:
                    return "the image has no signatures"
                layers = parse_signature_manifest(found[0], context=f"{repository} signatures")
                results = check_signatures(
                    layers, client.get_blob, image_digest=digest,
                    identity=RepositoryIdentity(repository), keys=public,
                )
            finally:
                client.close()
        except TenlayerError as error:
            return f"signatures unreadable: {str(error).splitlines()[0]}"
        if any(result.valid for result in results):
            return None
        reasons = "; ".join(f"signature {r.number}: {r.reason}" for r in results)
        return reasons or "the image has no signatures"


def _repository_of(reference: str) -> str:
    from tenlayer.errors import BadInput
    from tenlayer.image.registry.reference import parse_reference

    try:
        return parse_reference(reference).repository
    except BadInput:
        return reference


@dataclass(frozen=True, slots=True)
class RepositoryIdentity(Identity):
    """A docker-reference matches when its repository path is `expected`, whatever the
    registry host."""

    def matches(self, docker_reference: str) -> bool:
        return _repository_of(docker_reference) == self.expected

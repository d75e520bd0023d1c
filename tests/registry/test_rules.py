"""The project-rules gate over a real SQLite store: every rule, with its exact reason."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenlayer.registry.front.gate import Decision, PullRequest
from tenlayer.registry.rules import ProjectRulesGate
from tenlayer.registry.store import ProjectSettings, ScanOutcome, Store, StoredFinding

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DIGEST = "sha256:" + "a" * 64
CHILD = "sha256:" + "c" * 64
OTHER = "sha256:" + "b" * 64
XZ = StoredFinding("CVE-2024-3094", (), "xz-utils", "5.6.0", "critical", "fixed", "5.6.2",
                   "2024-03-29T00:00:00Z", "2024-04-01T00:00:00Z")
REQUESTS = StoredFinding("GHSA-j8r2-6x86-q33q", ("CVE-2023-32681",), "requests", "2.30.0",
                         "medium", "fixed", "2.31.0", "2026-11-20T00:00:00Z", "")
FRESH_HIGH = StoredFinding("CVE-2026-0001", (), "openssl", "3.0.0", "high", "fixed", "3.0.1",
                           "2026-11-10T00:00:00Z", "")
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAET7AnlKAK921PJKFVELDC6XiTAQwR
uzDIM4cVMaStL/fkZnc66Yk6qZgqubzmm1QRktQsfpfRk4lbUPhXOKo+PA==
-----END PUBLIC KEY-----
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'registry.db'}")
    store.add_project("quarantine", settings=ProjectSettings(severity_threshold="high"))
    store.add_project("graded", settings=ProjectSettings(minimum_grade="B"))
    store.add_project("open")
    yield store
    store.close()


def gate(store: Store, **options: object) -> ProjectRulesGate:
    return ProjectRulesGate(store, now=lambda: NOW, **options)  # type: ignore[arg-type]


def pull(repository: str, reference: str = "1", who: str | None = "alice") -> PullRequest:
    return PullRequest(who, repository, reference, "GET")


def scanned(store: Store, repository: str, *findings: StoredFinding, tag: str = "1",
            grade: str = "F", digest: str = DIGEST) -> None:
    store.record_push(repository, digest, tag, now=NOW)
    worst = findings[0].severity if findings else None
    store.record_scan(repository, digest, ScanOutcome(NOW, grade, worst, findings,
                                                      (digest, CHILD)))


def test_no_rules_unknown_project_and_scanner(store: Store) -> None:
    assert gate(store).decide(pull("open/app")) == Decision(
        True, "project open has no pull rules")
    assert gate(store).decide(pull("nowhere/app")) == Decision(True, "no project rules apply")
    assert gate(store).decide(pull("toplevel")) == Decision(True, "no project rules apply")
    assert gate(store).decide(pull("quarantine/app", who="robot$scanner")) == Decision(
        True, "robot$scanner is the scanner")
    assert gate(store, scanner="robot$other").decide(
        pull("quarantine/app", who="robot$scanner")) == Decision(
        False, "quarantine/app:1: not yet scanned (project quarantine allows pulls of "
        "scanned images only)")


def test_not_yet_scanned(store: Store) -> None:
    refused = Decision(False, "quarantine/app:1: not yet scanned (project quarantine allows "
                       "pulls of scanned images only)")
    assert gate(store).decide(pull("quarantine/app")) == refused
    store.record_push("quarantine/app", DIGEST, "1", now=NOW)  # queued, not scanned
    assert gate(store).decide(pull("quarantine/app")) == refused
    assert gate(store).decide(pull("quarantine/app", DIGEST)) == Decision(
        False, f"quarantine/app@{DIGEST}: not yet scanned (project quarantine allows pulls "
        "of scanned images only)")


def test_what_the_registry_does_not_have_is_left_to_its_404(store: Store) -> None:
    """A tag or digest tenlayer never heard of is asked of the registry: pushed but not yet
    notified is "not yet scanned"; absent (never pushed, or deleted) is distribution's 404."""
    asked: list[tuple[str, str]] = []
    held = {("quarantine/app", "1")}

    def exists(repository: str, reference: str) -> bool:
        asked.append((repository, reference))
        return (repository, reference) in held

    checking = gate(store, tag_exists=exists)
    assert checking.decide(pull("quarantine/app")) == Decision(
        False, "quarantine/app:1: not yet scanned (project quarantine allows pulls of "
        "scanned images only)")
    assert checking.decide(pull("quarantine/app", "2")) == Decision(
        True, "quarantine/app:2: not in the registry (distribution answers)")
    assert checking.decide(pull("quarantine/app", DIGEST)) == Decision(
        True, f"quarantine/app@{DIGEST}: not in the registry (distribution answers)")
    assert asked == [("quarantine/app", "1"), ("quarantine/app", "2"),
                     ("quarantine/app", DIGEST)]


def test_failed_scan(store: Store) -> None:
    store.record_push("quarantine/app", DIGEST, "1", now=NOW)
    store.record_scan("quarantine/app", DIGEST, ScanOutcome(NOW, None, None,
                                                            error="no vulnerability database"))
    assert gate(store).decide(pull("quarantine/app")) == Decision(
        False, "quarantine/app:1: the scan failed; pulls are refused until a rescan succeeds")


def test_threshold(store: Store) -> None:
    scanned(store, "quarantine/app", XZ, REQUESTS)
    refused = Decision(False, "quarantine/app:1: critical CVE-2024-3094 (xz-utils) at or "
                       "above the project's threshold high")
    assert gate(store).decide(pull("quarantine/app")) == refused
    assert gate(store).decide(pull("quarantine/app", DIGEST)).reason == (
        f"quarantine/app@{DIGEST}: critical CVE-2024-3094 (xz-utils) at or above the "
        "project's threshold high")
    # the platform manifest the scan chose counts as the image
    assert not gate(store).decide(pull("quarantine/app", CHILD)).allowed
    # a digest never pushed is not scanned, even if a tag of the repository was
    assert gate(store).decide(pull("quarantine/app", OTHER)).reason.endswith(
        "not yet scanned (project quarantine allows pulls of scanned images only)")


def test_allowlist_by_id_and_alias(store: Store) -> None:
    scanned(store, "quarantine/app", XZ, REQUESTS)
    store.update_project("quarantine", settings=ProjectSettings(
        severity_threshold="medium", cve_allowlist=("CVE-2024-3094",)))
    assert gate(store).decide(pull("quarantine/app")) == Decision(
        False, "quarantine/app:1: medium GHSA-j8r2-6x86-q33q (requests) at or above the "
        "project's threshold medium")
    store.update_project("quarantine", settings=ProjectSettings(
        severity_threshold="medium", cve_allowlist=("CVE-2024-3094", "cve-2023-32681")))
    assert gate(store).decide(pull("quarantine/app")) == Decision(
        True, "quarantine/app:1: meets project quarantine's rules")


def test_below_threshold_allowed(store: Store) -> None:
    store.update_project("quarantine", settings=ProjectSettings(severity_threshold="critical"))
    scanned(store, "quarantine/app", REQUESTS, FRESH_HIGH)
    assert gate(store).decide(pull("quarantine/app")) == Decision(
        True, "quarantine/app:1: meets project quarantine's rules")


def test_tag_follows_the_latest_push(store: Store) -> None:
    scanned(store, "quarantine/app", XZ)
    scanned(store, "quarantine/app", REQUESTS, digest=OTHER, grade="A")
    assert gate(store).decide(pull("quarantine/app")).allowed
    assert not gate(store).decide(pull("quarantine/app", DIGEST)).allowed
    store.record_push("quarantine/app", DIGEST, "1", now=NOW)  # the old digest re-tagged
    assert not gate(store).decide(pull("quarantine/app")).allowed


def test_minimum_grade_is_computed_now_without_allowlisted(store: Store) -> None:
    scanned(store, "graded/app", XZ, FRESH_HIGH)
    assert gate(store).decide(pull("graded/app")) == Decision(
        False, "graded/app:1: grade F (CVE-2024-3094 in xz-utils) is below the project's "
        "minimum B")
    store.update_project("graded", settings=ProjectSettings(
        minimum_grade="B", cve_allowlist=("CVE-2024-3094",)))
    # CVE-2026-0001, high, published 16 days ago: C (B holds high ones up to 30 days)...
    assert gate(store).decide(pull("graded/app")) == Decision(
        True, "graded/app:1: meets project graded's rules")
    # ... until 30 days have passed
    later = gate(store)
    later.now = lambda: NOW + datetime.timedelta(days=15)
    assert later.decide(pull("graded/app")) == Decision(
        False, "graded/app:1: grade C (CVE-2026-0001 in openssl) is below the project's "
        "minimum B")


def test_signatures(store: Store) -> None:
    store.add_project("signed", settings=ProjectSettings(
        require_signatures=True, trusted_keys=(PUBLIC_KEY,)))
    scanned(store, "signed/app")
    assert gate(store).decide(pull("signed/app")) == Decision(
        False, "signed/app:1: project signed requires signatures and the gate cannot verify "
        "them")
    asked: list[tuple[str, str, tuple[str, ...]]] = []

    def unsigned(repository: str, digest: str, keys: tuple[str, ...]) -> str | None:
        asked.append((repository, digest, keys))
        return "the image has no signatures"

    assert gate(store, signatures=unsigned).decide(pull("signed/app")) == Decision(
        False, "signed/app:1: no valid signature by a trusted key (the image has no "
        "signatures)")
    assert asked == [("signed/app", DIGEST, (PUBLIC_KEY,))]
    assert gate(store, signatures=lambda r, d, k: None).decide(pull("signed/app")) == Decision(
        True, "signed/app:1: meets project signed's rules")


def test_signature_manifests_pass(store: Store) -> None:
    tag = "sha256-" + "a" * 64 + ".sig"
    store.record_push("quarantine/app", OTHER, tag, now=NOW)
    store.record_scan("quarantine/app", OTHER, ScanOutcome(NOW, None, None, (), (OTHER,),
                                                           signature=True))
    assert gate(store).decide(pull("quarantine/app", tag)) == Decision(
        True, f"quarantine/app:{tag}: a signature manifest (nothing to run)")
    assert store.image("quarantine/app", OTHER).status == "signature"  # type: ignore[union-attr]


def push(repository: str, reference: str, who: str | None = "alice") -> PullRequest:
    return PullRequest(who, repository, reference, "PUT")


def test_immutable_tags(store: Store) -> None:
    store.add_project("frozen", settings=ProjectSettings(immutable_tags=("v*", "release")))
    gate_ = gate(store)
    assert gate_.decide_push(push("frozen/app", "v1")) == Decision(
        True, "frozen/app:v1: a new immutable tag")
    store.record_push("frozen/app", DIGEST, "v1", now=NOW)
    assert gate_.decide_push(push("frozen/app", "v1")) == Decision(
        False, "frozen/app:v1: tag v1 is immutable in project frozen (pattern v*); push a new "
        "tag")
    assert gate_.decide_push(push("frozen/app", "latest")) == Decision(
        True, "frozen/app:latest: the tag is not immutable")
    assert gate_.decide_push(push("frozen/app", DIGEST)) == Decision(
        True, f"frozen/app@{DIGEST}: no tag rules apply")
    signature = "sha256-" + "a" * 64 + ".sig"
    store.update_project("frozen", settings=ProjectSettings(immutable_tags=("*",)))
    store.record_push("frozen/app", OTHER, signature, now=NOW)
    assert gate_.decide_push(push("frozen/app", signature)) == Decision(
        True, f"frozen/app:{signature}: no tag rules apply")
    assert gate_.decide_push(push("nowhere/app", "v1")) == Decision(
        True, "nowhere/app:v1: no tag rules apply")
    # a tag the notifications never named: the registry is asked
    asked: list[tuple[str, str]] = []

    def exists(repository: str, tag: str) -> bool:
        asked.append((repository, tag))
        return tag == "release"

    gate_.tag_exists = exists
    assert not gate_.decide_push(push("frozen/app", "release")).allowed
    assert gate_.decide_push(push("frozen/app", "v2")).allowed
    assert not gate_.decide_push(push("frozen/app", "v1")).allowed
    assert asked == [("frozen/app", "release"), ("frozen/app", "v2")]

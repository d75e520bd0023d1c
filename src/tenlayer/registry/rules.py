"""The project-rules gate: the front's `Gate` that enforces each project's pull rules.

A manifest pull (GET or HEAD) of `PROJECT/...:REF` is refused, with the first reason that
applies, when the project asks for it and:

1. the image is not yet scanned (no push notification recorded, the scan still queued, or
   it failed);
2. its worst vulnerability, leaving out the project's CVE allow-list (by id or alias), is
   at or above the project's severity threshold;
3. its health grade, computed now from the stored findings without the allow-listed ones
   (grades only get worse with time), is below the project's minimum;
4. signatures are required and no signature verifies with one of the project's trusted
   keys (`SignatureCheck`, against the registry itself).

It is also a `PushGate`: a manifest push overwriting a tag that matches one of the
project's immutable patterns is refused (`decide_push`).

A project with none of these rules, an unknown project (the token service grants nothing
in it anyway) and the scanner's own robot (it must read what it scans) are allowed.

A tag is resolved to a digest through the registry's push notifications (store.TagRow): a
tag never notified is "not yet scanned". A pull by digest of the platform manifest that
the scan of an index chose counts as that image.
"""

from __future__ import annotations

import datetime
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass

from tenlayer.image.oci_layout import SIGNATURE_TAG
from tenlayer.model import FixStatus, Severity
from tenlayer.registry.access import project_of
from tenlayer.registry.front.gate import Decision, PullRequest
from tenlayer.registry.store import GRADES, NotFound, Project, Store, StoredFinding

SCANNER = "robot$scanner"

TagExists = Callable[[str, str], bool]
"""(repository, tag) -> whether the registry already has a manifest under that tag."""

SignatureCheck = Callable[[str, str, tuple[str, ...]], str | None]
"""(repository, manifest digest, trusted public keys as PEM) -> None when a signature by
one of the keys is valid, else why not (one line)."""


def _severity(name: str) -> Severity:
    try:
        return Severity.parse(name)
    except ValueError:
        return Severity.UNKNOWN


def allowed_findings(
    findings: tuple[StoredFinding, ...], allowlist: tuple[str, ...]
) -> list[StoredFinding]:
    """The findings not on the allow-list (matched by id or by any alias)."""
    allowed = {entry.upper() for entry in allowlist}
    return [
        f for f in findings
        if f.id.upper() not in allowed and not any(a.upper() in allowed for a in f.aliases)
    ]


def worst(findings: list[StoredFinding]) -> StoredFinding | None:
    """The most severe finding (the first by id among equals)."""
    if not findings:
        return None
    return min(findings, key=lambda f: (-_severity(f.severity), f.id, f.package))


def grade_now(
    findings: list[StoredFinding], today: datetime.date
) -> tuple[str, StoredFinding | None]:
    """The health grade of these findings on `today` (scan/grade.py's rules: unapplied fixes
    of critical and high vulnerabilities, by age), and the finding that sets it."""
    from tenlayer.scan.grade import LETTERS, letter_at, parse_date

    letter, setter = "A", None
    for finding in sorted(findings, key=lambda f: (f.id, f.package)):
        severity = _severity(finding.severity)
        if (
            finding.status != FixStatus.FIXED.value
            or not finding.fixed_version
            or severity < Severity.HIGH
        ):
            continue
        since = parse_date(finding.published) or parse_date(finding.modified)
        found = letter_at(since, severity, today)
        if LETTERS.index(found) > LETTERS.index(letter):
            letter, setter = found, finding
    return letter, setter


@dataclass
class ProjectRulesGate:
    """`Gate` over the registry store's project settings and stored scans."""

    store: Store
    scanner: str = SCANNER
    signatures: SignatureCheck | None = None
    tag_exists: TagExists | None = None
    """Asked when the push notifications never named a reference: for a push, whether the
    tag exists already (pushed before tenlayer watched the registry; without it such a tag
    counts as new); for a pull, whether there is anything to refuse (a tag or digest the
    registry does not have gets distribution's own 404, not "not yet scanned")."""
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)

    def decide(self, request: PullRequest) -> Decision:
        if request.identity is not None and request.identity == self.scanner:
            return Decision(True, f"{request.identity} is the scanner")
        project_name = project_of(request.repository)
        project = self._project(project_name) if project_name else None
        if project is None:
            return Decision(True, "no project rules apply")
        rules = project.settings
        if not (rules.severity_threshold or rules.minimum_grade or rules.require_signatures):
            return Decision(True, f"project {project.name} has no pull rules")
        where = _where(request)
        digest = request.reference if request.by_digest else self.store.tag_digest(
            request.repository, request.reference)
        image = self.store.image(request.repository, digest) if digest else None
        if image is None and self.tag_exists is not None and not self.tag_exists(
                request.repository, request.reference):
            return Decision(True, f"{where}: not in the registry (distribution answers)")
        if image is None or image.status == "pending":
            return Decision(False, f"{where}: not yet scanned (project {project.name} "
                            "allows pulls of scanned images only)")
        if image.status == "failed":  # why is the administrator's to see (registry images)
            return Decision(False, f"{where}: the scan failed; pulls are refused until a "
                            "rescan succeeds")
        if image.status == "signature":
            return Decision(True, f"{where}: a signature manifest (nothing to run)")
        findings = allowed_findings(image.findings, rules.cve_allowlist)
        if rules.severity_threshold:
            threshold = Severity.parse(rules.severity_threshold)
            top = worst(findings)
            if top is not None and _severity(top.severity) >= threshold:
                return Decision(False, (
                    f"{where}: {top.severity} {top.id} ({top.where}) at or above the "
                    f"project's threshold {rules.severity_threshold}"))
        if rules.minimum_grade:
            letter, setter = grade_now(findings, self.now().date())
            if GRADES.index(letter) > GRADES.index(rules.minimum_grade):
                why = f" ({setter.id} in {setter.where})" if setter else ""
                return Decision(False, (
                    f"{where}: grade {letter}{why} is below the project's minimum "
                    f"{rules.minimum_grade}"))
        if rules.require_signatures:
            if self.signatures is None:
                return Decision(False, f"{where}: project {project.name} requires signatures "
                                "and the gate cannot verify them")
            problem = self.signatures(request.repository, image.digest, rules.trusted_keys)
            if problem is not None:
                return Decision(False, f"{where}: no valid signature by a trusted key "
                                f"({problem})")
        return Decision(True, f"{where}: meets project {project.name}'s rules")

    def decide_push(self, request: PullRequest) -> Decision:
        """Tag immutability: a manifest push under a tag that matches one of the project's
        immutable patterns is refused when the tag exists already (any digest, the same
        one too: the registry would rewrite the tag's history). Pushes by digest, new
        tags, and cosign's signature tags (`sha256-HEX.sig`, appended to at each signing)
        go through."""
        project_name = project_of(request.repository)
        project = self._project(project_name) if project_name else None
        where = _where(request)
        if project is None or request.by_digest or SIGNATURE_TAG.fullmatch(request.reference):
            return Decision(True, f"{where}: no tag rules apply")
        pattern = next((p for p in project.settings.immutable_tags
                        if fnmatch.fnmatchcase(request.reference, p)), None)
        if pattern is None:
            return Decision(True, f"{where}: the tag is not immutable")
        exists = self.store.tag_digest(request.repository, request.reference) is not None
        if not exists and self.tag_exists is not None:
            exists = self.tag_exists(request.repository, request.reference)
        if exists:
            return Decision(False, (
                f"{where}: tag {request.reference} is immutable in project {project.name} "
                f"(pattern {pattern}); push a new tag"))
        return Decision(True, f"{where}: a new immutable tag")

    def why_not(
        self, identity: str, repository: str, action: str, granted: tuple[str, ...] = ()
    ) -> str:
        """Why `identity`'s token cannot `action` on `repository`, in terms of its role; the
        same words whether the project is missing or the account is no member of it, so
        that they tell an outsider nothing about which projects exist."""
        from tenlayer.registry.access import ROLE_ACTIONS, allowed_actions

        who = identity or "anonymous"
        project = project_of(repository)
        if project is None:
            return f"{who} may not {action} {repository}: not in a project"
        if not identity:
            return f"anonymous may not {action} {repository}: sign in"
        principal = self.store.principal(identity, now=self.now())
        if principal is None:
            return (f"{who} may not {action} {repository}: the account does not exist any "
                    "more, or has expired; sign in again")
        facts = self.store.facts(principal, project)
        allowed = set(allowed_actions(principal, facts))
        if identity == self.scanner and facts.exists:
            allowed.add("pull")
        if not facts.exists or not allowed:
            return f"{who} may not {action} {repository}: no role in project {project}"
        may = ", ".join(a for a in ("pull", "push", "delete") if a in allowed)
        if principal.kind == "robot":
            rights = f"the robot may {may} in project {project}"
        elif facts.role is not None and ROLE_ACTIONS[facts.role] == frozenset(allowed):
            rights = f"{facts.role.value} in project {project} may {may}"
        else:
            rights = f"project {project} lets {who} {may}"
        if action not in allowed:
            return f"{who} may not {action} {repository}: {rights}"
        if granted:
            return (f"{who} may {action} {repository}, but the token was not asked for it "
                    f"({rights})")
        return (f"{who} may not {action} {repository} with this token, which grants nothing "
                f"there: {rights}, and a token asked for every action (`*`, as skopeo delete "
                "asks) goes only to who may pull, push and delete")

    def _project(self, name: str) -> Project | None:
        try:
            return self.store.get_project(name)
        except NotFound:
            return None


def _where(request: PullRequest) -> str:
    separator = "@" if request.by_digest else ":"
    return f"{request.repository}{separator}{request.reference}"

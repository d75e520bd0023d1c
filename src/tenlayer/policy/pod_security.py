"""Pod Security admission as a namespace applies it: which level and version each mode
(enforce, audit, warn) uses, and what admission does with a pod or a workload.

Resolution follows the pod-security-admission library (`api.PolicyToEvaluate`):
- the namespace's `pod-security.kubernetes.io/<mode>` and `<mode>-version` labels, each
  mode starting from the defaults (`privileged:latest`, the API server's);
- an invalid enforce level fails closed (`restricted`), an invalid audit or warn level fails
  open (`privileged`), an invalid version reads as `latest`; each is reported.

tenlayer adds one thing: when the namespace has no Pod Security labels (or is not in the
input) and `--pss` does not choose, Kubernetes would enforce nothing, and a check that says
nothing is of little use before a deploy; so tenlayer checks against `restricted:latest` and
says so (mode `check`). When the labels choose `privileged` for every mode (a chart can label
its own namespace so), tenlayer still checks `baseline` in mode `check`: the manifests must
not be able to switch off their own gate. `--pss LEVEL [--pss-version V]` sets the enforce
mode instead.

Admission itself: a Pod that violates the enforce level is refused; a workload (Deployment,
Job, …) is admitted either way — it is its pods that will be refused when the controller
creates them. Audit and warn never refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tenlayer.kube.namespaces import Namespace
from tenlayer.kube.workloads import PodTemplate
from tenlayer.policy.pss import Level, PolicyVersion, Violation, evaluate_pod

LABEL_PREFIX = "pod-security.kubernetes.io/"
MODES = ("enforce", "audit", "warn")
CHECK_MODE = "check"
"""tenlayer's own mode for namespaces that choose no policy."""


@dataclass(frozen=True, slots=True, order=True)
class LevelVersion:
    level: Level
    version: PolicyVersion

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"

    @classmethod
    def parse(cls, level: str, version: str | None) -> LevelVersion:
        """For `--pss`/`--pss-version`; ValueError names what is accepted."""
        try:
            parsed_level = Level(level.lower())
        except ValueError:
            raise ValueError(
                f"unknown Pod Security Standards level {level!r} "
                "(expected privileged, baseline or restricted)"
            ) from None
        return cls(parsed_level, PolicyVersion.parse(version or "latest"))


PRIVILEGED_LATEST = LevelVersion(Level.PRIVILEGED, PolicyVersion.latest())
RESTRICTED_LATEST = LevelVersion(Level.RESTRICTED, PolicyVersion.latest())
BASELINE_LATEST = LevelVersion(Level.BASELINE, PolicyVersion.latest())


@dataclass(frozen=True, slots=True)
class NamespacePolicy:
    namespace: str
    modes: tuple[tuple[str, LevelVersion], ...]
    """(mode, level:version) for each mode that is not `privileged`, in MODES order, or
    (`check`, restricted:latest) when nothing chose a policy."""
    source: str
    """Where the policy came from, for the report: `from --pss`, `from namespace labels`, …"""

    def describe(self) -> str:
        """`enforce baseline:v1.30, warn restricted:latest; from namespace labels`."""
        modes = ", ".join(
            f"checked against {level_version}" if mode == CHECK_MODE else f"{mode} {level_version}"
            for mode, level_version in self.modes
        )
        return f"{modes or 'privileged, nothing enforced'}; {self.source}"
    errors: tuple[str, ...] = ()
    """Invalid labels, as the library reports them."""

    @property
    def enforce(self) -> LevelVersion | None:
        return dict(self.modes).get("enforce")


def namespace_policy(
    name: str, namespace: Namespace | None, override: LevelVersion | None
) -> NamespacePolicy:
    if override is not None:
        modes = () if override.level == Level.PRIVILEGED else (("enforce", override),)
        return NamespacePolicy(name, modes, "from --pss")
    labels = namespace.labels if namespace is not None else {}
    if not any(key.startswith(LABEL_PREFIX) for key in labels):
        where = "is not in the input" if namespace is None else "has no pod-security labels"
        return NamespacePolicy(
            name,
            ((CHECK_MODE, RESTRICTED_LATEST),),
            f"tenlayer's default, as the namespace {where} (choose with --pss)",
        )
    resolved, errors = _from_labels(labels)
    chosen = tuple((m, resolved[m]) for m in MODES if resolved[m].level != Level.PRIVILEGED)
    if not chosen:
        return NamespacePolicy(
            name,
            ((CHECK_MODE, BASELINE_LATEST),),
            "the namespace labels choose privileged for every mode, so admission checks "
            "nothing; tenlayer checks baseline (choose with --pss)",
            tuple(errors),
        )
    return NamespacePolicy(name, chosen, "from namespace labels", tuple(errors))


def _from_labels(labels: Mapping[str, str]) -> tuple[dict[str, LevelVersion], list[str]]:
    resolved: dict[str, LevelVersion] = {}
    errors: list[str] = []
    for mode in MODES:
        level, version = PRIVILEGED_LATEST.level, PRIVILEGED_LATEST.version
        level_label, version_label = f"{LABEL_PREFIX}{mode}", f"{LABEL_PREFIX}{mode}-version"
        if level_label in labels:
            text = labels[level_label]
            try:
                level = Level(text)
            except ValueError:
                level = Level.RESTRICTED if mode == "enforce" else Level.PRIVILEGED
                errors.append(
                    f"label {level_label}={text!r} is not privileged, baseline or restricted "
                    f"(read as {level}, as Kubernetes does)"
                )
        if version_label in labels:
            text = labels[version_label]
            try:
                version = PolicyVersion.parse(text)
            except ValueError:
                version = PolicyVersion.latest()
                errors.append(f'label {version_label}={text!r} is not "latest" or "v1.N" '
                              "(read as latest, as Kubernetes does)")
        resolved[mode] = LevelVersion(level, version)
    return resolved, errors


@dataclass(frozen=True, slots=True)
class ModedViolation:
    violation: Violation
    modes: tuple[tuple[str, LevelVersion], ...]
    """The modes (with their level:version) whose policy this violation breaks."""


@dataclass(frozen=True, slots=True)
class PodAdmission:
    template: PodTemplate
    policy: NamespacePolicy
    violations: tuple[ModedViolation, ...]

    @property
    def decision(self) -> str:
        """What Pod Security admission does, in words a report can print."""
        enforced = any(m == "enforce" for v in self.violations for m, _ in v.modes)
        is_pod = self.template.owner.kind == "Pod"
        if enforced:
            return "denied" if is_pod else "pods denied"
        modes = {m for v in self.violations for m, _ in v.modes}
        if "warn" in modes:  # warn answers the client; audit only annotates the audit log
            return "allowed with warnings" + (", audited" if "audit" in modes else "")
        if "audit" in modes:
            return "allowed, audited"
        if self.violations:
            return "violates " + str(self.violations[0].modes[0][1])
        return "allowed"


def admit(template: PodTemplate, policy: NamespacePolicy) -> PodAdmission:
    """Evaluate the template once per distinct level:version among the policy's modes."""
    by_policy: dict[LevelVersion, tuple[Violation, ...]] = {}
    for _mode, level_version in policy.modes:
        if level_version not in by_policy:
            by_policy[level_version] = evaluate_pod(
                template.metadata, template.spec, level_version.level, level_version.version
            )
    merged: dict[tuple[str, tuple[str, ...]], tuple[Violation, list[tuple[str, LevelVersion]]]] = {}
    for mode, level_version in policy.modes:
        for violation in by_policy[level_version]:
            key = (violation.control, violation.paths)
            entry = merged.setdefault(key, (violation, []))
            entry[1].append((mode, level_version))
    violations = tuple(
        ModedViolation(violation, tuple(modes))
        for _key, (violation, modes) in sorted(merged.items())
    )
    return PodAdmission(template, policy, violations)

"""Kubernetes Pod Security Standards, control by control as the pod-security-admission library
defines them at every policy version from v1.0 to v1.37 and `latest`.

`evaluate_pod(metadata, spec, level, version)` gives the violations of one pod or pod template;
`registry` holds the controls and their versioned revisions, `checks` their catalogue entries.
"""

from __future__ import annotations

from tenlayer.policy.pss.model import Level, PolicyVersion, Violation
from tenlayer.policy.pss.registry import CONTROLS, Control, controls_for, evaluate_pod

__all__ = [
    "CONTROLS",
    "Control",
    "Level",
    "PolicyVersion",
    "Violation",
    "controls_for",
    "evaluate_pod",
]

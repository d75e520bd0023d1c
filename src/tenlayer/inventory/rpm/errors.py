"""The one error the RPM readers raise; the analyzer turns it into `AnalysisFailed`."""

from __future__ import annotations


class CorruptRpmDb(ValueError):
    """A package database or header blob that cannot be read safely (message: one line)."""

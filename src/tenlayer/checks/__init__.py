"""The catalogue of checks: every finding tenlayer can report, declared in one place."""

"""RPM package databases (SQLite, NDB, Berkeley DB), read without the rpm binary."""

from tenlayer.inventory.rpm.analyzer import DB_PATHS, RpmAnalyzer, read_headers

__all__ = ["DB_PATHS", "RpmAnalyzer", "read_headers"]

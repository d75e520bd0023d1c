"""RPM package databases (SQLite, NDB, Berkeley DB), read without the rpm binary."""

from typing import TYPE_CHECKING, Any

from tenlayer.inventory.rpm.analyzer import DB_PATHS, RpmAnalyzer

if TYPE_CHECKING:
    from tenlayer.inventory.rpm.database import read_headers

__all__ = ["DB_PATHS", "RpmAnalyzer", "read_headers"]


def __getattr__(name: str) -> Any:
    """`read_headers` on first use: its readers are only needed when a database is met."""
    if name == "read_headers":
        from tenlayer.inventory.rpm.database import read_headers

        return read_headers
    raise AttributeError(name)

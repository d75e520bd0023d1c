"""Vulnerability data: OSV and distribution feeds in a SQLite store, version comparison per
ecosystem, and the matching of an inventory against it."""

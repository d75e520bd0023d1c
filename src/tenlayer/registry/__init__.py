"""The guarded registry: a token service for the CNCF distribution registry, identities and
Harbor's roles, scan on push and a gate that refuses pulls of vulnerable or unsigned images."""

"""Dockerfiles: a parser for the full syntax and the build-layer security rules."""

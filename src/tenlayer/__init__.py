"""tenlayer: container security across the ten layers of the container life cycle."""

__version__ = "0.1.0"

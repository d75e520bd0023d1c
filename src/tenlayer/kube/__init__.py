"""Kubernetes manifests: safe loading, objects with their source lines, pod templates of workloads."""

"""Kubernetes manifests: safe loading, objects with their lines, the pod templates of workloads."""

"""Deployment policy (layer 5): Pod Security Standards, OpenShift SCC admission, workload checks."""

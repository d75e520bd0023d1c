"""tenlayer k8s netpol at scale: a generated cluster, timed in-process.

    .venv/bin/python bench/netpol_scale.py [--workloads 5000] [--namespaces 200]
                                           [--policies 1000]

Each namespace gets a tenant label (20 tenants) and an equal share of Deployments (labels
app, tier of 5, and a named port); policies are spread over the namespaces in turn: a
default deny, ingress from the same tenant's namespaces to one tier on a named port, ingress
from one app, egress to DNS and to an ipBlock with an except. The issue's target: 5,000
workloads, 200 namespaces, 1,000 policies in at most 10 s and 2 GB.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import yaml

from tenlayer.kube.inputs import load_manifests
from tenlayer.netpol.connectivity import analyze


def _policy(number: int, namespace: str, tenant: str) -> dict[str, object]:
    kind = number % 4
    spec: dict[str, object]
    if kind == 0:
        spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}
    elif kind == 1:
        spec = {"podSelector": {"matchLabels": {"tier": f"t{number % 5}"}},
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"tenant": tenant}}}],
                             "ports": [{"port": "http"}]}]}
    elif kind == 2:
        spec = {"podSelector": {"matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["t1", "t2"]}]},
                "ingress": [{"from": [
                    {"podSelector": {"matchLabels": {"app": f"a{number % 7}"}}}]}]}
    else:
        spec = {"podSelector": {"matchLabels": {"tier": f"t{number % 5}"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": f"10.{number % 250}.0.0/16",
                                                "except": [f"10.{number % 250}.1.0/24"]}}],
                            "ports": [{"port": 443}]}]}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"p{number}", "namespace": namespace}, "spec": spec}


def generate(directory: Path, workloads: int, namespaces: int, policies: int) -> None:
    documents: list[dict[str, object]] = []
    for n in range(namespaces):
        documents.append({"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": f"ns{n}", "labels": {"tenant": f"x{n % 20}"}}})
    for w in range(workloads):
        namespace = f"ns{w % namespaces}"
        labels = {"app": f"a{w % 7}", "tier": f"t{w % 5}"}
        documents.append({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": f"w{w}", "namespace": namespace},
            "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [
                {"name": "c", "image": "i", "ports": [{"name": "http", "containerPort": 8080}]}
            ]}}},
        })
    for p in range(policies):
        n = p % namespaces
        documents.append(_policy(p, f"ns{n}", f"x{n % 20}"))
    (directory / "cluster.yaml").write_text(yaml.safe_dump_all(documents))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=200)
    parser.add_argument("--policies", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        generate(directory, args.workloads, args.namespaces, args.policies)
        started = time.perf_counter()
        objects = load_manifests([str(directory)]).objects
        loaded = time.perf_counter()
        analysis = analyze(objects)
        done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.workloads} workloads, {args.namespaces} namespaces, {args.policies} policies: "
          f"load {loaded - started:.2f} s, connectivity {done - loaded:.2f} s, "
          f"{len(analysis.connections)} connections, peak {peak:.0f} MB")


if __name__ == "__main__":
    main()

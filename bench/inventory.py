"""tenlayer vs trivy vs syft: package inventory of the fixture images, caches empty.

    .venv/bin/python bench/inventory.py [--runs 5]

trivy runs offline with its layer cache deleted before each run (a cold figure, as
PEERS.md describes); syft has no cache; tenlayer has none either.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from measure import FIXTURES, Contender, compare, print_table, tool

IMAGES = {
    "debian minbase (docker-archive)": FIXTURES / "debian" / "debian.docker.tar",
    "application image (docker-archive)": FIXTURES / "app" / "app.docker.tar",
}


def contenders(image: Path, cache: Path) -> list[Contender]:
    def empty_trivy_cache() -> None:
        shutil.rmtree(cache / "fanal", ignore_errors=True)

    return [
        Contender("tenlayer", [tool("tenlayer"), "image", "sbom", str(image), "-f", "json"]),
        Contender(
            "trivy",
            [tool("trivy"), "image", "--input", str(image), "--format", "json", "--list-all-pkgs",
             "--skip-db-update", "--skip-check-update", "--offline-scan", "--scanners", "", "-q"],
            env={"TRIVY_CACHE_DIR": str(cache), "TRIVY_DISABLE_TELEMETRY": "true",
                 "TRIVY_SKIP_VERSION_CHECK": "true"},
            before_each=empty_trivy_cache,
        ),
        Contender(
            "syft",
            [tool("syft"), "-q", f"docker-archive:{image}", "-o", "json"],
            env={"SYFT_CHECK_FOR_APP_UPDATE": "false"},
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenlayer-bench-") as scratch:
        for title, image in IMAGES.items():
            if not image.exists():
                print(f"\n{title}: {image} missing (run make fixtures)")
                continue
            size = image.stat().st_size / 1e6
            results = compare(contenders(image, Path(scratch) / "trivy"), runs=args.runs)
            print_table(f"{title}, {size:.0f} MB, median of {args.runs}", results, "tenlayer")


if __name__ == "__main__":
    main()

"""Pull-and-walk time from a local distribution registry, tenlayer vs skopeo (and peers).

    .venv/bin/python bench/registry_pull.py [--runs 3] [LAYOUT:TAG ...]

Pushes each OCI layout image (default: the fixture images under .cache/fixtures) into a
registry started on 127.0.0.1, then times, each in a fresh process:

- `tenlayer walk`: open the image over HTTP and stream every layer through the walker with
  no analyzer (digest checks, decompression, tar parsing): the pull itself;
- `tenlayer sbom`: `tenlayer image sbom REF --insecure -f json` (pull plus inventory);
- `skopeo copy docker://REF oci:DIR` into an empty directory (download and write blobs,
  no decompression);
- syft `registry:` and trivy `--image-src remote` (layer cache emptied before each run)
  when they are installed (in .venv/bin or on PATH).

Prints the median wall time and the peak RSS of each. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import registry as support  # noqa: E402

FIXTURES = ROOT / ".cache" / "fixtures"
DEFAULT_IMAGES = [
    f"{FIXTURES}/debian/debian.oci",
    f"{FIXTURES}/app/app.oci",
    f"{FIXTURES}/zstd/debian-uncompressed.oci",
]
WALK = (
    "import sys\n"
    "from tenlayer.image.open import OpenOptions, open_image\n"
    "from tenlayer.image.walker import walk\n"
    "image = open_image(sys.argv[1], OpenOptions(insecure=True))\n"
    "walk(image, [])\n"
    "image.close()\n"
)


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and this child's own peak RSS in MiB (from wait4)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{command[0]} failed with exit {child.returncode}")
    return elapsed, usage.ru_maxrss // 1024


def blob_bytes(layout: Path, tag: str | None) -> int:
    index = json.loads((layout / "index.json").read_text())
    entry = index["manifests"][0]
    if tag:
        entry = next(
            m for m in index["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
        )
    manifest = json.loads(support.layout_blob(layout, entry["digest"]))
    return sum(int(layer["size"]) for layer in manifest["layers"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("images", nargs="*", default=DEFAULT_IMAGES)
    args = parser.parse_args()
    python = str(ROOT / ".venv/bin/python")
    tenlayer = str(ROOT / ".venv/bin/tenlayer")
    work = Path(tempfile.mkdtemp(prefix="tenlayer-bench-"))
    registry = support.start_registry(work / "registry")
    try:
        for spec in args.images:
            layout_text, _, tag = spec.partition(":")
            layout = Path(layout_text)
            source = f"oci:{layout}:{tag}" if tag else f"oci:{layout}"
            name = f"bench/{layout.name.removesuffix('.oci')}"
            reference = f"{registry.address}/{name}:latest"
            support.skopeo_copy(source, f"docker://{reference}")
            size = blob_bytes(layout, tag or None)
            print(f"\n{reference}: {size / 1e6:.1f} MB of layer blobs")
            contenders: dict[str, tuple[list[str], dict[str, str] | None]] = {
                "tenlayer walk": ([python, "-c", WALK, reference], None),
                "tenlayer sbom": (
                    [tenlayer, "image", "sbom", reference, "--insecure", "-f", "json"], None
                ),
                "skopeo copy": (
                    ["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                     f"docker://{reference}", f"oci:{work}/copy:latest"], None,
                ),
            }
            syft = shutil.which("syft", path=f"{ROOT / '.venv/bin'}:{os.environ['PATH']}")
            if syft:
                contenders["syft registry:"] = (
                    [syft, "-q", f"registry:{reference}", "-o", "json"],
                    {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false",
                     "SYFT_REGISTRY_INSECURE_USE_HTTP": "true"},
                )
            trivy = shutil.which("trivy", path=f"{ROOT / '.venv/bin'}:{os.environ['PATH']}")
            if trivy:
                cache = work / "trivy-cache"
                contenders["trivy remote"] = (
                    [trivy, "image", "--image-src", "remote", "--insecure", "--format", "json",
                     "--list-all-pkgs", "--skip-db-update", "--skip-check-update",
                     "--offline-scan", "--scanners", "", "-q", "--cache-dir", str(cache),
                     reference],
                    {**os.environ, "TRIVY_DISABLE_TELEMETRY": "true",
                     "TRIVY_SKIP_VERSION_CHECK": "true"},
                )
            for label, (command, env) in contenders.items():
                times, peaks = [], []
                for _ in range(args.runs):
                    shutil.rmtree(work / "copy", ignore_errors=True)
                    shutil.rmtree(work / "trivy-cache", ignore_errors=True)  # cold, every run
                    elapsed, peak = timed(command, env)
                    times.append(elapsed)
                    peaks.append(peak)
                print(
                    f"  {label:16} median {statistics.median(times):6.2f} s "
                    f"(runs {', '.join(f'{t:.2f}' for t in times)}), "
                    f"{size / 1e6 / statistics.median(times):6.1f} MB/s, "
                    f"peak RSS {max(peaks)} MiB"
                )
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Peak memory of `tenlayer image sbom` on every fixture, and on the generated ~2 GB image
(streaming: the peak must stay flat however large the image). Target: at most 150 MB.

    .venv/bin/python bench/memory.py        # the 2 GB image: scripts/fixtures/build.py --only big
"""

from __future__ import annotations

from measure import FIXTURES, Contender, run_once, tool

IMAGES = [
    FIXTURES / "debian" / "debian.docker.tar",
    FIXTURES / "debian" / "debian.oci",
    FIXTURES / "app" / "app.docker.tar",
    FIXTURES / "app" / "app.oci.tar",
    FIXTURES / "big" / "big.docker.tar",
    FIXTURES / "big" / "big.oci",
]


def size_of(path: object) -> float:
    from pathlib import Path

    target = Path(str(path))
    if target.is_dir():
        return sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) / 1e6
    return target.stat().st_size / 1e6


def main() -> None:
    print(f"  {'image':<40} {'MB':>7} {'seconds':>8} {'peak MiB':>9}")
    for image in IMAGES:
        if not image.exists():
            print(f"  {image.name:<40} missing (make bench builds it)")
            continue
        argv = [tool("tenlayer"), "image", "sbom", str(image), "-f", "json"]
        contender = Contender("tenlayer", argv)
        seconds, rss = min(run_once(contender) for _ in range(3))
        print(f"  {image.name:<40} {size_of(image):>7.0f} {seconds:>8.2f} {rss / 1024:>9.1f}")


if __name__ == "__main__":
    main()

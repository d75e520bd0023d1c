"""`tenlayer --version` start-up time (target: under 150 ms), median of 20 runs.

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

from measure import Contender, compare, tool


def main() -> None:
    results = compare(
        [
            Contender("tenlayer", [tool("tenlayer"), "--version"]),
            Contender("help", [tool("tenlayer"), "image", "sbom", "--help"]),
            Contender("python", [tool("python"), "-c", "pass"]),
        ],
        runs=20,
    )
    for result in results:
        print(f"  {result.name:<10} median {result.median * 1000:6.1f} ms")


if __name__ == "__main__":
    main()

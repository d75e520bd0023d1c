"""Run every benchmark in bench/ one after the other."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["startup.py", "inventory.py", "memory.py", "db_import.py", "match.py",
              "k8s_check.py", "dockerfile_lint.py", "image_checks.py", "registry_tokens.py"]

if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        sys.argv = [name]
        runpy.run_path(str(HERE / name), run_name="__main__")

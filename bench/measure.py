"""Run commands side by side and report medians: the shared part of every benchmark.

Each round runs every contender once, in turn, so that machine noise spreads evenly over
them; wall time and peak memory (max RSS of the child, from wait4) are kept per run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
FIXTURES = ROOT / ".cache" / "fixtures"
PEERS = ROOT / ".cache" / "peers"
"""Peers too large for the project's virtualenv, each in its own (make bench creates them)."""


@dataclass
class Contender:
    name: str
    argv: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)
    before_each: Callable[[], None] | None = None
    """Run before every timed run (outside the timing), e.g. to empty a cache."""
    stdout: Path | None = None
    """File that receives the command's standard output (default: discarded)."""
    runs: int | None = None
    """Fewer timed runs than the others (a slow contender sits out the later rounds)."""
    warmup: bool = True
    """Whether compare runs it once untimed first (too costly for a very slow contender)."""


class ToolFailed(SystemExit):
    """A contender exited non-zero; uncaught, it ends the benchmark with its message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass
class Result:
    name: str
    seconds: list[float] = field(default_factory=list)
    max_rss_kib: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mib(self) -> float:
        return max(self.max_rss_kib) / 1024


GNU_TIME = Path("/usr/bin/time")


def run_once(contender: Contender) -> tuple[float, int]:
    """Wall time and peak RSS (KiB). The peak comes from GNU time around the command, when
    installed: wait4's figure for a child also counts the benchmark process it forked from."""
    if contender.before_each is not None:
        contender.before_each()
    env = {**os.environ, **contender.env}
    with (
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
        tempfile.TemporaryFile() as stderr,  # a file, not a pipe: a full pipe would block it
        open(contender.stdout or os.devnull, "wb") as stdout,
    ):
        argv = list(contender.argv)
        if GNU_TIME.exists():
            argv = [str(GNU_TIME), "-f", "%M", "-o", rss.name, *argv]
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            error = stderr.read().decode(errors="replace").strip()
            message = f"{contender.name} failed ({process.returncode}): {error}"
            raise ToolFailed(contender.name, message)
        measured = rss.read().strip().splitlines()
    peak = int(measured[-1]) if measured and measured[-1].isdigit() else usage.ru_maxrss
    return elapsed, peak


def compare(contenders: Sequence[Contender], runs: int = 5) -> list[Result]:
    results = [Result(c.name) for c in contenders]
    for contender in contenders:  # warm the page cache and any one-time set-up
        if contender.warmup:
            run_once(contender)
    for done in range(runs):
        for contender, result in zip(contenders, results, strict=True):
            if contender.runs is not None and done >= contender.runs:
                continue
            seconds, rss = run_once(contender)
            result.seconds.append(seconds)
            result.max_rss_kib.append(rss)
    return results


def print_table(title: str, results: Sequence[Result], baseline: str) -> None:
    base = next(r for r in results if r.name == baseline)
    print(f"\n{title}")
    print(f"  {'tool':<12} {'median s':>9} {'min s':>7} {'peak MiB':>9}  ratio (tenlayer / tool)")
    for result in results:
        ratio = "" if result is base else f"{base.median / result.median:.2f}x"
        print(
            f"  {result.name:<12} {result.median:>9.3f} {min(result.seconds):>7.3f} "
            f"{result.peak_mib:>9.1f}  {ratio}"
        )


def find_tool(name: str, bin_dir: Path = VENV_BIN) -> str | None:
    """The executable in bin_dir, else on PATH; None when it is not installed."""
    found = bin_dir / name
    if found.exists():
        return str(found)
    return shutil.which(name)


def tool(name: str) -> str:
    path = find_tool(name)
    if path is None:
        raise SystemExit(f"{name} is not installed (make venv installs the peers)")
    return path

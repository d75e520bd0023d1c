"""The real tools as oracles: long-lived processes that compare many version pairs.

Each oracle reads `A<TAB>B` lines on stdin and answers one line per pair: `-1`, `0`, `1`, or
`E` when the tool refuses a version. Starting a tool once and streaming pairs through it
keeps thousands of comparisons within seconds:

- dpkg: `dpkg --compare-versions` in a shell loop (two loops in parallel; dpkg has no batch
  mode, so this is the slow one, about 1.5 ms a call);
- rpm: `rpm.vercmp` in rpm's embedded Lua, one `rpm --eval` reading stdin;
- maven: Maven's own `ComparableVersion` from the installed maven-artifact jar, driven by a
  tiny Java program compiled once into .cache/oracles/maven;
- semver: node-semver (npm's own), installed once with npm into .cache/oracles/npm.

A missing tool makes `start()` raise OracleUnavailable with the reason, which the tests turn
into a skip (CI installs them all).
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from tenlayer.vulndb.versions import InvalidVersion

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".cache" / "oracles"
HERE = Path(__file__).resolve().parent

Pair = tuple[str, str]
Answer = int | None  # None: the tool refused one of the versions


class OracleUnavailable(Exception):
    pass


class LineOracle:
    """A child process that answers one line per `A<TAB>B` line."""

    def __init__(self, name: str, argv: Sequence[str], cwd: Path | None = None) -> None:
        self.name = name
        self.process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            bufsize=1,
        )
        atexit.register(self.close)

    def ask(self, pairs: Sequence[Pair]) -> list[Answer]:
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        for a, b in pairs:
            if "\t" in a or "\n" in a or "\t" in b or "\n" in b:
                raise ValueError(f"{self.name} oracle: tab or newline in {a!r} / {b!r}")
        process.stdin.write("".join(f"{a}\t{b}\n" for a, b in pairs))
        process.stdin.flush()
        answers: list[Answer] = []
        for a, b in pairs:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.name} oracle exited while comparing {a!r} {b!r}")
            text = line.strip()
            answers.append(None if text == "E" else _sign(int(text)))
        return answers

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class SplitOracle:
    """Several copies of a slow oracle, each given a share of every batch."""

    def __init__(self, oracles: Sequence[LineOracle]) -> None:
        self.oracles = list(oracles)
        self.name = oracles[0].name

    def ask(self, pairs: Sequence[Pair]) -> list[Answer]:
        count = len(self.oracles)
        shares = [list(pairs[index::count]) for index in range(count)]
        # write every share before reading any answer, so the copies work in parallel
        for oracle, share in zip(self.oracles, shares, strict=True):
            process = oracle.process
            assert process.stdin is not None
            process.stdin.write("".join(f"{a}\t{b}\n" for a, b in share))
            process.stdin.flush()
        results: list[list[Answer]] = []
        for oracle, share in zip(self.oracles, shares, strict=True):
            stdout = oracle.process.stdout
            assert stdout is not None
            answers: list[Answer] = []
            for _ in share:
                text = stdout.readline().strip()
                if not text:
                    raise RuntimeError(f"{self.name} oracle exited")
                answers.append(None if text == "E" else _sign(int(text)))
            results.append(answers)
        merged: list[Answer] = [None] * len(pairs)
        for index, answers in enumerate(results):
            merged[index::count] = answers
        return merged


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


Oracle = LineOracle | SplitOracle
_STARTED: dict[str, Oracle | OracleUnavailable] = {}


def start(name: str) -> Oracle:
    """The named oracle (dpkg, rpm, maven, semver), started on first use; a tool found
    missing once is not looked for again."""
    if name not in _STARTED:
        try:
            _STARTED[name] = _STARTERS[name]()
        except OracleUnavailable as missing:
            _STARTED[name] = missing
    started = _STARTED[name]
    if isinstance(started, OracleUnavailable):
        raise started
    return started


_DPKG_LOOP = r"""
while IFS=$'\t' read -r a b; do
  dpkg --compare-versions -- "$a" lt "$b" 2>/dev/null; r=$?
  if [ $r -eq 0 ]; then echo -1
  elif [ $r -ne 1 ]; then echo E
  elif dpkg --compare-versions -- "$a" eq "$b" 2>/dev/null; then echo 0
  else echo 1
  fi
done
"""


def _dpkg() -> SplitOracle:
    if shutil.which("dpkg") is None:
        raise OracleUnavailable("dpkg is not installed")
    return SplitOracle([LineOracle("dpkg", ["bash", "-c", _DPKG_LOOP]) for _ in range(2)])


_RPM_LUA = """
while true do
  local line = io.read("l")
  if line == nil then break end
  local a, b = line:match("^(.-)\\t(.*)$")
  local ok, r = pcall(rpm.vercmp, a, b)
  if ok then io.write(tostring(r), "\\n") else io.write("E\\n") end
  io.flush()
end
"""


def _rpm() -> LineOracle:
    rpm = shutil.which("rpm")
    if rpm is None:
        raise OracleUnavailable("rpm is not installed (Debian package 'rpm')")
    script = _cached_file("rpm", "vercmp.lua", _RPM_LUA)
    return LineOracle("rpm", [rpm, "--eval", f"%{{lua: dofile('{script}')}}"])


_MAVEN_JAR = Path("/usr/share/maven/lib/maven-artifact-3.x.jar")
_MAVEN_JAVA = """
import java.io.*;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenOracle {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(
            new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            int tab = line.indexOf('\\t');
            ComparableVersion a = new ComparableVersion(line.substring(0, tab));
            ComparableVersion b = new ComparableVersion(line.substring(tab + 1));
            out.println(Integer.signum(a.compareTo(b)));
            if (!in.ready()) out.flush();
        }
        out.flush();
    }
}
"""


def _maven() -> LineOracle:
    java, javac = shutil.which("java"), shutil.which("javac")
    if java is None or javac is None:
        raise OracleUnavailable("no JDK (java and javac) is installed")
    if not _MAVEN_JAR.exists():
        raise OracleUnavailable(f"Maven is not installed ({_MAVEN_JAR} is missing)")
    jar = _MAVEN_JAR.resolve()
    digest = hashlib.sha256(_MAVEN_JAVA.encode() + str(jar).encode()).hexdigest()[:16]
    classes = CACHE / "maven" / digest
    if not (classes / "MavenOracle.class").exists():
        classes.mkdir(parents=True, exist_ok=True)
        source = classes / "MavenOracle.java"
        source.write_text(_MAVEN_JAVA)
        subprocess.run(
            [javac, "-cp", str(jar), "-d", str(classes), str(source)],
            check=True,
            capture_output=True,
        )
    return LineOracle("maven", [java, "-cp", f"{jar}:{classes}", "MavenOracle"])


_SEMVER_VERSION = "7.7.2"
_SEMVER_JS = """
const semver = require('semver');
const readline = require('readline');
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
let timer = null;
function flush() { process.stdout.write(out.join('')); out.length = 0; timer = null; }
rl.on('line', (line) => {
  const tab = line.indexOf('\\t');
  const a = semver.clean(line.slice(0, tab));
  const b = semver.clean(line.slice(tab + 1));
  out.push(a === null || b === null ? 'E\\n' : semver.compare(a, b) + '\\n');
  if (timer === null) timer = setImmediate(flush);
});
rl.on('close', () => { if (out.length) flush(); });
"""


def _semver() -> LineOracle:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise OracleUnavailable("node and npm are not installed")
    home = CACHE / "npm"
    package = home / "node_modules" / "semver" / "package.json"
    if not package.exists() or f'"version": "{_SEMVER_VERSION}"' not in package.read_text():
        home.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(home),
                "--no-audit",
                "--no-fund",
                "--silent",
                f"semver@{_SEMVER_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not package.exists():
            raise OracleUnavailable(
                f"npm could not install semver@{_SEMVER_VERSION}: {done.stderr.strip()[:200]}"
            )
    script = _cached_file("npm", "compare.js", _SEMVER_JS)
    return LineOracle("semver", [node, str(script)], cwd=home)


def _cached_file(folder: str, name: str, text: str) -> Path:
    path = CACHE / folder / name
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


_STARTERS: dict[str, Callable[[], Oracle]] = {
    "dpkg": _dpkg,
    "rpm": _rpm,
    "maven": _maven,
    "semver": _semver,
}


#: pairs compared with each oracle in this run, and how many disagreed: {name: [pairs, bad]}
TALLY: dict[str, list[int]] = {}


def disagreements(name: str, pairs: Sequence[Pair], ours: Callable[[str, str], int]) -> list[str]:
    """Compare every pair with tenlayer and with the named tool; describe each disagreement.

    tenlayer's answer for a pair with a version it refuses (InvalidVersion) is None, which
    must meet the tool's own refusal.
    """
    answers = start(name).ask(pairs)
    bad: list[str] = []
    for (a, b), theirs in zip(pairs, answers, strict=True):
        try:
            mine: Answer = ours(a, b)
        except InvalidVersion:
            mine = None
        if mine != theirs:
            bad.append(f"{a!r} vs {b!r}: tenlayer {_show(mine)}, {name} {_show(theirs)}")
    tally = TALLY.setdefault(name, [0, 0])
    tally[0] += len(pairs)
    tally[1] += len(bad)
    return bad


def _show(answer: Answer) -> str:
    return "refuses" if answer is None else str(answer)

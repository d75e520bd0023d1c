"""Rules about the commands RUN runs: sudo, curl piped into a shell, world-writable modes
(chmod, `install -m`, `mkdir -m`, and COPY/ADD `--chmod`), and package-manager caches left in
the layer.

Windows stages are skipped: their RUN is cmd or PowerShell, not a POSIX shell, and sudo,
chmod and the Linux package managers do not exist there. Only PowerShell's download-and-run
(`iwr … | iex`, `Invoke-Expression (Invoke-WebRequest …)`,
`iex ((New-Object Net.WebClient).DownloadString(…))`) is looked for there, as curl-pipe-shell.

Caches follow hadolint's rules (DL3009, DL3019, DL3042, DL3032/DL3040/DL3036, DL3060) with
these differences, each because the image is what matters:
- only the stages the image is built from are checked (a builder stage's cache is never
  shipped); hadolint checks every stage for all but DL3009;
- `apt-get dist-clean` and `rm` of anything under /var/lib/apt/lists clean the lists
  (hadolint wants `rm -rf /var/lib/apt/lists/*` exactly);
- `rm` of /var/cache/apk cleans what `apk add` left, as `--no-cache` would;
- a cache or tmpfs mount over the cache directory keeps it out of the layer (hadolint: for
  apt only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace

from tenlayer.dockerfile.context import Context, Hit
from tenlayer.dockerfile.shell import SHELLS, Command, script_of, split_commands
from tenlayer.dockerfile.stages import Stage
from tenlayer.dockerfile.syntax import Instruction

_DOWNLOADERS = frozenset({"curl", "wget"})
_SUBSTITUTED = re.compile(r"\b(?:(?:ba|z|da|k|a)?sh|eval)\b[^|;&\n]*(?:\$\(|`)\s*"
                          r"(?:curl|wget)\b|<\(\s*(?:curl|wget)\b")
_PS_DOWNLOAD = (r"(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|curl|wget|"
                r"\(?\s*New-Object\s+(?:System\.)?Net\.WebClient\s*\)?\s*\.\s*DownloadString)")
_PS_RUN = r"(?:iex|Invoke-Expression)"
_POWERSHELL_PIPED = re.compile(rf"(?<![\w-]){_PS_DOWNLOAD}\b[^|;\n]*\|\s*{_PS_RUN}\b",
                               re.IGNORECASE)
"""`iwr https://x | iex`, `(New-Object Net.WebClient).DownloadString('…') | iex`."""
_POWERSHELL_RUN = re.compile(rf"(?<![\w-]){_PS_RUN}\s*[\s(&]*\(?\s*{_PS_DOWNLOAD}",
                             re.IGNORECASE)
"""`Invoke-Expression (Invoke-WebRequest …)`,
`iex ((New-Object Net.WebClient).DownloadString(…))`."""
_PASS_THROUGH = frozenset({"tee", "cat"})
"""Commands that pass a download on unchanged along a pipe (`curl … | tee log | sh`)."""
_OCTAL = re.compile(r"^[0-7]{3,4}$")
_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*)$")
_CLUSTERED = frozenset("pvdDcCsbZ")
"""Short options of install and mkdir that take no value and may come before -m (`-dm`)."""
_TRUTHY = frozenset({"1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES"})
_INTERPRETER = re.compile(r"^(?:python[\d.]*|perl|ruby|node|php[\d.]*)$")
_PIP = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")


def run_rules(context: Context) -> Iterator[Hit]:
    shipped = {stage.index for stage in context.shipped}
    for stage in context.stages:
        if stage.index in context.windows:
            yield from _powershell_download_run(context, stage)
            continue
        pip_no_cache = _pip_no_cache_env(context, stage)
        for instruction in stage.instructions:
            if instruction.keyword == "ENV" and _sets_pip_no_cache(instruction):
                pip_no_cache = True
            if instruction.keyword in ("COPY", "ADD"):
                yield from _copy_chmod(context, stage, instruction)
            run = _run_of(instruction)
            if run is None:
                continue
            script = script_of(run)
            written = split_commands(script)
            yield from _sudo(context, stage, instruction, written)
            commands = [command.unwrapped() for command in written]
            yield from _pipe_to_shell(context, stage, instruction, commands, script)
            yield from _chmod(context, stage, instruction, commands)
            if run is not instruction:
                continue  # ONBUILD RUN: its caches are the child image's
            if stage.index in shipped and not context.dockerfile.filled_in(instruction):
                yield from _caches(context, stage, instruction, commands, script, pip_no_cache)


def _run_of(instruction: Instruction) -> Instruction | None:
    """The RUN itself, or the RUN an ONBUILD holds (with the heredocs read after it)."""
    if instruction.keyword == "RUN":
        return instruction
    sub = instruction.sub
    if instruction.keyword == "ONBUILD" and sub is not None and sub.keyword == "RUN":
        return replace(sub, heredocs=instruction.heredocs)
    return None


def _sudo(context: Context, stage: Stage, instruction: Instruction,
          commands: list[Command]) -> Iterator[Hit]:
    if any(command.name == "sudo" for command in commands):
        yield context.hit("build/sudo", stage, instruction)


def _pipe_to_shell(context: Context, stage: Stage, instruction: Instruction,
                   commands: list[Command], script: str) -> Iterator[Hit]:
    for position, before in enumerate(commands):
        if before.name not in _DOWNLOADERS:
            continue
        for after in commands[position + 1:]:
            if not after.piped:
                break
            if _runs_shell(after):
                yield context.hit(
                    "build/curl-pipe-shell", stage, instruction,
                    title=f"{before.name} output piped into {after.name}",
                    evidence={"downloader": before.name, "shell": after.name})
                return
            if after.name not in _PASS_THROUGH:
                break
    match = _SUBSTITUTED.search(script)
    if match:
        yield context.hit("build/curl-pipe-shell", stage, instruction,
                          title="A downloaded script is run by a shell",
                          evidence={"command": match.group(0)})


def _powershell_download_run(context: Context, stage: Stage) -> Iterator[Hit]:
    for instruction in stage.instructions:
        run = _run_of(instruction)
        if run is None:
            continue
        script = script_of(run)
        match = _POWERSHELL_PIPED.search(script) or _POWERSHELL_RUN.search(script)
        if match:
            yield context.hit("build/curl-pipe-shell", stage, instruction,
                              title="A downloaded PowerShell script is run (Invoke-Expression)",
                              evidence={"command": " ".join(match.group(0).split())})


def _runs_shell(command: Command) -> bool:
    """A shell, or an interpreter that runs the script it reads (`| python3 -`)."""
    return command.name in SHELLS or bool(_INTERPRETER.match(command.name))


def _chmod(context: Context, stage: Stage, instruction: Instruction,
           commands: list[Command]) -> Iterator[Hit]:
    """chmod, and the modes `install -m` and `mkdir -m` create files and directories with
    (`-m 777`, `-m=0777`, `-m777`, `-dm 777`, `--mode=777`, `--mode 777`)."""
    for command in [c for written in commands for c in (written, *written.nested())]:
        if command.name == "chmod":
            modes = [a for a in command.args if not a.startswith("-") or _SYMBOLIC.match(a)]
            mode = modes[0] if modes else None
            shown = f"chmod {mode}"
        elif command.name in ("install", "mkdir"):
            mode = _mode_option(command.args)
            shown = f"{command.name} -m {mode}"
        else:
            continue
        if mode is not None and _world_writable(mode):
            yield context.hit("build/chmod-world-writable", stage, instruction,
                              title=f"{shown} makes files writable by everyone",
                              evidence={"mode": mode} if command.name == "chmod" else
                              {"mode": mode, "command": command.name})
            return


def _mode_option(args: tuple[str, ...]) -> str | None:
    """The value of install's or mkdir's -m/--mode (the last one given)."""
    found = None
    words = list(args)
    for position, word in enumerate(words):
        following = words[position + 1] if position + 1 < len(words) else None
        if word == "--":
            break
        if word == "--mode":
            found = following
        elif word.startswith("--mode="):
            found = word.partition("=")[2]
        elif word.startswith("-") and not word.startswith("--") and "m" in word:
            before, _, rest = word[1:].partition("m")
            if set(before) <= _CLUSTERED:
                found = following if not rest else rest.removeprefix("=")
    return found


def _copy_chmod(context: Context, stage: Stage, instruction: Instruction) -> Iterator[Hit]:
    """`COPY --chmod=777`, `ADD --chmod=0666`: the copied files get that mode."""
    written = instruction.flag("chmod")
    if not written:
        return
    mode = context.expanded(stage, instruction, written)
    if mode is not None and _world_writable(mode):
        keyword = instruction.keyword
        yield context.hit("build/chmod-world-writable", stage, instruction,
                          detail=f"--chmod={written}",
                          title=f"{keyword} --chmod={mode} makes files writable by everyone",
                          evidence={"mode": mode})


def _world_writable(mode: str) -> bool:
    if _OCTAL.match(mode):
        digits = mode.rjust(4, "0")
        return bool(int(digits[3]) & 2) and not int(digits[0]) & 1
    clauses = [_SYMBOLIC.match(clause) for clause in mode.split(",")]
    if not all(clauses) or any("t" in c.group(3) for c in clauses if c):
        return False
    return any(
        c.group(2) in "+=" and "w" in c.group(3) and ("a" in c.group(1) or "o" in c.group(1))
        for c in clauses if c
    )


def _caches(context: Context, stage: Stage, instruction: Instruction, commands: list[Command],
            script: str, pip_no_cache: bool) -> Iterator[Hit]:
    mounts = _mount_targets(instruction)
    for check_id, title, installs, cleans, directories in _MANAGERS:
        installing = next((c for c in commands if installs(c)), None)
        if installing is None or any(cleans(c) for c in commands):
            continue
        if any(target.startswith(d) for target in mounts for d in directories):
            continue
        if check_id == "build/pip-cache-left" and (pip_no_cache or _pip_env_in(script)):
            continue
        yield context.hit(check_id, stage, instruction, title=title,
                          evidence={"command": " ".join(installing.words[:3])})


def _mount_targets(instruction: Instruction) -> list[str]:
    targets = []
    for flag in instruction.flags:
        key, _, value = flag[2:].partition("=")
        if key != "mount":
            continue
        options = dict(part.partition("=")[::2] for part in value.split(","))
        if options.get("type") in ("cache", "tmpfs"):
            target = options.get("target") or options.get("dst") or options.get("destination")
            if target:
                targets.append(target)
    return targets


def _is(name: str, *verbs: str) -> Callable[[Command], bool]:
    return lambda c: c.name == name and any(verb in c.args for verb in verbs)


def _removes(*prefixes: str) -> Callable[[Command], bool]:
    return lambda c: c.name == "rm" and any(a.startswith(prefixes) for a in c.args)


def _any(*tests: Callable[[Command], bool]) -> Callable[[Command], bool]:
    return lambda c: any(test(c) for test in tests)


def _pip_install(command: Command) -> bool:
    if "pipx" in command.name or "pipenv" in command.name:
        return False
    if _PIP.match(command.name):
        return "install" in command.args
    if _PYTHON.match(command.name):
        args = command.args
        return any(args[i:i + 3] == ("-m", "pip", "install") for i in range(len(args)))
    return False


def _pip_no_cache_dir(command: Command) -> bool:
    return "--no-cache-dir" in command.args


_MANAGERS: tuple[tuple[str, str, Callable[[Command], bool], Callable[[Command], bool],
                       tuple[str, ...]], ...] = (
    ("build/apt-lists-left", "apt-get update without removing /var/lib/apt/lists in the same RUN",
     _any(_is("apt-get", "update"), _is("apt", "update")),
     _any(_removes("/var/lib/apt/lists"), _is("apt-get", "dist-clean"), _is("apt", "dist-clean")),
     ("/var/lib/apt",)),
    ("build/apk-cache-left", "apk add without --no-cache",
     lambda c: c.name == "apk" and "add" in c.args and "--no-cache" not in c.args,
     _removes("/var/cache/apk"), ("/var/cache/apk", "/etc/apk/cache")),
    ("build/pip-cache-left", "pip install without --no-cache-dir",
     lambda c: _pip_install(c) and not _pip_no_cache_dir(c),
     lambda c: False, ("/root/.cache", "/root/.cache/pip")),
    ("build/rpm-cache-left", "yum, dnf or zypper install without cleaning its cache",
     _any(_is("yum", "install"), _is("dnf", "install"), _is("microdnf", "install"),
          _is("zypper", "install", "in")),
     _any(_is("yum", "clean"), _is("dnf", "clean"), _is("microdnf", "clean"),
          _is("zypper", "clean", "cc"), _removes("/var/cache/yum", "/var/cache/dnf")),
     ("/var/cache/yum", "/var/cache/dnf", "/var/cache/zypp")),
    ("build/yarn-cache-left", "yarn install without yarn cache clean",
     _is("yarn", "install"), lambda c: c.name == "yarn" and c.has("cache", "clean"),
     ("/usr/local/share/.cache/yarn",)),
)


def _sets_pip_no_cache(instruction: Instruction) -> bool:
    values = instruction.values
    return any(name == "PIP_NO_CACHE_DIR" and value.strip("'\"") in _TRUTHY
               for name, value in zip(values[::2], values[1::2], strict=False))


def _pip_no_cache_env(context: Context, stage: Stage) -> bool:
    """PIP_NO_CACHE_DIR set in a stage this one is built from."""
    parent = stage.parent
    while parent is not None:
        before = context.stages[parent]
        if any(i.keyword == "ENV" and _sets_pip_no_cache(i) for i in before.instructions):
            return True
        parent = before.parent
    return False


def _pip_env_in(script: str) -> bool:
    match = re.search(r"PIP_NO_CACHE_DIR=(\S+)", script)
    return match is not None and match.group(1).strip("'\"") in _TRUTHY

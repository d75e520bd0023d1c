"""Rules read from the instructions themselves: USER, FROM, ADD, ENV/ARG, EXPOSE and
HEALTHCHECK. (Rules about the commands RUN runs are in run_rules.)"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tenlayer.dockerfile.context import Context, Hit
from tenlayer.dockerfile.stages import Stage, arg_pairs
from tenlayer.dockerfile.syntax import Instruction
from tenlayer.dockerfile.words import unquote
from tenlayer.image.users import is_root_user
from tenlayer.model import Severity
from tenlayer.secrets.env import secret_reason

_REMOTE = re.compile(r"^(?:https?://|git@)", re.IGNORECASE)
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", re.IGNORECASE)
_ARG_PLACEHOLDER = "?"
"""secret_reason judges a name only with a value; an ARG without a default is still a secret
when its name says so (its value is in the build history), and "?" has no credential shape."""


def user_root(context: Context) -> Iterator[Hit]:
    """The last USER of the final stage, else of the stage it is built from, and so on.

    Root is every spelling of UID 0 the runtime accepts (image.users.is_root_user: `root`,
    `0`, `00`, `+0`, `0:1`). A USER whose variables are not set in the stage (`USER
    $NOTSET`, or an ARG before FROM that the stage does not declare again) ends up empty,
    which is root too (medium); one chosen by an ARG without a default is `--build-arg`'s."""
    if not context.shipped or context.windows_image:
        return  # Windows has no root user; ContainerAdministrator is another matter
    final = context.shipped[0]
    for stage in context.shipped:
        users = [i for i in stage.instructions if i.keyword == "USER" and i.values]
        if users:
            yield from _last_user(context, final, stage, users[-1])
            return
    yield context.hit(
        "build/user-root", final, final.start, severity=Severity.MEDIUM,
        title="No USER in the stages the image is built from: it runs as root unless the "
        "base image sets a user",
    )


def _last_user(context: Context, final: Stage, stage: Stage, user: Instruction
               ) -> Iterator[Hit]:
    written = user.values[0]
    opened = context.opened(stage, user, written)
    name = opened.text
    if opened.open or not is_root_user(name):
        return
    if opened.unset:
        unset = ", ".join(opened.unset)
        verb = "is" if len(opened.unset) == 1 else "are"
        before_from = [n for n in opened.unset if n in context.global_values]
        hint = (f"; an ARG before FROM must be declared again in the stage (ARG "
                f"{' '.join(before_from)})" if before_from else "")
        yield context.hit(
            "build/user-root", final, user, severity=Severity.MEDIUM,
            title=f"The image runs as root (USER {written}: {unset} {verb} not set in the "
            f"stage, so the user is empty{hint})",
            evidence={"user": name, "written": written, "unset": unset})
        return
    shown = written if name == unquote(written, context.dockerfile.escape) else (
        f"{written}, which is {name}")
    yield context.hit("build/user-root", final, user,
                      title=f"The image runs as root (USER {shown})",
                      evidence={"user": name} if shown == written else
                      {"user": name, "written": written})


def add_remote(context: Context) -> Iterator[Hit]:
    for stage, instruction in _each(context, "ADD"):
        if instruction.flag("checksum") is not None:
            continue  # BuildKit verifies the download
        for source in instruction.values[:-1]:
            if _REMOTE.match(source):
                url = _USERINFO.sub(r"\1", source)
                yield context.hit("build/add-remote-url", stage, instruction, detail=url,
                                  title=f"ADD fetches {url} without a checksum",
                                  evidence={"url": url})


def secrets(context: Context) -> Iterator[Hit]:
    escape = context.dockerfile.escape
    for stage, instruction in _each(context, "ENV"):
        values = instruction.values
        for name, value in zip(values[::2], values[1::2], strict=False):
            reason = secret_reason(name, unquote(value, escape))
            if reason:
                yield context.hit("build/secret-in-env", stage, instruction, detail=name,
                                  title=f"ENV {name} sets a secret: {reason}",
                                  evidence={"variable": name, "why": reason})
    for stage, instruction in _each_arg(context):
        for name, default in arg_pairs(instruction, escape):
            arg_reason = secret_reason(name, default or _ARG_PLACEHOLDER)
            if arg_reason:
                yield context.hit("build/secret-in-arg", stage, instruction, detail=name,
                                  title=f"ARG {name} passes a secret: {arg_reason}",
                                  evidence={"variable": name, "why": arg_reason})


def _each_arg(context: Context) -> Iterator[tuple[Stage, Instruction]]:
    """ARGs in stages, and the global ones before the first FROM (reported on stage 0)."""
    if context.stages:
        for instruction in context.dockerfile.instructions:
            if instruction.keyword == "FROM":
                break
            if instruction.keyword == "ARG":
                yield context.stages[0], instruction
    yield from _each(context, "ARG")


def ssh_exposed(context: Context) -> Iterator[Hit]:
    """Ports as BuildKit reads them: variables expanded (`EXPOSE ${SSH_PORT}`)."""
    for stage, instruction in _each(context, "EXPOSE"):
        for written in instruction.values:
            expanded = context.expanded(stage, instruction, written)
            for port in (expanded or "").split():
                number, _, protocol = port.partition("/")
                low, _, high = number.partition("-")
                if protocol.lower() not in ("", "tcp") or not low.isdigit():
                    continue
                if int(low) <= 22 <= int(high if high.isdigit() else low):
                    shown = port if port == written else f"{written}, which is {port}"
                    yield context.hit(
                        "build/ssh-port-exposed", stage, instruction, detail=port,
                        title=f"EXPOSE {shown}: SSH port exposed",
                        evidence={"port": port} if port == written else
                        {"port": port, "written": written})


def no_healthcheck(context: Context) -> Iterator[Hit]:
    if not context.shipped:
        return
    for stage in context.shipped:
        if any(i.keyword == "HEALTHCHECK" for i in stage.instructions):
            return
    final = context.shipped[0]
    yield context.hit("build/no-healthcheck", final, final.start)


def _each(context: Context, keyword: str) -> Iterator[tuple[Stage, Instruction]]:
    for stage in context.stages:
        for instruction in stage.instructions:
            if instruction.keyword == keyword:
                yield stage, instruction

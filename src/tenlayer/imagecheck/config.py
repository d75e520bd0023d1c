"""Checks of the image config: the user it runs as, secrets in Env, Labels, Entrypoint/Cmd
and history.

The config is read as the registry serves it, so every field is checked for its type first:
a field of the wrong type is bad input (one line naming the field), not a crash.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from tenlayer.checks.catalogue import finding
from tenlayer.errors import BadInput
from tenlayer.image.users import is_numeric_user, is_root_user, user_part
from tenlayer.imagecheck.accounts import PASSWD, Passwd
from tenlayer.imagecheck.history import history_secrets
from tenlayer.model import Finding, Image
from tenlayer.secrets.commands import command_secrets
from tenlayer.secrets.env import secret_reason
from tenlayer.secrets.redact import redact


def config_findings(image: Image, passwd: Passwd | None = None) -> list[Finding]:
    """`passwd`: the image's own /etc/passwd, to resolve a user name to its UID."""
    subject = image.manifest_digest or image.reference
    if image.source_kind == "rootfs":
        return []  # a directory has no config: nothing says which user it runs as
    settings = _container_config(image)
    return [
        *_user(settings, subject, image.reference, passwd),
        *_env(settings, subject, image.reference),
        *_labels(settings, subject, image.reference),
        *_commands(settings, subject, image.reference),
        *_history(image, subject),
    ]


def _container_config(image: Image) -> dict[str, object]:
    settings = image.config.get("config")
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise _bad(image.reference, "config", "an object", settings)
    return settings


def _user(
    settings: dict[str, object], subject: str, reference: str, passwd: Passwd | None
) -> Iterator[Finding]:
    """Root is an unset or empty user, UID 0, or a name the image's /etc/passwd gives UID 0.
    A name passwd does not list is root only if it is `root` (with no passwd to say
    otherwise); any other such name is not reported: the runtime cannot start the container
    as a user it cannot find."""
    user = settings.get("User")
    if user is None:
        user = ""
    if not isinstance(user, str):
        raise _bad(reference, "config.User", "a string", user)
    name = user_part(user)
    uid = passwd.uids.get(name) if passwd is not None and not is_numeric_user(user) else None
    if uid is not None:
        if uid == 0:
            yield finding("image/runs-as-root", subject=subject, location="config.User",
                          evidence=(("user", user), ("uid", "0"), ("passwd", f"/{PASSWD}")))
    elif is_root_user(user):  # unset, `root`, or UID 0 however spelt: 0, 00, +0, 0:1
        yield finding("image/runs-as-root", subject=subject, location="config.User",
                      evidence=(("user", user if user.strip() else "(unset)"),))


def _env(settings: dict[str, object], subject: str, reference: str) -> Iterator[Finding]:
    env = settings.get("Env")
    if env is None:
        return
    if not isinstance(env, list):
        raise _bad(reference, "config.Env", "a list", env)
    for number, item in enumerate(env):
        if not isinstance(item, str):
            raise _bad(reference, f"config.Env[{number}]", "a string", item)
        name, _, value = item.partition("=")
        reason = secret_reason(name, value)
        found = [(reason, value)] if reason is not None else [
            (secret.reason, secret.value) for secret in command_secrets(value)
        ]  # OPTS=--password=X: options in the value, read as Cmd is
        for why, secret in found:
            yield finding("image/secret-in-env", subject=subject,
                          location=f"config.Env[{number}]",
                          evidence=(("variable", name), ("reason", why),
                                    ("value", redact(secret))))


def _labels(settings: dict[str, object], subject: str, reference: str) -> Iterator[Finding]:
    labels = settings.get("Labels")
    if labels is None:
        return
    if not isinstance(labels, dict):
        raise _bad(reference, "config.Labels", "an object", labels)
    for name, value in sorted(labels.items()):
        if not isinstance(value, str):
            raise _bad(reference, f"config.Labels[{name!r}]", "a string", value)
        reason = secret_reason(name, value)
        if reason is not None:
            yield finding("image/secret-in-label", subject=subject,
                          location=f"config.Labels[{name!r}]",
                          evidence=(("label", name), ("reason", reason),
                                    ("value", redact(value))))


def _commands(settings: dict[str, object], subject: str, reference: str) -> Iterator[Finding]:
    for field in ("Entrypoint", "Cmd"):
        args = settings.get(field)
        if args is None:
            continue
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise _bad(reference, f"config.{field}", "a list of strings", args)
        for secret in command_secrets(shlex.join(args)):  # quoted as a shell would read it
            yield finding("image/secret-in-command", subject=subject,
                          location=f"config.{field}",
                          evidence=(("reason", secret.reason), ("value", redact(secret.value))))


def _history(image: Image, subject: str) -> Iterator[Finding]:
    history = image.config.get("history")
    if history is None:
        return
    if not isinstance(history, list):
        raise _bad(image.reference, "history", "a list", history)
    layer = 0
    for number, step in enumerate(history):
        if not isinstance(step, dict):
            raise _bad(image.reference, f"history[{number}]", "an object", step)
        created_by = step.get("created_by", "")
        if not isinstance(created_by, str):
            raise _bad(image.reference, f"history[{number}].created_by", "a string", created_by)
        empty = bool(step.get("empty_layer"))
        where = (("image_layer", "none (empty_layer)" if empty else str(layer)),)
        for reason, shown in history_secrets(created_by):
            yield finding("image/secret-in-history", subject=subject,
                          location=f"history[{number}].created_by",
                          evidence=(("reason", reason), ("value", shown), *where))
        if not empty:
            layer += 1


def _bad(reference: str, field: str, expected: str, value: object) -> BadInput:
    return BadInput(f"{reference}: image config field {field} is {_kind(value)}, not {expected}")


def _kind(value: object) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "a boolean",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)

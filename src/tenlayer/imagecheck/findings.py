"""Findings from the traces a walk left: secrets in layer files, setuid/setgid and
world-writable entries of the final file system, and files too large to scan."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tenlayer.checks.catalogue import finding
from tenlayer.image.traces import Trace
from tenlayer.imagecheck.accounts import TraceResult
from tenlayer.imagecheck.layerfiles import (
    MAX_SECRET_FILE,
    SecretsFound,
    SpecialMode,
    credential_like,
)
from tenlayer.model import Finding, Image, SkippedFile


def layer_findings(
    image: Image, traces: Sequence[Trace[TraceResult]]
) -> Iterator[Finding]:
    subject = image.manifest_digest or image.reference
    for trace in traces:
        where = _layer_evidence(image, trace.layer_index)
        if isinstance(trace.result, SecretsFound):
            yield from _secrets(subject, trace, trace.result, where)
        elif isinstance(trace.result, SpecialMode) and trace.deleted_in is None:
            yield from _modes(subject, trace.path, trace.result, where)  # while it is there


def _layer_evidence(image: Image, index: int) -> tuple[tuple[str, str], ...]:
    layer = next((layer for layer in image.layers if layer.index == index), None)
    if layer is None or not layer.diff_id or image.source_kind == "rootfs":
        return ()
    return (("image_layer", str(index)), ("diff_id", layer.diff_id))


def _secrets(
    subject: str,
    trace: Trace[TraceResult],
    found: SecretsFound,
    where: tuple[tuple[str, str], ...],
) -> Iterator[Finding]:
    deleted: tuple[tuple[str, str], ...] = ()
    suffix = ""
    if trace.deleted_in is not None:
        how = "overwritten" if trace.overwritten else "deleted"
        deleted = ((f"{how}_in_layer", str(trace.deleted_in)),)
        suffix = f", {how} in layer {trace.deleted_in}"
    for match in found.matches:
        yield finding(
            "image/secret-in-layer",
            subject=subject,
            location=f"/{trace.path}",
            file=f"/{trace.path}",
            line=match.line,
            severity=match.severity,
            title=f"{match.title}{suffix}",
            evidence=(("rule", match.rule_id), ("secret", match.redacted), *where, *deleted),
        )


def _modes(
    subject: str, path: str, special: SpecialMode, where: tuple[tuple[str, str], ...]
) -> Iterator[Finding]:
    mode = (("mode", f"{special.mode:04o}"), ("kind", special.kind.value))
    if special.setuid:
        bits = [name for bit, name in ((0o4000, "setuid"), (0o2000, "setgid"))
                if special.mode & bit]
        yield finding("image/setuid-file", subject=subject, location=f"/{path}",
                      file=f"/{path}", title=f"A {' and '.join(bits)} file",
                      evidence=(*mode, *where))
    if special.world_writable:
        yield finding("image/world-writable-file", subject=subject, location=f"/{path}",
                      file=f"/{path}", evidence=(*mode, *where))


MAX_NAMED = 10
"""The files too large to scan that a warning names; the rest are counted."""


def skipped_findings(
    image: Image, skipped: Sequence[SkippedFile]
) -> tuple[list[Finding], list[str]]:
    """Credential-like files too large to scan are findings; other large files one warning
    that names the first `MAX_NAMED` of them, with their layer."""
    subject = image.manifest_digest or image.reference
    found = []
    others: list[SkippedFile] = []
    for item in skipped:
        if not credential_like(item.path):
            others.append(item)
            continue
        found.append(finding(
            "image/file-not-scanned", subject=subject, location=f"/{item.path}",
            file=f"/{item.path}",
            evidence=(("size", str(item.size)), ("limit", str(item.limit)),
                      *_layer_evidence(image, item.layer_index)),
        ))
    warnings = []
    if others:
        others.sort(key=lambda item: (item.layer_index, item.path))
        named = ", ".join(_named(image, item) for item in others[:MAX_NAMED])
        more = len(others) - MAX_NAMED
        warnings.append(
            f"{len(others)} file{'s' if len(others) != 1 else ''} larger than "
            f"{MAX_SECRET_FILE >> 20} MiB not scanned for secrets: {named}"
            + (f" and {more} more" if more > 0 else "")
        )
    return found, warnings


def _named(image: Image, item: SkippedFile) -> str:
    """`/var/log/big.log (layer 2)`; a name that is not printable is shown escaped, so the
    warning stays one line."""
    path = f"/{item.path}"
    if not path.isprintable():
        path = path.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
        path = "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)
    layer = _layer_evidence(image, item.layer_index)
    return f"{path} (layer {item.layer_index})" if layer else path

"""Image rules: latest or untagged, not pinned by digest, outside --allowed-registries, not a
valid reference; for every image the build pulls: the base image of each stage (FROM), and
the images `COPY --from=IMAGE` and `RUN --mount=…,from=IMAGE` copy or mount (a `--from` or
`from=` that names a stage, by name or index, is no image; nor is `scratch`).

A FROM that names an earlier stage, `scratch`, or a template placeholder (`{{ … }}`) names no
image to judge, nor does one that a variable never declared leaves empty (the build fails).
BuildKit's automatic platform ARGs (`${TARGETARCH}`) are read as for linux/amd64.
A FROM that still depends on an ARG without a default after expansion (`ARG IMG` + `FROM
$IMG`) is chosen at build time by `--build-arg`: it is not pinned, and under
--allowed-registries it is judged on the registry and path written before the open part
(`registry.example.com/team/${APP}`); when the registry itself is open (`$IMG`, `${REG}/app`)
or the allowed path lies deeper than what is written, it cannot be checked (high).
References are normalised as `tenlayer k8s check` does (image.registry.reference), and the
registries by policy.workloads' helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tenlayer.dockerfile.context import Context, Hit
from tenlayer.dockerfile.stages import BUILD_ARG, Opened, Stage, expand_open, with_platform
from tenlayer.dockerfile.syntax import Instruction
from tenlayer.errors import BadInput
from tenlayer.image.registry.reference import Reference, parse_reference
from tenlayer.policy.workloads import registry_allowed

_WHY = "invalid image reference: "


@dataclass(frozen=True, slots=True)
class Pulled:
    """An image the build pulls, where it is named."""

    stage: Stage
    instruction: Instruction
    written: str
    """As the Dockerfile writes it (`$IMG`, `debian:${TAG}`)."""
    opened: Opened
    what: str
    """How the titles name it: `Base image`, `COPY --from image`."""
    detail: str = ""
    """What the location adds to the instruction (`--from=…`)."""


def image_rules(context: Context, allowed: tuple[str, ...]) -> Iterator[Hit]:
    for pulled in (*_base_images(context), *_other_images(context)):
        yield from _judge(context, pulled, allowed)


def _base_images(context: Context) -> Iterator[Pulled]:
    values = with_platform(context.global_values, global_scope=True)
    for stage in context.stages:
        if stage.parent is not None or stage.is_scratch or "{{" in stage.base:
            continue
        opened = expand_open(stage.base, values)
        if not opened.text or opened.text.lower() == "scratch":
            continue
        yield Pulled(stage, stage.start, stage.base, opened, "Base image")


def _other_images(context: Context) -> Iterator[Pulled]:
    """`COPY --from=IMAGE` (also ADD's) and `RUN --mount=…,from=IMAGE`, variables expanded
    as the stage has them there."""
    names = {stage.name for stage in context.stages if stage.name}
    for stage in context.stages:
        for instruction in stage.instructions:
            if instruction.keyword in ("COPY", "ADD"):
                written = instruction.flag("from")
                sources = [(written, f"{instruction.keyword} --from image",
                            f"--from={written}")] if written else []
            elif instruction.keyword == "RUN":
                sources = [(source, "RUN --mount image", f"--mount from={source}")
                           for source in _mount_sources(instruction)]
            else:
                continue
            for source, what, detail in sources:
                if "{{" in source:
                    continue
                opened = context.opened(stage, instruction, source)
                text = opened.text.lower()
                if not text or text in names or text.isdigit() or text == "scratch":
                    continue
                yield Pulled(stage, instruction, source, opened, what, detail)


def _mount_sources(instruction: Instruction) -> list[str]:
    """The `from=` of each `--mount` (bind and cache mounts take one; secret, ssh and tmpfs
    mounts none)."""
    sources = []
    for flag in instruction.flags:
        key, _, value = flag[2:].partition("=")
        if key.lower() != "mount":
            continue
        for part in value.split(","):
            option, _, setting = part.partition("=")
            if option.strip().lower() == "from" and setting:
                sources.append(setting.strip())
    return sources


def _judge(context: Context, pulled: Pulled, allowed: tuple[str, ...]) -> Iterator[Hit]:
    if pulled.opened.open:
        yield from _chosen_at_build_time(context, pulled, allowed)
        return
    image = pulled.opened.text
    shown = image if image == pulled.written else f"{pulled.written}, which is {image},"
    evidence = {"image": image}
    try:
        reference = parse_reference(image)
    except BadInput as error:
        yield _invalid(context, pulled, shown, error, evidence)
        return
    if reference.digest is None and reference.tag == "latest":
        implied = ":" not in image.rpartition("/")[2]
        yield _hit(context, pulled, "build/image-latest-tag", f"{pulled.what} {shown} "
                   + ("has no tag (latest is implied)" if implied else "is tagged latest"),
                   evidence)
    elif reference.digest is None:
        yield _hit(context, pulled, "build/image-not-pinned",
                   f"{pulled.what} {shown} is not pinned by digest", evidence)
    yield from _registry(context, pulled, shown, reference, allowed, evidence)


def _hit(context: Context, pulled: Pulled, check_id: str, title: str,
         evidence: dict[str, str]) -> Hit:
    return context.hit(check_id, pulled.stage, pulled.instruction, title=title,
                       detail=pulled.detail, evidence=evidence)


def _invalid(context: Context, pulled: Pulled, shown: str, error: BadInput,
             evidence: dict[str, str]) -> Hit:
    why = str(error).rpartition(_WHY)[2]
    return _hit(context, pulled, "build/image-reference-invalid",
                f"{pulled.what} {shown} is not a valid image reference: {why}",
                {**evidence, "why": why})


def _registry(context: Context, pulled: Pulled, shown: str, reference: Reference,
              allowed: tuple[str, ...], evidence: dict[str, str]) -> Iterator[Hit]:
    repository = f"{reference.registry.lower()}/{reference.repository}"
    if allowed and not registry_allowed(repository, allowed):
        yield _hit(context, pulled, "build/image-registry-not-allowed",
                   f"{pulled.what} {shown} is from {reference.registry}, which is not an "
                   "allowed registry", {**evidence, "registry": reference.registry})


def _known_prefix(name: str) -> str | None:
    """The registry and the whole path components of `name` before its first value chosen
    at build time (`registry.example.com/team/${APP}` -> `registry.example.com/team`,
    `team/${APP}` -> `docker.io/team`); None when the first component is open."""
    known = name[:name.index(BUILD_ARG)].rpartition("/")[0]
    if not known:
        return None
    host, _, path = known.partition("/")
    if "." in host or ":" in host or host == "localhost" or host.lower() != host:
        return f"{host.lower()}/{path}" if path else host.lower()
    return f"docker.io/{known}"


def _chosen_at_build_time(context: Context, pulled: Pulled,
                          allowed: tuple[str, ...]) -> Iterator[Hit]:
    """`$IMG`, `${REG}/app:1`, `debian:${TAG}` with ARGs without a default: the registry
    is known only when the open part is the tag or the digest."""
    written = pulled.written
    arguments = ", ".join(pulled.opened.build_args)
    evidence = {"image": written, "build_args": arguments}
    chosen = f"{pulled.what} {written} is chosen at build time (--build-arg {arguments})"
    rest = pulled.opened.text.partition("@")[0]
    colon, slash = rest.rfind(":"), rest.rfind("/")
    name = rest[:colon] if colon > slash else rest
    if BUILD_ARG not in name:
        try:
            reference = parse_reference(name)
        except BadInput as error:
            yield _invalid(context, pulled, written, error, evidence)
            return
        yield _hit(context, pulled, "build/image-not-pinned",
                   f"{chosen}: its tag is not pinned by digest", evidence)
        yield from _registry(context, pulled, written, reference, allowed, evidence)
        return
    yield _hit(context, pulled, "build/image-not-pinned", f"{chosen}: it is not pinned",
               evidence)
    if not allowed:
        return
    known = _known_prefix(name)
    if known is None:
        yield _hit(context, pulled, "build/image-registry-not-allowed",
                   f"{chosen}: its registry cannot be checked", evidence)
    elif not registry_allowed(known, allowed):
        host = known.partition("/")[0]
        if any(registry_allowed(host, (prefix.partition("/")[0],)) for prefix in allowed):
            yield _hit(context, pulled, "build/image-registry-not-allowed",
                       f"{chosen}: whether its path is allowed cannot be checked", evidence)
        else:
            yield _hit(context, pulled, "build/image-registry-not-allowed",
                       f"{pulled.what} {written} is from {host}, which is not an allowed "
                       "registry", {**evidence, "registry": host})

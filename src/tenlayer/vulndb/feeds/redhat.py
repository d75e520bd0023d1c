"""What Red Hat's feeds (CSAF advisories and VEX, the security data API) share: which
product is which release, package names and versions, modules, ratings.

Releases. Only the main stream of each release counts: a CPE `cpe:/o:redhat:enterprise_
linux:9[::baseos|::appstream|…]` is `Red Hat:9`. The extended streams (`rhel_eus`,
`rhel_aus`, `rhel_tus`, `rhel_e4s`, `rhel_els`, `rhel_eus_long_life`) carry their own
builds (`1.9.5p2-1.el8_6` for 8.6 EUS where the main stream got `1.9.5p2-1.el8_9`); read as
`Red Hat:8` they would tell a main-stream image it is fixed by a build it cannot install.
Container images (UBI and its derivatives) follow the main stream. Layered products
(OpenShift, Satellite, extras, software collections) are not the operating system: skipped.

Modules (RHEL 8's application streams): a package can be fixed in several streams at once
(`ruby` 2.5.9-111, 2.7.8-139 and 3.1.4-142 for ruby:2.5, 2.7, 3.1), and an installed
package does not record its stream in tenlayer's inventory. A fixed range for the 3.1
stream starting at version 0 would call a fully patched ruby 2.7.8-139 vulnerable. When the
stream names its own package's version line (module `ruby`, stream `2.7`, package `ruby`
2.7.8), the range starts there (`introduced 2.7`), which keeps each stream's fix to its
own versions; otherwise (`rubygem-pg` in ruby:2.7, `container-tools:rhel8`) it starts at
0, and a patched build of one stream can still be reported by another stream's fix. A
module's unfixed states are skipped: they cannot be told apart from the same
package outside the module, or in another stream. Flatpak builds (`firefox:flatpak/…`) are
never rpm packages in an image: skipped.

When a feed names several main-stream fixes of one package (a z-stream update, then the
next minor release's rebuild), the earliest is the fix: every later build carries it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tenlayer.vulndb.feeds._common import fixed_affected
from tenlayer.vulndb.records import Affected, SeverityScore

SOURCE = "Red Hat"
IMPACTS = {"low": 0, "moderate": 1, "important": 2, "critical": 3}
"""Red Hat's impact ratings (threats[impact], threat_severity, aggregate_severity), ranked."""

_MAIN_STREAM = re.compile(
    r"^cpe:(?:/[aoh]|2\.3:[aoh]):redhat:enterprise_linux:(?P<major>\d+)(?:$|:)", re.IGNORECASE
)
_NEVRA = re.compile(
    r"^(?P<name>[^\s:/]+)-(?:(?P<epoch>\d+):)?(?P<version>[^-:\s]+)-(?P<release>[^-:\s]+?)"
    r"(?:\.(?P<arch>src|noarch|x86_64|i686|i386|aarch64|ppc64le|ppc64|ppc|s390x|s390))?$"
)
_MODULE_SUFFIX = re.compile(r"(?:\.rpm-|::)(?P<module>[^:\s]+:[^:\s]+)$")
_NUMERIC_STREAM = re.compile(r"^\d+(?:\.\d+)*$")


def cpe_ecosystem(cpe: str) -> str | None:
    """`Red Hat:9` for a main-stream RHEL CPE; None for anything else (see above)."""
    match = _MAIN_STREAM.match(cpe.strip())
    return f"Red Hat:{match.group('major')}" if match else None


@dataclass(frozen=True, slots=True)
class Rpm:
    """A package as the feed names it: name, and (when given) version, arch, module."""

    name: str
    epoch: str = ""
    version: str = ""
    release: str = ""
    arch: str = ""
    module: str = ""
    """`ruby:2.7` (name:stream), or "" outside modules."""

    @property
    def evr(self) -> str:
        """`[epoch:]version-release`, the epoch written only when it is not 0."""
        if not self.version:
            return ""
        evr = f"{self.version}-{self.release}" if self.release else self.version
        return f"{self.epoch}:{evr}" if self.epoch not in ("", "0") else evr

    @property
    def is_source(self) -> bool:
        """A source package, or a component named without an arch (as VEX names them)."""
        return self.arch in ("", "src")

    @property
    def flatpak(self) -> bool:
        return self.module.endswith(":flatpak")

    def floor(self) -> str:
        """Where a fixed range of a module's package starts (see the module docstring)."""
        module, _, stream = self.module.partition(":")
        if (
            module == self.name
            and _NUMERIC_STREAM.match(stream)
            and (self.version == stream or self.version.startswith(f"{stream}."))
        ):
            return f"{self.epoch}:{stream}" if self.epoch not in ("", "0") else stream
        return "0"


def parse_nevra(text: str) -> Rpm | None:
    """`bind-32:9.16.23-5.el9_1.src`, `ruby-2.7.8-139.module+el8.8.0+18745+f1bef313.src.rpm-
    ruby:2.7`, `ruby-0:3.1.4-142….src::ruby:3.1`, `firefox-0:102.15.1-1.el8_8`; None when
    the text is not one (a module's NSVC, a bare name)."""
    module = ""
    suffix = _MODULE_SUFFIX.search(text)
    if suffix:
        module = suffix.group("module")
        text = text[: suffix.start()]
    text = text.removesuffix(".rpm")
    match = _NEVRA.match(text)
    if not match:
        return None
    return Rpm(
        name=match.group("name"),
        epoch=match.group("epoch") or "",
        version=match.group("version"),
        release=match.group("release"),
        arch=match.group("arch") or "",
        module=module,
    )


def parse_purl(purl: str) -> Rpm | None:
    """`pkg:rpm/redhat/bind@9.16.23-5.el9_1?arch=src&epoch=32&rpmmod=…`; None if not rpm."""
    from packageurl import PackageURL

    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    if parsed.type != "rpm" or not parsed.name:
        return None
    qualifiers = parsed.qualifiers if isinstance(parsed.qualifiers, dict) else {}
    version, _, release = (parsed.version or "").partition("-")
    if "-" in release:  # a version with hyphens cannot be; keep the whole thing as version
        version, release = str(parsed.version), ""
    stream = str(qualifiers.get("rpmmod", ""))
    module = ":".join(stream.split(":")[:2]) if stream.count(":") >= 1 else ""
    return Rpm(
        name=parsed.name,
        epoch=str(qualifiers.get("epoch", "")),
        version=version,
        release=release,
        arch=str(qualifiers.get("arch", "")),
        module=module,
    )


def rating(word: str) -> SeverityScore | None:
    """Red Hat's impact word as a rating (`Important`), None when it is not one."""
    word = word.strip()
    return SeverityScore("rating", word.capitalize(), SOURCE) if word.lower() in IMPACTS else None


def worst(ratings: Iterable[SeverityScore]) -> SeverityScore | None:
    return max(ratings, key=lambda s: IMPACTS[s.score.lower()], default=None)


@dataclass(frozen=True, slots=True)
class Fix:
    """One main-stream fix a feed names: in `ecosystem`, `rpm` (a source package)."""

    ecosystem: str
    rpm: Rpm
    severity: tuple[SeverityScore, ...] = ()


def fixed_entries(fixes: Iterable[Fix]) -> list[Affected]:
    """One Affected per (release, package, module stream), fixed at the earliest build."""
    groups: dict[tuple[str, str, str], list[Fix]] = {}
    for fix in fixes:
        if fix.rpm.evr and not fix.rpm.flatpak:
            groups.setdefault((fix.ecosystem, fix.rpm.name, fix.rpm.module), []).append(fix)
    entries: list[Affected] = []
    for (ecosystem, name, _module), group in sorted(groups.items()):
        severity = worst(s for f in group for s in f.severity)
        for fix in _earliest(group):
            entries.append(
                fixed_affected(
                    ecosystem,
                    name,
                    fix.rpm.evr,
                    introduced=fix.rpm.floor(),
                    severity=(severity,) if severity else (),
                )
            )
    return entries


def _earliest(group: list[Fix]) -> list[Fix]:
    """The earliest fix; every one (their union) when the versions cannot be ordered."""
    unique = list({fix.rpm.evr: fix for fix in group}.values())
    if len(unique) == 1:
        return unique
    try:
        from tenlayer.vulndb.versions import InvalidVersion, scheme_for

        key = scheme_for(unique[0].ecosystem).key
        return [min(unique, key=lambda f: key(f.rpm.evr))]
    except (ImportError, InvalidVersion, ValueError):
        return unique

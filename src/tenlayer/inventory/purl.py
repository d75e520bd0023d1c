"""Package URLs (purl) for every ecosystem, in the form Syft and Trivy write them.

Language analyzers call `language_purl` directly. OS packages get theirs in `os_purl` once
the distribution is known, because the namespace (`debian`, `ubuntu`, `alpine`, `redhat`…)
and the `distro` qualifier come from os-release, which another analyzer reads.
"""

from __future__ import annotations

from packageurl import PackageURL

from tenlayer.model import Ecosystem, OSInfo, Package

_RPM_NAMESPACES = {
    "rhel": "redhat",
    "centos": "centos",
    "rocky": "rocky",
    "almalinux": "almalinux",
    "fedora": "fedora",
    "amzn": "amazon",
    "ol": "oracle",
    "opensuse-leap": "opensuse",
    "opensuse-tumbleweed": "opensuse",
    "sles": "suse",
    "photon": "photon",
    "mariner": "mariner",
    "azurelinux": "azurelinux",
}
_DEFAULT_NAMESPACE = {Ecosystem.DEB: "debian", Ecosystem.APK: "alpine", Ecosystem.RPM: "redhat"}


def language_purl(
    ecosystem: Ecosystem, name: str, version: str, namespace: str | None = None
) -> str:
    return str(PackageURL(type=ecosystem.value, namespace=namespace, name=name, version=version))


def pypi_purl(name: str, version: str) -> str:
    """PyPI names are normalised (PEP 503) in purls: lower case, runs of -_. become -."""
    normalized = "-".join(part for part in _split_pypi(name.lower()) if part)
    return language_purl(Ecosystem.PYPI, normalized, version)


def _split_pypi(name: str) -> list[str]:
    for separator in "_.":
        name = name.replace(separator, "-")
    return name.split("-")


def os_namespace(ecosystem: Ecosystem, os_info: OSInfo | None) -> str:
    if os_info is None:
        return _DEFAULT_NAMESPACE[ecosystem]
    if ecosystem is Ecosystem.RPM:
        return _RPM_NAMESPACES.get(os_info.family, os_info.family)
    return os_info.family


def os_purl(package: Package, os_info: OSInfo | None) -> str:
    """`pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12&upstream=glibc` and kin."""
    qualifiers: dict[str, str] = {}
    if package.arch:
        qualifiers["arch"] = package.arch
    version = package.version
    if package.ecosystem is Ecosystem.RPM:
        epoch, sep, rest = version.partition(":")
        if sep and epoch.isdigit():  # rpm writes the epoch whenever the header has one
            version = rest
            qualifiers["epoch"] = epoch
    if os_info is not None and os_info.version_id:
        qualifiers["distro"] = f"{os_info.family}-{os_info.version_id}"
    upstream = _upstream(package)
    if upstream:
        qualifiers["upstream"] = upstream
    return str(
        PackageURL(
            type=package.ecosystem.value,
            namespace=os_namespace(package.ecosystem, os_info),
            name=package.name,
            version=version,
            qualifiers=qualifiers,
        )
    )


def _upstream(package: Package) -> str:
    """The source package, when it differs from the binary one (Syft's `upstream=`)."""
    source = package.source_name
    if not source:
        return ""
    if package.source_version and package.source_version != package.version:
        return f"{source}@{package.source_version}"
    if source != package.name:
        return source
    return ""

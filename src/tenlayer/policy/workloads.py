"""Workload checks beyond Pod Security: what reviewers of Kubernetes manifests look for.

Each check reads one pod template and yields findings with the field path of the offending
field and its line. Pod Security Standards (policy/pss) already cover privileged
containers, host namespaces, capabilities and the like; these are the rest.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenlayer.checks.catalogue import Check, finding
from tenlayer.errors import BadInput
from tenlayer.image.registry.reference import parse_reference
from tenlayer.kube.containers import containers_of, mapping, sequence
from tenlayer.kube.workloads import PodTemplate
from tenlayer.model import Finding, Layer, Severity
from tenlayer.secrets.env import secret_reason

_PSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
CHECKS = (
    Check(
        id="deploy/invalid-field",
        layer=Layer.DEPLOYMENT,
        severity=Severity.HIGH,
        title="Field of the wrong type: the API server refuses the object",
        description=(
            "A field a security decision depends on has the wrong type (`privileged: \"true\"`, "
            "`containers: 5`, a number as an annotation value). The API server refuses the "
            "object, and no check can say what it would do: fix it before anything else."
        ),
        remediation="Give the field the type the Kubernetes API defines for it.",
        references=("https://kubernetes.io/docs/reference/kubernetes-api/",),
    ),
    Check(
        id="deploy/missing-resource-limits",
        layer=Layer.DEPLOYMENT,
        severity=Severity.MEDIUM,
        title="Container has no CPU or memory limit",
        description=(
            "Without limits one container can take a node's memory or CPU from every other "
            "pod on it (a noisy neighbour, or a denial of service when it is compromised)."
        ),
        remediation="Set resources.limits.cpu and resources.limits.memory on every container.",
        references=(
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
        ),
    ),
    Check(
        id="deploy/image-latest-tag",
        layer=Layer.DEPLOYMENT,
        severity=Severity.MEDIUM,
        title="Image without a tag or tagged latest",
        description=(
            "`latest` (written or implied) names whatever was pushed last: what runs is "
            "not what was reviewed or scanned, and two nodes may run different images."
        ),
        remediation="Pin the image to a version tag, better to a digest (@sha256:…).",
        references=("https://kubernetes.io/docs/concepts/containers/images/#image-names",),
    ),
    Check(
        id="deploy/image-reference-invalid",
        layer=Layer.DEPLOYMENT,
        severity=Severity.MEDIUM,
        title="Image reference is not a valid image name",
        description="The kubelet cannot pull an image whose name it cannot parse.",
        remediation="Write the image as [registry/]repository[:tag][@digest].",
    ),
    Check(
        id="deploy/image-registry-not-allowed",
        layer=Layer.DEPLOYMENT,
        severity=Severity.HIGH,
        title="Image from a registry outside the allowed list",
        description=(
            "Images from registries the organisation does not control or mirror bypass "
            "its scanning, signing and retention."
        ),
        remediation="Pull the image from one of the allowed registries (mirror it there).",
    ),
    Check(
        id="deploy/service-account-token-automount",
        layer=Layer.DEPLOYMENT,
        severity=Severity.LOW,
        title="Service account token mounted into the pod",
        description=(
            "Every container gets a token for the Kubernetes API; an attacker in the "
            "container gets whatever that service account may do."
        ),
        remediation=(
            "Set automountServiceAccountToken: false on the pod (or its service account) "
            "unless it calls the Kubernetes API."
        ),
        references=(
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
        ),
    ),
    Check(
        id="deploy/secret-in-env",
        layer=Layer.DEPLOYMENT,
        severity=Severity.HIGH,
        title="Secret in a plain environment value",
        description=(
            "A literal secret in a manifest is in version control, in the API server and "
            "in every `kubectl get -o yaml`; it cannot be rotated without a change here."
        ),
        remediation="Move it into a Secret and reference it with valueFrom.secretKeyRef.",
        references=("https://kubernetes.io/docs/concepts/configuration/secret/",),
    ),
    Check(
        id="deploy/container-runtime-socket",
        layer=Layer.DEPLOYMENT,
        severity=Severity.CRITICAL,
        title="Container runtime socket mounted",
        description=(
            "The Docker, containerd, CRI-O or Podman socket gives full control of the node: "
            "any container can start a privileged container through it."
        ),
        remediation="Do not mount the runtime socket; build images with rootless tools.",
        references=(_PSS,),
    ),
    Check(
        id="deploy/writable-host-path",
        layer=Layer.DEPLOYMENT,
        severity=Severity.HIGH,
        title="Host path mounted writable",
        description=(
            "A writable host directory lets the container change the node's files: plant "
            "binaries, edit configuration, or fill the disk."
        ),
        remediation="Mount host paths with readOnly: true, or use another volume type.",
        references=("https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",),
    ),
    Check(
        id="deploy/host-aliases",
        layer=Layer.DEPLOYMENT,
        severity=Severity.LOW,
        title="Pod rewrites /etc/hosts with hostAliases",
        description=(
            "hostAliases override DNS for the pod: a way to redirect traffic that bypasses "
            "the cluster's DNS and its review."
        ),
        remediation="Use DNS (a Service or ExternalName) instead of hostAliases.",
    ),
    Check(
        id="deploy/missing-probes",
        layer=Layer.DEPLOYMENT,
        severity=Severity.INFO,
        title="Container without liveness or readiness probe",
        description=(
            "Without probes Kubernetes sends traffic to containers that are not ready and "
            "keeps running ones that hang."
        ),
        remediation="Add a readinessProbe and a livenessProbe to each long-running container.",
        references=(
            "https://kubernetes.io/docs/tasks/configure-pod-container/"
            "configure-liveness-readiness-startup-probes/",
        ),
    ),
)

RUNTIME_SOCKETS = frozenset(
    {
        "/var/run/docker.sock", "/run/docker.sock",
        "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
        "/var/run/crio/crio.sock", "/run/crio/crio.sock",
        "/var/run/podman/podman.sock", "/run/podman/podman.sock",
        "/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
        "/var/run/dockershim.sock", "/run/k3s/containerd/containerd.sock",
    }
)
"""Sockets of the container runtimes; mounting a directory that holds one counts too."""

_RUN_ONCE_KINDS = frozenset({"Job", "CronJob"})
"""Probes make little sense for run-to-completion work."""


@dataclass(frozen=True, slots=True)
class WorkloadOptions:
    allowed_registries: tuple[str, ...] = ()
    """Registry hosts, or host/path prefixes (`quay.io/myorg`); empty: not checked."""
    automount_by_account: Mapping[tuple[str, str], bool] = field(default_factory=dict)
    """(namespace, service account) -> its automountServiceAccountToken, when the input
    holds the ServiceAccount."""


def check_template(template: PodTemplate, options: WorkloadOptions) -> list[Finding]:
    return list(_findings(template, options))


def _findings(template: PodTemplate, options: WorkloadOptions) -> Iterator[Finding]:
    spec = template.spec

    def make(check_id: str, pod_path: str, *, title: str, evidence: dict[str, str]) -> Finding:
        return finding(
            check_id,
            subject=template.subject,
            location=template.object_path(pod_path),
            evidence=tuple(sorted(evidence.items())),
            title=title,
            file=template.owner.source,
            line=template.line_of(pod_path),
        )

    volumes = {  # a name of the wrong type is a deploy/invalid-field finding; keep the volume
        _volume_key(v.get("name"), index): (index, v)
        for index, v in enumerate(sequence(spec.get("volumes"))) if isinstance(v, dict)
    }
    yield from _host_paths(volumes, make)
    for container in containers_of(spec):
        body, where, name = container.body, container.path, container.name
        if container.field != "ephemeralContainers":
            missing = [r for r in ("cpu", "memory") if r not in mapping(
                mapping(body.get("resources")).get("limits"))]
            if missing:
                yield make(
                    "deploy/missing-resource-limits", f"{where}.resources.limits",
                    title=f"Container {name} has no {' or '.join(missing)} limit",
                    evidence={"container": name, "missing": ", ".join(missing)},
                )
        yield from _image(body.get("image"), where, name, options, make)
        for index, variable in enumerate(sequence(body.get("env"))):
            variable = mapping(variable)
            var_name, value = variable.get("name"), variable.get("value")
            if isinstance(var_name, str) and isinstance(value, str):
                reason = secret_reason(var_name, value)
                if reason:
                    yield make(
                        "deploy/secret-in-env", f"{where}.env[{index}].value",
                        title=f"Container {name} has a secret in plain text in {var_name}",
                        evidence={"container": name, "variable": var_name, "why": reason},
                    )
        for index, mount in enumerate(sequence(body.get("volumeMounts"))):
            mount = mapping(mount)
            mount_name = mount.get("name")
            volume = volumes.get(mount_name) if isinstance(mount_name, str) else None
            if volume is None or not isinstance(volume[1].get("hostPath"), dict):
                continue
            if mount.get("readOnly") is not True:
                host_path = mapping(volume[1]["hostPath"]).get("path")
                yield make(
                    "deploy/writable-host-path", f"{where}.volumeMounts[{index}]",
                    title=f"Container {name} mounts host path {host_path} writable",
                    evidence={"container": name, "volume": str(mount.get("name")),
                              "host_path": str(host_path)},
                )
        if container.field == "containers" and template.owner.kind not in _RUN_ONCE_KINDS:
            missing = [p for p in ("livenessProbe", "readinessProbe") if not body.get(p)]
            if missing:
                yield make(
                    "deploy/missing-probes", where,
                    title=f"Container {name} has no {' or '.join(missing)}",
                    evidence={"container": name, "missing": ", ".join(missing)},
                )
    if sequence(spec.get("hostAliases")):
        yield make("deploy/host-aliases", "spec.hostAliases",
                   title="Pod rewrites /etc/hosts with hostAliases", evidence={})
    if _token_mounted(template, options):
        yield make(
            "deploy/service-account-token-automount", "spec.automountServiceAccountToken",
            title="Service account token mounted into the pod",
            evidence={"service_account": _service_account(spec)},
        )


def _volume_key(name: Any, index: int) -> str:
    return name if isinstance(name, str) else f"volumes[{index}]"


def _host_paths(
    volumes: Mapping[Any, tuple[int, Mapping[str, Any]]], make: Any
) -> Iterator[Finding]:
    for index, volume in volumes.values():
        host_path = mapping(volume.get("hostPath")).get("path")
        if not isinstance(host_path, str) or not host_path.startswith("/"):
            continue
        normalized = posixpath.normpath(host_path).replace("//", "/")
        exposed = sorted(s for s in RUNTIME_SOCKETS if s == normalized or s.startswith(
            normalized.rstrip("/") + "/"))
        if exposed:
            yield make(
                "deploy/container-runtime-socket", f"spec.volumes[{index}].hostPath.path",
                title=f"Volume {volume.get('name')} mounts {host_path}, which exposes the "
                f"container runtime socket",
                evidence={"volume": str(volume.get("name")), "host_path": host_path,
                          "sockets": ", ".join(exposed)},
            )


def _image(
    image: Any, where: str, name: str, options: WorkloadOptions, make: Any
) -> Iterator[Finding]:
    if not isinstance(image, str) or not image:
        return
    try:
        reference = parse_reference(image)
    except BadInput as error:
        yield make(
            "deploy/image-reference-invalid", f"{where}.image",
            title=f"Container {name} image {image!r} is not a valid image reference",
            evidence={"container": name, "image": image,
                      "why": str(error).rpartition("invalid image reference: ")[2]},
        )
        return
    if reference.digest is None and reference.tag == "latest":
        implied = ":" not in image.rpartition("/")[2]
        yield make(
            "deploy/image-latest-tag", f"{where}.image",
            title=f"Container {name} image {image} "
            + ("has no tag (latest is implied)" if implied else "is tagged latest"),
            evidence={"container": name, "image": image},
        )
    repository = f"{reference.registry.lower()}/{reference.repository}"
    if options.allowed_registries and not registry_allowed(repository, options.allowed_registries):
        yield make(
            "deploy/image-registry-not-allowed", f"{where}.image",
            title=f"Container {name} image {image} is from {reference.registry}, "
            "which is not an allowed registry",
            evidence={"container": name, "image": image, "registry": reference.registry},
        )


def registry_allowed(name: str, allowed: tuple[str, ...]) -> bool:
    """`docker.io/library/nginx` is allowed by `docker.io` and `docker.io/library`, not by
    `docker.io/lib`: prefixes end at a path boundary. `*.example.com` allows every host
    under example.com (not example.com itself), as in Kyverno's and OpenShift's patterns."""
    return any(_prefix_allows(prefix, name) for prefix in allowed)


def _prefix_allows(prefix: str, name: str) -> bool:
    if prefix.startswith("*."):
        host, _, path = name.partition("/")
        wanted_host, slash, wanted_path = prefix.partition("/")
        if not host.endswith(wanted_host[1:]) or len(host) <= len(wanted_host) - 1:
            return False
        return not slash or _prefix_allows(wanted_path, path)
    return name == prefix or name.startswith(prefix.rstrip("/") + "/")


def _service_account(spec: Mapping[str, Any]) -> str:
    for key in ("serviceAccountName", "serviceAccount"):
        value = spec.get(key)
        if isinstance(value, str) and value:
            return value
    return "default"


def _token_mounted(template: PodTemplate, options: WorkloadOptions) -> bool:
    """The pod's own setting wins; else its service account's (when the input holds it);
    else Kubernetes mounts the token."""
    pod_setting = template.spec.get("automountServiceAccountToken")
    if isinstance(pod_setting, bool):
        return pod_setting
    account = (template.namespace, _service_account(template.spec))
    return options.automount_by_account.get(account, True)


def normalize_registries(entries: tuple[str, ...]) -> tuple[str, ...]:
    """`index.docker.io` and `registry-1.docker.io` are Docker Hub: `docker.io`; a scheme
    (`https://`) is dropped; host names are case-insensitive."""
    hub = ("index.docker.io", "registry-1.docker.io")
    normalized = []
    for entry in entries:
        entry = entry.strip().rstrip("/")
        entry = entry.partition("://")[2] if "://" in entry else entry
        host, slash, rest = entry.partition("/")
        host = host.lower()
        if host in hub:
            host = "docker.io"
        if entry:
            normalized.append(f"{host}{slash}{rest}")
    return tuple(normalized)

"""The workload checks: exact findings, field paths and lines; secrets never copied out."""

from __future__ import annotations

import pytest

from tenlayer.kube.documents import load_documents
from tenlayer.kube.objects import objects_of
from tenlayer.kube.workloads import pod_templates
from tenlayer.model import Severity
from tenlayer.policy.workloads import WorkloadOptions, check_template, normalize_registries
from tenlayer.secrets.env import secret_reason

DIGEST = "sha256:" + "0123456789abcdef" * 4
RISKY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      hostAliases:
      - {ip: 10.0.0.1, hostnames: [api.example.com]}
      volumes:
      - name: docker
        hostPath: {path: /var/run/}
      - name: logs
        hostPath: {path: /var/log}
      - name: cache
        emptyDir: {}
      initContainers:
      - name: init
        image: busybox
        resources: {limits: {cpu: 100m, memory: 64Mi}}
      containers:
      - name: app
        image: ghcr.io/acme/web:latest
        resources: {limits: {memory: 1Gi}}
        livenessProbe: {httpGet: {path: /, port: 80}}
        env:
        - {name: DB_PASSWORD, value: hunter2}
        - {name: PASSWORD_FILE, value: /run/secrets/db}
        - {name: GREETING, value: "AKIAIOSFODNN7EXAMPLE"}
        - {name: API_TOKEN, valueFrom: {secretKeyRef: {name: s, key: t}}}
        - {name: REF, value: "$(OTHER)"}
        volumeMounts:
        - {name: docker, mountPath: /var/run}
        - {name: logs, mountPath: /logs, readOnly: true}
        - {name: cache, mountPath: /cache}
      - name: sidecar
        image: quay.io/acme/proxy@{DIGEST}
        resources: {limits: {cpu: 1, memory: 1Gi}}
        readinessProbe: {tcpSocket: {port: 80}}
        livenessProbe: {tcpSocket: {port: 80}}
""".replace("{DIGEST}", DIGEST)


def findings_for(text: str, options: WorkloadOptions | None = None) -> list[tuple[object, ...]]:
    objects = list(objects_of(load_documents(text.encode(), "risky.yaml")))
    found = []
    for template in pod_templates(objects, None):
        for f in check_template(template, options or WorkloadOptions()):
            found.append((f.check_id, f.severity, f.location, f.line, f.title, dict(f.evidence)))
    return sorted(found, key=lambda item: (str(item[0]), str(item[2])))


def test_each_check_reports_the_exact_field_and_line() -> None:
    assert findings_for(RISKY, WorkloadOptions(allowed_registries=("ghcr.io/acme",))) == [
        ("deploy/container-runtime-socket", Severity.CRITICAL,
         "spec.template.spec.volumes[0].hostPath.path", 11,
         "Volume docker mounts /var/run/, which exposes the container runtime socket",
         {"volume": "docker", "host_path": "/var/run/",
          "sockets": "/var/run/containerd/containerd.sock, /var/run/cri-dockerd.sock, "
                     "/var/run/crio/crio.sock, /var/run/docker.sock, "
                     "/var/run/dockershim.sock, /var/run/podman/podman.sock"}),
        ("deploy/host-aliases", Severity.LOW, "spec.template.spec.hostAliases", 7,
         "Pod rewrites /etc/hosts with hostAliases", {}),
        ("deploy/image-latest-tag", Severity.MEDIUM,
         "spec.template.spec.containers[0].image", 22,
         "Container app image ghcr.io/acme/web:latest is tagged latest",
         {"container": "app", "image": "ghcr.io/acme/web:latest"}),
        ("deploy/image-latest-tag", Severity.MEDIUM,
         "spec.template.spec.initContainers[0].image", 18,
         "Container init image busybox has no tag (latest is implied)",
         {"container": "init", "image": "busybox"}),
        ("deploy/image-registry-not-allowed", Severity.HIGH,
         "spec.template.spec.containers[1].image", 36,
         "Container sidecar image quay.io/acme/proxy@sha256:0123456789abcdef0123456789abcdef"
         "0123456789abcdef0123456789abcdef is from quay.io, which is not an allowed registry",
         {"container": "sidecar", "registry": "quay.io",
          "image": "quay.io/acme/proxy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
                   "0123456789abcdef"}),
        ("deploy/image-registry-not-allowed", Severity.HIGH,
         "spec.template.spec.initContainers[0].image", 18,
         "Container init image busybox is from docker.io, which is not an allowed registry",
         {"container": "init", "image": "busybox", "registry": "docker.io"}),
        ("deploy/missing-probes", Severity.INFO, "spec.template.spec.containers[0]", 21,
         "Container app has no readinessProbe", {"container": "app", "missing": "readinessProbe"}),
        ("deploy/missing-resource-limits", Severity.MEDIUM,
         "spec.template.spec.containers[0].resources.limits", 23,
         "Container app has no cpu limit", {"container": "app", "missing": "cpu"}),
        ("deploy/secret-in-env", Severity.HIGH, "spec.template.spec.containers[0].env[0].value",
         26, "Container app has a secret in plain text in DB_PASSWORD",
         {"container": "app", "variable": "DB_PASSWORD",
          "why": "its name (DB_PASSWORD) says it holds a secret"}),
        ("deploy/secret-in-env", Severity.HIGH, "spec.template.spec.containers[0].env[2].value",
         28, "Container app has a secret in plain text in GREETING",
         {"container": "app", "variable": "GREETING",
          "why": "its value has the shape of an AWS access key id"}),
        ("deploy/service-account-token-automount", Severity.LOW,
         "spec.template.spec.automountServiceAccountToken", 6,
         "Service account token mounted into the pod", {"service_account": "default"}),
        ("deploy/writable-host-path", Severity.HIGH,
         "spec.template.spec.containers[0].volumeMounts[0]", 32,
         "Container app mounts host path /var/run/ writable",
         {"container": "app", "volume": "docker", "host_path": "/var/run/"}),
    ]


def test_no_secret_value_reaches_a_finding() -> None:
    for found in findings_for(RISKY):
        assert "hunter2" not in repr(found) and "AKIAIOSFODNN7EXAMPLE" not in repr(found)


def test_switches_named_after_passwords_are_not_secrets() -> None:
    pod = """\
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: data}
spec:
  automountServiceAccountToken: false
  containers:
  - name: mysql
    image: registry.example.com/mysql:8.4
    resources: {limits: {cpu: 1, memory: 1Gi}}
    readinessProbe: {tcpSocket: {port: 3306}}
    livenessProbe: {tcpSocket: {port: 3306}}
    env:
    - {name: MYSQL_ALLOW_EMPTY_PASSWORD, value: "yes"}
    - {name: MYSQL_RANDOM_ROOT_PASSWORD, value: "True"}
    - {name: MYSQL_ROOT_PASSWORD, value: "hunter2"}
"""
    assert [(f[0], f[2], f[4]) for f in findings_for(pod)] == [
        ("deploy/secret-in-env", "spec.containers[0].env[2].value",
         "Container mysql has a secret in plain text in MYSQL_ROOT_PASSWORD")]


def test_a_clean_pod_has_no_findings_and_service_accounts_can_turn_tokens_off() -> None:
    clean = """\
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: ops}
spec:
  template:
    spec:
      serviceAccountName: runner
      containers:
      - name: task
        image: registry.example.com/task:1.0
        resources: {limits: {cpu: 1, memory: 1Gi}}
"""
    off = WorkloadOptions(automount_by_account={("ops", "runner"): False})
    assert findings_for(clean, off) == []  # a Job needs no probes
    assert [f[0] for f in findings_for(clean)] == ["deploy/service-account-token-automount"]
    pod_says_yes = clean.replace("serviceAccountName: runner",
                                 "serviceAccountName: runner\n"
                                 "      automountServiceAccountToken: true")
    assert [f[0] for f in findings_for(pod_says_yes, off)] == [
        "deploy/service-account-token-automount"]


def test_wrongly_typed_fields_are_passed_over() -> None:
    hostile = """\
apiVersion: v1
kind: Pod
metadata: {name: odd}
spec:
  automountServiceAccountToken: false
  volumes: [5, {name: v, hostPath: "/"}, {name: w, hostPath: {path: 7}}]
  hostAliases: {}
  containers:
  - 5
  - name: [x]
    image: {a: b}
    env: [1, {name: 2, value: x}, {name: TOKEN, value: 3}]
    volumeMounts: "x"
    resources: {limits: [cpu]}
"""
    assert [(f[0], f[2]) for f in findings_for(hostile)] == [
        ("deploy/missing-probes", "spec.containers[1]"),
        ("deploy/missing-resource-limits", "spec.containers[1].resources.limits"),
    ]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("DB_PASSWORD", "s3cret", "its name (DB_PASSWORD) says it holds a secret"),
        ("clientSecret", "abc", "its name (clientSecret) says it holds a secret"),
        ("AWS_SECRET_ACCESS_KEY", "abc", "its name (AWS_SECRET_ACCESS_KEY) says it holds a secret"),
        ("STRIPE_API_KEY", "abc", "its name (STRIPE_API_KEY) says it holds a secret"),
        ("CONFIG", "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
         "its value has the shape of a private key"),
        ("X", "ghp_" + "a" * 36, "its value has the shape of a GitHub token"),
        ("DATABASE_URL", "postgres://admin:S3cr3t@db:5432/app",
         "its value holds a password in a URL"),
        ("DATABASE_URL", "postgres://admin:$(DB_PASSWORD)@db:5432/app", None),
        ("DATABASE_URL", "postgres://admin@db:5432/app", None),
        ("PASSWORD_FILE", "/run/secrets/pw", None),
        ("TOKEN_URL", "https://id.example.com/token", None),
        ("AWS_ACCESS_KEY_ID", "abc", None),
        ("PWD", "/home/app", None),
        ("DB_PASSWORD", "", None),
        ("DB_PASSWORD", "$(PASSWORD_FROM_SECRET)", None),
        ("LOG_LEVEL", "debug", None),
        # a switch is not a secret by its name alone; a credential-shaped value still is
        ("MYSQL_ALLOW_EMPTY_PASSWORD", "yes", None),
        ("MYSQL_RANDOM_ROOT_PASSWORD", "TRUE", None),
        ("NPM_CONFIG_PASSWORD_PROTECTION", "off", None),
        ("AUTH_TOKEN", "0", None),
        ("SECRET", " Disabled ", None),
        ("DB_PASSWORD", "null", None),
        ("DB_PASSWORD", "Empty", None),
        ("API_TOKEN", "none", None),
        ("DB_PASSWORD", "yes-really", "its name (DB_PASSWORD) says it holds a secret"),
        ("DB_PASSWORD", "10", "its name (DB_PASSWORD) says it holds a secret"),
        ("ALLOW_PASSWORD", "AKIAZ7Q3WD2LXKT4NQ5M", "its value has the shape of an AWS access "
         "key id"),
    ],
)
def test_secret_heuristics(name: str, value: str, reason: str | None) -> None:
    assert secret_reason(name, value) == reason


def test_allowed_registries_normalize_docker_hub() -> None:
    assert normalize_registries(("index.docker.io/library", " quay.io/", "", "ghcr.io")) == (
        "docker.io/library", "quay.io", "ghcr.io")


def test_fields_of_the_wrong_type_are_findings_not_silence() -> None:
    from tenlayer.kube.inputs import Manifests
    from tenlayer.policy.manifests import CheckOptions, check_manifests

    text = b"""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, annotations: {prometheus.io/port: 8080}}
spec:
  template:
    spec:
      hostNetwork: "yes"
      containers:
      - name: app
        image: x:1
        securityContext: {privileged: "true", runAsUser: true, capabilities: {add: SYS_ADMIN}}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: 5}
---
apiVersion: v1
kind: Pod
metadata: {name: nospec}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec: {jobTemplate: {spec: []}}
"""
    manifests = Manifests(objects=list(objects_of(load_documents(text, "w.yaml"))), files=1)
    result = check_manifests(manifests, CheckOptions())
    invalid = [(f.subject, f.location, f.line, dict(f.evidence)["problem"], f.severity)
               for f in result.findings if f.check_id == "deploy/invalid-field"]
    assert sorted(invalid) == [
        ("CronJob/default/c", "spec.jobTemplate.spec", 25,
         "spec.jobTemplate.spec is a list, not an object", Severity.HIGH),
        ("Deployment/default/d", "metadata.annotations[prometheus.io/port]", 3,
         "expected a string, got an integer", Severity.HIGH),
        ("Deployment/default/d", "spec.template.spec.containers[0].securityContext"
         ".capabilities.add", 11, "expected a list, got a string", Severity.HIGH),
        ("Deployment/default/d", "spec.template.spec.containers[0].securityContext"
         ".privileged", 11, "expected a boolean, got a string", Severity.HIGH),
        ("Deployment/default/d", "spec.template.spec.containers[0].securityContext"
         ".runAsUser", 11, "expected an integer, got a boolean", Severity.HIGH),
        ("Deployment/default/d", "spec.template.spec.hostNetwork", 7,
         "expected a boolean, got a string", Severity.HIGH),
        ("Pod/default/nospec", "", 18, "Pod has no spec", Severity.HIGH),
        ("Pod/default/p", "spec.containers", 16, "expected a list, got an integer", Severity.HIGH),
    ]

"""Objects, List kinds, pod templates of every workload kind, and reading inputs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.kube.documents import Limits, load_documents
from tenlayer.kube.inputs import load_manifests
from tenlayer.kube.namespaces import namespaces_of
from tenlayer.kube.objects import objects_of
from tenlayer.kube.workloads import pod_template, pod_templates

POD_SPEC = "{containers: [{name: app, image: 'nginx:1'}]}"
WORKLOADS = f"""\
apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: team}}
spec: {POD_SPEC}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: d}}
spec: {{template: {{metadata: {{labels: {{a: b}}}}, spec: {POD_SPEC}}}}}
---
apiVersion: extensions/v1beta1
kind: ReplicaSet
metadata: {{name: rs}}
spec: {{template: {{spec: {POD_SPEC}}}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: ss}}
spec: {{template: {{spec: {POD_SPEC}}}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: ds}}
spec: {{template: {{spec: {POD_SPEC}}}}}
---
apiVersion: batch/v1
kind: Job
metadata: {{name: j}}
spec: {{template: {{spec: {POD_SPEC}}}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: cj}}
spec: {{jobTemplate: {{spec: {{template: {{spec: {POD_SPEC}}}}}}}}}
---
apiVersion: v1
kind: ReplicationController
metadata: {{name: rc}}
spec: {{template: {{spec: {POD_SPEC}}}}}
---
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {{name: dc}}
spec: {{template: {{spec: {POD_SPEC}}}}}
---
apiVersion: v1
kind: PodTemplate
metadata: {{name: pt}}
template: {{spec: {POD_SPEC}}}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {{name: not-a-workload}}
spec: {{template: {{spec: {POD_SPEC}}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: no-template}}
spec: {{template: 5}}
---
apiVersion: v1
kind: Service
metadata: {{name: svc}}
"""


def test_every_workload_kind_yields_its_pod_template_and_its_path() -> None:
    objects = list(objects_of(load_documents(WORKLOADS.encode(), "w.yaml")))
    templates = list(pod_templates(objects, None))
    assert [(t.subject, t.prefix) for t in templates] == [
        ("Pod/team/p", ""),
        ("Deployment/default/d", "spec.template"),
        ("ReplicaSet/default/rs", "spec.template"),
        ("StatefulSet/default/ss", "spec.template"),
        ("DaemonSet/default/ds", "spec.template"),
        ("Job/default/j", "spec.template"),
        ("CronJob/default/cj", "spec.jobTemplate.spec.template"),
        ("ReplicationController/default/rc", "spec.template"),
        ("DeploymentConfig/default/dc", "spec.template"),
        ("PodTemplate/default/pt", "template"),
    ]
    cron = templates[6]
    assert cron.object_path("spec.containers[0].image") == (
        "spec.jobTemplate.spec.template.spec.containers[0].image")
    assert cron.line_of("spec.containers[0].image") == 34
    assert templates[1].metadata == {"labels": {"a": "b"}}
    assert [t.namespace_given for t in templates][:2] == [True, False]


def test_default_namespace_and_the_pod_a_template_makes() -> None:
    objects = list(objects_of(load_documents(WORKLOADS.encode(), "w.yaml")))
    deployment = pod_template(objects[1], "shop")
    assert deployment is not None
    assert deployment.subject == "Deployment/shop/d"
    assert deployment.as_pod() == {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"labels": {"a": "b"}, "name": "d", "namespace": "shop"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1"}]},
    }
    implicit = pod_template(objects[1], None)
    assert implicit is not None and "namespace" not in implicit.as_pod()["metadata"]


def test_list_kinds_are_flattened_with_their_item_paths() -> None:
    text = b"""\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec: {containers: [{name: c, image: x}]}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: team
    labels: {pod-security.kubernetes.io/enforce: baseline, bad: 5}
"""
    objects = list(objects_of(load_documents(text, "list.yaml")))
    assert [(o.kind, o.name, o.prefix) for o in objects] == [
        ("Pod", "a", ("items", 0)), ("Namespace", "team", ("items", 1))]
    assert objects[0].line_of("spec.containers[0].image") == 7
    labels = namespaces_of(objects)["team"].labels
    assert labels == {"pod-security.kubernetes.io/enforce": "baseline"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"- a\n- b\n", "x.yaml: document 1 (line 1) is a list, not a Kubernetes object"),
        (b"just text\n", "x.yaml: document 1 (line 1) is a str scalar, not a Kubernetes object"),
        (b"apiVersion: v1\nmetadata: {}\n", "x.yaml: document 1 (line 1) has no kind"),
        (b"kind: Pod\n", "x.yaml: document 1 (line 1) (Pod) has no apiVersion"),
        (b"kind: PodList\napiVersion: v1\nitems: [3]\n",
         "x.yaml: document 1 (line 1): items[0] is a int scalar, not an object"),
    ],
)
def test_documents_that_are_not_objects(text: bytes, message: str) -> None:
    with pytest.raises(BadInput) as raised:
        list(objects_of(load_documents(text, "x.yaml")))
    assert str(raised.value).startswith(message)


def test_directories_skip_what_is_not_a_manifest_but_named_files_must_be(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "pod.yml").write_text(WORKLOADS.split("---")[0])
    (tmp_path / "a.json").write_text('{"apiVersion": "v1", "kind": "Namespace", '
                                     '"metadata": {"name": "team"}}')
    (tmp_path / "values.yaml").write_text("replicas: 3\n")
    (tmp_path / "chart.yaml").write_text("{{ if .Values.x }}: y\n")
    (tmp_path / "notes.txt").write_text("not read")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "pod.yaml").write_text("not: read")
    manifests = load_manifests([str(tmp_path)])
    assert [(o.kind, o.source) for o in manifests.objects] == [
        ("Namespace", str(tmp_path / "a.json")), ("Pod", str(tmp_path / "b" / "pod.yml"))]
    assert manifests.files == 2
    assert [(s.source, s.reason) for s in manifests.skipped] == [
        (str(tmp_path / "chart.yaml"), "document 1 (line 1) has a mapping key that is not a "
                                       "scalar (an unrendered template? render it first: helm "
                                       "template, kustomize build)"),
        (str(tmp_path / "values.yaml"), "document 1 (line 1) has no kind: not a Kubernetes object"),
    ]
    with pytest.raises(BadInput, match=r"values.yaml: document 1 \(line 1\) has no kind"):
        load_manifests([str(tmp_path / "values.yaml")])
    with pytest.raises(BadInput, match=r"missing.yaml: no such file or directory$"):
        load_manifests([str(tmp_path / "missing.yaml")])


def test_nested_lists_empty_inputs_and_strict_json(tmp_path: Path) -> None:
    nested = (b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n"
              b"  - {apiVersion: v1, kind: Pod, metadata: {name: inner}, spec: {}}\n")
    objects = list(objects_of(load_documents(nested, "n.yaml")))
    assert [(o.name, o.prefix, o.line) for o in objects] == [
        ("inner", ("items", 0, "items", 0), 7)]
    (tmp_path / "empty.yaml").write_text("# nothing rendered\n---\n")
    with pytest.raises(BadInput, match=r"empty.yaml: no Kubernetes objects in it \(empty, or "
                                       r"only comments\)$"):
        load_manifests([str(tmp_path / "empty.yaml")])
    with pytest.raises(BadInput, match=r"^<stdin>: no Kubernetes objects in it"):
        load_manifests(["-"], stdin=io.BytesIO(b""))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("hello")
    with pytest.raises(BadInput, match=r"docs: no manifests in it \(.yaml, .yml, .json files\)$"):
        load_manifests([str(tmp_path / "docs")])
    (tmp_path / "docs" / "values.yaml").write_text("replicas: 1\n")
    with pytest.raises(BadInput, match=r"docs: no readable manifests in it; 1 skipped, e.g. "):
        load_manifests([str(tmp_path / "docs")])
    (tmp_path / "trailing.json").write_text('{"apiVersion": "v1", "kind": "Pod",}')
    with pytest.raises(BadInput, match=r"trailing.json: not valid JSON: trailing comma is not "
                                       r"allowed: line 1 column 35"):
        load_manifests([str(tmp_path / "trailing.json")])
    pod = tmp_path / "pod.yaml"
    pod.write_text(WORKLOADS.split("---")[0])
    assert len(load_manifests([str(pod), str(pod)]).objects) == 1


def test_stdin_and_size_limit_on_streams() -> None:
    stream = io.BytesIO(WORKLOADS.split("---")[0].encode())
    manifests = load_manifests(["-"], stdin=stream)
    assert [(o.kind, o.source) for o in manifests.objects] == [("Pod", "<stdin>")]
    with pytest.raises(BadInput, match=r"^<stdin>: more than the 10-byte limit"):
        load_manifests(["-"], stdin=io.BytesIO(b"x" * 11), limits=Limits(max_file_bytes=10))

"""Manifest loading: the data PyYAML's safe loader would give, lines kept, hostile input refused."""

from __future__ import annotations

import pytest
import yaml

from tenlayer.errors import BadInput
from tenlayer.kube.documents import Limits, load_documents
from tenlayer.kube.paths import join, key_step, parse_path

MANIFEST = b"""\
# a comment before the first document
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: runtime/default
spec:
  replicas: 0x10
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 8080
      - name: sidecar
        image: envoy
---
---
# only a comment
---
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
"""


def test_documents_match_the_safe_loader_and_skip_empty_ones() -> None:
    documents = list(load_documents(MANIFEST, "app.yaml"))
    expected = [d for d in yaml.load_all(MANIFEST, Loader=yaml.CSafeLoader) if d is not None]
    assert [d.body for d in documents] == expected
    assert [(d.index, d.line) for d in documents] == [(0, 2), (3, 23)]
    assert documents[0].body["spec"]["replicas"] == 16


def test_line_of_a_field_and_of_the_nearest_ancestor_of_a_missing_one() -> None:
    document = next(load_documents(MANIFEST, "app.yaml"))
    assert document.line_of(parse_path("spec.template.spec.containers[1].image")) == 18
    assert document.line_of(
        parse_path("metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]")
    ) == 7
    # securityContext is absent: the line of the container that must hold it
    assert document.line_of(parse_path("spec.template.spec.containers[1].securityContext")) == 17
    assert document.line_of(parse_path("spec.template.spec.containers[5]")) == 12


def test_merge_keys_and_benign_aliases_expand() -> None:
    text = b"base: &b {cpu: 1, memory: 2}\nlimits:\n  <<: *b\n  cpu: 4\nsame: *b\n"
    (document,) = load_documents(text, "m.yaml")
    assert document.body == {
        "base": {"cpu": 1, "memory": 2}, "limits": {"cpu": 4, "memory": 2},
        "same": {"cpu": 1, "memory": 2},
    }
    assert document.line_of(("limits", "memory")) == 1  # found through the merge


def test_scalars_resolve_as_kubernetes_reads_them_and_no_tag_builds_objects() -> None:
    # as kubectl (sigs.k8s.io/yaml, go-yaml v2) reads them: y/n are booleans, 0o17 is 15
    text = (b"a: yes\nb: off\nc: 0o17\nd: 017\ne: 1_000\nf: .inf\ng: ~\nh: 2024-02-30\n"
            b"j: '0x10'\nk: 1:30\nl: y\nm: N\nnn: '0o17'\no: -0o10\np: yy\nyes: 1\n1: 2\n")
    (document,) = load_documents(text, "s.yaml")
    assert document.body == {
        "a": True, "b": False, "c": 15, "d": 15, "e": 1000, "f": float("inf"), "g": None,
        "h": "2024-02-30", "j": "0x10", "k": 90, "l": True, "m": False, "nn": "0o17", "o": -8,
        "p": "yy", "true": 1, "1": 2,  # keys become JSON field names, as Kubernetes reads them
    }


def test_tags_outside_the_core_schema_and_duplicate_keys_are_refused() -> None:
    with pytest.raises(BadInput, match=r"^t.yaml: document 1 \(line 1\) uses the YAML tag "
                                       r"'tag:yaml.org,2002:python/object/apply:os.system'"):
        list(load_documents(b"a: !!python/object/apply:os.system ['true']\n", "t.yaml"))
    with pytest.raises(BadInput, match=r"uses the YAML tag '!Ref'"):
        list(load_documents(b"a: !Ref x\n", "t.yaml"))
    # Kubernetes decodes !!binary: checking the base64 text would check another image
    with pytest.raises(BadInput, match=r"uses the YAML tag 'tag:yaml.org,2002:binary'"):
        list(load_documents(b"image: !!binary ZXZpbC5leGFtcGxlLmNvbS94OjE=\n", "t.yaml"))
    with pytest.raises(BadInput) as raised:
        list(load_documents(b"c:\n  privileged: true\n  privileged: false\n", "t.yaml"))
    assert str(raised.value) == (
        "t.yaml: document 1 (line 3) sets 'privileged' twice (first at line 2): Kubernetes "
        "refuses duplicate fields, and a reader that keeps either one can be fooled")


def billion_laughs(levels: int) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        refs = ",".join([f"*a{n - 1}"] * 10)
        lines.append(f"a{n}: &a{n} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (billion_laughs(9), "alias-bomb.yaml: document 1 (line 1) expands to more than 2000000 "
                            "nodes (a YAML alias bomb or an oversized document)"),
        (b"a: &x [1, *x]\n", "alias-bomb.yaml: document 1 (line 1) nests more than 256 levels "
                             "deep (or an alias refers to itself)"),
        (b"a: " + b"[" * 300 + b"]" * 300,
         "alias-bomb.yaml: document 1 (line 1) nests more than 256 levels deep"),
        (b"a: " + b"[" * 100_000 + b"]" * 100_000,
         "alias-bomb.yaml: not valid YAML at line 1: exceeded maximum nesting depth"),
        (b"kind: Pod\n\tspec: {}\n", "alias-bomb.yaml: not valid YAML at line 2: found a tab "
                                     "character that violates indentation"),
        (b"kind: \xff\xfe\n", "alias-bomb.yaml: not valid YAML: invalid leading UTF-8 octet"),
        (b"a: *nope\n", "alias-bomb.yaml: not valid YAML at line 1: found undefined alias"),
        (b"{{ .Values.x }}: 1\n", "alias-bomb.yaml: document 1 (line 1) has a mapping key that "
                                  "is not a scalar"),
    ],
)
def test_hostile_and_malformed_documents_are_one_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(BadInput) as raised:
        list(load_documents(data, "alias-bomb.yaml"))
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_an_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(BadInput, match=r"^big.yaml: 2049 bytes is more than the 2048-byte limit"):
        list(load_documents(b"a" * 2049, "big.yaml", limits=Limits(max_file_bytes=2048)))


def test_node_limit_counts_expanded_aliases() -> None:
    text = b"a: &a [1, 2, 3, 4]\nb: [*a, *a, *a, *a]\n"
    assert len(list(load_documents(text, "ok.yaml", limits=Limits(max_nodes=30)))) == 1
    with pytest.raises(BadInput, match="expands to more than 20 nodes"):
        list(load_documents(text, "ok.yaml", limits=Limits(max_nodes=20)))


def test_field_paths_round_trip() -> None:
    assert parse_path("spec.containers[0].securityContext") == (
        "spec", "containers", 0, "securityContext")
    assert parse_path("metadata.annotations[a.b/c]") == ("metadata", "annotations", "a.b/c")
    assert key_step("plain") == ".plain" and key_step("a.b/c") == "[a.b/c]"
    assert join("spec.template", "spec.containers[0]") == "spec.template.spec.containers[0]"
    assert join("", "spec") == "spec" and join("spec.template", "") == "spec.template"

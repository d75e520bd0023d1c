"""The streamed outputs of `k8s netpol`: the bytes a whole-document dump gives, written to a
file only when whole."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tenlayer.cli.progress import StepProgress, step_progress
from tenlayer.errors import BadInput
from tenlayer.kube.inputs import load_manifests
from tenlayer.netpol.connectivity import Analysis, Options, analyze
from tenlayer.netpol.findings import FindingOptions, network_findings
from tenlayer.netpol.findings_report import iter_report, with_findings
from tenlayer.report.output import output_stream

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "netpol"


def _dumped(analysis: Analysis) -> bytes:
    """The json as one orjson dump of the whole list, as it was written before streaming."""
    pairs_only = analysis.focus_conn is not None
    items = [{"src": c.src, "dst": c.dst} if pairs_only else
             {"src": c.src, "dst": c.dst, "conn": c.conns.text()}
             for c in analysis.iter_connections()]
    if analysis.exposure is None:
        return orjson.dumps(items, option=orjson.OPT_INDENT_2) + b"\n"
    document = orjson.loads(b"".join(iter_report(analysis, "json", None)))
    assert document["connlist_results"] == items
    document["connlist_results"] = items
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


@pytest.mark.parametrize("options", [Options(), Options(exposure=True),
                                     Options(focus_conn=("TCP", 8080))])
def test_streamed_json_is_the_whole_dump(options: Options) -> None:
    objects = load_manifests([str(EXAMPLE)], typed_lists=True).objects
    analysis = analyze(objects, options)
    findings = network_findings(objects, FindingOptions(tenant_label="tenant"))
    dumped = _dumped(analysis)
    assert b"".join(iter_report(analysis, "json", None)) == dumped
    assert b"".join(iter_report(analysis, "json", findings)) == with_findings(
        dumped, "json", findings)


def test_an_empty_list_is_an_empty_json_list(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n"
        "spec: {containers: [{name: c, image: i}]}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: deny, namespace: a}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n")
    analysis = analyze(load_manifests([str(tmp_path)]).objects)
    assert b"".join(iter_report(analysis, "json", None)) == b"[]\n"
    assert b"".join(iter_report(analysis, "json", [])) == (
        b'{\n  "connections": [],\n  "findings": []\n}\n')


def test_a_streamed_file_appears_only_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"before")
    with pytest.raises(RuntimeError), output_stream(target) as stream:
        stream.write(b"half")
        raise RuntimeError
    assert target.read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    with output_stream(target) as stream:
        stream.write(b"whole")
    assert target.read_bytes() == b"whole"


def test_a_streamed_file_is_never_an_input(tmp_path: Path) -> None:
    source = tmp_path / "in.yaml"
    source.write_bytes(b"kind: x")
    with pytest.raises(BadInput, match="is also an input"), output_stream(
            source, inputs=[str(source)]):
        pass
    assert source.read_bytes() == b"kind: x"


def test_no_progress_off_a_terminal() -> None:
    with step_progress(enabled=True) as progress:  # pytest's stderr is no terminal
        assert type(progress) is StepProgress

"""The connection list as netpol-analyzer prints it: `txt` lines and `json` objects."""

from __future__ import annotations

import orjson

from tenlayer.netpol.connectivity import Analysis


def render_txt(analysis: Analysis) -> bytes:
    lines = [f"{c.src} => {c.dst} : {c.conns.text()}" for c in analysis.connections]
    return ("\n".join(lines) + "\n").encode() if lines else b""


def render_json(analysis: Analysis) -> bytes:
    items = [{"src": c.src, "dst": c.dst, "conn": c.conns.text()} for c in analysis.connections]
    return orjson.dumps(items, option=orjson.OPT_INDENT_2) + b"\n"


RENDERERS = {"txt": render_txt, "json": render_json}

"""The connection list as netpol-analyzer prints it: `txt` lines, `json` objects, and its
`csv`, `md` (a table) and `dot` (Graphviz: namespaces as boxes) formats.

With user-defined or secondary networks in the input, the txt output has one section per
network (pod network first, then primary UDNs, primary CUDNs, secondary NADs, each by name)
and ends with the workload-to-networks mapping; json stays one sorted list.
"""

from __future__ import annotations

import heapq
import io
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator

import orjson

from tenlayer.netpol.connectivity import Analysis, Connection, ConnectionTable
from tenlayer.netpol.exposure import ENTIRE_CLUSTER, Exposure, ExposureResult
from tenlayer.netpol.networks import POD_NETWORK, Network
from tenlayer.netpol.ports import ConnectionSet

SECTION = "Permitted connectivity analyzed in {}:"
NO_POD_NETWORK_WORKLOADS = (
    "all input workloads are configured with (C)UDN as their primary network interface")
POD_NETWORK_BLOCKED = "All connections are not allowed for the workloads in the pod-network"


def _line(connection: Connection) -> str:
    return f"{connection.src} => {connection.dst} : {connection.conns.text()}"


def render_txt(analysis: Analysis) -> bytes:
    """With a focus connection (`TCP 80`) the lines name pairs only."""
    # written piece by piece into one buffer: at scale (hundreds of MB) a list of the pieces
    # beside their join would double the peak; getvalue() hands the buffer over uncopied
    buffer = io.BytesIO()
    for piece in iter_txt(analysis):
        buffer.write(piece)
    return buffer.getvalue()


def iter_txt(analysis: Analysis) -> Iterator[bytes]:
    """render_txt in pieces, to be written as they come (the list can be gigabytes); the
    exposure analysis, when asked for, follows after an empty line."""
    listed = False
    for piece in _iter_list(analysis):
        listed = listed or bool(piece)
        yield piece
    if analysis.exposure is not None:
        if listed:
            yield b"\n"
        yield _exposure_txt(analysis.exposure).encode()


def _exposure_txt(exposure: ExposureResult) -> str:
    def line(item: Exposure) -> str:
        arrow = "<=" if item.ingress else "=>"
        conns = "" if exposure.focus_conn is not None else f" : {item.conns}"
        return f"{item.workload.ljust(exposure.width)} \t{arrow} \t{item.peer}{conns}"

    text = exposure.header + "\n"
    if exposure.egress:
        text += "Egress Exposure:\n" + "\n".join(map(line, exposure.egress)) + "\n"
    if exposure.ingress:
        text += ("\n" if exposure.egress else "") + "Ingress Exposure:\n"
        text += "\n".join(map(line, exposure.ingress)) + "\n"
    if exposure.unprotected:
        text += "\nWorkloads not protected by network policies:\n"
        text += "\n".join(exposure.unprotected) + "\n"
    return text


def _iter_list(analysis: Analysis) -> Iterator[bytes]:
    if analysis.focus_conn is not None:
        yield _render_focus_conn(analysis, analysis.focus_conn)
        return
    if not analysis.networks:
        for table in analysis.tables:
            yield from _table_lines(table)
        if analysis.extra:
            yield ("\n".join(_line(c) for c in analysis.extra) + "\n").encode()
        return
    yield _render_networks(analysis)


def _table_lines(table: ConnectionTable) -> Iterator[bytes]:
    """Each sender's lines in one piece: its name joined to the row's shared tails
    (` => dst : conns` and a newline), so a line costs no Python work of its own."""
    receivers = [name.encode() for name in table.receivers]
    texts: dict[int, bytes] = {}
    tails: list[list[bytes]] = []
    positions: list[list[int]] = []
    for reached in table.rows:
        row_tails = []
        for position, conns in reached:
            text = texts.get(id(conns))
            if text is None:
                text = texts[id(conns)] = conns.text().encode()
            row_tails.append(b" => " + receivers[position] + b" : " + text + b"\n")
        tails.append(row_tails)
        positions.append([position for position, _conns in reached])
    yield from _sender_lines(table, tails, positions, str.encode)


def _sender_lines(table: ConnectionTable, tails: list[list[bytes]],
                  positions: list[list[int]], head: Callable[[str], bytes]) -> Iterator[bytes]:
    """Each sender's row of `tails` (each tail at its receiver's index in `positions`), less
    the sender itself, joined by `head(sender)`: its lines in one piece."""
    for name, row, own in table.senders:
        parts = tails[row]
        if own >= 0:
            index = bisect_left(positions[row], own)
            if index < len(parts) and positions[row][index] == own:
                parts = parts[:index] + parts[index + 1:]
        if parts:
            sender = head(name)
            yield sender + sender.join(parts)


def _render_networks(analysis: Analysis) -> bytes:
    connections = analysis.iter_connections()
    by_network: dict[Network, list[str]] = {}
    for connection in connections:
        by_network.setdefault(connection.network, []).append(_line(connection))
    lines = []
    pod_lines = by_network.pop(POD_NETWORK, [])
    if by_network:
        lines.append(SECTION.format(POD_NETWORK.section))
        if not pod_lines:
            lines.append(POD_NETWORK_BLOCKED if analysis.pod_network_workloads
                         else NO_POD_NETWORK_WORKLOADS)
    lines.extend(pod_lines)
    for network in sorted(by_network):
        lines.extend(["", SECTION.format(network.section), *by_network[network]])
    lines.extend(["", "Workload-to-Networks Mapping:"])
    for mapping in analysis.networks:
        lines.extend([f"{mapping.workload}: ", f"\tPrimary Network: {mapping.primary.label}"])
        if mapping.secondary:
            lines.append("\tSecondary Networks: " + ",".join(n.label for n in mapping.secondary))
    return ("\n".join(lines) + "\n").encode()


def _render_focus_conn(analysis: Analysis, focus_conn: str) -> bytes:
    by_network: dict[Network, list[str]] = {}
    for connection in analysis.iter_connections():
        by_network.setdefault(connection.network, []).append(
            f"{connection.src} => {connection.dst}")
    lines = [f"Permitted connections on {focus_conn}:"]
    pod_lines = by_network.pop(POD_NETWORK, [])
    if by_network and pod_lines:
        lines.append(SECTION.format(POD_NETWORK.section))
    lines.extend(pod_lines)
    for network in sorted(by_network):
        lines.extend(["", SECTION.format(network.section), *by_network[network]])
    return ("\n".join(lines) + "\n").encode()


def render_json(analysis: Analysis) -> bytes:
    return b"".join(iter_json(analysis))


_LIST = "\x00tenlayer-connection-list\x00"
"""Stands for the list in the document around it; no name or port is this."""


def _json_document(analysis: Analysis) -> object:
    """What the json holds, with _LIST in place of the connection list."""
    pairs_only = analysis.focus_conn is not None
    exposure = analysis.exposure
    if exposure is None:
        return _LIST

    def exposed(lines: tuple[Exposure, ...]) -> list[dict[str, str]] | None:
        found = []
        for e in lines:
            item = {"src": e.peer, "dst": e.workload} if e.ingress else {
                "src": e.workload, "dst": e.peer}
            if not pairs_only:
                item["conn"] = e.conns
            found.append(item)
        return found or None  # Go's encoding/json writes an empty (nil) list as null

    return {"connlist_results": _LIST,
            "exposure_results": {"egress_exposure": exposed(exposure.egress),
                                 "ingress_exposure": exposed(exposure.ingress)}}


def iter_json(analysis: Analysis, findings: list[dict[str, object]] | None = None
              ) -> Iterator[bytes]:
    """render_json in pieces, or with `findings` (finding_dict records) the
    `{connections, findings}` document of --findings (keys sorted, as report.json.dumps
    writes it). The document around the list is dumped with _LIST in the list's place; the
    list is then written between, entry by entry, in the bytes orjson's OPT_INDENT_2 would
    give it at that depth."""
    sort_keys = findings is not None
    document = _json_document(analysis)
    if findings is None:
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    else:
        from tenlayer.report.json import dumps

        text = dumps({"connections": document, "findings": findings})
    head, _found, tail = text.partition(orjson.dumps(_LIST))
    line = head[head.rfind(b"\n") + 1:]
    depth = len(line) - len(line.lstrip(b" "))
    yield head
    yield from _json_list(analysis, depth, sort_keys)
    yield tail


def _json_list(analysis: Analysis, depth: int, sort_keys: bool) -> Iterator[bytes]:
    """The list at `depth` spaces: `[]`, or `[`, `,`-separated entries and `]`. Every entry
    is built with a leading `,`; the first one written drops it."""
    entry = _JsonEntry(depth, sort_keys, analysis.focus_conn is not None)
    first = True
    for table in analysis.tables:
        for piece in entry.table(table):
            if first:
                piece, first = b"[" + piece[1:], False
            yield piece
    for connection in analysis.extra:
        before, after = entry.ends(connection.dst, connection.conns)
        piece = before + orjson.dumps(connection.src) + after
        if first:
            piece, first = b"[" + piece[1:], False
        yield piece
    yield b"[]" if first else b"\n" + b" " * depth + b"]"


class _JsonEntry:
    """One connection's object as bytes around its source's name: (before, after) depend
    on the receiver and connections only, so a table row's are made once."""

    def __init__(self, depth: int, sort_keys: bool, pairs_only: bool) -> None:
        self.outer = b",\n" + b" " * (depth + 2)
        self.inner = b"\n" + b" " * (depth + 4)
        self.close = b"\n" + b" " * (depth + 2) + b"}"
        self.sort_keys = sort_keys
        self.pairs_only = pairs_only

    def ends(self, dst: str, conns: ConnectionSet | str, encoded: bytes | None = None
             ) -> tuple[bytes, bytes]:
        inner = self.inner
        dst_field = b'"dst": ' + (orjson.dumps(dst) if encoded is None else encoded)
        text = conns if isinstance(conns, str) else conns.text()
        conn_field = b'"conn": ' + orjson.dumps(text)
        if self.sort_keys:  # conn, dst, src
            before = self.outer + b"{" + (b"" if self.pairs_only else inner + conn_field + b",")
            return before + inner + dst_field + b"," + inner + b'"src": ', self.close
        after = b"," + inner + dst_field + (b"" if self.pairs_only else b"," + inner + conn_field)
        return self.outer + b"{" + inner + b'"src": ', after + self.close

    def table(self, table: ConnectionTable) -> Iterator[bytes]:
        """Each sender's entries in one piece: its name joined between the row's parts
        (`before₀`, `after₀ before₁`, …, `afterₖ`), as _table_lines does for txt."""
        receivers = [orjson.dumps(name) for name in table.receivers]
        made: dict[tuple[int, int], tuple[bytes, bytes]] = {}
        rows: list[tuple[list[bytes], list[bytes], list[bytes], list[int]]] = []
        for reached in table.rows:
            befores, afters = [], []
            for position, conns in reached:
                key = (position, id(conns))
                ends = made.get(key)
                if ends is None:
                    ends = made[key] = self.ends("", conns, receivers[position])
                befores.append(ends[0])
                afters.append(ends[1])
            parts = ([befores[0], *(a + b for a, b in zip(afters, befores[1:], strict=False)),
                      afters[-1]] if befores else [])
            rows.append((parts, befores, afters, [p for p, _conns in reached]))
        for name, row, own in table.senders:
            parts, befores, afters, positions = rows[row]
            if not parts:
                continue
            if own >= 0:
                index = bisect_left(positions, own)
                if index < len(positions) and positions[index] == own:
                    if len(positions) == 1:
                        continue
                    joined = (afters[index - 1] if index else b"") + (
                        befores[index + 1] if index + 1 < len(befores) else b"")
                    parts = [*parts[:index], joined, *parts[index + 2:]]
            yield orjson.dumps(name).join(parts)


def _sorted(analysis: Analysis) -> Iterator[Connection]:
    """netpol-analyzer's table order: by source, then destination. Each table is in that
    order already (senders and receivers sorted by name): merged, not sorted, so the list
    is never held whole."""
    sources: list[Iterable[Connection]] = [t for t in analysis.tables if t.rows]
    if analysis.extra:
        sources.append(sorted(analysis.extra, key=_ends))
    if len(sources) == 1:
        return iter(sources[0])
    return heapq.merge(*sources, key=_ends)


def _ends(connection: Connection) -> tuple[str, str]:
    return connection.src, connection.dst


def _csv_field(text: str) -> str:
    """Go's encoding/csv quoting: a field with a comma, quote or line break, or starting
    with a space, is quoted, its quotes doubled."""
    if text and (any(c in text for c in ',"\r\n') or text[0].isspace() or text == "\\."):
        return '"' + text.replace('"', '""') + '"'
    return text


def render_csv(analysis: Analysis) -> bytes:
    return b"".join(iter_csv(analysis))


def iter_csv(analysis: Analysis) -> Iterator[bytes]:
    """`src,dst,conn` and one row a connection (`src,dst` with a focus connection)."""
    pairs_only = analysis.focus_conn is not None
    yield b"src,dst\n" if pairs_only else b"src,dst,conn\n"

    def row_tail(dst: str, conns: ConnectionSet) -> bytes:
        text = "" if pairs_only else "," + _csv_field(conns.text())
        return f",{_csv_field(dst)}{text}\n".encode()

    yield from _sorted_lines(analysis, lambda src: _csv_field(src).encode(), row_tail)
    exposure = analysis.exposure
    if exposure is not None:
        rows = [[exposure.header, "", ""]]
        for title, header, lines in (("Egress Exposure:", ["src", "dst", "conn"],
                                      exposure.egress),
                                     ("Ingress Exposure:", ["dst", "src", "conn"],
                                      exposure.ingress)):
            if lines:  # the workload comes first either way: egress from it, ingress into it
                rows.extend([[title, "", ""], header[:2] if pairs_only else header])
                rows.extend([e.workload, e.peer] if pairs_only else
                            [e.workload, e.peer, e.conns] for e in lines)
        yield "".join(",".join(_csv_field(f) for f in row) + "\n" for row in rows).encode()


def _sorted_lines(analysis: Analysis, head: Callable[[str], bytes],
                  tail: Callable[[str, ConnectionSet], bytes]) -> Iterator[bytes]:
    """The lines `head(src) + tail(dst, conns)` in _sorted's order: a single table's a
    sender at a time from its shared rows (as _table_lines), else line by line."""
    sources = [t for t in analysis.tables if t.rows]
    if len(sources) == 1 and not analysis.extra:
        yield from _shared_lines(sources[0], head, tail)
        return
    for connection in _sorted(analysis):
        yield head(connection.src) + tail(connection.dst, connection.conns)


def _shared_lines(table: ConnectionTable, head: Callable[[str], bytes],
                  tail: Callable[[str, ConnectionSet], bytes]) -> Iterator[bytes]:
    tails: list[list[bytes]] = []
    positions: list[list[int]] = []
    made: dict[tuple[int, int], bytes] = {}
    for reached in table.rows:
        row_tails = []
        for position, conns in reached:
            text = made.get((position, id(conns)))
            if text is None:
                text = made[position, id(conns)] = tail(table.receivers[position], conns)
            row_tails.append(text)
        tails.append(row_tails)
        positions.append([position for position, _conns in reached])
    yield from _sender_lines(table, tails, positions, head)


def render_md(analysis: Analysis) -> bytes:
    return b"".join(iter_md(analysis))


def iter_md(analysis: Analysis) -> Iterator[bytes]:
    """A markdown table: `| src | dst | conn |`."""
    pairs_only = analysis.focus_conn is not None
    if pairs_only:
        yield b"| src | dst |\n|-----|-----|\n"
    else:
        yield b"| src | dst | conn |\n|-----|-----|------|\n"

    def row_tail(dst: str, conns: ConnectionSet) -> bytes:
        return (f" | {dst} |\n" if pairs_only else f" | {dst} | {conns.text()} |\n").encode()

    yield from _sorted_lines(analysis, lambda src: f"| {src}".encode(), row_tail)
    exposure = analysis.exposure
    if exposure is None:
        return
    pairs_only = exposure.focus_conn is not None
    lines = ["## " + exposure.header]
    for title, ends, items in (("Egress Exposure:", "| src | dst |", exposure.egress),
                               ("Ingress Exposure:", "| dst | src |", exposure.ingress)):
        # the workload comes first either way: egress from it, ingress into it
        header = f"{ends}\n|-----|-----|" if pairs_only else f"{ends} conn |\n|-----|-----|------|"
        lines.append(f"### {title}\n{header}\n" + "\n".join(
            f"| {e.workload} | {e.peer} |" + ("" if pairs_only else f" {e.conns} |")
            for e in items) + "\n" if items else "")
    yield "\n".join(lines).encode()


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_box(namespace: str, nodes: list[str], color: str = "black") -> list[str]:
    # Graphviz draws a subgraph as a box only when its name starts with `cluster`
    return ["\tsubgraph " + _quoted("cluster_" + namespace.replace("-", "_")) + " {",
            f"\t\tcolor={_quoted(color)}", f"\t\tfontcolor={_quoted(color)}", *sorted(nodes),
            f"\t\tlabel={_quoted(namespace)}", "\t}"]


def _dot_exposure(exposure: ExposureResult, boxes: dict[str, list[str]],
                  representative_boxes: dict[str, list[str]], outside: list[str],
                  edges: list[str]) -> None:
    """Exposure in the graph: dashed edges to the `entire-cluster` diamond and to
    representative peers (red), which sit in their namespace's box, or in a red box of
    their own for namespaces known only by labels. Address lines are in the graph already."""
    seen: set[str] = set()
    for item in (*exposure.egress, *exposure.ingress):
        representative = item.representative
        if representative is not None:
            namespace, label = representative.namespace_label, representative.pod_label
            peer = f"{label}_in_{namespace}"
            if peer not in seen:
                seen.add(peer)
                (boxes if namespace in boxes else representative_boxes).setdefault(
                    namespace, []).append(f"\t\t{_quoted(peer)} [label={_quoted(label)} "
                                          'color="red2" fontcolor="red2"]')
        elif item.peer == ENTIRE_CLUSTER:
            peer = ENTIRE_CLUSTER
            if peer not in seen:
                seen.add(peer)
                outside.append(f"\t{_quoted(peer)} [label={_quoted(peer)} color=\"red2\" "
                               'fontcolor="red2" shape=diamond]')
        else:
            continue
        src, dst = (peer, item.workload) if item.ingress else (item.workload, peer)
        color, weight = ("darkorange2", "1") if item.ingress else ("darkorange4", "0.5")
        edges.append(f"\t{_quoted(src)} -> {_quoted(dst)} [label={_quoted(item.conns)} "
                     f'color="{color}" fontcolor="darkgreen" weight={weight} style=dashed]')


def render_dot(analysis: Analysis) -> bytes:
    """A Graphviz digraph: a box a namespace holding its workloads (blue), external
    addresses and the ingress controller outside (red, blue), an edge a connection
    labelled with its ports. With user-defined networks, the pod network's namespaces are
    boxed together. Lines are sorted, so the same input gives the same graph; a final
    newline ends it, as it ends the json."""
    workloads = {w.name: w for w in analysis.workloads}
    boxes: dict[str, list[str]] = {}
    udn_boxes: dict[str, list[str]] = {}
    outside: list[str] = []
    seen: set[str] = set()

    def node(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        workload = workloads.get(name)
        if workload is None:  # an address range or the ingress controller
            color = "red2" if name.endswith("[External]") else "blue"
            outside.append(f"\t{_quoted(name)} [label={_quoted(name)} color={_quoted(color)} "
                           f"fontcolor={_quoted(color)}]")
            return
        (udn_boxes if workload.udn else boxes).setdefault(workload.namespace, []).append(
            f"\t\t{_quoted(name)} [label={_quoted(workload.label)} color=\"blue\" "
            'fontcolor="blue"]')

    edges = []
    for connection in analysis.iter_connections():
        # Graphviz ranks an edge by its weight: heavier for the one going "back" in name order
        weight = "0.5" if connection.src <= connection.dst else "1"
        edges.append(f"\t{_quoted(connection.src)} -> {_quoted(connection.dst)} "
                     f'[label={_quoted(connection.conns.text())} color="gold2" '
                     'fontcolor="darkgreen" '
                     f"weight={weight}]")
        node(connection.src)
        node(connection.dst)
    for workload in analysis.workloads:
        node(workload.name)
    representative_boxes: dict[str, list[str]] = {}
    if analysis.exposure is not None:
        _dot_exposure(analysis.exposure, boxes, representative_boxes, outside, edges)
    lines = ["digraph {"]
    pod_network = [line for namespace in sorted(boxes) for line in _dot_box(namespace,
                                                                            boxes[namespace])]
    pod_network.extend(line for namespace in sorted(representative_boxes)
                       for line in _dot_box(namespace, representative_boxes[namespace], "red2"))
    if udn_boxes and pod_network:
        lines.extend(['\tsubgraph "cluster_pod_network" {', '\tlabel="pod network"',
                      *pod_network, "\t}"])
    else:
        lines.extend(pod_network)
    for namespace in sorted(udn_boxes):
        lines.extend(_dot_box(namespace, udn_boxes[namespace]))
    lines.extend(sorted(outside))
    lines.extend(sorted(edges))
    lines.append("}")
    return ("\n".join(lines) + "\n").encode()


RENDERERS = {"txt": render_txt, "json": render_json, "csv": render_csv, "md": render_md,
             "dot": render_dot}


def iter_output(analysis: Analysis, output_format: str) -> Iterator[bytes]:
    """The list in `output_format`, in pieces to be written as they come."""
    streamed: dict[str, Callable[[Analysis], Iterator[bytes]]] = {
        "txt": iter_txt, "json": iter_json, "csv": iter_csv, "md": iter_md}
    stream = streamed.get(output_format)
    if stream is None:
        yield RENDERERS[output_format](analysis)
    else:
        yield from stream(analysis)

"""The connection list as netpol-analyzer prints it: `txt` lines, `json` objects, and its
`csv`, `md` (a table) and `dot` (Graphviz: namespaces as boxes) formats.

With user-defined or secondary networks in the input, the txt output has one section per
network (pod network first, then primary UDNs, primary CUDNs, secondary NADs, each by name)
and ends with the workload-to-networks mapping; json stays one sorted list.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

import orjson

from tenlayer.netpol.connectivity import Analysis, Connection, ConnectionTable
from tenlayer.netpol.networks import POD_NETWORK, Network

SECTION = "Permitted connectivity analyzed in {}:"
NO_POD_NETWORK_WORKLOADS = (
    "all input workloads are configured with (C)UDN as their primary network interface")
POD_NETWORK_BLOCKED = "All connections are not allowed for the workloads in the pod-network"


def _line(connection: Connection) -> str:
    return f"{connection.src} => {connection.dst} : {connection.conns.text()}"


def render_txt(analysis: Analysis) -> bytes:
    """With a focus connection (`TCP 80`) the lines name pairs only."""
    return b"".join(iter_txt(analysis))


def iter_txt(analysis: Analysis) -> Iterator[bytes]:
    """render_txt in pieces, to be written as they come (the list can be gigabytes)."""
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
    for name, row, own in table.senders:
        parts = tails[row]
        if own >= 0:
            index = bisect_left(positions[row], own)
            if index < len(parts) and positions[row][index] == own:
                parts = parts[:index] + parts[index + 1:]
        if parts:
            sender = name.encode()
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
    pairs_only = analysis.focus_conn is not None
    items = [{"src": c.src, "dst": c.dst} if pairs_only else
             {"src": c.src, "dst": c.dst, "conn": c.conns.text()}
             for c in analysis.iter_connections()]
    return orjson.dumps(items, option=orjson.OPT_INDENT_2) + b"\n"


def _sorted(analysis: Analysis) -> list[Connection]:
    """netpol-analyzer's table order: by source, then destination."""
    return sorted(analysis.iter_connections(), key=lambda c: (c.src, c.dst))


def _csv_field(text: str) -> str:
    """Go's encoding/csv quoting: a field with a comma, quote or line break, or starting
    with a space, is quoted, its quotes doubled."""
    if text and (any(c in text for c in ',"\r\n') or text[0].isspace() or text == "\\."):
        return '"' + text.replace('"', '""') + '"'
    return text


def render_csv(analysis: Analysis) -> bytes:
    """`src,dst,conn` and one row a connection (`src,dst` with a focus connection)."""
    pairs_only = analysis.focus_conn is not None
    rows = [["src", "dst"] if pairs_only else ["src", "dst", "conn"]]
    rows.extend([c.src, c.dst] if pairs_only else [c.src, c.dst, c.conns.text()]
                for c in _sorted(analysis))
    return "".join(",".join(_csv_field(f) for f in row) + "\n" for row in rows).encode()


def render_md(analysis: Analysis) -> bytes:
    """A markdown table: `| src | dst | conn |`."""
    if analysis.focus_conn is not None:
        lines = ["| src | dst |", "|-----|-----|"]
        lines.extend(f"| {c.src} | {c.dst} |" for c in _sorted(analysis))
    else:
        lines = ["| src | dst | conn |", "|-----|-----|------|"]
        lines.extend(f"| {c.src} | {c.dst} | {c.conns.text()} |" for c in _sorted(analysis))
    return ("\n".join(lines) + "\n").encode()


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_box(namespace: str, nodes: list[str]) -> list[str]:
    # Graphviz draws a subgraph as a box only when its name starts with `cluster`
    return ["\tsubgraph " + _quoted("cluster_" + namespace.replace("-", "_")) + " {",
            '\t\tcolor="black"', '\t\tfontcolor="black"', *sorted(nodes),
            f"\t\tlabel={_quoted(namespace)}", "\t}"]


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
    lines = ["digraph {"]
    pod_network = [line for namespace in sorted(boxes) for line in _dot_box(namespace,
                                                                            boxes[namespace])]
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

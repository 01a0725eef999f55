"""`arch-lint graph --format mermaid|dot|json`: the graph as text.

- `mermaid`: a `flowchart LR` that GitHub renders in a ```mermaid block.
  Services are boxes, shared-models packages cylinders, libraries
  subroutine boxes; an edge is labelled with its counts per kind (with the
  routes and the messages, at most `MAX_NAMES` of each) and its violations
  by code, drawn dotted when it carries only events, thick when only HTTP
  calls, and red when it carries violations. Node ids are made of
  letters, digits and `_` (a kind prefix keeps them off Mermaid's keywords);
  labels are quoted, with `"`, `#`, `<` and `>` written as entities.
- `dot`: a Graphviz digraph (`dot -Tsvg` draws it), with the same shapes,
  labels and colours.
- `json`: the graph as data (`to_json`), the stable shape:

```json
{
  "version": 1,
  "nodes": [{"id": "orders", "kind": "service", "path": "services/orders"}],
  "edges": [
    {"from": "orders", "to": "payments",
     "kinds": [{"kind": "imports", "count": 4, "via": ["services.payments.models_db"]},
               {"kind": "events", "count": 1, "via": ["OrderCancelledV1"]}],
     "violations": [{"code": "ARC101", "name": "cross-service-data-access", "count": 2}]}
  ]
}
```
`kind` of a node: `service`, `shared-models` or `library`; of a dependency:
`imports` (count: import statements; via: the modules they reach), `http`
(count: calls; via: the routes) or `events` (count: topics and event models;
via: their names). Nodes are sorted by kind then id, edges by `from` then
`to`, kinds in the order imports, http, events, violations by code.
"""

from __future__ import annotations

import json
import re
from typing import Any

from arch_lint.report.graph import (
    EVENTS,
    HTTP,
    IMPORTS,
    LIBRARY,
    SERVICE,
    SHARED_MODELS,
    Edge,
    Graph,
)

GRAPH_FORMATS = ("mermaid", "dot", "json")
VIOLATION_COLOUR = "#d73a49"
MAX_NAMES = 3
"""How many routes, topics or models a label lists before `+N more`."""


def render_graph(graph: Graph, fmt: str) -> str:
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "json":
        return json.dumps(to_json(graph), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown graph format `{fmt}`")


def to_json(graph: Graph) -> dict[str, Any]:
    return {
        "version": 1,
        "nodes": [{"id": n.id, "kind": n.kind, "path": n.path} for n in graph.nodes],
        "edges": [
            {
                "from": e.source,
                "to": e.target,
                "kinds": [
                    {"kind": d.kind, "count": d.count, "via": list(d.via)} for d in e.ordered()
                ],
                "violations": [
                    {"code": code, "name": e.names[code], "count": count}
                    for code, count in e.violations.items()
                ],
            }
            for e in graph.edges
        ],
    }


def label_lines(edge: Edge) -> list[str]:
    """`imports: 4`, `http: 3 (POST /internal/v1/quotes)`, `events: 2 (orders.events,
    OrderPlacedV1)`, `ARC101 ×2, ARC201 ×1`."""
    lines = []
    for dep in edge.ordered():
        text = f"{dep.kind}: {dep.count}"
        if dep.kind in (HTTP, EVENTS) and dep.via:
            shown = ", ".join(dep.via[:MAX_NAMES])
            more = len(dep.via) - MAX_NAMES
            text += f" ({shown}{f', +{more} more' if more > 0 else ''})"
        lines.append(text)
    if edge.violations:
        lines.append(", ".join(f"{code} ×{n}" for code, n in edge.violations.items()))
    return lines


def _style(edge: Edge) -> str:
    """`imports` (or nothing but violations): solid; only `http`: bold; only `events`: dashed."""
    kinds = set(edge.dependencies)
    if IMPORTS in kinds or not kinds:
        return "solid"
    return "bold" if HTTP in kinds else "dashed"


# --- mermaid ---------------------------------------------------------------------

_MERMAID_PREFIX = {SERVICE: "s", SHARED_MODELS: "m", LIBRARY: "l"}
_MERMAID_SHAPES = {SHARED_MODELS: ('[("', '")]'), LIBRARY: ('[["', '"]]')}
_MERMAID_ARROWS = {"solid": "-->", "bold": "==>", "dashed": "-.->"}
_ENTITIES = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;"}


def mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def mermaid_ids(graph: Graph) -> dict[str, str]:
    """Node id -> a Mermaid id: `<s|m|l>_<id with \\W as _>` (service, shared
    models, library), made unique."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for node in graph.nodes:
        base = f"{_MERMAID_PREFIX[node.kind]}_{re.sub(r'[^A-Za-z0-9_]', '_', node.id)}"
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate)
        out[node.id] = candidate
    return out


def to_mermaid(graph: Graph) -> str:
    ids = mermaid_ids(graph)
    lines = ["flowchart LR"]
    for node in graph.nodes:
        opening, closing = _MERMAID_SHAPES.get(node.kind, ('["', '"]'))
        lines.append(f"  {ids[node.id]}{opening}{mermaid_text(node.id)}{closing}")
    red = []
    for i, edge in enumerate(graph.edges):
        label = "<br/>".join(mermaid_text(line) for line in label_lines(edge))
        arrow = _MERMAID_ARROWS[_style(edge)]
        lines.append(f'  {ids[edge.source]} {arrow}|"{label}"| {ids[edge.target]}')
        if edge.violations:
            red.append(str(i))
    if red:
        lines.append(
            f"  linkStyle {','.join(red)} stroke:{VIOLATION_COLOUR},color:{VIOLATION_COLOUR}"
        )
    return "\n".join(lines) + "\n"


# --- dot -------------------------------------------------------------------------

_DOT_SHAPES = {SHARED_MODELS: "cylinder", LIBRARY: "component"}


def dot_string(text: str) -> str:
    """A quoted DOT string (an id or a label); `\\n` in a label breaks the line."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    lines = [
        "digraph architecture {",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in graph.nodes:
        attrs = [f"label={dot_string(node.id)}"]
        if node.kind in _DOT_SHAPES:
            attrs.append(f"shape={_DOT_SHAPES[node.kind]}")
        lines.append(f"  {dot_string(node.id)} [{', '.join(attrs)}];")
    for edge in graph.edges:
        attrs = [f"label={dot_string(chr(10).join(label_lines(edge)))}"]
        style = _style(edge)
        if style != "solid":
            attrs.append(f"style={style}")
        if edge.violations:
            attrs.append(f'color="{VIOLATION_COLOUR}", fontcolor="{VIOLATION_COLOUR}"')
        source, target = dot_string(edge.source), dot_string(edge.target)
        lines.append(f"  {source} -> {target} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"

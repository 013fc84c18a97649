"""State machine diagrams (Mermaid, Graphviz dot) from any ASL document.

Parallel branches and Map processors are nested groups; Choice edges carry their conditions; Catch edges are
dashed and name their errors; retries and timeouts are noted on the state; the start and the ends are marked.
Given the path an execution took (`ExecutionPath`), the states it visited and the edges it followed are
highlighted and the state it failed in is marked; in dot (and so SVG) each state is a node with
`id="state:<name>"` and the classes `state`, `visited`, `failed`, for pages that style or script it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from aslkit.render.outline import _condition, _kind

EdgeKind = Literal["next", "choice", "default", "catch", "start", "group"]


@dataclass
class Node:
    id: str
    name: str
    type: str
    label: str
    terminal: bool = False
    visits: int = 0
    failed: bool = False


@dataclass
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str = ""
    taken: bool = False


@dataclass(frozen=True)
class ExecutionPath:
    """What one execution did: visits per state name, the (from, to) transitions it made, the state it failed in."""

    visits: dict[str, int] = field(default_factory=dict)
    transitions: frozenset[tuple[str, str]] = frozenset()
    failed: str | None = None


@dataclass
class Group:
    id: str
    label: str
    nodes: list[Node] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)


@dataclass
class Diagram:
    root: Group
    edges: list[Edge] = field(default_factory=list)


def diagram(document: dict[str, Any], title: str = "", path: ExecutionPath | None = None) -> Diagram:
    counter = iter(range(1_000_000))
    result = Diagram(Group("root", title))
    _graph(document, result.root, result, counter, start_marker=True)
    if path is not None:
        _highlight(result, path)
    return result


def _nodes(group: Group) -> Iterator[Node]:
    yield from group.nodes
    for sub in group.groups:
        yield from _nodes(sub)


def _highlight(model: Diagram, path: ExecutionPath) -> None:
    by_id = {node.id: node for node in _nodes(model.root)}
    for node in by_id.values():
        node.visits = path.visits.get(node.name, 0)
        node.failed = node.name == path.failed and node.type != "start"
        if node.type == "start":
            node.visits = 1 if path.visits else 0
        elif node.visits > 1:
            node.label += f"\n{node.visits} visits"
    for edge in model.edges:
        source, target = by_id[edge.source], by_id[edge.target]
        if edge.kind in ("start", "group"):
            edge.taken = source.visits > 0 and target.visits > 0
        else:
            edge.taken = (source.name, target.name) in path.transitions


def _graph(graph: dict[str, Any], group: Group, out: Diagram, counter: Iterator[int], *, start_marker: bool) -> str:
    """Add the graph's states to `group`; returns the id of its start state."""
    ids = {name: f"n{next(counter)}" for name in graph.get("States", {})}
    start = ids.get(str(graph.get("StartAt")), "")
    if start_marker and start:
        marker = Node(f"n{next(counter)}", "start", "start", "start")
        group.nodes.append(marker)
        out.edges.append(Edge(marker.id, start, "start"))
    for name, state in graph.get("States", {}).items():
        node = Node(ids[name], name, str(state.get("Type")), _label(name, state), _is_end(state))
        group.nodes.append(node)
        for branch_index, branch in enumerate(state.get("Branches", [])):
            sub = Group(f"{node.id}b{branch_index}", f"{name}: branch {branch_index + 1}")
            group.groups.append(sub)
            out.edges.append(Edge(node.id, _graph(branch, sub, out, counter, start_marker=False), "group"))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE").lower()
            sub = Group(f"{node.id}p", f"{name}: for each item ({mode})")
            group.groups.append(sub)
            out.edges.append(Edge(node.id, _graph(processor, sub, out, counter, start_marker=False), "group"))
        for rule in state.get("Choices", []):
            if rule.get("Next") in ids:
                out.edges.append(Edge(node.id, ids[rule["Next"]], "choice", _short(_readable(_condition(rule)))))
        if state.get("Default") in ids:
            out.edges.append(Edge(node.id, ids[state["Default"]], "default", "otherwise"))
        if state.get("Next") in ids:
            out.edges.append(Edge(node.id, ids[state["Next"]], "next"))
        for catcher in state.get("Catch", []):
            if catcher.get("Next") in ids:
                errors = ", ".join(catcher.get("ErrorEquals", []))
                out.edges.append(Edge(node.id, ids[catcher["Next"]], "catch", _short(f"on {errors}")))
    return start


_SYMBOLS = {
    "StringEquals": "==", "NumericEquals": "==", "BooleanEquals": "==", "TimestampEquals": "==",
    "NumericGreaterThan": ">", "NumericLessThan": "<", "NumericGreaterThanEquals": ">=", "NumericLessThanEquals": "<=",
    "StringGreaterThan": ">", "StringLessThan": "<", "TimestampGreaterThan": ">", "TimestampLessThan": "<",
    "StringMatches": "matches", "IsPresent": "present:", "IsNull": "null:",
}  # fmt: skip


def _readable(condition: str) -> str:
    for operator, symbol in sorted(_SYMBOLS.items(), key=lambda item: -len(item[0])):
        condition = condition.replace(f" {operator}Path ", f" {symbol} ").replace(f" {operator} ", f" {symbol} ")
    return condition


def _is_end(state: dict[str, Any]) -> bool:
    return state.get("Type") in ("Succeed", "Fail") or state.get("End") is True


def _label(name: str, state: dict[str, Any]) -> str:
    lines = [name, _kind(state)]
    notes = []
    if state.get("Retry"):
        attempts = sum(int(r.get("MaxAttempts", 3)) for r in state["Retry"])
        notes.append(f"retry ≤{attempts}")
    for key, short in (("TimeoutSeconds", "timeout"), ("HeartbeatSeconds", "heartbeat"), ("Seconds", "wait")):
        if key in state:
            notes.append(f"{short} {_value(state[key])}")
    if state.get("Type") == "Fail" and state.get("Error"):
        notes.append(f"error {_value(state['Error'])}")
    if notes:
        lines.append(", ".join(notes))
    return "\n".join(lines)


def _value(value: Any) -> str:
    text = str(value)
    return "(expression)" if text.startswith("{%") else (f"{text}s" if isinstance(value, int) else text)


def _short(text: str, limit: int = 48) -> str:
    text = text.replace("{%", "").replace("%}", "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- Mermaid --------------------------------------------------------------------------------------------------------
def mermaid(document: dict[str, Any], title: str = "") -> str:
    model = diagram(document, title)
    lines = ["flowchart TD"]
    lines += _mermaid_group(model.root, indent="  ", top=True)
    arrows = {"next": "-->", "choice": "-->", "default": "-->", "catch": "-.->", "start": "-->", "group": "-.-"}
    for edge in model.edges:
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.source} {arrows[edge.kind]}{label} {edge.target}")
    lines += [
        "  classDef fail fill:#fde2e1,stroke:#c0392b;",
        "  classDef succeed fill:#e3f6e5,stroke:#27ae60;",
        "  classDef start fill:#222,color:#fff;",
    ]
    return "\n".join(lines) + "\n"


def _mermaid_group(group: Group, indent: str, top: bool = False) -> list[str]:
    lines: list[str] = []
    inner = indent if top else indent + "  "
    if not top:
        lines.append(f'{indent}subgraph {group.id} ["{_mermaid_text(group.label)}"]')
    for node in group.nodes:
        lines.append(f"{inner}{node.id}{_mermaid_shape(node)}")
    for sub in group.groups:
        lines += _mermaid_group(sub, inner)
    if not top:
        lines.append(f"{indent}end")
    return lines


def _mermaid_shape(node: Node) -> str:
    text = _mermaid_text(node.label).replace("\n", "<br/>")
    if node.type == "start":
        return '(("start")):::start'
    if node.type == "Choice":
        return '{"' + text + '"}'
    if node.type == "Fail":
        return '[["' + text + '"]]:::fail'
    if node.type == "Succeed" or node.terminal:
        return '(["' + text + '"])' + (":::succeed" if node.type == "Succeed" else "")
    return '["' + text + '"]'


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


# -- Graphviz dot ---------------------------------------------------------------------------------------------------
def dot(document: dict[str, Any], title: str = "", path: ExecutionPath | None = None) -> str:
    model = diagram(document, title, path)
    lines = [
        "digraph statemachine {",
        '  graph [rankdir=TB, fontname="Helvetica", label="' + _dot_text(title) + '", labelloc=t];',
        '  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded"];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    lines += _dot_group(model.root, indent="  ", top=True)
    for edge in model.edges:
        attributes = {
            "catch": 'style=dashed, color="#c0392b"',
            "group": "style=dotted, arrowhead=none",
            "default": "style=solid",
        }.get(edge.kind, "")
        label = f'label="{_dot_text(edge.label)}"' if edge.label else ""
        taken = 'penwidth=2.5, color="#1f6feb", class="taken"' if edge.taken else ""
        if edge.taken and edge.kind == "catch":
            taken = 'penwidth=2.5, class="taken"'
        joined = ", ".join(a for a in (label, attributes, taken) if a)
        lines.append(f"  {edge.source} -> {edge.target}" + (f" [{joined}];" if joined else ";"))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_group(group: Group, indent: str, top: bool = False) -> list[str]:
    lines: list[str] = []
    inner = indent if top else indent + "  "
    if not top:
        lines.append(f"{indent}subgraph cluster_{group.id} {{")
        lines.append(f'{inner}label="{_dot_text(group.label)}"; style="rounded,dashed";')
    for node in group.nodes:
        lines.append(f"{inner}{node.id} [{_dot_shape(node)}];")
    for sub in group.groups:
        lines += _dot_group(sub, inner)
    if not top:
        lines.append(f"{indent}}}")
    return lines


def _dot_shape(node: Node) -> str:
    return ", ".join([_dot_base_shape(node), *_dot_path_attributes(node)])


def _dot_base_shape(node: Node) -> str:
    label = f'label="{_dot_text(node.label)}"'
    if node.type == "start":
        return 'label="start", shape=circle, style=filled, fillcolor="#222222", fontcolor=white'
    if node.type == "Choice":
        return f"{label}, shape=diamond, style=solid"
    if node.type == "Fail":
        return f'{label}, style="rounded,filled,bold", fillcolor="#fde2e1", color="#c0392b"'
    if node.type == "Succeed" or node.terminal:
        fill = ', style="rounded,filled", fillcolor="#e3f6e5"' if node.type == "Succeed" else ", peripheries=2"
        return label + fill
    return label


def _dot_path_attributes(node: Node) -> list[str]:
    if node.type == "start":
        return []
    classes = ["state"] + (["visited"] if node.visits else []) + (["failed"] if node.failed else [])
    attributes = [f'id="state:{_dot_text(node.name)}"', f'class="{" ".join(classes)}"']
    if node.failed:
        attributes.append('style="rounded,filled,bold", fillcolor="#f8b4b0", color="#c0392b", penwidth=3')
    elif node.visits:
        shape_style = "filled" if node.type == "Choice" else "rounded,filled"
        attributes.append(f'style="{shape_style}", fillcolor="#cfe3ff", color="#1f6feb", penwidth=2')
    return attributes


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

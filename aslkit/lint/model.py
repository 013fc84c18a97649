"""A read-only view of an ASL document for the rules: every graph and state with its pointer and query language."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aslkit.lint.findings import pointer


@dataclass
class StateView:
    name: str
    body: dict[str, Any]
    ptr: str
    query_language: str
    graph: GraphView

    @property
    def type(self) -> str:
        return str(self.body.get("Type", ""))

    def at(self, *parts: str | int) -> str:
        return self.ptr + pointer(*parts)


@dataclass
class GraphView:
    """The top level, a Parallel branch or a Map processor: `StartAt` and `States`."""

    body: dict[str, Any]
    ptr: str
    query_language: str
    owner: StateView | None
    states: dict[str, StateView] = field(default_factory=dict)

    @property
    def start_at(self) -> object:
        return self.body.get("StartAt")


@dataclass
class Document:
    root: dict[str, Any]
    graphs: list[GraphView]
    known_placeholders: set[str] | None

    def states(self) -> Iterator[StateView]:
        for graph in self.graphs:
            yield from graph.states.values()


def build(root: dict[str, Any], known_placeholders: set[str] | None = None) -> Document:
    graphs: list[GraphView] = []
    top_language = root.get("QueryLanguage") if root.get("QueryLanguage") in ("JSONPath", "JSONata") else "JSONPath"
    _walk_graph(root, "", str(top_language), None, graphs)
    return Document(root, graphs, known_placeholders)


def _walk_graph(
    body: dict[str, Any], ptr: str, language: str, owner: StateView | None, graphs: list[GraphView]
) -> None:
    graph = GraphView(body, ptr, language, owner)
    graphs.append(graph)
    states = body.get("States")
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        own = state.get("QueryLanguage")
        state_language = own if own in ("JSONPath", "JSONata") else language
        view = StateView(name, state, ptr + pointer("States", name), state_language, graph)
        graph.states[name] = view
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                _walk_graph(branch, view.at("Branches", index), state_language, view, graphs)
        for key in ("ItemProcessor", "Iterator"):
            processor = state.get(key)
            if isinstance(processor, dict):
                _walk_graph(processor, view.at(key), state_language, view, graphs)


def walk_values(value: Any, ptr: str) -> Iterator[tuple[str, str | None, Any]]:
    """(pointer, key, value) for every value inside `value`, depth first; key is None for array items."""
    if isinstance(value, dict):
        for key, item in value.items():
            item_ptr = ptr + pointer(key)
            yield item_ptr, key, item
            yield from walk_values(item, item_ptr)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            item_ptr = ptr + pointer(index)
            yield item_ptr, None, item
            yield from walk_values(item, item_ptr)

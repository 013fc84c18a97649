"""A terminal outline of an ASL document: one line per state with its type, work and transitions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aslkit.asl.integrations import parse_resource


def outline(document: dict[str, Any], indent: str = "  ") -> Iterator[str]:
    """Lines describing every state, nested graphs indented under their Parallel or Map."""
    yield from _graph(document, indent, depth=1)


def _graph(graph: dict[str, Any], indent: str, depth: int) -> Iterator[str]:
    start = graph.get("StartAt")
    for name, state in graph.get("States", {}).items():
        marker = "▶ " if name == start else "  "
        yield f"{indent * depth}{marker}{name}  [{_kind(state)}]{_exits(state)}"
        for index, branch in enumerate(state.get("Branches", [])):
            yield f"{indent * (depth + 1)}branch {index + 1}:"
            yield from _graph(branch, indent, depth + 2)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            mode = processor.get("ProcessorConfig", {}).get("Mode", "INLINE").lower()
            yield f"{indent * (depth + 1)}for each item ({mode}):"
            yield from _graph(processor, indent, depth + 2)


def _kind(state: dict[str, Any]) -> str:
    kind = str(state.get("Type"))
    resource = state.get("Resource")
    if isinstance(resource, str):
        parsed = parse_resource(resource)
        if parsed:
            key, pattern = parsed
            return f"{kind} {key}{pattern.value if pattern else ''}"
        return f"{kind} {resource}"
    return kind


def _exits(state: dict[str, Any]) -> str:
    parts: list[str] = []
    for rule in state.get("Choices", []):
        parts.append(f"{_condition(rule)} → {rule.get('Next')}")
    if "Default" in state:
        parts.append(f"otherwise → {state['Default']}")
    if "Next" in state:
        parts.append(f"→ {state['Next']}")
    if state.get("End"):
        parts.append("end")
    for catcher in state.get("Catch", []):
        parts.append(f"on {'/'.join(catcher.get('ErrorEquals', []))} → {catcher.get('Next')}")
    if state.get("Type") == "Fail" and "Error" in state:
        parts.append(f"error {state['Error']}")
    retries = len(state.get("Retry", []))
    if retries:
        parts.append(f"{retries} retrier(s)")
    return ("  " + "; ".join(parts)) if parts else ""


def _condition(rule: dict[str, Any]) -> str:
    if "Condition" in rule:
        return str(rule["Condition"])
    for key in ("And", "Or"):
        if key in rule:
            return f" {key.lower()} ".join(f"({_condition(r)})" for r in rule[key])
    if "Not" in rule:
        return f"not ({_condition(rule['Not'])})"
    operator = next((k for k in rule if k not in ("Variable", "Next", "Comment", "Assign", "Output")), "?")
    return f"{rule.get('Variable')} {operator} {rule.get(operator)!r}"

"""Rules on the shape of each graph: transitions resolve, states are reachable, executions can end."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from aslkit.lint.findings import pointer
from aslkit.lint.model import Document, GraphView, StateView

Found = Iterator[tuple[str, str, str]]


def transitions(state: StateView) -> list[tuple[str, str, Any]]:
    """(field, pointer, target name) of every transition out of a state."""
    body = state.body
    out: list[tuple[str, str, Any]] = []
    if "Next" in body:
        out.append(("Next", state.at("Next"), body["Next"]))
    if "Default" in body:
        out.append(("Default", state.at("Default"), body["Default"]))
    for index, rule in enumerate(body.get("Choices") or []):
        if isinstance(rule, dict) and "Next" in rule:
            out.append(("Next", state.at("Choices", index, "Next"), rule["Next"]))
    for index, catcher in enumerate(body.get("Catch") or []):
        if isinstance(catcher, dict) and "Next" in catcher:
            out.append(("Catch Next", state.at("Catch", index, "Next"), catcher["Next"]))
    return out


def is_terminal(state: StateView) -> bool:
    body = state.body
    if state.type in ("Succeed", "Fail") or body.get("End") is True:
        return True
    return state.type == "Choice" and "Default" not in body  # no match fails with States.NoChoiceMatched


def unresolved_next(doc: Document) -> Found:
    for graph in doc.graphs:
        names = list(graph.states)
        start = graph.start_at
        if isinstance(start, str) and start not in graph.states:
            yield "unresolved-next", graph.ptr + pointer("StartAt"), _missing("StartAt", start, names)
        for state in graph.states.values():
            for field, ptr, target in transitions(state):
                if isinstance(target, str) and target not in graph.states:
                    yield "unresolved-next", ptr, _missing(field, target, names)


def _missing(field: str, target: str, names: list[str]) -> str:
    close = difflib.get_close_matches(target, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; the states here are: {', '.join(map(repr, names))}"
    return (
        f"{field} {target!r} names no state of this graph{hint} "
        "(a state inside a Parallel branch or Map processor can only go to states of the same branch)"
    )


def reachable(graph: GraphView) -> set[str]:
    seen: set[str] = set()
    start = graph.start_at
    stack = [start] if isinstance(start, str) and start in graph.states else []
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for _, _, target in transitions(graph.states[name]):
            if isinstance(target, str) and target in graph.states:
                stack.append(target)
    return seen


def unreachable_state(doc: Document) -> Found:
    for graph in doc.graphs:
        if not (isinstance(graph.start_at, str) and graph.start_at in graph.states):
            continue
        seen = reachable(graph)
        for name, state in graph.states.items():
            if name not in seen:
                yield (
                    "unreachable-state",
                    state.ptr,
                    f"state {name!r} cannot be reached from StartAt {graph.start_at!r}: "
                    "point a Next, Default or Catch at it, or delete it",
                )


def no_terminal(doc: Document) -> Found:
    for graph in doc.graphs:
        if any(
            isinstance(target, str) and target not in graph.states
            for state in graph.states.values()
            for _, _, target in transitions(state)
        ):
            continue  # unresolved-next already explains this graph; a loop verdict would only add noise
        seen = reachable(graph)
        # A state whose Comment documents the loop counts as an exit, so one waiver covers the whole loop.
        can_end = {
            name
            for name in seen
            if is_terminal(graph.states[name])
            or "aslkit:ignore=no-terminal" in str(graph.states[name].body.get("Comment", ""))
        }
        changed = True
        while changed:
            changed = False
            for name in seen - can_end:
                if any(target in can_end for _, _, target in transitions(graph.states[name])):
                    can_end.add(name)
                    changed = True
        stuck = [name for name in graph.states if name in seen and name not in can_end]
        if stuck:
            first = graph.states[stuck[0]]
            yield (
                "no-terminal",
                first.ptr,
                f"no path from {', '.join(map(repr, stuck))} reaches End, Succeed or Fail: the execution loops "
                "until it times out. Add an exit (for example a Choice on a bounded counter), or if the loop is "
                "meant, say so in the state's Comment with 'aslkit:ignore=no-terminal'",
            )


def duplicate_state_name(doc: Document) -> Found:
    first_seen: dict[str, StateView] = {}
    for state in doc.states():
        other = first_seen.setdefault(state.name, state)
        if other is not state:
            yield (
                "duplicate-state-name",
                state.ptr,
                f"state name {state.name!r} is already used at {other.ptr}; names must be unique across the "
                "whole machine, Parallel branches and Map processors included: rename one",
            )


_BOOLEAN = ("And", "Or", "Not")
_RULE_META = ("Next", "Comment", "Assign", "Output")


def choice_rule(doc: Document) -> Found:
    from aslkit.asl.conditions import ALL_OPERATORS

    for state in doc.states():
        if state.type != "Choice":
            continue
        for index, rule in enumerate(state.body.get("Choices") or []):
            if isinstance(rule, dict):
                yield from _check_rule(rule, state.at("Choices", index), state.query_language, ALL_OPERATORS)


def _check_rule(rule: dict[str, Any], ptr: str, language: str, operators: frozenset[str]) -> Found:
    if language == "JSONata":
        if "Condition" not in rule:
            yield "choice-rule", ptr, 'a JSONata Choice rule needs a Condition: "Condition": "{% <test> %}"'
        tests = [key for key in rule if key in operators or key in _BOOLEAN or key == "Variable"]
        if tests:
            yield (
                "choice-rule",
                ptr,
                f"{', '.join(tests)} belong to JSONPath Choice rules; in JSONata write the whole test as Condition",
            )
        return
    if "Condition" in rule:
        return  # reported by query-language-field
    used_ops = [key for key in rule if key in operators]
    used_bool = [key for key in rule if key in _BOOLEAN]
    if used_bool:
        if len(used_bool) > 1 or used_ops or "Variable" in rule:
            yield (
                "choice-rule",
                ptr,
                f"a boolean rule has exactly one of And, Or, Not and nothing else; found {used_bool + used_ops}",
            )
        for key in used_bool:
            nested = rule[key]
            items = nested if isinstance(nested, list) else [nested]
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    sub = ptr + (pointer(key, index) if isinstance(nested, list) else pointer(key))
                    yield from _check_rule(item, sub, language, operators)
        return
    if "Variable" not in rule:
        yield "choice-rule", ptr, 'a JSONPath Choice rule needs "Variable" and one comparison operator, or And/Or/Not'
    if len(used_ops) != 1:
        what = "no comparison operator" if not used_ops else f"{len(used_ops)} operators ({', '.join(used_ops)})"
        yield "choice-rule", ptr, f"a data-test rule has exactly one comparison operator; this one has {what}"


def choice_default(doc: Document) -> Found:
    for state in doc.states():
        if state.type == "Choice" and "Default" not in state.body:
            yield (
                "choice-default",
                state.ptr,
                f"Choice {state.name!r} has no Default: when no rule matches the execution fails with "
                "States.NoChoiceMatched. Add a Default (a Fail state with a clear Error if that is intended)",
            )


CHECKS = (unresolved_next, unreachable_state, no_terminal, duplicate_state_name, choice_rule, choice_default)

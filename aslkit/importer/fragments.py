"""Sub-graphs that repeat under different name prefixes, found so the import writes them once as a `@fragment`.

A builder fragment (`wes_run(prefix="QC: ")`) renders the same states each time, with its prefix on every name.
Here the reverse: within each graph, the states that share a prefix (`QC: Launch and wait`, `QC: Run succeeded`)
form an instance when only one of them is entered from outside and every way out of them goes to one state (or
ends). Instances whose states are the same once the prefix is taken away, in two or more places, are a fragment.
Instances with nested graphs (a Map or Parallel inside) are left as plain states.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from aslkit.importer.values import Language

State = Mapping[str, object]
_SEPARATORS = (" ", ":", "-", "_", "/")
FINAL = ("Succeed", "Fail", "Choice")  # states that take no Next: never an open end of a chain


@dataclass
class Instance:
    """One place a fragment appears: its graph's states with `prefix`, entered at `start`, leaving to `exit`."""

    prefix: str
    names: list[str]
    start: str
    exit: str | None  # the one state every way out goes to; None when the instance ends its graph


@dataclass
class Fragment:
    """The states of a repeated sub-graph, named without the prefix, with their ends as `End`."""

    states: dict[str, State]
    start: str
    language: Language
    instances: list[Instance] = field(default_factory=list)


def find(graphs: list[tuple[dict[str, State], str, Language]]) -> list[Fragment]:
    """Fragments across `graphs` (states, StartAt, query language), largest first, no state in two of them."""
    by_form: dict[str, Fragment] = {}
    for states, start_at, language in graphs:
        for prefix in _prefixes(states):
            found = _instance(states, start_at, prefix)
            if found is None:
                continue
            instance, local = found
            form = json.dumps({"language": language, "start": instance.start[len(prefix):], "states": local},
                              sort_keys=True)  # fmt: skip
            fragment = by_form.setdefault(form, Fragment(local, instance.start[len(prefix) :], language))
            fragment.instances.append(instance)
    chosen: list[Fragment] = []
    taken: set[str] = set()  # state names are unique across the whole machine
    for fragment in sorted(by_form.values(), key=lambda f: -len(f.states)):
        names = {name for instance in fragment.instances for name in instance.names}
        if len(fragment.instances) < 2 or names & taken:
            continue
        chosen.append(fragment)
        taken |= names
    return chosen


def _prefixes(states: Mapping[str, State]) -> set[str]:
    """Every leading part of a state name that ends at a separator (`QC: `, `BCL `)."""
    found: set[str] = set()
    for name in states:
        for index, char in enumerate(name[:-1]):
            if char in _SEPARATORS and name[index + 1] not in _SEPARATORS:
                found.add(name[: index + 1])
    return found


def _instance(states: Mapping[str, State], start_at: str, prefix: str) -> tuple[Instance, dict[str, State]] | None:
    """The instance of `prefix` in a graph and its states without the prefix; None if it is not one."""
    names = [name for name in states if name.startswith(prefix)]
    if len(names) < 2 or any(_nested(states[name]) for name in names):
        return None
    inside = set(names)
    entries = {start_at} & inside
    for name, state in states.items():
        if name not in inside:
            entries.update(target for target in _targets(state) if target in inside)
    if len(entries) != 1:
        return None
    exits: set[str] = set()
    local: dict[str, State] = {}
    for name in names:
        state = states[name]
        for key, target in edges(state):
            if target not in inside and key != "Next":
                return None  # a Catch or Choice leaving the instance: the fragment would need it as an argument
            if target not in inside:
                exits.add(target)
        local[name[len(prefix) :]] = _renamed(state, prefix, inside)
    ends = [n for n in names if states[n].get("End") is True and states[n].get("Type") not in FINAL]
    if len(exits) > 1 or (exits and ends):
        return None  # `fragment >> next` continues every open end: one that ends here would gain a Next
    return Instance(prefix, names, entries.pop(), exits.pop() if exits else None), local


def _renamed(state: State, prefix: str, inside: set[str]) -> dict[str, object]:
    """The state with the prefix taken off the names it targets, and a way out of the instance as `End`."""
    out = dict(state)
    if "Next" in out:
        target = str(out["Next"])
        if target in inside:
            out["Next"] = target[len(prefix) :]
        else:
            del out["Next"]
            out["End"] = True
    if "Default" in out:
        out["Default"] = str(out["Default"])[len(prefix) :]
    for key in ("Choices", "Catch"):
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [{**item, "Next": str(item["Next"])[len(prefix):]} if isinstance(item, Mapping) else item
                        for item in items]  # fmt: skip
    return out


def edges(state: State) -> list[tuple[str, str]]:
    """(field, target) of every way out of a state: Next, Default, Choices, Catch."""
    edges = [("Next", str(state["Next"]))] if "Next" in state else []
    if "Default" in state:
        edges.append(("Default", str(state["Default"])))
    for key in ("Choices", "Catch"):
        items = state.get(key)
        if isinstance(items, list):
            edges += [(key, str(item["Next"])) for item in items if isinstance(item, Mapping) and "Next" in item]
    return edges


def _targets(state: State) -> list[str]:
    return [target for _, target in edges(state)]


def _nested(state: State) -> bool:
    return any(key in state for key in ("Branches", "ItemProcessor", "Iterator"))

"""Which parts of each state machine a test suite exercised: states, transitions, Choice branches, Catch and Retry
edges, taken and missed, read from the histories of every execution the harness's deployments ran (both tiers).

`pytest --aslkit-coverage` prints a table per state machine, writes `build/aslkit-coverage/coverage.json` and, per
machine, a Graphviz diagram with the states and edges taken drawn as an execution's path (`<machine>.dot`, and
`.svg` when Graphviz is installed); `--aslkit-coverage-fail-under=N` fails the session below N percent of all items.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aslkit.asl.errors import first_matching
from aslkit.lint.model import build
from aslkit.lint.rules.flow import transitions
from aslkit.runtime.results import ExecutionResult, event_details, nearest_event

Item = tuple[str, ...]
KINDS = ("states", "transitions", "choice branches", "catch edges", "retry edges")
_FAILED = ("Failed", "TimedOut", "StartFailed", "SubmitFailed")


@dataclass
class MachineCoverage:
    """One definition's items (what can be taken) and those its executions took."""

    name: str
    document: dict[str, Any]
    items: dict[str, set[Item]] = field(default_factory=dict)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)  # the definition's, by name: read once
    taken: dict[str, set[Item]] = field(default_factory=lambda: {kind: set() for kind in KINDS})
    executions: int = 0

    def __post_init__(self) -> None:
        if not self.items:
            self.items = universe(self.document)
        if not self.states:
            self.states = states_by_name(self.document)

    def record(self, result: ExecutionResult) -> None:
        self.executions += 1
        for kind, item in taken_items(result, self.states):
            if item in self.items[kind]:
                self.taken[kind].add(item)

    def missed(self, kind: str) -> list[Item]:
        return sorted(self.items[kind] - self.taken[kind])

    @property
    def counts(self) -> tuple[int, int]:
        """(taken, total) over every kind of item."""
        return sum(len(self.taken[k]) for k in KINDS), sum(len(self.items[k]) for k in KINDS)


def universe(document: Mapping[str, Any]) -> dict[str, set[Item]]:
    """Every state, transition, Choice branch, Catch and Retry edge of a definition (nested graphs included)."""
    found: dict[str, set[Item]] = {kind: set() for kind in KINDS}
    for state in build(dict(document)).states():
        found["states"].add((state.name,))
        for _, _, target in transitions(state):
            if isinstance(target, str):
                found["transitions"].add((state.name, target))
                if state.type == "Choice":
                    found["choice branches"].add((state.name, target))
        found["catch edges"].update((state.name, str(i)) for i, _ in enumerate(state.body.get("Catch") or []))
        found["retry edges"].update((state.name, str(i)) for i, _ in enumerate(state.body.get("Retry") or []))
    return found


def states_by_name(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of a definition by name, nested graphs included (names are unique across a machine)."""
    return {state.name: state.body for state in build(dict(document)).states()}


def taken_items(result: ExecutionResult, states: Mapping[str, Mapping[str, Any]]) -> Iterator[tuple[str, Item]]:
    """The items one execution took, from its history: previousEventId links each state to the one it left
    (`states`: the definition's, by name)."""
    by_id = {event["id"]: event for event in result.history if "id" in event}
    for event in result.history:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            yield "states", (name,)
            previous = by_id.get(event.get("previousEventId", 0))
            if previous is None or not previous["type"].endswith("StateExited"):
                continue
            source = previous["stateExitedEventDetails"]["name"]
            yield "transitions", (source, name)
            state = states.get(source, {})
            if state.get("Type") == "Choice":
                yield "choice branches", (source, name)
            failure = nearest_event(by_id, previous, _FAILED, stop="StateEntered", limit=64)
            if failure is not None and state.get("Catch"):
                index = first_matching(state["Catch"], _error(failure))
                if index is not None and state["Catch"][index]["Next"] == name:
                    yield "catch edges", (source, str(index))
        elif kind.endswith(("Scheduled", "StateStarted")):  # another attempt: after a failure, a retrier took it
            failure = nearest_event(by_id, event, _FAILED, stop="StateEntered", limit=64)
            entered = nearest_event(by_id, event, "StateEntered", limit=64)
            if failure is None or entered is None:
                continue
            name = entered["stateEnteredEventDetails"]["name"]
            retriers = states.get(name, {}).get("Retry", [])
            index = first_matching(retriers, _error(failure))
            if index is not None:
                yield "retry edges", (name, str(index))


def _error(event: Mapping[str, Any]) -> str:
    details = event_details(event)
    return str(details.get("error") or "States.TaskFailed")


@dataclass
class Report:
    machines: dict[str, MachineCoverage] = field(default_factory=dict)

    def machine(self, name: str, document: dict[str, Any]) -> MachineCoverage:
        if name not in self.machines:
            self.machines[name] = MachineCoverage(name, document)
        return self.machines[name]

    @property
    def percent(self) -> float:
        taken = sum(m.counts[0] for m in self.machines.values())
        total = sum(m.counts[1] for m in self.machines.values())
        return 100.0 * taken / total if total else 100.0

    def lines(self) -> list[str]:
        """The table: per machine, each kind taken/total, then the states never entered."""
        header = f"{'state machine':<32} {'runs':>5} " + " ".join(f"{k:>15}" for k in KINDS) + f" {'all':>6}"
        out = [header, "-" * len(header)]
        for name in sorted(self.machines):
            machine = self.machines[name]
            cells = " ".join(f"{len(machine.taken[k]):>7}/{len(machine.items[k]):<7}" for k in KINDS)
            taken, total = machine.counts
            out.append(f"{name:<32} {machine.executions:>5} {cells} {100 * taken / total if total else 100:5.0f}%")
        out.append(f"{'':<32} {'':>5} {'':>{16 * len(KINDS) - 1}} {self.percent:5.0f}%")
        for name in sorted(self.machines):
            missed = [item[0] for item in self.machines[name].missed("states")]
            if missed:
                out.append(f"  {name}: never entered: {', '.join(missed)}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": round(self.percent, 1),
            "machines": {
                name: {
                    "executions": m.executions,
                    **{
                        kind: {"taken": sorted(map(list, m.taken[kind])), "missed": [list(i) for i in m.missed(kind)]}
                        for kind in KINDS
                    },
                }
                for name, m in sorted(self.machines.items())
            },
        }

    def write(self, folder: Path) -> Path:
        """`coverage.json` and a diagram per machine with what was taken drawn as a path; returns the JSON's path."""
        from aslkit.render import graphviz
        from aslkit.render.diagram import ExecutionPath, dot

        folder.mkdir(parents=True, exist_ok=True)
        for name, machine in self.machines.items():
            path = ExecutionPath(visits={item[0]: 1 for item in machine.taken["states"]},
                                 transitions=frozenset((a, b) for a, b in machine.taken["transitions"]))  # fmt: skip
            source = dot(machine.document, f"{name}: {machine.counts[0]}/{machine.counts[1]} taken", path)
            (folder / f"{name}.dot").write_text(source, encoding="utf-8")
            if graphviz.available():
                (folder / f"{name}.svg").write_bytes(graphviz.render(source, "svg"))
        target = folder / "coverage.json"
        target.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return target

"""Diagrams: groups for Parallel and Map, labelled Choice edges, distinct Catch edges, notes, start and ends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aslkit.asl import Catch, Choice, Condition, Fail, Map, Parallel, Pass, Retry, StateMachine, Succeed, Task
from aslkit.build import discover
from aslkit.render.diagram import diagram, dot, mermaid

ROOT = Path(__file__).resolve().parents[2]


def machine() -> dict:
    failed = Fail("Failed", error="Boom")
    work = Task("Work", resource="arn:aws:states:::lambda:invoke.waitForTaskToken", timeout_seconds=60,
                heartbeat_seconds=30, retry=[Retry(["Busy"], max_attempts=2)], catch=[Catch(["States.ALL"], failed)])  # fmt: skip
    both = Parallel("Both", branches=[Pass("Left"), Pass("Right")])
    each = Map("Each", items_path="$.items", processor=Pass("Item"))
    route = (
        Choice("Route?")
        .when(Condition.numeric_greater_than("$.count", 3), each >> Succeed("Done"))
        .otherwise(Succeed("Nothing"))
    )
    return StateMachine("m", work >> both >> route).to_asl()


def test_model_groups_edges_and_ends() -> None:
    model = diagram(machine())
    assert [g.label for g in model.root.groups] == ["Both: branch 1", "Both: branch 2", "Each: for each item (inline)"]
    kinds = {(e.kind, e.label) for e in model.edges}
    assert ("catch", "on States.ALL") in kinds
    assert ("choice", "$.count > 3") in kinds and ("default", "otherwise") in kinds
    assert sum(1 for e in model.edges if e.kind == "start") == 1
    work = next(n for n in model.root.nodes if n.name == "Work")
    assert "retry ≤2" in work.label and "timeout 60s" in work.label and "heartbeat 30s" in work.label
    assert {n.name for n in model.root.nodes if n.terminal} == {"Done", "Nothing", "Failed"}


def test_mermaid_output() -> None:
    text = mermaid(machine())
    assert text.startswith("flowchart TD\n")
    assert text.count("subgraph ") == 3 and text.count("\n  end\n") == 3
    assert '-.->|"on States.ALL"|' in text, "catch edges are dashed and name their errors"
    assert '-->|"$.count #gt; 3"|' in text and '-->|"otherwise"|' in text
    assert ":::fail" in text and '(("start")):::start' in text and '{"Route?<br/>Choice"}' in text


def test_dot_output() -> None:
    text = dot(machine(), "m")
    assert text.startswith("digraph statemachine {") and text.rstrip().endswith("}")
    assert text.count("subgraph cluster_") == 3
    assert 'label="on States.ALL", style=dashed, color="#c0392b"' in text
    assert "shape=diamond" in text and "shape=circle" in text
    done = next(line for line in text.splitlines() if 'label="Done\\nSucceed"' in line)
    assert 'fillcolor="#e3f6e5"' in done, "a Succeed end is marked"
    assert text.count("{") == text.count("}")


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph_command_draws_every_committed_machine(fmt: str) -> None:
    for workflow in discover(ROOT):
        for m in workflow.machines:
            result = subprocess.run([sys.executable, "-m", "aslkit.cli", "graph", m.name, "--format", fmt], cwd=ROOT,
                                    capture_output=True, text=True, check=False)  # fmt: skip
            assert result.returncode == 0, result.stderr
            document = json.loads((ROOT / "statemachines" / f"{m.name}.asl.json").read_text())
            assert document["StartAt"] in result.stdout, "the start state is drawn"
            states = [n for n in diagram(document).root.nodes if n.type != "start"]
            assert len(states) == len(document["States"])
    missing = subprocess.run([sys.executable, "-m", "aslkit.cli", "graph", "nope"], cwd=ROOT, capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert missing.returncode == 2 and "no state machine 'nope'" in missing.stderr

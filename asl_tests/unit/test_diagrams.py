"""Diagrams: groups for Parallel and Map, labelled Choice edges, distinct Catch edges, notes, start and ends."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aslkit.asl import Catch, Choice, Condition, Fail, Map, Parallel, Pass, Retry, StateMachine, Succeed, Task
from aslkit.build import discover
from aslkit.render import graphviz
from aslkit.render.diagram import ExecutionPath, diagram, dot, mermaid

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


SVG = "{http://www.w3.org/2000/svg}"
needs_graphviz = pytest.mark.skipif(
    not graphviz.available() and not os.environ.get("CI"), reason="Graphviz is not installed (apt-get install graphviz)"
)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "a PNG starts with its signature and IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def svg_groups(svg: bytes) -> tuple[list[str], list[str], list[ET.Element]]:
    """Cluster titles, edge label texts, and node groups of a Graphviz SVG."""
    root = ET.fromstring(svg)
    clusters, labels, nodes = [], [], []
    for group in root.iter(f"{SVG}g"):
        classes = group.get("class", "").split()
        texts = [t.text or "" for t in group.iter(f"{SVG}text")]
        if "cluster" in classes:
            clusters.append(texts[0])
        elif "edge" in classes:
            labels.append(" ".join(texts))
        elif "node" in classes:
            nodes.append(group)
    return clusters, labels, nodes


@needs_graphviz
def test_svg_and_png_have_groups_labelled_edges_and_marked_path() -> None:
    path = ExecutionPath(
        visits={"Work": 2, "Failed": 1},
        transitions=frozenset({("Work", "Failed")}),
        failed="Failed",
    )
    svg = graphviz.render(dot(machine(), "m", path), "svg")
    clusters, labels, nodes = svg_groups(svg)
    assert clusters == ["Both: branch 1", "Both: branch 2", "Each: for each item (inline)"]
    assert "on States.ALL" in labels and "$.count &gt; 3" not in labels and "$.count > 3" in labels
    assert "otherwise" in labels
    by_id = {node.get("id"): node.get("class", "").split() for node in nodes}
    assert by_id["state:Work"] == ["node", "state", "visited"]
    assert by_id["state:Failed"] == ["node", "state", "visited", "failed"]
    assert by_id["state:Left"] == ["node", "state"], "a state not visited is not highlighted"
    root = ET.fromstring(svg)
    taken = [g for g in root.iter(f"{SVG}g") if "taken" in g.get("class", "").split()]
    assert len(taken) == 2, "the start edge and the catch edge were taken"
    width, height = png_size(graphviz.render(dot(machine(), "m"), "png"))
    assert width > 200 and height > 400


@needs_graphviz
def test_graph_command_writes_svg_and_png_files(tmp_path: Path) -> None:
    name = "sequencing_orchestrator"
    for fmt in ("svg", "png"):
        out = tmp_path / f"{name}.{fmt}"
        result = subprocess.run([sys.executable, "-m", "aslkit.cli", "graph", name, "--format", fmt, "-o", str(out)],
                                cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
        data = out.read_bytes()
        if fmt == "png":
            assert png_size(data)[1] > 500
        else:
            clusters, _, nodes = svg_groups(data)
            document = json.loads((ROOT / "statemachines" / f"{name}.asl.json").read_text())
            assert sum(1 for n in nodes if "state" in n.get("class", "")) == len(document["States"]) + sum(
                len(s.get("ItemProcessor", {}).get("States", {})) for s in document["States"].values()
            )
            assert any("for each item" in c for c in clusters)


def test_graph_without_graphviz_says_what_to_install(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "aslkit.cli", "graph", "example_run_summary", "--format", "svg",
                             "-o", str(tmp_path / "x.svg")], cwd=ROOT, capture_output=True, text=True, env=env,
                            check=False)  # fmt: skip
    assert result.returncode == 2 and "apt-get install graphviz" in result.stderr


@pytest.mark.parametrize("fmt", ["mermaid", "dot", pytest.param("svg", marks=needs_graphviz)])
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

"""The HTML execution report, loaded from disk in headless Chromium: what a user sees is what the executions did."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aslkit.cost import estimate
from aslkit.render import graphviz
from aslkit.render.report import ReportEntry, write_report
from aslkit.testing import browser
from aslkit.testing.harness import Harness

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "artifacts"

pytestmark = pytest.mark.skipif(
    (browser.find_chromium() is None or not graphviz.available()) and not os.environ.get("CI"),
    reason="needs Chromium and Graphviz (apt-get install chromium graphviz)",
)


def sample(name: str) -> dict:
    return json.loads((ROOT / "samples" / "example" / name).read_text())


@pytest.fixture
def report(harness: Harness, tmp_path: Path) -> tuple[Path, list[ReportEntry]]:
    deployment = harness.deploy("example")
    document = json.loads((ROOT / "statemachines" / "example_run_summary.asl.json").read_text())
    entries = []
    for name, expected in (("run.input.json", "SUCCEEDED"), ("invalid_run.fails.input.json", "FAILED")):
        result = harness.run(deployment, sample(name))
        cost = estimate(result, "STANDARD", memory_mb={"example_summarise_run": 256})
        entries.append(ReportEntry(f"example / {name}", "example_run_summary", "STANDARD", document, result, cost,
                                   expected))  # fmt: skip
    path = write_report(tmp_path / "report.html", entries, "example report")
    return path, entries


def test_report_in_chromium_shows_the_path_the_failure_and_the_cost(report) -> None:
    path, entries = report
    page = browser.parse(browser.dump_dom(path.as_uri()))
    body = page.find_all("body")[0]
    assert body.attributes["data-ready"] == "true", "the page's script ran"
    ok, failed = (page.by_id(f"x{i}") for i in (0, 1))
    assert ok is not None and failed is not None
    assert (ok.attributes["data-status"], failed.attributes["data-status"]) == ("SUCCEEDED", "FAILED")

    def classes(section_index: int, state: str) -> set[str]:
        node = page.by_id(f"x{section_index}:state:{state}")
        assert node is not None, f"{state} is drawn"
        return node.classes

    # The succeeded run: planned two libraries through the Map; the other branch of the Choice stays plain.
    assert {"visited"} <= classes(0, "Summarise run") and {"visited"} <= classes(0, "Plan QC")
    assert "visited" not in classes(0, "Nothing to plan") and "visited" not in classes(0, "Run is invalid")
    assert len(ok.find_all("g", "taken")) == 5, "start, task to choice, choice to Map, into the Map, Map to end"
    # The failed run: the task raised InvalidRun, the catch led to the Fail state, which is marked failed.
    assert "failed" in classes(1, "Run is invalid") and "failed" not in classes(1, "Summarise run")
    assert "visited" not in classes(1, "Any library?")
    taken = [edge.text for edge in failed.find_all("g", "taken")]
    assert any("on InvalidRun" in text for text in taken), "the catch edge is highlighted"
    assert "InvalidRun" in failed.find_all("p", "error")[0].text

    # The timeline lists every visit; the script selected the state that raised and shows its error and input.
    rows = failed.find_all("tr", "visit")
    assert [row.attributes["data-state"] for row in rows] == entries[1].result.states
    assert [row.attributes["data-index"] for row in rows if "selected" in row.classes] == ["0"]
    detail = failed.find_all("div", "detail")[0].text
    assert "Summarise run (Task)" in detail and "InvalidRun" in detail and "L2400003" in detail
    assert "selected" in classes(1, "Summarise run")
    assert len(ok.find_all("tr", "visit")) == len(entries[0].result.visits) == 6

    # The cost shown is the estimate of each execution, and the header sums them.
    for section, entry in ((ok, entries[0]), (failed, entries[1])):
        assert entry.cost is not None
        assert section.find_all("p", "cost")[0].text.startswith(f"${entry.cost.total_usd:.6f} (")
    total = sum(e.cost.total_usd for e in entries if e.cost)
    assert f"estimated AWS cost of them all: ${total:.6f}" in page.find_all("header")[0].text

    shot = browser.screenshot(path.as_uri(), ARTIFACTS / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_cost_of_a_lambda_run_counts_its_transitions_and_gb_seconds(report) -> None:
    _, entries = report
    run = entries[0]
    assert run.cost is not None
    assert run.cost.transitions == len(run.result.visits) + 1 == 7
    assert run.cost.lambda_invocations == 1
    task = next(v for v in run.result.visits if v.name == "Summarise run")
    assert task.duration_ms is not None
    billed_ms = max(1, math.ceil(task.duration_ms))  # Lambda bills whole milliseconds, at least one
    assert 0 < run.cost.lambda_gb_seconds <= billed_ms / 1000 * 0.25, "bounded by the task's time at 256 MB"


def test_report_command_writes_a_report_of_any_execution(report, localstack, tmp_path: Path) -> None:
    _, entries = report
    arns = [entry.result.arn for entry in entries]
    out = tmp_path / "cli.html"
    command = [sys.executable, "-m", "aslkit.cli", "report", *arns, "--endpoint-url", localstack.url, "-o", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("SUCCEEDED example_run_summary: 6 state(s), $")
    assert lines[1].startswith("FAILED    example_run_summary: 2 state(s), $")
    page = browser.parse(browser.dump_dom(out.as_uri()))
    sections = page.find_all("section", "execution")
    assert [s.attributes["data-status"] for s in sections] == ["SUCCEEDED", "FAILED"]
    node = page.by_id("x1:state:Run is invalid")
    assert node is not None and "failed" in node.classes
    unknown = subprocess.run([*command[:4], "arn:aws:states:us-east-1:000000000000:express:m:e:1", "-o", str(out)],
                             cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    assert unknown.returncode == 2 and "StateMachineDoesNotExist" in unknown.stderr


def test_report_command_reads_an_express_execution_from_its_log_group(harness: Harness, localstack,
                                                                      tmp_path: Path) -> None:  # fmt: skip
    """EXPRESS executions keep no history in Step Functions; the deployment logs them, and the report reads that."""
    deployment = harness.deploy("readset")
    harness.backend.aws.seed_standin("omics", json.loads((ROOT / "samples/readset/seed/omics.json").read_text()))
    event = json.loads((ROOT / "samples/readset/1_active.input.json").read_text())
    run = harness.backend.run_sync(deployment, "readset_status", event)
    assert run.succeeded and "Get read set metadata" in run.states, "the history came back from the log group"
    out = tmp_path / "express.html"
    command = [sys.executable, "-m", "aslkit.cli", "report", run.arn, "--endpoint-url", localstack.url, "-o", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"SUCCEEDED readset_status: {len(run.visits)} state(s), $"), result.stdout
    assert "1 Lambda invocation(s)" in result.stdout, "the Build item task is priced from the logged history"
    page = browser.parse(browser.dump_dom(out.as_uri()))
    node = page.by_id("x0:state:Write item")
    assert node is not None and "visited" in node.classes, node and node.classes

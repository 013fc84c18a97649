"""`pytest --aslkit-coverage`: what a suite's executions took of each state machine, and the floor that fails it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from aslkit.engine import Engine
from aslkit.testing.coverage import MachineCoverage

FLAKY = {
    "StartAt": "Call",
    "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                 "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 1},
                           {"ErrorEquals": ["States.ALL"]}],
                 "Catch": [{"ErrorEquals": ["Boom"], "Next": "Caught"}], "Next": "Which?"},
        "Which?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}],
                   "Default": "Small"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}, "Caught": {"Type": "Fail", "Error": "Gave up"},
    },
}  # fmt: skip


class Boom(Exception):
    pass


def test_histories_give_states_transitions_branches_catches_and_retries() -> None:
    calls = [0]

    def flaky(event: object, context: object) -> dict[str, int]:
        calls[0] += 1
        if calls[0] <= 3:  # the first execution: two retries, then caught
            raise Boom("no")
        return {"n": 2}

    engine = Engine(functions={"flaky": flaky})
    coverage = MachineCoverage("flaky", FLAKY)
    for _ in range(2):
        coverage.record(engine.run(FLAKY, {}))
    assert coverage.taken["states"] == {("Call",), ("Caught",), ("Which?",), ("Big",)}
    assert coverage.missed("states") == [("Small",)]
    assert coverage.missed("transitions") == [("Which?", "Small")]
    assert coverage.taken["choice branches"] == {("Which?", "Big")}
    assert coverage.taken["catch edges"] == {("Call", "0")}
    assert coverage.taken["retry edges"] == {("Call", "0")} and coverage.missed("retry edges") == [("Call", "1")]
    assert coverage.counts == (10, 14) and coverage.executions == 2


PROJECT = {
    "workflows/__init__.py": "",
    "workflows/sizes.py": """
        from aslkit.asl import Choice, Condition, StateMachine, Succeed
        from aslkit.spec import Workflow

        which = Choice("Which?").when(Condition.numeric_greater_than("$.n", 1), Succeed("Big")).otherwise(Succeed("Small"))
        WORKFLOW = Workflow("sizes", "big or small", machines=[StateMachine("sizes", which)])
        """,
    "test_sizes.py": """
        def test_big(harness):
            assert harness.run(harness.deploy("sizes"), {"n": 5}).succeeded
        """,
}


def run_pytest(project: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--aslkit-coverage", *options]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)


def test_the_plugin_reports_coverage_and_fails_under_the_floor(tmp_path: Path) -> None:
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    built = subprocess.run([sys.executable, "-m", "aslkit.cli", "build"], cwd=tmp_path, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    partial = run_pytest(tmp_path, "--aslkit-coverage-fail-under=90")
    assert partial.returncode == 1, partial.stdout
    assert "1 passed" in partial.stdout and "sizes: never entered: Small" in partial.stdout
    assert "FAIL: 57.1% of the items taken, under 90%" in partial.stdout
    report = json.loads((tmp_path / "build" / "aslkit-coverage" / "coverage.json").read_text())
    assert report["machines"]["sizes"]["states"]["missed"] == [["Small"]]
    assert (tmp_path / "build" / "aslkit-coverage" / "sizes.dot").exists()
    (tmp_path / "test_small.py").write_text(
        'def test_small(harness):\n    assert harness.run(harness.deploy("sizes"), {"n": 0}).succeeded\n'
    )
    whole = run_pytest(tmp_path, "--aslkit-coverage-fail-under=100")
    assert whole.returncode == 0, whole.stdout
    assert json.loads((tmp_path / "build" / "aslkit-coverage" / "coverage.json").read_text())["percent"] == 100.0

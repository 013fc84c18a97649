"""The aslkit command line: build (and its staleness check) and lint, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def aslkit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aslkit.cli", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def make_project(tmp_path: Path, result: str = "hello") -> Path:
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "__init__.py").write_text("")
    (tmp_path / "workflows" / "tiny.py").write_text(
        textwrap.dedent(
            f"""
            from aslkit.asl import Pass, StateMachine
            from aslkit.spec import Workflow
            machine = StateMachine("tiny", Pass("Say", result={result!r}))
            WORKFLOW = Workflow("tiny", "a tiny workflow", machines=[machine])
            """
        )
    )
    return tmp_path


def test_build_writes_then_check_detects_staleness(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    first = aslkit("build", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "written  tiny/tiny  statemachines/tiny.asl.json" in first.stdout
    asl = json.loads((project / "statemachines" / "tiny.asl.json").read_text())
    assert asl["States"]["Say"] == {"Type": "Pass", "Result": "hello", "End": True}

    assert aslkit("build", "--check", cwd=project).returncode == 0

    make_project(tmp_path, result="changed")
    stale = aslkit("build", "--check", cwd=project)
    assert stale.returncode == 1
    assert "stale  tiny/tiny" in stale.stdout
    assert "run `aslkit build`" in stale.stderr

    (project / "statemachines" / "old.asl.json").write_text("{}")
    assert "orphan  -/old" in aslkit("build", "--check", cwd=project).stdout


def test_build_reports_a_workflow_that_fails_lint(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "workflows" / "broken.py").write_text(
        textwrap.dedent(
            """
            from aslkit.asl import Pass, StateMachine
            from aslkit.spec import Workflow
            WORKFLOW = Workflow("broken", "x", machines=[StateMachine("broken", Pass("P", input_path="nope"))])
            """
        )
    )
    result = aslkit("build", cwd=project)
    assert result.returncode == 3  # a broken spec or definition (aslkit.errors.EXIT_CODES)
    assert "state machine 'broken' does not pass the linter" in result.stderr
    assert "/States/P/InputPath" in result.stderr and "invalid-path" in result.stderr


def test_build_reports_a_placeholder_nothing_provides(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "workflows" / "orphan.py").write_text(
        textwrap.dedent(
            """
            from aslkit.asl import Placeholder, StateMachine, lambda_invoke
            from aslkit.spec import Workflow
            task = lambda_invoke("Call", function=Placeholder("ghost_function_arn"))
            WORKFLOW = Workflow("orphan", "x", machines=[StateMachine("orphan", task)])
            """
        )
    )
    result = aslkit("build", cwd=project)
    assert result.returncode == 3
    assert "ghost_function_arn" in result.stderr and "nothing in the spec provides" in result.stderr


def test_lint_text_and_json_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.asl.json"
    bad.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}))
    good = tmp_path / "good.asl.json"
    good.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${fn}", "End": True}}}))

    text = aslkit("lint", str(bad), str(good), cwd=tmp_path)
    assert text.returncode == 1
    assert f"{bad}:/States/A/Next: error [unresolved-next]" in text.stdout
    assert "2 file(s): 1 error(s), 0 warning(s)" in text.stderr

    as_json = aslkit("lint", "--format", "json", str(bad), cwd=tmp_path)
    findings = json.loads(as_json.stdout)[0]["findings"]
    assert findings == [
        {
            "pointer": "/States/A/Next",
            "rule": "unresolved-next",
            "severity": "error",
            "message": findings[0]["message"],
        }
    ]
    assert aslkit("lint", str(good), cwd=tmp_path).returncode == 0
    undeclared = aslkit("lint", "--placeholder", "other", str(good), cwd=tmp_path)
    assert undeclared.returncode == 1 and "unknown-placeholder" in undeclared.stdout
    substituted = aslkit(
        "lint", "--placeholder", "fn=arn:aws:lambda:us-east-1:123456789012:function:f", str(good), cwd=tmp_path
    )
    assert substituted.returncode == 0


def test_lint_lists_rules() -> None:
    result = aslkit("lint", "--rules", cwd=ROOT)
    assert result.returncode == 0
    assert "no-terminal" in result.stdout and "unknown-placeholder" in result.stdout

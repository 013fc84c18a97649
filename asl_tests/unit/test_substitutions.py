"""`NAME.substitutions.json` beside a definition declares its placeholders: lint checks them without flags, build
writes one for every committed definition with placeholders, import takes its values."""

from __future__ import annotations

import json
import re
from pathlib import Path

from asl_tests.unit.test_cli import aslkit, make_project
from aslkit.lint import lint_file

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = {
    "StartAt": "Call",
    "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "${ScoreFunction}", "Payload": {"queue": "${Queue}"}},
                        "End": True}},
}  # fmt: skip


def test_the_file_beside_a_definition_declares_its_placeholders(tmp_path: Path) -> None:
    definition = tmp_path / "score.asl.json"
    definition.write_text(json.dumps(DEFINITION))
    assert lint_file(definition).errors == []  # nothing declared anywhere: placeholders are not checked
    (tmp_path / "score.substitutions.json").write_text(json.dumps({"ScoreFunction": "arn:aws:lambda:...:score"}))
    errors = lint_file(definition).errors
    assert [(e.rule, e.pointer) for e in errors] == [("unknown-placeholder", "/States/Call/Parameters/Payload/queue")]
    assert lint_file(definition, known_placeholders={"Queue"}).errors == []  # flags add to the file's keys
    (tmp_path / "score.substitutions.json").write_text('["ScoreFunction"]')
    refused = aslkit("lint", "score.asl.json", cwd=tmp_path)
    assert refused.returncode == 2 and "must be a JSON object of strings" in refused.stderr


def test_every_committed_definition_with_placeholders_has_its_file_and_lints_clean_by_it() -> None:
    committed = sorted((ROOT / "statemachines").glob("*.asl.json"))
    for definition in committed:
        declared = json.loads(definition.with_name(definition.name.replace(".asl.json", ".substitutions.json"))
                              .read_text())  # fmt: skip
        used = set(re.findall(r"\$\{([^}]+)\}", definition.read_text()))
        assert set(declared) == used, definition.name
        assert lint_file(definition).errors == []
    sharing = json.loads((ROOT / "statemachines" / "sharing_push.substitutions.json").read_text())
    assert sharing["sharing_jobs_table_name"] == "name of table 'sharing_jobs'"
    assert sharing["package_poll_seconds"] == "parameter 'package_poll_seconds', '60' by default"


def test_build_writes_checks_and_orphans_the_files(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "workflows" / "called.py").write_text(
        "from aslkit.asl import StateMachine, lambda_invoke\n"
        "from aslkit.spec import Function, Workflow\n"
        "fn = Function('scorer', handler='tasks.scorer.handler')\n"
        "machine = StateMachine('called', lambda_invoke('Score', function=fn.arn))\n"
        "WORKFLOW = Workflow('called', 'calls a function', machines=[machine], functions=[fn])\n"
    )
    assert aslkit("build", cwd=project).returncode == 0
    sidecar = project / "statemachines" / "called.substitutions.json"
    assert json.loads(sidecar.read_text()) == {"scorer_function_arn": "arn of function 'scorer'"}
    assert not (project / "statemachines" / "tiny.substitutions.json").exists()  # no placeholders, no file
    sidecar.write_text("{}\n")
    stale = aslkit("build", "--check", cwd=project)
    assert stale.returncode == 1 and "stale  called/called  statemachines/called.substitutions.json" in stale.stdout
    (project / "statemachines" / "gone.substitutions.json").write_text("{}\n")
    orphan = aslkit("build", "--check", cwd=project)
    assert "orphan  -/gone  statemachines/gone.substitutions.json" in orphan.stdout


def test_import_takes_the_values_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "score.asl.json").write_text(json.dumps(DEFINITION))
    (tmp_path / "score.substitutions.json").write_text(json.dumps({"ScoreFunction": "arn:aws:lambda:eu:1:fn:s"}))
    done = aslkit("import", "score.asl.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert 'parameters={"Queue": "", "ScoreFunction": "arn:aws:lambda:eu:1:fn:s"}' in done.stdout
    assert "# Give each placeholder left empty the value" in done.stdout

"""`aslkit import`: real definitions back to builder code that renders them unchanged, that ruff and mypy accept,
and that `aslkit build` writes back; what the builders cannot write is refused by name."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from asl_tests.conformance.corpus import DOCUMENTS
from asl_tests.conformance.public_corpus import entries
from asl_tests.unit.test_cli import aslkit
from aslkit.asl import Intrinsic, Pass, StateMachine, path
from aslkit.engine import Engine
from aslkit.importer import ImportRefused, import_definition, rebuild, snake_name

ROOT = Path(__file__).resolve().parents[2]
ORCABUS = ROOT / "asl_tests" / "data" / "orcabus"


def corpus() -> dict[str, Any]:
    """Every lint-clean definition at hand: public (production and validator suites), OrcaBus production, the
    catalogue's committed ones and the differential suite's, by a label."""
    found: dict[str, Any] = {}
    for entry in entries():
        if entry.verdict != "invalid":
            found[f"public/{entry.path.name}"] = json.loads(entry.path.read_text(encoding="utf-8"))
    for file in sorted(ORCABUS.glob("*.asl.json")) + sorted((ROOT / "statemachines").glob("*.asl.json")):
        found[f"{file.parent.name}/{file.name}"] = json.loads(file.read_text(encoding="utf-8"))
    for name, document in DOCUMENTS.items():
        found[f"differential/{name}"] = document
    return found


CORPUS = corpus()


@pytest.mark.parametrize("label", sorted(CORPUS))
def test_every_lint_clean_definition_round_trips(label: str) -> None:
    document = CORPUS[label]
    name = snake_name(label.rsplit("/", 1)[-1])
    imported = import_definition(copy.deepcopy(document), machine=name, workflow=name, source=label)
    assert rebuild(imported.code) == document  # JSON-equal: dict equality ignores key order, lists keep theirs
    assert "WORKFLOW = Workflow(" in imported.code


def test_the_imported_code_is_what_ruff_and_mypy_accept(tmp_path: Path) -> None:
    for label, document in {**CORPUS, "fragments/two_polls": TWO_POLLS}.items():
        name = snake_name(label.rsplit("/", 1)[-1])
        code = import_definition(document, machine=name, workflow=name, source=label).code
        (tmp_path / f"{label.replace('/', '__').replace('.', '_').replace('-', '_')}.py").write_text(code)
    tools = ROOT / ".venv" / "bin"
    ruff = [str(tools / "ruff"), "--config", str(ROOT / "pyproject.toml")]
    for command in (
        [*ruff[:1], "check", *ruff[1:], str(tmp_path)],
        [*ruff[:1], "format", "--check", *ruff[1:], str(tmp_path)],
        [str(tools / "mypy"), "--strict", "--no-incremental", str(tmp_path)],
    ):
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_code_uses_the_builders_idioms() -> None:
    document = {
        "Comment": "Orders: check, then charge",
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "${CheckFunction}", "Payload.$": "$"},
                "ResultSelector": {"ok.$": "$.Payload.ok", "id.$": "States.Format('order {}', $.Payload.id)"},
                "Retry": [
                    {
                        "ErrorEquals": [
                            "Lambda.ServiceException",
                            "Lambda.AWSLambdaException",
                            "Lambda.SdkClientException",
                            "Lambda.TooManyRequestsException",
                        ],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 3,
                        "BackoffRate": 2,
                        "JitterStrategy": "FULL",
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
                "Next": "Ok?",
            },
            "Ok?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Charge"}],
                "Default": "Failed",
            },
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "QueryLanguage": "JSONata",
                "Arguments": {"TableName": "${Orders}", "Item": {"id": {"S": "{% $states.input.id %}"}}},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail", "Error": "OrderFailed", "CausePath": "$.error.Cause"},
        },
    }
    code = import_definition(document, machine="orders", workflow="orders", source="orders.asl.json").code
    for idiom in (
        'lambda_invoke(\n    "Check",',
        'function=Placeholder("CheckFunction")',
        'payload=path("$")',
        'Intrinsic("Format", "order {}", path("$.Payload.id"))',
        "retry=[Retry.lambda_transient()]",
        'catch=[Catch([States.ALL], failed, result_path="$.error")]',
        "check >> ok",
        'ok.when(Condition.boolean_equals("$.ok", True), charge)',
        "ok.otherwise(failed)",
        'service_task(\n    "Charge",\n    "dynamodb",\n    "putItem",',
        'jsonata("$states.input.id")',
        'parameters={"CheckFunction": "", "Orders": ""}',
    ):
        assert idiom in code, idiom


def test_a_catch_cycle_is_wired_after_the_states() -> None:
    document = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "q", "MessageBody": "m"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}],
                "End": True,
            },
            "B": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "q", "MessageBody": "m"},
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "A"}],
                "End": True,
            },
        },
    }
    code = import_definition(document, machine="cycle", workflow="cycle", source="cycle.json").code
    assert ".add_catch([States.TIMEOUT], a)" in code or ".add_catch([States.ALL], b)" in code


REFUSED = [
    (
        {
            "Type": "Map",
            "Parameters": {"item.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "End": True,
        },
        r"Parameters \(the legacy ItemSelector\) beside an ItemProcessor",
    ),
    (
        {
            "Type": "Map",
            "ItemProcessor": {"ProcessorConfig": {}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "End": True,
        },
        "empty ProcessorConfig",
    ),
    ({"Type": "Pass", "Result": None, "End": True}, "Result is null"),
]


@pytest.mark.parametrize(("state", "reason"), REFUSED, ids=["map-parameters", "empty-processor-config", "null-result"])
def test_what_the_builders_cannot_write_is_refused_with_the_state_and_reason(
    state: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ImportRefused, match=reason) as refused:
        import_definition({"StartAt": "S", "States": {"S": state}}, machine="m", workflow="m", source="m.json")
    assert "'S'" in str(refused.value)


def test_an_unreachable_state_and_a_lint_error_are_refused() -> None:
    unreachable = {"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}}
    with pytest.raises(ImportRefused, match=r"1 lint error.*\[unreachable-state\] state 'Orphan' cannot be reached"):
        import_definition(unreachable, machine="m", workflow="m", source="m.json")
    with pytest.raises(ImportRefused, match=r"2 lint error.*neither Next nor End.*aslkit lint m.json"):
        import_definition(
            {"StartAt": "A", "States": {"A": {"Type": "Pass"}}}, machine="m", workflow="m", source="m.json"
        )


def test_a_format_template_built_with_intrinsic_runs() -> None:
    """`Intrinsic("Format", "run {}", ...)` keeps its `{}` holes (literal braces and quotes are escaped)."""
    greet = Pass("Greet", parameters={"msg": Intrinsic("Format", "run {} it's {x}", path("$.id"))})
    machine = StateMachine("greet", greet)
    assert machine.to_asl()["States"]["Greet"]["Parameters"]["msg.$"] == "States.Format('run {} it\\'s \\{x\\}', $.id)"
    result = Engine().run(machine, {"id": 7})
    assert result.status == "SUCCEEDED" and result.output == {"msg": "run 7 it's {x}"}


def test_cli_imports_into_a_project_and_build_writes_the_definition_back(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "__init__.py").write_text("")
    source = ROOT / "asl_tests" / "conformance" / "public" / "aws-samples" / "human-in-the-loop.asl.json"
    shutil.copy(source, tmp_path / "approval.asl.json")
    done = aslkit("import", "approval.asl.json", "-o", "workflows/approval.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote workflows/approval.py: state machine 'approval', 5 state(s)" in done.stdout
    again = aslkit("import", "approval.asl.json", "-o", "workflows/approval.py", cwd=tmp_path)
    assert again.returncode == 2 and "exists; choose another --output, or pass --force" in again.stderr
    built = aslkit("build", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    written = json.loads((tmp_path / "statemachines" / "approval.asl.json").read_text())
    assert written == json.loads(source.read_text())


def test_cli_imports_one_machine_of_a_template_and_refuses_without_a_traceback(tmp_path: Path) -> None:
    machine = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Call"},
            "Call": {"Type": "Task", "Resource": "${Fn}", "End": True},
        },
    }
    template = {
        "Resources": {
            "Flow": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": json.dumps(machine), "DefinitionSubstitutions": {"Fn": "arn"}},
            },
            "Other": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": json.dumps(machine)},
            },
        }
    }
    (tmp_path / "template.json").write_text(json.dumps(template))
    several = aslkit("import", "template.json", cwd=tmp_path)
    assert several.returncode == 2 and "holds several state machines: Flow, Other" in several.stderr
    one = aslkit("import", "template.json", "--machine", "Flow", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert 'resource=Placeholder("Fn")' in one.stdout and "wait >> call" in one.stdout
    (tmp_path / "bad.json").write_text("{")
    bad = aslkit("import", "bad.json", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "not valid JSON" in bad.stderr


def test_snake_names_come_from_file_names() -> None:
    assert snake_name("Human-In-The-Loop.asl.json") == "human_in_the_loop"
    assert snake_name("orcabus_auto_package_push_35af97e.asl.json") == "orcabus_auto_package_push_35af97e"
    assert snake_name("2024 flow.json") == "imported_2024_flow"


def polling(prefix: str, after: str) -> dict[str, Any]:
    """A poll loop of four states, named under `prefix`, leaving to `after`."""
    return {
        f"{prefix}Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                          "Parameters": {"FunctionName": "${Poller}", "Payload.$": "$"}, "Next": f"{prefix}Done?"},
        f"{prefix}Done?": {"Type": "Choice", "Choices": [{"Variable": "$.Payload.done", "BooleanEquals": False,
                                                          "Next": f"{prefix}Wait"}], "Default": f"{prefix}Ready"},
        f"{prefix}Wait": {"Type": "Wait", "Seconds": 30, "Next": f"{prefix}Poll"},
        f"{prefix}Ready": {"Type": "Pass", "Next": after},
    }  # fmt: skip


TWO_POLLS = {
    "StartAt": "Package: Poll",
    "States": {**polling("Package: ", "Push: Poll"), **polling("Push: ", "Shared"), "Shared": {"Type": "Succeed"}},
}


def test_a_sub_graph_repeated_under_prefixes_becomes_one_fragment() -> None:
    code = import_definition(TWO_POLLS, machine="share", workflow="share", source="share.asl.json").code
    assert code.count('@fragment\ndef poll(*, prefix: str = "") -> Chain:') == 1
    assert 'package = poll(prefix="Package: ")' in code and 'push = poll(prefix="Push: ")' in code
    assert "package >> push" in code and "push >> shared" in code and "poll >> done" in code
    assert 'done.when(Condition.boolean_equals("$.Payload.done", False), wait)' in code  # inside the fragment
    assert rebuild(code) == TWO_POLLS


def test_a_state_named_like_an_imported_helper_does_not_shadow_it() -> None:
    document = {"StartAt": "Path", "States": {"Path": {"Type": "Pass", "Parameters": {"x.$": "$.y"}, "Next": "Fragment"},
                                              "Fragment": {"Type": "Succeed"}}}  # fmt: skip
    code = import_definition(document, machine="m", workflow="m", source="m.json").code
    assert 'path_2 = Pass("Path", parameters={"x": path("$.y")})' in code and "path_2 >> fragment_2" in code
    assert rebuild(code) == document

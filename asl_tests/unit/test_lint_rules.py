"""Every lint rule, with a document that breaks it and the corrected document that does not."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from aslkit.lint import RULES, lint_document, lint_text


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {**top, "StartAt": start or next(iter(states)), "States": states}


LAMBDA = "arn:aws:states:::lambda:invoke"
DISTRIBUTED = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}


def inline(states: dict[str, Any]) -> dict[str, Any]:
    return {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": next(iter(states)), "States": states}


def jsonata_map(extra: dict[str, Any], processor: dict[str, Any] | None = None) -> dict[str, Any]:
    return machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": processor or inline({"P": {"Type": "Pass", "End": True}}),
                **extra,
                "End": True,
            }
        },
        QueryLanguage="JSONata",
    )


def get_item(found: str) -> dict[str, Any]:
    """A JSONata getItem that assigns `found`."""
    get = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "Assign": {"found": found},
           "Arguments": {"TableName": "t", "Key": {"id": {"S": "x"}}}, "End": True}  # fmt: skip
    return machine({"G": get}, QueryLanguage="JSONata")


# (rule, pointer it must report, bad document, good document)
CASES: list[tuple[str, str, Any, Any]] = [
    (
        "schema",
        "/States/A/Foo",
        machine({"A": {"Type": "Pass", "Foo": 1, "End": True}}),
        machine({"A": {"Type": "Pass", "End": True}}),
    ),
    (
        "schema",
        "/States/A/Retry/0/MaxAttempts",
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1}],
                    "End": True,
                }
            }
        ),
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": 0}],
                    "End": True,
                }
            }
        ),
    ),
    (
        "unresolved-next",
        "/States/A/Next",
        machine({"A": {"Type": "Pass", "Next": "b"}, "B": {"Type": "Succeed"}}),
        machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}),
    ),
    (
        "unresolved-next",
        "/StartAt",
        machine({"A": {"Type": "Succeed"}}, start="Nope"),
        machine({"A": {"Type": "Succeed"}}, start="A"),
    ),
    (
        "unresolved-next",
        "/States/P/Branches/0/States/X/Next",
        machine(
            {
                "P": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Done"}}}],
                    "Next": "Done",
                },
                "Done": {"Type": "Succeed"},
            }
        ),
        machine(
            {
                "P": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}}],
                    "Next": "Done",
                },
                "Done": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "unreachable-state",
        "/States/Orphan",
        machine({"A": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}),
        machine({"A": {"Type": "Succeed"}}),
    ),
    (
        "no-terminal",
        "/States/Poll",
        machine({"Poll": {"Type": "Wait", "Seconds": 5, "Next": "Check"}, "Check": {"Type": "Pass", "Next": "Poll"}}),
        machine(
            {
                "Poll": {"Type": "Wait", "Seconds": 5, "Next": "Check"},
                "Check": {
                    "Type": "Pass",
                    "Next": "Poll",
                    "Comment": "polled forever by design; aslkit:ignore=no-terminal",
                },
            }
        ),
    ),
    (
        "duplicate-state-name",
        "/States/M/ItemProcessor/States/A",
        machine(
            {
                "A": {"Type": "Pass", "Next": "M"},
                "M": {"Type": "Map", "ItemProcessor": inline({"A": {"Type": "Succeed"}}), "End": True},
            }
        ),
        machine(
            {
                "A": {"Type": "Pass", "Next": "M"},
                "M": {"Type": "Map", "ItemProcessor": inline({"B": {"Type": "Succeed"}}), "End": True},
            }
        ),
    ),
    (
        "choice-rule",
        "/States/C/Choices/0",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "StringEquals": "a", "NumericEquals": 1, "Next": "S"}],
                    "Default": "S",
                },
                "S": {"Type": "Succeed"},
            }
        ),
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "StringEquals": "a", "Next": "S"}],
                    "Default": "S",
                },
                "S": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "choice-rule",
        "/States/C/Choices/0",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "StringEquals": "a", "Next": "S"}],
                    "Default": "S",
                },
                "S": {"Type": "Succeed"},
            },
            QueryLanguage="JSONata",
        ),
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% $states.input.x = 'a' %}", "Next": "S"}],
                    "Default": "S",
                },
                "S": {"Type": "Succeed"},
            },
            QueryLanguage="JSONata",
        ),
    ),
    (
        "choice-rule",
        "/States/C/Choices/0/Not",
        machine(
            {
                "C": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.x"}, "Next": "S"}], "Default": "S"},
                "S": {"Type": "Succeed"},
            }
        ),
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Not": {"Variable": "$.x", "IsNull": True}, "Next": "S"}],
                    "Default": "S",
                },
                "S": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "choice-default",
        "/States/C",
        machine(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "S"}]},
                "S": {"Type": "Succeed"},
            }
        ),
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "S"}],
                    "Default": "S",
                },
                "S": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "query-language-field",
        "/States/A/Parameters",
        machine(
            {"A": {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "f"}, "End": True}},
            QueryLanguage="JSONata",
        ),
        machine(
            {"A": {"Type": "Task", "Resource": LAMBDA, "Arguments": {"FunctionName": "f"}, "End": True}},
            QueryLanguage="JSONata",
        ),
    ),
    (
        "query-language-field",
        "/States/A/Output",
        machine({"A": {"Type": "Pass", "Output": {"x": 1}, "End": True}}),
        machine({"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"x": 1}, "End": True}}),
    ),
    (
        "query-language-field",
        "/States/W/Seconds",
        machine({"W": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "End": True}}),
        machine({"W": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "End": True}}, QueryLanguage="JSONata"),
    ),
    (
        "jsonpath-in-jsonata",
        "/States/A/Arguments/Payload.$",
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Arguments": {"FunctionName": "f", "Payload.$": "$"},
                    "End": True,
                }
            },
            QueryLanguage="JSONata",
        ),
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
                    "End": True,
                }
            },
            QueryLanguage="JSONata",
        ),
    ),
    (
        "jsonata-in-jsonpath",
        "/States/A/Parameters/x",
        machine({"A": {"Type": "Pass", "Parameters": {"x": "{% $states.input %}"}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "$"}, "End": True}}),
    ),
    (
        "jsonata-delimiters",
        "/States/A/Output/msg",
        machine(
            {"A": {"Type": "Pass", "Output": {"msg": "run {% $states.input.id %}"}, "End": True}},
            QueryLanguage="JSONata",
        ),
        machine(
            {"A": {"Type": "Pass", "Output": {"msg": "{% 'run ' & $states.input.id %}"}, "End": True}},
            QueryLanguage="JSONata",
        ),
    ),
    (
        "jsonata-syntax",
        "/States/A/Output",
        machine(
            {"A": {"Type": "Pass", "Output": "{% $merge([$states.input, %}", "End": True}}, QueryLanguage="JSONata"
        ),
        machine(
            {"A": {"Type": "Pass", "Output": "{% $merge([$states.input, {'a': 1}]) %}", "End": True}},
            QueryLanguage="JSONata",
        ),
    ),
    (
        "invalid-path",
        "/States/A/InputPath",
        machine({"A": {"Type": "Pass", "InputPath": "payload.x", "End": True}}),
        machine({"A": {"Type": "Pass", "InputPath": "$.payload.x", "End": True}}),
    ),
    (
        "invalid-path",
        "/States/A/Parameters/id.$",
        machine({"A": {"Type": "Pass", "Parameters": {"id.$": "$.ids[0"}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"id.$": "$.ids[0]"}, "End": True}}),
    ),
    (
        "invalid-path",
        "/States/C/Choices/0/And/0/Variable",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"And": [{"Variable": "x", "IsPresent": True}], "Next": "S"}],
                    "Default": "S",
                },
                "S": {"Type": "Succeed"},
            }
        ),
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"And": [{"Variable": "$.x", "IsPresent": True}], "Next": "S"}],
                    "Default": "S",
                },
                "S": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "invalid-reference-path",
        "/States/A/ResultPath",
        machine({"A": {"Type": "Pass", "ResultPath": "$.items[*]", "End": True}}),
        machine({"A": {"Type": "Pass", "ResultPath": "$.items[0]", "End": True}}),
    ),
    (
        "invalid-reference-path",
        "/States/A/Catch/0/ResultPath",
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$$.error", "Next": "F"}],
                    "End": True,
                },
                "F": {"Type": "Fail"},
            }
        ),
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "F"}],
                    "End": True,
                },
                "F": {"Type": "Fail"},
            }
        ),
    ),
    (
        "intrinsic-syntax",
        "/States/A/Parameters/x.$",
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "States.Format('{}', $.a"}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "States.Format('{}', $.a)"}, "End": True}}),
    ),
    (
        "intrinsic-unknown",
        "/States/A/Parameters/x.$",
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "States.Uuid()"}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "States.UUID()"}, "End": True}}),
    ),
    (
        "intrinsic-arity",
        "/States/A/Parameters/x.$",
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "States.ArrayRange(1, 10)"}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "States.ArrayRange(1, 10, 2)"}, "End": True}}),
    ),
    (
        "intrinsic-arity",
        "/States/F/CausePath",
        machine({"F": {"Type": "Fail", "Error": "E", "CausePath": "States.Format('{} {}', $.a)"}}),
        machine({"F": {"Type": "Fail", "Error": "E", "CausePath": "States.Format('{} {}', $.a, $.b)"}}),
    ),
    (
        "mutually-exclusive",
        "/States/W",
        machine({"W": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}}),
        machine({"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}),
    ),
    (
        "mutually-exclusive",
        "/States/A",
        machine({"A": {"Type": "Pass", "Next": "B", "End": True}, "B": {"Type": "Succeed"}}),
        machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}),
    ),
    (
        "mutually-exclusive",
        "/States/F/ErrorPath",
        machine({"F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}),
        machine({"F": {"Type": "Fail", "Error": "E"}}),
    ),
    (
        "mutually-exclusive",
        "/States/M",
        machine(
            {
                "M": {
                    "Type": "Map",
                    "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}},
                    "ItemProcessor": inline({"Q": {"Type": "Succeed"}}),
                    "End": True,
                }
            }
        ),
        machine({"M": {"Type": "Map", "ItemProcessor": inline({"Q": {"Type": "Succeed"}}), "End": True}}),
    ),
    (
        "heartbeat-timeout",
        "/States/A/HeartbeatSeconds",
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA + ".waitForTaskToken",
                    "TimeoutSeconds": 60,
                    "HeartbeatSeconds": 60,
                    "End": True,
                }
            }
        ),
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA + ".waitForTaskToken",
                    "TimeoutSeconds": 60,
                    "HeartbeatSeconds": 30,
                    "End": True,
                }
            }
        ),
    ),
    (
        "distributed-only",
        "/States/M/ItemReader",
        jsonata_map(
            {"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": {"Bucket": "b", "Key": "k"}}}
        ),
        jsonata_map(
            {"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": {"Bucket": "b", "Key": "k"}}},
            {**DISTRIBUTED, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        ),
    ),
    (
        "distributed-only",
        "/States/M/ItemProcessor/ProcessorConfig",
        jsonata_map(
            {}, {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "P", "States": {"P": {"Type": "Succeed"}}}
        ),
        jsonata_map({}, {**DISTRIBUTED, "StartAt": "P", "States": {"P": {"Type": "Succeed"}}}),
    ),
    (
        "unbounded-wait",
        "/States/A",
        machine({"A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True}}),
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "TimeoutSeconds": 3600,
                    "End": True,
                }
            }
        ),
    ),
    (
        "states-all-last",
        "/States/A/Catch/0/ErrorEquals",
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}, {"ErrorEquals": ["Boom"], "Next": "F"}],
                    "End": True,
                },
                "F": {"Type": "Fail"},
            }
        ),
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Catch": [{"ErrorEquals": ["Boom"], "Next": "F"}, {"ErrorEquals": ["States.ALL"], "Next": "F"}],
                    "End": True,
                },
                "F": {"Type": "Fail"},
            }
        ),
    ),
    (
        "unknown-states-error",
        "/States/A/Retry/0/ErrorEquals/0",
        machine(
            {"A": {"Type": "Task", "Resource": LAMBDA, "Retry": [{"ErrorEquals": ["States.Timedout"]}], "End": True}}
        ),
        machine(
            {"A": {"Type": "Task", "Resource": LAMBDA, "Retry": [{"ErrorEquals": ["States.Timeout"]}], "End": True}}
        ),
    ),
    (
        "integration-pattern",
        "/States/A/Resource",
        machine({"A": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem.sync", "End": True}}),
        machine({"A": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True}}),
    ),
    (
        "integration-pattern",
        "/States/A/Resource",
        machine({"A": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject.sync", "End": True}}),
        machine({"A": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject", "End": True}}),
    ),
    (
        "payload-template",
        "/States/A/Parameters/x.$",
        machine({"A": {"Type": "Pass", "Parameters": {"x": 1, "x.$": "$.y"}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "$.y"}, "End": True}}),
    ),
    (
        "payload-template",
        "/States/A/Parameters/inner/n.$",
        machine({"A": {"Type": "Pass", "Parameters": {"inner": {"n.$": 23}}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"inner": {"n": 23}}, "End": True}}),
    ),
    (
        "payload-template",
        "/States/A/Parameters/list.$",
        machine({"A": {"Type": "Pass", "Parameters": {"list.$": ["$.a"]}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"list.$": "States.Array($.a)"}, "End": True}}),
    ),
    (
        "intrinsic-arity",
        "/States/A/Parameters/n.$",
        machine({"A": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd('1', $.i)"}, "End": True}}),
        machine({"A": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd(1, $.i)"}, "End": True}}),
    ),
    (
        "fail-error-states",
        "/States/F/Error",
        machine({"F": {"Type": "Fail", "Error": "{% $states.input.error %}"}}, QueryLanguage="JSONata"),
        machine(
            {
                "F": {
                    "Type": "Fail",
                    "Error": "{% $substring($states.input.error, 0, 7) = 'States.' ? 'JobFailed'"
                    " : $states.input.error %}",
                }
            },
            QueryLanguage="JSONata",
        ),
    ),
    (
        "fail-error-states",
        "/States/F/ErrorPath",
        machine({"F": {"Type": "Fail", "ErrorPath": "$.error"}}),
        machine({"F": {"Type": "Fail", "Error": "JobFailed"}}),
    ),
    (
        "fail-error-states",
        "/States/F/Error",
        machine({"F": {"Type": "Fail", "Error": "States.MyOwnFailure"}}),
        machine({"F": {"Type": "Fail", "Error": "MyOwnFailure"}}),
    ),
    (
        "getitem-item",
        "/States/G/Assign/found",
        get_item("{% $states.result.Item %}"),
        get_item("{% $exists($states.result.Item) ? $states.result.Item : null %}"),
    ),
    (
        "state-name",
        "/States/" + "S" * 81,
        machine({"S" * 81: {"Type": "Pass", "End": True}}),
        machine({"S" * 80: {"Type": "Pass", "End": True}}),
    ),
    (
        "task-resource",
        "/States/A/Resource",
        machine({"A": {"Type": "Task", "Resource": "my-function", "End": True}}),
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:my-function",
                    "End": True,
                }
            }
        ),
    ),
    (
        "map-label",
        "/States/M/Label",
        machine(
            {
                "M": {
                    "Type": "Map",
                    "Label": "L" * 41,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                        "StartAt": "P",
                        "States": {"P": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                }
            }
        ),
        machine(
            {
                "M": {
                    "Type": "Map",
                    "Label": "L" * 40,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                        "StartAt": "P",
                        "States": {"P": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                }
            }
        ),
    ),
]

# Definitions that run on AWS (in production, or as AWS's documentation writes them) and must lint clean.
RUN_ON_AWS: list[tuple[str, Any]] = [
    (
        "a dot before a bracket (AWS's docs: $.abc.['def ghi'])",
        machine(
            {
                "A": {
                    "Type": "Pass",
                    "Parameters": {
                        "first.$": "$.[0].fileUri",
                        "state.$": "$.Snapshots.[0].State",
                        "spaced.$": "$.abc.['def ghi']",
                    },
                    "End": True,
                }
            }
        ),
    ),
    (
        "a Comment inside a nested Choice rule",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [
                        {
                            "And": [
                                {"Comment": "ready", "Variable": "$.ready", "BooleanEquals": True},
                                {"Not": {"Comment": "not failed", "Variable": "$.failed", "IsPresent": True}},
                            ],
                            "Next": "D",
                        }
                    ],
                    "Default": "D",
                },
                "D": {"Type": "Succeed"},
            }
        ),
    ),
]


@pytest.mark.parametrize("case", RUN_ON_AWS, ids=[c[0] for c in RUN_ON_AWS])
def test_definitions_that_run_on_aws_have_no_errors(case: tuple[str, Any]) -> None:
    report = lint_document(copy.deepcopy(case[1]))
    assert report.findings == [], [str(f) for f in report.findings]


# Documents whose defect the JSON parser would hide are checked from text.
TEXT_CASES: list[tuple[str, str, str]] = [
    (
        "duplicate-key",
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}',
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}',
    ),
]


def _ids(case: tuple[Any, ...]) -> str:
    return f"{case[0]}@{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_rule_reports_the_bad_document(case: tuple[str, str, Any, Any]) -> None:
    rule, location, bad, _ = case
    report = lint_document(copy.deepcopy(bad))
    hits = [f for f in report.findings if f.rule == rule]
    assert hits, f"{rule} did not fire; findings: {report.findings}"
    assert location in [f.pointer for f in hits]
    assert all(f.message for f in hits)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_corrected_document_is_clean(case: tuple[str, str, Any, Any]) -> None:
    _, _, _, good = case
    report = lint_document(copy.deepcopy(good))
    assert report.findings == [], [str(f) for f in report.findings]


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text_rules(case: tuple[str, str, str]) -> None:
    rule, bad, good = case
    assert [f.rule for f in lint_text(bad).findings] == [rule]
    assert lint_text(good).findings == []


def test_unknown_placeholder_only_when_placeholders_are_declared() -> None:
    doc = machine({"A": {"Type": "Task", "Resource": "${fn_arn}", "End": True}})
    assert lint_document(doc).findings == []
    assert lint_document(doc, known_placeholders=["fn_arn"]).findings == []
    findings = lint_document(doc, known_placeholders=["other"]).findings
    assert [(f.rule, f.pointer) for f in findings] == [("unknown-placeholder", "/States/A/Resource")]
    assert "${fn_arn}" in findings[0].message


def test_every_rule_has_a_failing_case() -> None:
    covered = {c[0] for c in CASES} | {c[0] for c in TEXT_CASES} | {"unknown-placeholder"}
    assert covered == set(RULES)


def test_invalid_json_is_a_finding_not_a_crash() -> None:
    report = lint_text('{"StartAt": ', source="broken.json")
    assert [f.rule for f in report.findings] == ["schema"]
    assert "line 1" in report.findings[0].message


def test_json_pointer_escapes_state_names() -> None:
    doc = machine({"a/b~c": {"Type": "Pass", "Foo": 1, "End": True}})
    assert [f.pointer for f in lint_document(doc).findings] == ["/States/a~1b~0c/Foo"]


def test_text_output_names_file_pointer_rule_and_fix() -> None:
    doc = machine({"A": {"Type": "Pass", "Next": "B"}})
    lines = list(lint_text(json.dumps(doc), source="x.asl.json").text_lines())
    assert lines == [
        "x.asl.json:/States/A/Next: error [unresolved-next] Next 'B' names no state of this graph; the states "
        "here are: 'A' (a state inside a Parallel branch or Map processor can only go to states of the same branch)"
    ]


def test_placeholders_are_deploy_time_values_inside_jsonata_and_in_numeric_fields() -> None:
    """`${name}` (DefinitionSubstitutions) is filled before AWS reads the definition: a number where one is due,
    text inside a JSONata string. Declared placeholders lint clean; undeclared ones are still named."""
    doc = machine({
        "W": {"Type": "Wait", "Seconds": "${wait_seconds}", "Next": "J"},
        "J": {"Type": "Pass", "QueryLanguage": "JSONata",
              "Output": "{% $states.input.n > ${threshold} ? 'big' : '${label}' %}", "End": True},
    })  # fmt: skip
    assert lint_document(copy.deepcopy(doc), known_placeholders=["wait_seconds", "threshold", "label"]).findings == []
    findings = lint_document(copy.deepcopy(doc), known_placeholders=["wait_seconds", "label"]).findings
    assert [(f.rule, f.pointer) for f in findings] == [("unknown-placeholder", "/States/J/Output")]
    wrong = machine({"W": {"Type": "Wait", "Seconds": "soon", "End": True}})
    assert "schema" in {f.rule for f in lint_document(wrong).findings}, "only a whole placeholder is let through"


def test_a_states_name_the_machine_raises_itself_is_not_unknown_where_it_is_caught() -> None:
    doc = machine({
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "States.Done"}}}],
              "Catch": [{"ErrorEquals": ["States.Done"], "Next": "E"}, {"ErrorEquals": ["States.Dnoe"], "Next": "E"}],
              "End": True},
        "E": {"Type": "Succeed"},
    })  # fmt: skip
    findings = [(f.rule, f.pointer) for f in lint_document(doc).findings]
    assert ("unknown-states-error", "/States/P/Catch/1/ErrorEquals/0") in findings, "a typo is still unknown"
    assert ("unknown-states-error", "/States/P/Catch/0/ErrorEquals/0") not in findings, "its own Fail raises it"
    assert ("fail-error-states", "/States/P/Branches/0/States/F/Error") in findings

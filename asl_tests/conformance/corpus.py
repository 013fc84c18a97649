"""Small definitions, one per construct and error path, in both query languages: the differential suite runs each
on the in-process engine and on LocalStack and compares what they did."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aslkit.asl import render
from aslkit.asl.machine import StateMachine
from aslkit.resources import Function
from aslkit.spec import Workflow

HANDLERS = "asl_tests.localstack.handlers"
custom = Function("conf_custom_error", handler=f"{HANDLERS}.raise_custom")
marshal = Function("conf_marshal", handler=f"{HANDLERS}.unserialisable")
summarise = Function("conf_summarise", handler="tasks.example.summarise_run.handler")
LAMBDA = "arn:aws:states:::lambda:invoke"


class Definition(StateMachine):
    """A corpus entry written as ASL (the builders are tested elsewhere; here the document is the subject)."""

    def __init__(self, name: str, document: dict[str, Any], placeholders: tuple[str, ...] = ()) -> None:
        self.name = name
        self.type = "STANDARD"
        self.document = document
        self._uses = set(placeholders)

    def render(self) -> tuple[dict[str, object], set[str]]:
        return render.canonical(json.loads(json.dumps(self.document))), set(self._uses)


@dataclass(frozen=True)
class Case:
    machine: str
    input: Any


def _m(states: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states, **top}


def _fn(function: Function) -> str:
    return "${" + function.arn.name + "}"


JA = {"QueryLanguage": "JSONata"}

DOCUMENTS: dict[str, dict[str, Any]] = {
    "conf_pass_paths": _m(
        {
            "Shape": {
                "Type": "Pass",
                "InputPath": "$.a",
                "Parameters": {"x.$": "$.b", "fixed": 1, "list": [{"y.$": "$.b"}]},
                "ResultPath": "$.shaped",
                "Next": "Keep",
            },
            "Keep": {"Type": "Pass", "Result": "ignored", "ResultPath": None, "Next": "Out"},
            "Out": {"Type": "Pass", "OutputPath": "$.shaped", "End": True},
        }
    ),
    "conf_intrinsics": _m(
        {
            "P": {
                "Type": "Pass",
                "Parameters": {
                    "f.$": "States.Format('{} has {} items', $.name, $.n)",
                    "parts.$": "States.ArrayPartition($.items, 2)",
                    "range.$": "States.ArrayRange(1, 9, 4)",
                    "split.$": "States.StringSplit($.csv, ',')",
                    "merged.$": "States.JsonMerge($.left, $.right, false)",
                    "hash.$": "States.Hash('abc', 'SHA-256')",
                    "len.$": "States.ArrayLength($.items)",
                    "contains.$": "States.ArrayContains($.items, 2)",
                    "item.$": "States.ArrayGetItem($.items, 1)",
                    "json.$": "States.JsonToString($.left)",
                    "parsed.$": "States.StringToJson('{\"k\":[1]}')",
                    "b64.$": "States.Base64Encode('hi')",
                    "unb64.$": "States.Base64Decode('aGk=')",
                    "add.$": "States.MathAdd($.n, -1)",
                },
                "End": True,
            }
        }
    ),
    "conf_choice_ops": _m(
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.s", "StringMatches": "log-*.txt"},
                            {"Variable": "$.n", "NumericGreaterThan": 2},
                            {"Not": {"Variable": "$.flag", "BooleanEquals": False}},
                        ],
                        "Next": "Matched",
                    },
                    {"Variable": "$.missing", "IsPresent": False, "Next": "Absent"},
                ],
                "Default": "Neither",
            },
            "Matched": {"Type": "Succeed"},
            "Absent": {"Type": "Succeed"},
            "Neither": {"Type": "Succeed"},
        }
    ),
    "conf_loop": _m(
        {
            "Init": {"Type": "Pass", "Result": {"n": 0}, "Next": "Step"},
            "Step": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "More?"},
            "More?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 5, "Next": "Step"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        }
    ),
    "conf_map_context": _m(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "tag.$": "$.tag"},
                "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        }
    ),
    "conf_parallel": _m(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "InputPath": "$.x", "End": True}}},
                ],
                "ResultSelector": {"first.$": "$[0]", "second.$": "$[1]"},
                "End": True,
            }
        }
    ),
    "conf_fail_named": _m({"F": {"Type": "Fail", "Error": "NamedError", "Cause": "a cause"}}),
    "conf_fail_paths": _m({"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}}),
    "conf_no_choice": _m(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "S"}]},
            "S": {"Type": "Succeed"},
        }
    ),
    "conf_missing_path": _m({"P": {"Type": "Pass", "Parameters": {"v.$": "$.absent"}, "End": True}}),
    "conf_intrinsic_failure": _m(
        {"P": {"Type": "Pass", "Parameters": {"v.$": "States.ArrayGetItem($.items, 9)"}, "End": True}}
    ),
    "conf_catch_handler": _m(
        {
            "Call": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Parameters": {"FunctionName": _fn(custom), "Payload.$": "$"},
                "Catch": [{"ErrorEquals": ["PartNotFound"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {
                "Type": "Pass",
                "Parameters": {"error.$": "$.error.Error", "message.$": "States.StringToJson($.error.Cause)"},
                "OutputPath": "$.error",
                "End": True,
            },
        }
    ),
    "conf_marshal_error": _m(
        {"Call": {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": _fn(marshal)}, "End": True}}
    ),
    "conf_lambda_result": _m(
        {
            "Call": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Parameters": {"FunctionName": _fn(summarise), "Payload.$": "$"},
                "ResultSelector": {"summary.$": "$.Payload", "code.$": "$.StatusCode"},
                "End": True,
            }
        }
    ),
    "conf_ja_assign_output": _m(
        {
            "Init": {"Type": "Pass", "Assign": {"n": 0, "total": 0}, "Next": "Loop"},
            "Loop": {"Type": "Pass", "Assign": {"n": "{% $n + 1 %}", "total": "{% $total + $n %}"}, "Next": "More?"},
            "More?": {"Type": "Choice", "Choices": [{"Condition": "{% $n < 4 %}", "Next": "Loop"}], "Default": "Done"},
            "Done": {"Type": "Succeed", "Output": "{% {'n': $n, 'total': $total, 'input': $states.input} %}"},
        },
        **JA,
    ),
    "conf_ja_scopes": _m(
        {
            "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "Par"},
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Output": "{% $x + 1 %}", "End": True}}}
                ],
                "Output": "{% {'branch': $states.result[0], 'outer': $x} %}",
                "End": True,
            },
        },
        **JA,
    ),
    "conf_ja_map": _m(
        {
            "M": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemSelector": {
                    "v": "{% $states.context.Map.Item.Value * 10 %}",
                    "i": "{% $states.context.Map.Item.Index %}",
                },
                "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
        **JA,
    ),
    "conf_ja_catch": _m(
        {
            "Call": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Arguments": {"FunctionName": _fn(custom), "Payload": {"part": 7}},
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Next": "Caught",
                        "Output": "{% {'error': $states.errorOutput.Error, 'was': $states.input} %}",
                    }
                ],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
        **JA,
    ),
    "conf_ja_query_error": _m({"P": {"Type": "Pass", "Output": "{% $states.input.a + 'x' %}", "End": True}}, **JA),
    "conf_ja_choice_default": _m(
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.n > 3 %}", "Next": "Big", "Output": "{% {'size': 'big'} %}"}
                ],
                "Default": "Small",
                "Output": "{% {'size': 'small'} %}",
            },
            "Big": {"Type": "Succeed"},
            "Small": {"Type": "Succeed"},
        },
        **JA,
    ),
}

PLACEHOLDERS = {"conf_catch_handler": (custom.arn.name,), "conf_marshal_error": (marshal.arn.name,),
                "conf_lambda_result": (summarise.arn.name,), "conf_ja_catch": (custom.arn.name,)}  # fmt: skip

CASES: list[Case] = [
    Case("conf_pass_paths", {"a": {"b": 2}, "c": 3}),
    Case(
        "conf_intrinsics",
        {"name": "run", "n": 3, "items": [1, 2, 3], "csv": "a,b,,c", "left": {"a": 1}, "right": {"b": 2}},
    ),
    Case("conf_choice_ops", {"s": "log-1.txt", "n": 3, "flag": True}),
    Case("conf_choice_ops", {"s": "x", "n": 3}),
    Case("conf_choice_ops", {"s": "x", "n": 3, "missing": 1}),
    Case("conf_loop", {}),
    Case("conf_map_context", {"items": ["a", "b", "c"], "tag": "t"}),
    Case("conf_parallel", {"x": {"y": 1}}),
    Case("conf_fail_named", {}),
    Case("conf_fail_paths", {"e": "FromInput", "c": "the cause"}),
    Case("conf_no_choice", {"n": 2}),
    Case("conf_missing_path", {"a": 1}),
    Case("conf_intrinsic_failure", {"items": [1]}),
    Case("conf_catch_handler", {"part": 3}),
    Case("conf_marshal_error", {}),
    Case("conf_lambda_result", {"runId": "R1", "libraries": [{"type": "WGS"}, {"type": "WTS"}]}),
    Case("conf_lambda_result", {"libraries": []}),
    Case("conf_ja_assign_output", {"k": 1}),
    Case("conf_ja_scopes", {}),
    Case("conf_ja_map", {"items": [1, 2]}),
    Case("conf_ja_catch", {"z": 1}),
    Case("conf_ja_query_error", {"a": 1}),
    Case("conf_ja_choice_default", {"n": 5}),
    Case("conf_ja_choice_default", {"n": 1}),
]

WORKFLOW = Workflow(
    "conformance",
    "the differential suite's corpus",
    machines=[Definition(name, document, PLACEHOLDERS.get(name, ())) for name, document in DOCUMENTS.items()],
    functions=[custom, marshal, summarise],
)

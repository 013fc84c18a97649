"""A JSON Schema (draft 2020-12) of the Amazon States Language: structure, types and allowed fields per state type.

It covers both query languages and the 2024-2025 additions (QueryLanguage, Arguments, Output, Assign, Condition,
Items, Distributed Map reader/writer options). Cross-field rules (mutually exclusive fields, query-language
legality, graph shape) are semantic rules in `aslkit.lint.rules`, where the messages can be precise.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from aslkit.asl.conditions import COMPARISON_OPERATORS, PATH_OPERATORS
from aslkit.lint.findings import Finding, Severity, pointer

Schema = dict[str, Any]

JSONATA: Final[Schema] = {"type": "string", "pattern": r"^\{%[\s\S]*%\}$"}
PATH: Final[Schema] = {"type": ["string", "null"]}
STRING: Final[Schema] = {"type": "string"}
ANY: Final[Schema] = {}
OBJECT: Final[Schema] = {"type": "object"}


def _count(minimum: int) -> Schema:
    return {"anyOf": [{"type": "integer", "minimum": minimum}, JSONATA]}


def _obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


COMMON: Final[dict[str, Schema]] = {
    "Type": STRING,
    "Comment": STRING,
    "QueryLanguage": {"enum": ["JSONPath", "JSONata"]},
}
FLOW: Final[dict[str, Schema]] = {"Next": STRING, "End": {"const": True}}
IO: Final[dict[str, Schema]] = {"InputPath": PATH, "OutputPath": PATH, "Output": ANY, "Assign": OBJECT}
RESULT: Final[dict[str, Schema]] = {"ResultPath": PATH, "ResultSelector": OBJECT}
ERROR_NAMES: Final[Schema] = {"type": "array", "items": STRING, "minItems": 1}
RETRIER: Final[Schema] = _obj(
    {
        "Comment": STRING,
        "ErrorEquals": ERROR_NAMES,
        "IntervalSeconds": {"type": "integer", "minimum": 1, "maximum": 99999999},
        "MaxAttempts": {"type": "integer", "minimum": 0, "maximum": 99999999},
        "BackoffRate": {"type": "number", "minimum": 1},
        "MaxDelaySeconds": {"type": "integer", "minimum": 1, "maximum": 31622400},
        "JitterStrategy": {"enum": ["FULL", "NONE"]},
    },
    ("ErrorEquals",),
)
CATCHER: Final[Schema] = _obj(
    {
        "Comment": STRING,
        "ErrorEquals": ERROR_NAMES,
        "Next": STRING,
        "ResultPath": PATH,
        "Output": ANY,
        "Assign": OBJECT,
    },
    ("ErrorEquals", "Next"),
)
RECOVERY: Final[dict[str, Schema]] = {
    "Retry": {"type": "array", "items": RETRIER},
    "Catch": {"type": "array", "items": CATCHER},
}
REQUEST: Final[dict[str, Schema]] = {"Parameters": ANY, "Arguments": {"anyOf": [OBJECT, JSONATA]}}


def _operand(kind: str) -> Schema:
    return {"string": STRING, "timestamp": STRING, "number": {"type": "number"}, "boolean": {"type": "boolean"}}[kind]


_RULE_FIELDS: Final[dict[str, Schema]] = {
    "Variable": STRING,
    "Condition": {"anyOf": [JSONATA, {"type": "boolean"}]},
    "And": {"type": "array", "items": {"$ref": "#/$defs/nestedRule"}, "minItems": 1},
    "Or": {"type": "array", "items": {"$ref": "#/$defs/nestedRule"}, "minItems": 1},
    "Not": {"$ref": "#/$defs/nestedRule"},
    **{op: _operand(kind) for op, kind in COMPARISON_OPERATORS.items()},
    **{op: STRING for op in PATH_OPERATORS},
}

STATE_FIELDS: Final[dict[str, dict[str, Schema]]] = {
    "Task": {
        **COMMON,
        **FLOW,
        **IO,
        **RESULT,
        **RECOVERY,
        **REQUEST,
        "Resource": STRING,
        "Credentials": OBJECT,
        "TimeoutSeconds": _count(1),
        "TimeoutSecondsPath": STRING,
        "HeartbeatSeconds": _count(1),
        "HeartbeatSecondsPath": STRING,
    },
    "Pass": {**COMMON, **FLOW, **IO, "ResultPath": PATH, "Parameters": ANY, "Result": ANY},
    "Wait": {
        **COMMON,
        **FLOW,
        **IO,
        "Seconds": _count(0),
        "SecondsPath": STRING,
        "Timestamp": STRING,
        "TimestampPath": STRING,
    },
    "Succeed": {**COMMON, "InputPath": PATH, "OutputPath": PATH, "Output": ANY},
    "Fail": {**COMMON, "Error": STRING, "ErrorPath": STRING, "Cause": STRING, "CausePath": STRING},
    "Choice": {
        **COMMON,
        **IO,
        "Choices": {"type": "array", "items": {"$ref": "#/$defs/choiceRule"}, "minItems": 1},
        "Default": STRING,
    },
    "Parallel": {
        **COMMON,
        **FLOW,
        **IO,
        **RESULT,
        **RECOVERY,
        **REQUEST,
        "Branches": {"type": "array", "items": {"$ref": "#/$defs/graph"}, "minItems": 1},
    },
    "Map": {
        **COMMON,
        **FLOW,
        **IO,
        **RESULT,
        **RECOVERY,
        "Parameters": ANY,
        "ItemsPath": STRING,
        "Items": {"anyOf": [{"type": "array"}, JSONATA]},
        "ItemSelector": ANY,
        "ItemProcessor": {"$ref": "#/$defs/processor"},
        "Iterator": {"$ref": "#/$defs/graph"},
        "ItemReader": _obj(
            {
                "Resource": STRING,
                "ReaderConfig": _obj(
                    {
                        "InputType": {"enum": ["CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"]},
                        "CSVHeaderLocation": {"enum": ["FIRST_ROW", "GIVEN"]},
                        "CSVHeaders": {"type": "array", "items": STRING},
                        "CSVDelimiter": {"enum": ["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"]},
                        "ManifestType": {"enum": ["ATHENA_DATA", "S3_INVENTORY", "S3_OBJECTS"]},
                        "MaxItems": _count(1),
                        "MaxItemsPath": STRING,
                    }
                ),
                **REQUEST,
            },
            ("Resource",),
        ),
        "ItemBatcher": _obj(
            {
                "MaxItemsPerBatch": _count(1),
                "MaxItemsPerBatchPath": STRING,
                "MaxInputBytesPerBatch": _count(1),
                "MaxInputBytesPerBatchPath": STRING,
                "BatchInput": ANY,
            }
        ),
        "ResultWriter": _obj(
            {
                "Resource": STRING,
                **REQUEST,
                "WriterConfig": _obj(
                    {
                        "OutputType": {"enum": ["JSON", "JSONL"]},
                        "Transformation": {"enum": ["NONE", "COMPACT", "FLATTEN"]},
                    }
                ),
            }
        ),
        "MaxConcurrency": _count(0),
        "MaxConcurrencyPath": STRING,
        "ToleratedFailureCount": _count(0),
        "ToleratedFailureCountPath": STRING,
        "ToleratedFailurePercentage": {"anyOf": [{"type": "number", "minimum": 0, "maximum": 100}, JSONATA]},
        "ToleratedFailurePercentagePath": STRING,
        "Label": STRING,  # CDK's DistributedMap refuses over 40 characters, AWS runs longer ones: a warning
    },
}
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "Task": ("Resource",),
    "Choice": ("Choices",),
    "Parallel": ("Branches",),
}

GRAPH_FIELDS: Final[dict[str, Schema]] = {
    "Comment": STRING,
    "StartAt": STRING,
    "States": {"type": "object", "minProperties": 1, "additionalProperties": {"$ref": "#/$defs/state"}},
}


def _state_schema() -> Schema:
    return {
        "type": "object",
        "required": ["Type"],
        "properties": {"Type": {"enum": sorted(STATE_FIELDS)}},
        "allOf": [
            {
                "if": {"properties": {"Type": {"const": type_}}, "required": ["Type"]},
                "then": _obj(fields, REQUIRED.get(type_, ())),
            }
            for type_, fields in STATE_FIELDS.items()
        ],
    }


ASL_SCHEMA: Final[Schema] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://aslkit.dev/schemas/asl.json",
    "title": "Amazon States Language state machine",
    **_obj(
        {
            **GRAPH_FIELDS,
            "QueryLanguage": {"enum": ["JSONPath", "JSONata"]},
            "TimeoutSeconds": {"type": "integer", "minimum": 1, "maximum": 99999999},
            "Version": STRING,
        },
        ("StartAt", "States"),
    ),
    "$defs": {
        "state": _state_schema(),
        "graph": _obj(GRAPH_FIELDS, ("StartAt", "States")),
        "processor": _obj(
            {
                **GRAPH_FIELDS,
                "ProcessorConfig": _obj(
                    {"Mode": {"enum": ["INLINE", "DISTRIBUTED"]}, "ExecutionType": {"enum": ["STANDARD", "EXPRESS"]}}
                ),
            },
            ("StartAt", "States"),
        ),
        "choiceRule": _obj(
            {**_RULE_FIELDS, "Next": STRING, "Comment": STRING, "Assign": OBJECT, "Output": ANY}, ("Next",)
        ),
        "nestedRule": _obj({**_RULE_FIELDS, "Comment": STRING}),  # statelint's grammar allows it; AWS runs it
    },
}


@functools.cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(ASL_SCHEMA)
    return Draft202012Validator(ASL_SCHEMA)


def schema_findings(document: object) -> list[Finding]:
    """Every schema violation as a finding with the pointer of the offending value."""
    findings: list[Finding] = []
    for error in _validator().iter_errors(document):
        findings.extend(_explain(error))
    return findings


def _explain(error: ValidationError) -> list[Finding]:
    location = pointer(*error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        what = f"a {instance['Type']} state" if isinstance(instance.get("Type"), str) else "this object"
        return [
            Finding(
                location + pointer(key),
                "schema",
                Severity.ERROR,
                f"{key!r} is not a field of {what}; the fields it takes are: {', '.join(allowed)}",
            )
            for key in instance
            if key not in allowed
        ]
    if error.validator == "required":
        return [Finding(location, "schema", Severity.ERROR, f"{error.message}: add it")]
    if error.validator == "anyOf" and error.schema.get("anyOf") and JSONATA in error.schema["anyOf"]:
        alternatives = [s for s in error.schema["anyOf"] if s is not JSONATA]
        expected = " or ".join(
            f"{s.get('type')}" + (f" >= {s['minimum']}" if "minimum" in s else "") for s in alternatives
        )
        return [
            Finding(
                location, "schema", Severity.ERROR, f"{instance!r} must be {expected} or a JSONata '{{% ... %}}' string"
            )
        ]
    return [Finding(location, "schema", Severity.ERROR, error.message)]

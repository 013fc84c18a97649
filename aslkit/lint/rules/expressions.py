"""Rules on expressions: JSONPath paths and reference paths, `.$` values, intrinsics, JSONata `{% %}`."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any, Final

from aslkit.asl.conditions import PATH_OPERATORS as _CHOICE_PATH_OPERATORS
from aslkit.lint import intrinsics
from aslkit.lint.findings import pointer
from aslkit.lint.jsonpath import check_path
from aslkit.lint.model import Document, StateView, walk_values

Found = Iterator[tuple[str, str, str]]

#: Fields holding a path that may select many nodes.
PATH_FIELDS: Final = ("InputPath", "OutputPath")
#: Fields holding a reference path (one node); ResultPath also may not use the context object.
REFERENCE_FIELDS: Final = ("ItemsPath", "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
                           "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
                           "MaxItemsPath", "MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath")  # fmt: skip
#: Fields that are a reference path or an intrinsic function.
REFERENCE_OR_INTRINSIC: Final = ("ErrorPath", "CausePath")
#: Fields whose content is data, never evaluated.
LITERAL_FIELDS: Final = ("Result", "Comment")
#: a `${name}` placeholder (DefinitionSubstitutions), filled as text before Step Functions reads the definition
PLACEHOLDER = re.compile(r"\$\{[^}]+\}")
#: Fields that hold sub-graphs, checked as graphs of their own.
GRAPH_FIELDS: Final = ("Branches", "ItemProcessor", "Iterator")


def _evaluated_values(state: StateView) -> Iterator[tuple[str, str | None, Any]]:
    """Every value of the state that Step Functions evaluates (not sub-graphs, not Result or Comment)."""
    for key, value in state.body.items():
        if key in LITERAL_FIELDS or key in GRAPH_FIELDS:
            continue
        ptr = state.at(key)
        yield ptr, key, value
        yield from walk_values(value, ptr)


def paths(doc: Document) -> Found:
    for state in doc.states():
        if state.query_language == "JSONata":
            continue
        for ptr, key, value in _path_fields(state):
            if not isinstance(value, str):
                continue
            if key in PATH_FIELDS or key == "Variable" or key in _CHOICE_PATH_OPERATORS:
                problem = check_path(value)
                if problem:
                    yield "invalid-path", ptr, problem.message
            elif key == "ResultPath":
                problem = check_path(value, reference=True, allow_context=False)
                if problem:
                    yield "invalid-reference-path", ptr, problem.message
            elif key in REFERENCE_OR_INTRINSIC and intrinsics.is_intrinsic(value):
                yield from _dynamic_value(ptr, value)
            else:
                problem = check_path(value, reference=True)
                if problem:
                    yield "invalid-reference-path", ptr, problem.message
        for ptr, dynamic_key, dynamic in _evaluated_values(state):
            if isinstance(dynamic_key, str) and dynamic_key.endswith(".$"):
                if isinstance(dynamic, str):
                    yield from _dynamic_value(ptr, dynamic)
                else:
                    yield ("payload-template", ptr, f"{dynamic_key!r} takes a path or an intrinsic function as a "
                           f"string, not {json.dumps(dynamic)[:60]}: drop the '.$' for a literal value")  # fmt: skip
        for ptr, _, template in _evaluated_values(state):
            if isinstance(template, dict):
                for key in template:
                    if isinstance(key, str) and key.endswith(".$") and key[:-2] in template:
                        yield ("payload-template", ptr + pointer(key), f"both {key[:-2]!r} and {key!r}: Step Functions "
                               "refuses the definition (one field, one value); keep one of them")  # fmt: skip


def _path_fields(state: StateView) -> Iterator[tuple[str, str, Any]]:
    """(pointer, field, value) of every field that holds a path, wherever ASL puts one."""
    wanted = (*PATH_FIELDS, "ResultPath", *REFERENCE_FIELDS, *REFERENCE_OR_INTRINSIC)
    body = state.body
    for key in wanted:
        if key in body:
            yield state.at(key), key, body[key]
    for index, catcher in enumerate(body.get("Catch") or []):
        if isinstance(catcher, dict) and "ResultPath" in catcher:
            yield state.at("Catch", index, "ResultPath"), "ResultPath", catcher["ResultPath"]
    for sub in ("ItemReader", "ItemBatcher"):
        obj = body.get(sub)
        if isinstance(obj, dict):
            config = obj.get("ReaderConfig") if sub == "ItemReader" else obj
            base = state.at(sub, "ReaderConfig") if sub == "ItemReader" else state.at(sub)
            if isinstance(config, dict):
                for key in REFERENCE_FIELDS:
                    if key in config:
                        yield base + pointer(key), key, config[key]
    for index, rule in enumerate(body.get("Choices") or []):
        yield from _rule_paths(rule, state.at("Choices", index))


def _rule_paths(rule: Any, ptr: str) -> Iterator[tuple[str, str, Any]]:
    if not isinstance(rule, dict):
        return
    for key, value in rule.items():
        if key == "Variable" or key in _CHOICE_PATH_OPERATORS:
            yield ptr + pointer(key), key, value
        elif key in ("And", "Or") and isinstance(value, list):
            for index, item in enumerate(value):
                yield from _rule_paths(item, ptr + pointer(key, index))
        elif key == "Not":
            yield from _rule_paths(value, ptr + pointer(key))


def _dynamic_value(ptr: str, value: str) -> Found:
    if intrinsics.is_intrinsic(value):
        for rule, message in intrinsics.problems(value):
            yield rule, ptr, message
        return
    problem = check_path(value)
    if problem:
        yield "invalid-path", ptr, problem.message + " (a '.$' key takes a path or an intrinsic function)"


def jsonata_expressions(doc: Document) -> Found:
    for state in doc.states():
        jsonata = state.query_language == "JSONata"
        for ptr, key, value in _evaluated_values(state):
            if jsonata and isinstance(key, str) and key.endswith(".$"):
                yield (
                    "jsonpath-in-jsonata",
                    ptr,
                    f"'{key}' is JSONPath syntax; in JSONata state {state.name!r} write "
                    f'"{key[:-2]}": "{{% <expression> %}}"',
                )
            if not isinstance(value, str) or "{%" not in value:
                continue
            stripped = value.strip()
            whole = stripped.startswith("{%") and stripped.endswith("%}")
            if not jsonata:
                if whole:
                    yield (
                        "jsonata-in-jsonpath",
                        ptr,
                        f"state {state.name!r} uses JSONPath, so this '{{% %}}' text is passed on as it is; "
                        "set QueryLanguage to JSONata to evaluate it",
                    )
                continue
            if not whole:
                yield (
                    "jsonata-delimiters",
                    ptr,
                    "a JSONata expression must be the whole string, '{% ... %}'; build text inside it with '&'",
                )
                continue
            # a ${placeholder} is text filled at deploy time, a number or a name inside quotes: parse it as 0
            error = jsonata_error(PLACEHOLDER.sub("0", stripped[2:-2]))
            if error:
                yield "jsonata-syntax", ptr, f"JSONata does not parse: {error}"


@functools.lru_cache(maxsize=4096)
def jsonata_error(expression: str) -> str | None:
    """The parser's message for an invalid JSONata expression, None when it parses."""
    import jsonata

    if not expression.strip():
        return "the expression is empty"
    try:
        jsonata.Jsonata(expression)
    except Exception as error:  # jsonata-python raises JException (a RuntimeError) and others
        return str(error) or type(error).__name__
    return None


CHECKS = (paths, jsonata_expressions)

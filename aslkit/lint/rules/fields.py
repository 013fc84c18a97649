"""Rules on which fields a state may carry: query language, mutually exclusive pairs, Map mode, timeouts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from aslkit.lint.findings import pointer
from aslkit.lint.model import Document, StateView

Found = Iterator[tuple[str, str, str]]

#: JSONPath-only fields and what to write in a JSONata state instead.
JSONPATH_ONLY: Final[dict[str, str]] = {
    "InputPath": "refer to $states.input inside the expressions that need it",
    "Parameters": "write Arguments",
    "ResultSelector": "write Output (with $states.result)",
    "ResultPath": "write Output (merge $states.input and $states.result) or Assign",
    "OutputPath": "write Output",
    "ItemsPath": "write Items",
    "Iterator": "write ItemProcessor",
    "SecondsPath": "write Seconds as '{% ... %}'",
    "TimestampPath": "write Timestamp as '{% ... %}'",
    "TimeoutSecondsPath": "write TimeoutSeconds as '{% ... %}'",
    "HeartbeatSecondsPath": "write HeartbeatSeconds as '{% ... %}'",
    "ErrorPath": "write Error as '{% ... %}'",
    "CausePath": "write Cause as '{% ... %}'",
    "MaxConcurrencyPath": "write MaxConcurrency as '{% ... %}'",
    "ToleratedFailureCountPath": "write ToleratedFailureCount as '{% ... %}'",
    "ToleratedFailurePercentagePath": "write ToleratedFailurePercentage as '{% ... %}'",
    "MaxItemsPath": "write MaxItems as '{% ... %}'",
    "MaxItemsPerBatchPath": "write MaxItemsPerBatch as '{% ... %}'",
    "MaxInputBytesPerBatchPath": "write MaxInputBytesPerBatch as '{% ... %}'",
}
#: JSONata-only fields and what to write in a JSONPath state instead.
JSONATA_ONLY: Final[dict[str, str]] = {
    "Arguments": "write Parameters (or set QueryLanguage to JSONata)",
    "Output": "write ResultSelector/ResultPath/OutputPath (or set QueryLanguage to JSONata)",
    "Items": "write ItemsPath (or set QueryLanguage to JSONata)",
    "Condition": "write Variable and a comparison operator (or set QueryLanguage to JSONata)",
}
NUMERIC_FIELDS: Final = ("Seconds", "TimeoutSeconds", "HeartbeatSeconds", "MaxConcurrency",
                         "ToleratedFailureCount", "ToleratedFailurePercentage")  # fmt: skip


def _nested_objects(state: StateView) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, object) of the state and of its sub-objects that follow its query language."""
    body = state.body
    yield state.ptr, body
    for key in ("Catch", "Choices"):
        for index, item in enumerate(body.get(key) or []):
            if isinstance(item, dict):
                yield state.at(key, index), item
    for key in ("ItemReader", "ResultWriter"):
        if isinstance(body.get(key), dict):
            yield state.at(key), body[key]
    reader_config = (
        (body.get("ItemReader") or {}).get("ReaderConfig") if isinstance(body.get("ItemReader"), dict) else None
    )
    if isinstance(reader_config, dict):
        yield state.at("ItemReader", "ReaderConfig"), reader_config
    if isinstance(body.get("ItemBatcher"), dict):
        yield state.at("ItemBatcher"), body["ItemBatcher"]


def query_language_field(doc: Document) -> Found:
    for state in doc.states():
        jsonata = state.query_language == "JSONata"
        forbidden = JSONPATH_ONLY if jsonata else JSONATA_ONLY
        other = "JSONPath" if jsonata else "JSONata"
        for ptr, obj in _nested_objects(state):
            for key in obj:
                if key in forbidden:
                    advice = forbidden[key]
                    yield (
                        "query-language-field",
                        ptr + pointer(key),
                        f"{key} is a {other} field and state {state.name!r} uses {state.query_language}: {advice}",
                    )
        if not jsonata:
            for key in NUMERIC_FIELDS:
                value = state.body.get(key)
                if isinstance(value, str):
                    yield (
                        "query-language-field",
                        state.at(key),
                        f"{key} takes a number in a JSONPath state; for a value from the input write {key}Path",
                    )


EXCLUSIVE: Final[tuple[tuple[str, ...], ...]] = (
    ("Error", "ErrorPath"),
    ("Cause", "CausePath"),
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ("ItemsPath", "Items"),
)
_NEXTABLE: Final = ("Task", "Pass", "Wait", "Parallel", "Map")


def mutually_exclusive(doc: Document) -> Found:
    for state in doc.states():
        body = state.body
        for group in EXCLUSIVE:
            present = [key for key in group if key in body]
            if len(present) > 1:
                yield (
                    "mutually-exclusive",
                    state.at(present[1]),
                    f"{' and '.join(present)} exclude each other: keep one",
                )
        for ptr, obj, group in _sub_exclusive(state):
            present = [key for key in group if key in obj]
            if len(present) > 1:
                yield (
                    "mutually-exclusive",
                    ptr + pointer(present[1]),
                    f"{' and '.join(present)} exclude each other: keep one",
                )
        if state.type in _NEXTABLE:
            has_next, has_end = "Next" in body, body.get("End") is True
            if has_next == has_end:
                what = "both Next and End" if has_next else "neither Next nor End"
                yield (
                    "mutually-exclusive",
                    state.ptr,
                    f"a {state.type} state has exactly one of Next and End; it has {what}",
                )
        if state.type == "Wait":
            present = [k for k in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if k in body]
            if len(present) != 1:
                what = ", ".join(present) if present else "none"
                yield (
                    "mutually-exclusive",
                    state.ptr,
                    f"a Wait state has exactly one of Seconds, SecondsPath, Timestamp, TimestampPath; it has {what}",
                )
        if state.type == "Map":
            present = [k for k in ("ItemProcessor", "Iterator") if k in body]
            if len(present) != 1:
                yield (
                    "mutually-exclusive",
                    state.ptr,
                    "a Map state has exactly one of ItemProcessor and Iterator (deprecated): write ItemProcessor",
                )
            if "Parameters" in body and "ItemSelector" in body:
                yield (
                    "mutually-exclusive",
                    state.at("Parameters"),
                    "Parameters (deprecated) and ItemSelector exclude each other: keep ItemSelector",
                )


def _sub_exclusive(state: StateView) -> Iterator[tuple[str, dict[str, Any], tuple[str, ...]]]:
    reader = state.body.get("ItemReader")
    if isinstance(reader, dict) and isinstance(reader.get("ReaderConfig"), dict):
        yield state.at("ItemReader", "ReaderConfig"), reader["ReaderConfig"], ("MaxItems", "MaxItemsPath")
    batcher = state.body.get("ItemBatcher")
    if isinstance(batcher, dict):
        yield state.at("ItemBatcher"), batcher, ("MaxItemsPerBatch", "MaxItemsPerBatchPath")
        yield state.at("ItemBatcher"), batcher, ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")


def heartbeat_timeout(doc: Document) -> Found:
    for state in doc.states():
        heartbeat, timeout = state.body.get("HeartbeatSeconds"), state.body.get("TimeoutSeconds")
        if isinstance(heartbeat, int) and isinstance(timeout, int) and heartbeat >= timeout:
            yield (
                "heartbeat-timeout",
                state.at("HeartbeatSeconds"),
                f"HeartbeatSeconds ({heartbeat}) must be smaller than TimeoutSeconds ({timeout}), "
                "or a missed heartbeat can never be noticed before the timeout",
            )


DISTRIBUTED_ONLY: Final = ("ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailureCount",
                           "ToleratedFailureCountPath", "ToleratedFailurePercentage",
                           "ToleratedFailurePercentagePath", "Label")  # fmt: skip


def distributed_only(doc: Document) -> Found:
    for state in doc.states():
        if state.type != "Map":
            continue
        processor = state.body.get("ItemProcessor")
        config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
        config = config if isinstance(config, dict) else {}
        if config.get("Mode") == "DISTRIBUTED":
            if "ExecutionType" not in config:
                yield (
                    "distributed-only",
                    state.at("ItemProcessor", "ProcessorConfig"),
                    "a distributed Map needs ProcessorConfig.ExecutionType: STANDARD or EXPRESS",
                )
            continue
        for key in DISTRIBUTED_ONLY:
            if key in state.body:
                yield (
                    "distributed-only",
                    state.at(key),
                    f"{key} only applies to a distributed Map: set ItemProcessor.ProcessorConfig.Mode to DISTRIBUTED",
                )
        if "ExecutionType" in config:
            yield (
                "distributed-only",
                state.at("ItemProcessor", "ProcessorConfig", "ExecutionType"),
                "ExecutionType only applies to a distributed Map: set Mode to DISTRIBUTED or remove it",
            )


def unbounded_wait(doc: Document) -> Found:
    for state in doc.states():
        resource = state.body.get("Resource")
        if state.type != "Task" or not isinstance(resource, str) or not resource.endswith(".waitForTaskToken"):
            continue
        if not any(
            k in state.body
            for k in ("HeartbeatSeconds", "HeartbeatSecondsPath", "TimeoutSeconds", "TimeoutSecondsPath")
        ):
            yield (
                "unbounded-wait",
                state.ptr,
                f"callback task {state.name!r} has no TimeoutSeconds or HeartbeatSeconds: a lost token waits "
                "for a year. Bound it",
            )


#: AWS's quota on a state's name (the ASL specification: "MUST NOT exceed 80 Unicode characters")
STATE_NAME_MAX: Final = 80
#: CDK's DistributedMap refuses a longer Label; AWS itself runs longer ones (found in production definitions)
LABEL_CDK_MAX: Final = 40
_RESOURCE = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+")
_WHOLE_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
#: a Lambda function ARN's name and optional qualifier (version, alias or $LATEST), as the Lambda API takes them
_LAMBDA_FUNCTION = re.compile(r"arn:[^:]+:lambda:[^:]*:[^:]*:function:(?P<rest>.*)")
_FUNCTION_REF = re.compile(r"[A-Za-z0-9_-]+(:(\$LATEST|[A-Za-z0-9_-]+))?")


def state_names(doc: Document) -> Found:
    for state in doc.states():
        if len(state.name) > STATE_NAME_MAX:
            yield ("state-name", state.ptr, f"the state name {state.name[:30]!r}... has {len(state.name)} "
                   f"characters; Step Functions takes at most {STATE_NAME_MAX}")  # fmt: skip


def task_resources(doc: Document) -> Found:
    for state in doc.states():
        resource = state.body.get("Resource")
        if state.type != "Task" or not isinstance(resource, str) or resource.startswith("{%"):
            continue
        filled = _WHOLE_PLACEHOLDER.sub("P", resource)  # a placeholder is filled at deploy time: any segment
        if "${" in filled:
            yield ("task-resource", state.at("Resource"), f"{resource!r} has a placeholder without its closing "
                   "'}': write ${name}")  # fmt: skip
            continue
        if _WHOLE_PLACEHOLDER.fullmatch(resource):
            continue
        if not _RESOURCE.fullmatch(filled):
            yield ("task-resource", state.at("Resource"), f"{resource!r} is not an ARN: write a service "
                   "integration (arn:aws:states:::lambda:invoke), a function, activity or service ARN, or a "
                   "${placeholder}")  # fmt: skip
            continue
        function = _LAMBDA_FUNCTION.fullmatch(filled)
        if function and not _FUNCTION_REF.fullmatch(function["rest"]):
            yield ("task-resource", state.at("Resource"), f"{resource!r}: a function is named by letters, digits, "
                   "'-' and '_', with an optional ':' and a version, alias or $LATEST")  # fmt: skip


def map_labels(doc: Document) -> Found:
    for state in doc.states():
        label = state.body.get("Label")
        if state.type == "Map" and isinstance(label, str) and len(label) > LABEL_CDK_MAX:
            yield ("map-label", state.at("Label"), f"the Label has {len(label)} characters: AWS runs it, but CDK's "
                   f"DistributedMap refuses more than {LABEL_CDK_MAX}")  # fmt: skip


CHECKS = (query_language_field, mutually_exclusive, heartbeat_timeout, distributed_only, unbounded_wait,
          state_names, task_resources, map_labels)  # fmt: skip

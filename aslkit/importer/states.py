"""One ASL state back to the builder call that renders it: `Task(...)`, `lambda_invoke(...)`, `Map(...)` ...

Each state type has a table of the ASL fields its builder takes, with the kind of value each holds. A field the
builder does not take, or a value it cannot render the same way, is refused with the state and the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from aslkit.asl import errors as asl_errors
from aslkit.asl.integrations import Pattern, parse_resource, resource_arn
from aslkit.asl.policies import Retry
from aslkit.errors import UserInputError
from aslkit.importer.code import Node, Raw, call, list_of, literal
from aslkit.importer.values import ASL, Language, Values, effective_language

Kind = Literal["value", "data", "path", "text", "number"]
State = Mapping[str, object]


class ImportRefused(UserInputError):
    """A definition (or one of its states) that the builders cannot reproduce exactly."""


#: ASL field -> (builder keyword, kind), per state type; the common fields (`Comment`, `QueryLanguage`, `Assign`)
#: and the structural ones (`Next`, `End`, `Retry`, `Catch`, sub-graphs, Choice rules) are handled apart.
_IO: Final[dict[str, tuple[str, Kind]]] = {
    "InputPath": ("input_path", "path"),
    "OutputPath": ("output_path", "path"),
    "Output": ("output", "value"),
}
_RESULT: Final[dict[str, tuple[str, Kind]]] = {
    "ResultSelector": ("result_selector", "value"),
    "ResultPath": ("result_path", "path"),
}
FIELDS: Final[dict[str, dict[str, tuple[str, Kind]]]] = {
    "Task": {
        "Credentials": ("credentials", "value"),
        **_IO,
        **_RESULT,
        "TimeoutSeconds": ("timeout_seconds", "number"),
        "TimeoutSecondsPath": ("timeout_seconds_path", "text"),
        "HeartbeatSeconds": ("heartbeat_seconds", "number"),
        "HeartbeatSecondsPath": ("heartbeat_seconds_path", "text"),
    },
    "Pass": {
        "Parameters": ("parameters", "value"),
        "Result": ("result", "data"),
        "ResultPath": ("result_path", "path"),
        **_IO,
    },
    "Wait": {
        "Seconds": ("seconds", "number"),
        "SecondsPath": ("seconds_path", "text"),
        "Timestamp": ("timestamp", "text"),
        "TimestampPath": ("timestamp_path", "text"),
        **_IO,
    },
    "Succeed": dict(_IO),
    "Fail": {
        "Error": ("error", "text"),
        "ErrorPath": ("error_path", "text"),
        "Cause": ("cause", "text"),
        "CausePath": ("cause_path", "text"),
    },
    "Choice": dict(_IO),
    "Parallel": {"Parameters": ("parameters", "value"), "Arguments": ("arguments", "value"), **_IO, **_RESULT},
    "Map": {
        "ItemsPath": ("items_path", "text"),
        "Items": ("items", "value"),
        "ItemSelector": ("item_selector", "value"),
        "Parameters": ("parameters", "value"),  # the legacy ItemSelector, with the legacy Iterator
        "MaxConcurrency": ("max_concurrency", "number"),
        "MaxConcurrencyPath": ("max_concurrency_path", "text"),
        "ToleratedFailureCount": ("tolerated_failure_count", "number"),
        "ToleratedFailureCountPath": ("tolerated_failure_count_path", "text"),
        "ToleratedFailurePercentage": ("tolerated_failure_percentage", "number"),
        "ToleratedFailurePercentagePath": ("tolerated_failure_percentage_path", "text"),
        "Label": ("label", "text"),
        **_IO,
        **_RESULT,
    },
}
_STRUCTURE: Final[dict[str, frozenset[str]]] = {
    "Task": frozenset({"Resource", "Parameters", "Arguments", "Retry", "Catch", "Next", "End"}),
    "Pass": frozenset({"Next", "End"}),
    "Wait": frozenset({"Next", "End"}),
    "Succeed": frozenset(),
    "Fail": frozenset(),
    "Choice": frozenset({"Choices", "Default"}),
    "Parallel": frozenset({"Branches", "Retry", "Catch", "Next", "End"}),
    "Map": frozenset(
        {"ItemProcessor", "Iterator", "ItemReader", "ItemBatcher", "ResultWriter", "Retry", "Catch", "Next", "End"}
    ),
}
_NO_ASSIGN: Final = frozenset({"Succeed", "Fail"})
_RETRY_FIELDS: Final = {
    "IntervalSeconds": "interval_seconds",
    "MaxAttempts": "max_attempts",
    "BackoffRate": "backoff_rate",
    "MaxDelaySeconds": "max_delay_seconds",
    "JitterStrategy": "jitter_strategy",
    "Comment": "comment",
}
_CATCH_FIELDS: Final = {"ResultPath": "result_path", "Output": "output", "Assign": "assign", "Comment": "comment"}
_READER_CONFIG: Final = {
    "InputType": "input_type",
    "CSVHeaderLocation": "csv_header_location",
    "CSVHeaders": "csv_headers",
    "CSVDelimiter": "csv_delimiter",
    "ManifestType": "manifest_type",
    "MaxItems": "max_items",
    "MaxItemsPath": "max_items_path",
}
_BATCHER: Final[dict[str, tuple[str, Kind]]] = {
    "MaxItemsPerBatch": ("max_items_per_batch", "number"),
    "MaxItemsPerBatchPath": ("max_items_per_batch_path", "text"),
    "MaxInputBytesPerBatch": ("max_input_bytes_per_batch", "number"),
    "MaxInputBytesPerBatchPath": ("max_input_bytes_per_batch_path", "text"),
    "BatchInput": ("batch_input", "value"),
}


def retry_key(retriers: object) -> str:
    """The identity of a Retry list, for sharing one between states."""
    return json.dumps(retriers, sort_keys=True)


def _error_names() -> dict[str, str]:
    """Error name -> the imported constant that spells it (`States.TaskFailed` -> `States.TASK_FAILED`)."""
    names: dict[str, str] = {}
    for holder in (asl_errors.States, asl_errors.Lambda):
        for attribute, value in vars(holder).items():
            if attribute.isupper() and isinstance(value, str):
                names[value] = f"{holder.__name__}.{attribute}"
    return names


ERROR_NAMES: Final = _error_names()


class StateWriter:
    """Builder calls for the states of one definition. `var` gives the variable that holds a state."""

    def __init__(self, values: Values, var: Callable[[str], str]) -> None:
        self.values = values
        self.var = var
        #: `Retry` lists that several states share (by their JSON): the module defines each once, by this name
        self.shared_retries: dict[str, str] = {}

    def use(self, name: str, module: str = ASL) -> str:
        return self.values.module.use(module, name)

    # -- states ----------------------------------------------------------------------------------------------------
    def constructor(self, name: str, state: State, language: Language, *, catch: bool) -> Node:
        """The call that builds `state`; `catch=False` leaves its catchers to `add_catch` (a catch cycle)."""
        kind = state.get("Type")
        if not isinstance(kind, str) or kind not in FIELDS:
            raise ImportRefused(f"state {name!r}: Type {kind!r} is not a state type the builders know")
        effective = effective_language(state, language)
        self._refuse_unknown(name, kind, state)
        keywords: dict[str, Node | None] = {}
        for field, (keyword, value_kind) in FIELDS[kind].items():
            if field in state:
                keywords[keyword] = self._field(name, field, state[field], value_kind, effective)
        if kind in ("Task", "Parallel", "Map"):
            keywords["retry"] = self._retriers(name, state.get("Retry"))
            keywords["catch"] = self._catchers(name, state.get("Catch"), effective) if catch else None
        keywords["comment"] = self._text(state.get("Comment"))
        keywords["query_language"] = self._text(state.get("QueryLanguage"))
        if kind not in _NO_ASSIGN and "Assign" in state:
            keywords["assign"] = self.values.value(state["Assign"], effective)
        label = literal(name)
        if kind == "Task":
            return self._task(label, name, state, effective, keywords)
        if kind == "Parallel":
            branches = state.get("Branches")
            if not isinstance(branches, list):
                raise ImportRefused(f"state {name!r}: Branches must be a list of graphs")
            keywords = {"branches": list_of([Raw(self.var(str(b["StartAt"]))) for b in branches]), **keywords}
        if kind == "Map":
            keywords = {**self._map(name, state, effective), **keywords}
        return call(self.use(kind), label, **keywords)

    def catchers(self, name: str, state: State, language: Language) -> list[_Args]:
        """`Catch(...)` arguments of `add_catch` for each catcher, in order."""
        effective = effective_language(state, language)
        return [self._catch_args(name, c, effective) for c in self._list(name, "Catch", state.get("Catch"))]

    # -- Task ------------------------------------------------------------------------------------------------------
    def _task(self, label: Node, name: str, state: State, language: Language, keywords: dict[str, Node | None]) -> Node:
        resource = state.get("Resource")
        if not isinstance(resource, str):
            raise ImportRefused(f"state {name!r}: Resource must be a string")
        request_field, other_field = (
            ("Arguments", "Parameters") if language == "JSONata" else ("Parameters", "Arguments")
        )
        if other_field in state:  # the other language's field, kept under its own name
            keywords[other_field.lower()] = self.values.value(state[other_field], language)
        request = state.get(request_field)
        if request_field in state and request is None:
            raise ImportRefused(f"state {name!r}: {request_field} is null, which the builders cannot write")
        integration = _integration(resource)
        if integration is not None:
            service, action, pattern = integration
            pattern_node = None if pattern is Pattern.REQUEST_RESPONSE else Raw(f"{self.use('Pattern')}.{pattern.name}")
            payload = self._payload(request, language) if _lambda_request(request) else None
            if (service, action) == ("lambda", "invoke") and payload is not None:
                assert isinstance(request, Mapping)
                return call(
                    self.use("lambda_invoke"),
                    label,
                    function=self.values.string(str(request["FunctionName"]), language),
                    payload=payload.node,
                    invocation_type=self._text(request.get("InvocationType")),
                    pattern=pattern_node,
                    **keywords,
                )
            request_node = self.values.value(request, language) if request_field in state else None
            if service.startswith("aws-sdk:"):
                args = [literal(service.removeprefix("aws-sdk:")), literal(action)]
                return call(
                    self.use("aws_sdk"),
                    label,
                    *args,
                    *([request_node] if request_node else []),
                    pattern=pattern_node,
                    **keywords,
                )
            return call(
                self.use("service_task"),
                label,
                literal(service),
                literal(action),
                *([request_node] if request_node else []),
                pattern=pattern_node,
                **keywords,
            )
        request_node = self.values.value(request, language) if request_field in state else None
        return call(
            self.use("Task"), label, resource=self.values.string(resource, language), request=request_node, **keywords
        )

    def _payload(self, request: object, language: Language) -> _Payload | None:
        """The `payload=` of `lambda_invoke`, or None when the helper cannot write this request."""
        assert isinstance(request, Mapping)
        if "Payload.$" in request:
            dynamic = self.values.dynamic(request["Payload.$"])
            return None if dynamic is None else _Payload(dynamic)
        return _Payload(self.values.value(request["Payload"], language) if "Payload" in request else None)

    # -- Map -------------------------------------------------------------------------------------------------------
    def _map(self, name: str, state: State, language: Language) -> dict[str, Node | None]:
        legacy = state.get("Iterator")
        if isinstance(legacy, Mapping):  # a definition older than 2022: AWS still reads it
            self._only(name, "Iterator", legacy, {"StartAt", "States"})
            return {"processor": Raw(self.var(str(legacy["StartAt"]))), "legacy": Raw("True")}
        if "Parameters" in state:
            raise ImportRefused(f"Map {name!r}: Parameters (the legacy ItemSelector) beside an ItemProcessor",
                                hint="rename it ItemSelector and import again")  # fmt: skip
        processor = state.get("ItemProcessor")
        if not isinstance(processor, Mapping):
            raise ImportRefused(f"Map {name!r} has no ItemProcessor")
        extra = set(processor) - {"Comment", "ProcessorConfig", "StartAt", "States"}
        config = processor.get("ProcessorConfig", None)
        empty = config == {}  # an explicit empty ProcessorConfig: the builders leave it out instead
        config = {} if config is None else config
        if extra or not isinstance(config, Mapping) or set(config) - {"Mode", "ExecutionType"} or empty:
            raise ImportRefused(
                f"Map {name!r}: its ItemProcessor may hold Comment, ProcessorConfig (Mode, ExecutionType), StartAt "
                f"and States; found {', '.join(sorted(extra or set(config) or {'an empty ProcessorConfig'}))}",
                hint="remove what AWS does not read and import again",
            )
        keywords: dict[str, Node | None] = {"processor": Raw(self.var(str(processor["StartAt"])))}
        if config.get("Mode") != "INLINE":
            keywords["mode"] = literal(config.get("Mode"))
        keywords["execution_type"] = self._text(config.get("ExecutionType"))
        keywords["processor_comment"] = self._text(processor.get("Comment"))
        request_field = "Arguments" if language == "JSONata" else "Parameters"
        reader = state.get("ItemReader")
        if isinstance(reader, Mapping):
            self._only(name, "ItemReader", reader, {"Resource", "ReaderConfig", request_field})
            reader_config = reader.get("ReaderConfig")
            config_node = None
            if isinstance(reader_config, Mapping):
                self._only(name, "ReaderConfig", reader_config, set(_READER_CONFIG))
                config_node = call(
                    self.use("ReaderConfig"),
                    **{_READER_CONFIG[key]: self.values.value(value, language) for key, value in reader_config.items()},
                )
            keywords["item_reader"] = call(
                self.use("ItemReader"),
                resource=self.values.string(str(reader.get("Resource")), language),
                request=self.values.value(reader[request_field], language) if request_field in reader else None,
                reader_config=config_node,
            )
        batcher = state.get("ItemBatcher")
        if isinstance(batcher, Mapping):
            self._only(name, "ItemBatcher", batcher, set(_BATCHER))
            keywords["item_batcher"] = call(
                self.use("ItemBatcher"),
                **{
                    _BATCHER[key][0]: self._field(name, key, value, _BATCHER[key][1], language)
                    for key, value in batcher.items()
                },
            )
        writer = state.get("ResultWriter")
        if isinstance(writer, Mapping):
            self._only(name, "ResultWriter", writer, {"Resource", "WriterConfig", request_field})
            writer_config = writer.get("WriterConfig") or {}
            if not isinstance(writer_config, Mapping) or (writer.get("WriterConfig") is not None and not writer_config):
                raise ImportRefused(f"Map {name!r}: an empty WriterConfig cannot be written by the builders")
            self._only(name, "WriterConfig", writer_config, {"OutputType", "Transformation"})
            keywords["result_writer"] = call(
                self.use("ResultWriter"),
                resource=self.values.string(str(writer["Resource"]), language) if "Resource" in writer else Raw("None"),
                request=self.values.value(writer[request_field], language) if request_field in writer else None,
                output_type=self._text(writer_config.get("OutputType")),
                transformation=self._text(writer_config.get("Transformation")),
            )
        return keywords

    # -- Retry and Catch -------------------------------------------------------------------------------------------
    def _retriers(self, name: str, retriers: object) -> Node | None:
        if retriers is None:
            return None
        shared = self.shared_retries.get(retry_key(retriers))
        if shared is not None:
            return Raw(shared)
        return self.retry_list(name, retriers)

    def retry_list(self, name: str, retriers: object) -> Node:
        nodes: list[Node] = []
        for retrier in self._list(name, "Retry", retriers):
            self._only(name, "Retry", retrier, {"ErrorEquals", *_RETRY_FIELDS})
            if dict(retrier) == Retry.lambda_transient().render():
                nodes.append(call(f"{self.use('Retry')}.lambda_transient"))
                continue
            options = {_RETRY_FIELDS[k]: self._number_or_text(v) for k, v in retrier.items() if k in _RETRY_FIELDS}
            nodes.append(call(self.use("Retry"), self._errors(name, retrier.get("ErrorEquals")), **options))
        return list_of(nodes)

    def _catchers(self, name: str, catchers: object, language: Language) -> Node | None:
        if catchers is None:
            return None
        found = self._list(name, "Catch", catchers)
        return list_of([self._catch_args(name, c, language).call(self.use("Catch")) for c in found])

    def _catch_args(self, name: str, catcher: Mapping[str, object], language: Language) -> _Args:
        self._only(name, "Catch", catcher, {"ErrorEquals", "Next", *_CATCH_FIELDS})
        if "ResultPath" in catcher and catcher["ResultPath"] is None:
            result_path: Node | None = self.values.path_or_discard(None)
        else:
            result_path = self._text(catcher.get("ResultPath"))
        options: dict[str, Node | None] = {
            "result_path": result_path,
            "output": self.values.value(catcher["Output"], language) if "Output" in catcher else None,
            "assign": self.values.value(catcher["Assign"], language) if "Assign" in catcher else None,
            "comment": self._text(catcher.get("Comment")),
        }
        return _Args([self._errors(name, catcher.get("ErrorEquals")), Raw(self.var(str(catcher["Next"])))], options)

    def _errors(self, name: str, errors: object) -> Node:
        if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
            raise ImportRefused(f"state {name!r}: ErrorEquals must be a list of error names")
        if tuple(errors) == asl_errors.LAMBDA_TRANSIENT:
            return Raw(self.use("LAMBDA_TRANSIENT"))
        nodes: list[Node] = []
        for error in errors:
            constant = ERROR_NAMES.get(error)
            if constant is None:
                nodes.append(literal(error))
            else:
                self.use(constant.split(".")[0])
                nodes.append(Raw(constant))
        return list_of(nodes)

    # -- fields ----------------------------------------------------------------------------------------------------
    def _field(self, name: str, field: str, value: object, kind: Kind, language: Language) -> Node:
        if value is None and kind != "path":
            raise ImportRefused(
                f"state {name!r}: {field} is null, which the builders cannot write (they leave a field out instead)"
            )
        if kind == "value":
            return self.values.value(value, language)
        if kind == "data":
            return self.values.data(value)
        if kind == "path":
            return self.values.path_or_discard(value)
        if kind == "number":
            return self.values.string(value, language) if isinstance(value, str) else literal(value)
        return self.values.text(value)

    def _text(self, value: object) -> Node | None:
        return None if value is None else self.values.text(value)

    def _number_or_text(self, value: object) -> Node:
        return self.values.text(value) if isinstance(value, str) else literal(value)

    def _refuse_unknown(self, name: str, kind: str, state: State) -> None:
        allowed = {"Type", "Comment", "QueryLanguage", *FIELDS[kind], *_STRUCTURE[kind]}
        if kind not in _NO_ASSIGN:
            allowed.add("Assign")
        self._only(name, f"a {kind} state", state, allowed)

    @staticmethod
    def _only(name: str, where: str, found: Mapping[str, object], allowed: set[str] | frozenset[str]) -> None:
        extra = sorted(set(found) - set(allowed))
        if extra:
            raise ImportRefused(
                f"state {name!r}: {', '.join(extra)} in {where} is not a field the builders write",
                hint=f"the builders write {', '.join(sorted(allowed))} there",
            )

    @staticmethod
    def _list(name: str, field: str, value: object) -> list[Mapping[str, object]]:
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise ImportRefused(f"state {name!r}: {field} must be a list of objects")
        return value


class _Args:
    """Positional and keyword arguments shared by `Catch(...)` and `state.add_catch(...)`."""

    def __init__(self, positional: list[Node], keywords: dict[str, Node | None]) -> None:
        self.positional = positional
        self.keywords = keywords

    def call(self, function: str) -> Node:
        return call(function, *self.positional, **self.keywords)


@dataclass(frozen=True)
class _Payload:
    node: Node | None  # None: no Payload


def _integration(resource: str) -> tuple[str, str, Pattern] | None:
    """(service, action, pattern) when `resource_arn` writes exactly this resource; None for any other ARN."""
    parsed = parse_resource(resource)
    if parsed is None or parsed[1] is None:
        return None
    key, pattern = parsed[0], parsed[1]
    service, _, action = key.rpartition(":")
    try:
        rebuilt = resource_arn(service, action, pattern)
    except ValueError:
        return None
    if rebuilt != resource or (service.startswith("aws-sdk:") and action[:1].isupper()):
        return None
    return service, action, pattern


def _lambda_request(request: object) -> bool:
    """Whether `lambda_invoke(function=, payload=, invocation_type=)` writes exactly this request."""
    if not isinstance(request, Mapping):
        return False
    function = request.get("FunctionName")
    if not isinstance(function, str) or function.startswith("{%"):
        return False
    if set(request) - {"FunctionName", "Payload", "Payload.$", "InvocationType"}:
        return False
    if "Payload" in request and "Payload.$" in request:
        return False
    return "InvocationType" not in request or isinstance(request["InvocationType"], str)

"""Lambda functions called in process: the handler with a Lambda context and its environment, its result as JSON,
its exception as AWS's error payload (`errorType` is what Retry and Catch match). As on AWS, a function's module is
loaded with its environment set, and what it prints (logs, Powertools' metrics) goes to its own log, not to the
caller's terminal: `Function.log`."""

from __future__ import annotations

import collections
import contextlib
import decimal
import importlib
import importlib.util
import json
import os
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from aslkit.engine import faults
from aslkit.engine.failures import StatesFailure

Handler = Callable[[Any, Any], Any]


class FunctionLog:
    """What a function printed, its last `keep` lines (a CloudWatch log group's stand-in): a text stream."""

    def __init__(self, keep: int = 2000) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=keep)
        self._partial = ""

    def write(self, text: str) -> int:
        *complete, self._partial = (self._partial + text).split("\n")
        self.lines.extend(complete)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@dataclass
class Function:
    """A function the engine can call: its handler (a callable, or `module.function` imported when first called),
    its environment and settings."""

    name: str
    handler: Handler | str
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int = 128
    timeout_s: int = 3
    log: FunctionLog = field(default_factory=FunctionLog)

    def callable(self) -> Handler:
        """The handler, in this function's own copy of its module: as on AWS, what a handler keeps between
        invocations (clients, configuration read from the environment) belongs to its function, so two deployments
        of one workflow in a process do not share it."""
        if isinstance(self.handler, str):
            module, _, attribute = self.handler.rpartition(".")
            try:
                loaded: Handler = getattr(_own_copy(module), attribute)
            except (ImportError, AttributeError) as error:
                raise StatesFailure("Runtime.ImportModuleError",
                                    json.dumps({"errorMessage": f"Unable to import module '{module}': {error}",
                                                "errorType": "Runtime.ImportModuleError"})) from None  # fmt: skip
            self.handler = loaded
            return loaded
        return self.handler


def _own_copy(name: str) -> ModuleType:
    """A fresh instance of module `name` (imported once as usual, so its package and imports are shared)."""
    shared = importlib.import_module(name)
    spec = shared.__spec__
    if spec is None or spec.loader is None:
        return shared
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LambdaContext:
    """What a handler's `context` offers on AWS (the attributes Powertools reads)."""

    def __init__(self, function: Function, arn: str, request_id: str) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = f"2026/01/01/[$LATEST]{request_id.replace('-', '')}"
        self._timeout_ms = function.timeout_s * 1000

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


class Lambdas:
    def __init__(self, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self.functions: dict[str, Function] = {}
        self.invocations: dict[str, int] = {}

    def add(self, function: Function) -> None:
        self.functions[function.name] = function

    def arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def find(self, name_or_arn: str) -> Function:
        """By name, full or partial ARN, with or without a version or alias qualifier."""
        text = str(name_or_arn)
        parts = text.split(":")
        if text.startswith("arn:"):
            name = parts[6] if len(parts) > 6 else parts[-1]
        elif len(parts) >= 3 and parts[1] == "function":  # ACCOUNT:function:NAME[:QUALIFIER]
            name = parts[2]
        else:
            name = parts[0]
        function = self.functions.get(name) or self.functions.get(text)
        if function is None:
            raise StatesFailure(
                "Lambda.ResourceNotFoundException",
                f"Function not found: {self.arn(name)} (give the engine a handler for {name!r})",
            )
        return function

    def invoke(self, name_or_arn: str, payload: Any) -> Any:
        """Call the handler; its result as JSON, or StatesFailure(errorType, error payload as JSON)."""
        function = self.find(name_or_arn)
        request_id = str(uuid.uuid4())
        event = json.loads(json.dumps(payload))
        self.invocations[function.name] = self.invocations.get(function.name, 0) + 1
        with _environment(function, self.region), contextlib.redirect_stdout(function.log), faults.in_call():
            handler = function.callable()  # its module's init runs as on AWS: with the function's environment
            try:
                result = handler(event, LambdaContext(function, self.arn(function.name), request_id))
            except SystemExit as error:  # the runtime process exited: AWS names it Runtime.ExitError
                raise StatesFailure("Runtime.ExitError", json.dumps({
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status "
                                    f"{error.code}", "errorType": "Runtime.ExitError"})) from None  # fmt: skip
            except Exception as error:  # a handler's exception is its error, as AWS reports it
                raise StatesFailure(type(error).__name__, json.dumps({
                    "errorMessage": str(error), "errorType": type(error).__name__, "requestId": request_id,
                    "stackTrace": traceback.format_tb(error.__traceback__)[-5:]})) from None  # fmt: skip
        try:
            return json.loads(json.dumps(result, default=_decimal))
        except (TypeError, ValueError) as error:
            raise StatesFailure("Runtime.MarshalError", json.dumps({
                "errorMessage": f"Unable to marshal response: {error}", "errorType": "Runtime.MarshalError",
                "requestId": request_id})) from None  # fmt: skip

    def invoke_integration(self, arguments: Any) -> dict[str, Any]:
        """`arn:aws:states:::lambda:invoke`: the invoke response, the handler's result under Payload."""
        if not isinstance(arguments, dict) or "FunctionName" not in arguments:
            raise StatesFailure("States.Runtime", "lambda:invoke needs a FunctionName")
        result = self.invoke(arguments["FunctionName"], arguments.get("Payload"))
        return {
            "ExecutedVersion": "$LATEST",
            "Payload": result,
            "StatusCode": 200,
            "SdkHttpMetadata": {"HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": str(uuid.uuid4())},
        }


def _decimal(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


@contextlib.contextmanager
def _environment(function: Function, region: str) -> Iterator[None]:
    """The function's environment variables (and Lambda's own) while it runs."""
    values = {"AWS_LAMBDA_FUNCTION_NAME": function.name, "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
              "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb), **function.environment}  # fmt: skip
    with environment(values):
        yield


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in the process's environment while the block runs (what was there before, after it)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

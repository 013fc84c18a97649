"""The Step Functions API served by an engine: what a handler's `boto3.client("stepfunctions")` and a test's
clients call while the engine is wired in (`aslkit.engine.wiring`), in the JSON protocol botocore speaks.

StartExecution (an ARN may end in `#<test case>`, as with Step Functions Local), StartSyncExecution,
DescribeExecution, GetExecutionHistory, ListExecutions, StopExecution, SendTaskSuccess/Failure/Heartbeat,
DescribeStateMachine and ListStateMachines; any other action answers `UnknownOperationException`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aslkit.engine.failures import StatesFailure

if TYPE_CHECKING:
    from aslkit.engine import Engine
    from aslkit.engine.execution import Execution


class ApiError(Exception):
    """An error response: `code` is the `__type` botocore raises as `ClientError`."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def serve(engine: Engine, action: str, body: bytes | str | None) -> tuple[int, dict[str, str], str]:
    """Answer one request: (status, headers, JSON body)."""
    try:
        request = json.loads(body or "{}")
        handler = _ACTIONS.get(action)
        if handler is None:
            raise ApiError("UnknownOperationException", f"aslkit's engine does not serve {action}")
        response = handler(engine, request)
        status = 200
    except ApiError as error:
        status, response = error.status, {"__type": error.code, "message": error.message}
    except StatesFailure as failure:  # the engine's own refusals, named as the API names them
        code = failure.error.removeprefix("StepFunctions.").removesuffix("Exception")
        status, response = 400, {"__type": code, "message": failure.cause}
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if status != 200:
        headers["x-amzn-ErrorType"] = response["__type"]
    return status, headers, json.dumps(response, default=_epoch)


def _epoch(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _execution(engine: Engine, request: dict[str, Any]) -> Execution:
    arn = str(request.get("executionArn", ""))
    execution = engine.executions.get(arn)
    if execution is None:
        raise ApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
    return execution


def _machine(engine: Engine, arn: str) -> str:
    if arn not in engine.machines:
        raise ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
    return arn


def _input(request: dict[str, Any]) -> Any:
    try:
        return json.loads(request.get("input") or "{}")
    except ValueError:
        raise ApiError(
            "InvalidExecutionInput", "Invalid State Machine Execution Input: the input is not JSON"
        ) from None


def start_execution(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    arn, _, case = str(request.get("stateMachineArn", "")).partition("#")
    execution = engine.start(_machine(engine, arn), _input(request), name=request.get("name"), test_case=case or None)
    return {"executionArn": execution, "startDate": engine.executions[execution].describe()["startDate"]}


def start_sync_execution(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    arn, _, case = str(request.get("stateMachineArn", "")).partition("#")
    result = engine.wait(engine.start(_machine(engine, arn), _input(request), name=request.get("name"),
                                      test_case=case or None))  # fmt: skip
    description = engine.executions[result.arn].describe()
    if description["status"] == "RUNNING":
        raise ApiError("InvalidArgument", "a synchronous execution waits for something only its caller can give")
    return description


def describe_execution(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    return _execution(engine, request).describe()


def get_execution_history(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    events = list(_execution(engine, request).history.events)
    if request.get("reverseOrder"):
        events.reverse()
    start = int(request.get("nextToken") or 0)
    size = int(request.get("maxResults") or 1000)
    page: dict[str, Any] = {"events": events[start : start + size]}
    if start + size < len(events):
        page["nextToken"] = str(start + size)
    return page


def list_executions(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    """A machine's executions, or a Map Run's child executions (`mapRunArn`), newest first as AWS lists them."""
    wanted = request.get("statusFilter")
    map_run = request.get("mapRunArn")
    if map_run:
        if map_run not in engine.map_runs:
            raise ApiError("ResourceNotFound", f"Map Run Does Not Exist: '{map_run}'")
        chosen = [e for e in engine.executions.values() if e.map_run == map_run]
    else:
        arn = _machine(engine, str(request.get("stateMachineArn", "")))
        chosen = [e for e in engine.executions.values() if e.machine_arn == arn]
    found = [e for e in reversed(chosen) if wanted in (None, e.status)]
    items = []
    for execution in found:
        description = execution.describe()
        items.append({key: description[key] for key in ("executionArn", "stateMachineArn", "name", "status",
                                                           "startDate", "stopDate") if key in description})  # fmt: skip
    return {"executions": items}


def stop_execution(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    execution = _execution(engine, request)
    engine.stop_execution(execution.arn, error=request.get("error"), cause=request.get("cause"))
    return {"stopDate": execution.describe().get("stopDate") or engine.now}


def _token_call(call: Callable[[], None]) -> dict[str, Any]:
    try:
        call()
    except StatesFailure as failure:
        raise ApiError("TaskTimedOut", failure.cause) from None
    return {}


def send_task_success(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    try:
        output = json.loads(request.get("output") or "null")
    except ValueError:
        raise ApiError("InvalidOutput", "Invalid Output: the output is not JSON") from None
    return _token_call(lambda: engine.send_task_success(str(request.get("taskToken")), output))


def send_task_failure(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    token, error, cause = str(request.get("taskToken")), request.get("error") or "", request.get("cause") or ""
    return _token_call(lambda: engine.send_task_failure(token, error, cause))


def send_task_heartbeat(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    return _token_call(lambda: engine.send_task_heartbeat(str(request.get("taskToken"))))


def describe_state_machine(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    arn = _machine(engine, str(request.get("stateMachineArn", "")))
    name, kind, document = engine.machines[arn]
    return {"stateMachineArn": arn, "name": name, "type": kind, "status": "ACTIVE",
            "definition": json.dumps(document), "roleArn": f"arn:aws:iam::{engine.account}:role/{name}-role",
            "creationDate": engine.now}  # fmt: skip


def list_state_machines(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    return {"stateMachines": [{"stateMachineArn": arn, "name": name, "type": kind, "creationDate": engine.now}
                              for arn, (name, kind, _) in engine.machines.items()]}  # fmt: skip


def list_tags_for_resource(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    arn = _machine(engine, str(request.get("resourceArn", "")))
    return {"tags": [{"key": key, "value": value} for key, value in engine.tags.get(arn, {}).items()]}


_ACTIONS: dict[str, Callable[[Engine, dict[str, Any]], dict[str, Any]]] = {
    "StartExecution": start_execution,
    "StartSyncExecution": start_sync_execution,
    "DescribeExecution": describe_execution,
    "GetExecutionHistory": get_execution_history,
    "ListExecutions": list_executions,
    "StopExecution": stop_execution,
    "SendTaskSuccess": send_task_success,
    "SendTaskFailure": send_task_failure,
    "SendTaskHeartbeat": send_task_heartbeat,
    "DescribeStateMachine": describe_state_machine,
    "ListStateMachines": list_state_machines,
    "ListTagsForResource": list_tags_for_resource,
}

"""Task states: the resource's integration and pattern, mocks, callbacks and child executions, with AWS's events.

- `arn:aws:states:::lambda:invoke` and a function ARN call the handler in process (`aslkit.engine.lambdas`).
- `arn:aws:states:::states:startExecution[.sync|.sync:2]` starts a child execution in the same engine.
- `.waitForTaskToken` waits, on the virtual clock, for `send_task_success/failure` (heartbeats and timeouts as AWS).
- `arn:aws:states:::batch:submitJob[.sync]` to a container job the engine knows runs its command in process
  (`aslkit.engine.jobs`).
- any other `arn:aws:states:::SERVICE:ACTION` and `aws-sdk:SERVICE:ACTION` go to the engine's services (moto);
  a `.sync` job of another service (ECS, Glue, Batch to a queue no job stands for ...) is refused unless mocked.
- a state mocked for the execution's test case returns or throws what the mock says, and calls nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aslkit.asl.errors import Lambda, States
from aslkit.engine import expressions as ex
from aslkit.engine import faults, jobs
from aslkit.engine.failures import StatesFailure
from aslkit.engine.history import text
from aslkit.engine.scheduler import Await, Process, Signal, Sleep, TimeoutExpired
from aslkit.engine.services import client_and_prefix

if TYPE_CHECKING:
    from aslkit.engine import Engine
    from aslkit.engine.execution import Execution

SYNC, SYNC2, TOKEN = ".sync", ".sync:2", ".waitForTaskToken"
#: how long a callback or .sync task waits when the state sets no TimeoutSeconds (AWS: about a year)
DEFAULT_TIMEOUT = 99_999_999


@dataclass(frozen=True)
class Resource:
    arn: str
    service: str  # "lambda", "dynamodb", "states", "s3" ... ; "function" for a plain Lambda ARN
    action: str  # "invoke", "putItem" ...
    pattern: str = ""  # "", ".sync", ".sync:2", ".waitForTaskToken"
    sdk: bool = False

    @classmethod
    def parse(cls, arn: str) -> Resource:
        if arn.startswith("arn:aws:lambda:"):
            return cls(arn, "function", arn)
        prefix = "arn:aws:states:::"
        if not arn.startswith(prefix):
            raise StatesFailure(States.RUNTIME, f"The engine does not run the resource {arn!r} (activities neither)")
        rest = arn[len(prefix) :]
        sdk = rest.startswith("aws-sdk:")
        rest = rest.removeprefix("aws-sdk:")
        pattern = next((p for p in (SYNC2, SYNC, TOKEN) if rest.endswith(p)), "")
        service, _, action = rest.removesuffix(pattern).partition(":")
        return cls(arn, service, action, pattern, sdk)

    @property
    def operation(self) -> str:
        """`service:Action` as fault plans name it (`dynamodb:putItem`, matched without regard to case)."""
        return "lambda:invoke" if self.service == "function" else f"{self.service}:{self.action}"

    @property
    def event_resource(self) -> str:
        return self.action + self.pattern


@dataclass
class Callback:
    """A task token being waited for."""

    token: str
    execution: Execution
    outcome: Signal = field(default_factory=Signal)
    last_beat: float = 0.0


class TaskRunner:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.callbacks: dict[str, Callback] = {}
        self._mock_calls: dict[tuple[str, str], int] = {}

    def run(self, execution: Execution, name: str, body: dict[str, Any], arguments: Any, scope: ex.Scope,
            lane: list[int], jsonata: bool) -> Process:  # fmt: skip
        resource = Resource.parse(body["Resource"])
        timeout = self._seconds(body, "TimeoutSeconds", scope, jsonata)
        heartbeat = self._seconds(body, "HeartbeatSeconds", scope, jsonata)
        history = execution.history
        token = self.callbacks.get(scope.context.get("Task", {}).get("Token", "")) if resource.pattern == TOKEN \
            else None  # fmt: skip
        if resource.service == "function":
            return (yield from self._plain_lambda(execution, name, resource, arguments, lane, timeout))
        details: dict[str, Any] = {"resourceType": resource.service, "resource": resource.event_resource,
                   "region": self.engine.region, "parameters": text(arguments)}  # fmt: skip
        if timeout is not None:
            details["timeoutInSeconds"] = timeout
        if heartbeat is not None:
            details["heartbeatInSeconds"] = heartbeat
        history.add("TaskScheduled", lane, details)
        kind = {"resourceType": resource.service, "resource": resource.event_resource}
        history.add("TaskStarted", lane, kind)
        try:
            result = yield from self._faulted(execution, name, resource, arguments, timeout)
            if token is not None:
                history.add("TaskSubmitted", lane, {**kind, "output": text(result)})
                result = yield from self._wait_token(token, timeout or DEFAULT_TIMEOUT, heartbeat)
            elif resource.pattern in (SYNC, SYNC2) and isinstance(result, _Child):
                history.add("TaskSubmitted", lane, {**kind, "output": text(result.started)})
                result = yield from self._wait_child(result, resource.pattern, timeout or DEFAULT_TIMEOUT)
            elif isinstance(result, _FinishedJob):
                history.add("TaskSubmitted", lane, {**kind, "output": text(jobs.submitted(result.description))})
                yield None  # the job ran at once (no virtual time passes); others run before its state ends
                result = jobs.sync_result(result.description)
        except StatesFailure as failure:
            failed = "TaskTimedOut" if failure.error in (States.TIMEOUT, States.HEARTBEAT_TIMEOUT) else "TaskFailed"
            history.add(failed, lane, {**kind, "error": failure.error, "cause": failure.cause})
            raise
        finally:
            if token is not None:
                self.callbacks.pop(token.token, None)
        history.add("TaskSucceeded", lane, {**kind, "output": text(result)})
        return result

    # -- integrations ------------------------------------------------------------------------------------------------
    def _mocked_or_call(self, execution: Execution, name: str, resource: Resource, arguments: Any) -> Process:
        result = self._mocked(execution, name)
        if result is _NOT_MOCKED:
            result = yield from self._call(execution, resource, arguments)
        return result

    def _faulted(self, execution: Execution, name: str, resource: Resource, arguments: Any,
                 timeout: int | None) -> Process:  # fmt: skip
        """The state's call (its mock, if mocked), as the fault the engine's plan picks for it (if any) makes it go."""

        def call() -> Process:
            return self._mocked_or_call(execution, name, resource, arguments)

        plan = self.engine.faults
        target = resource.arn
        function = arguments.get("FunctionName") if isinstance(arguments, dict) else None
        if resource.service == "lambda" and function:
            target = f"{resource.arn} {function}"
        fault = None if plan is None else plan.pick_task(faults.Call(name, target, resource.operation))
        if fault is None:
            return (yield from call())
        if fault.kind == "slow":
            if timeout is not None and fault.seconds >= timeout:
                yield Sleep(timeout)
                raise StatesFailure(States.TIMEOUT, f"The task timed out after {timeout} s (injected: slow)")
            yield Sleep(fault.seconds)
            return (yield from call())
        if fault.kind == "timeout":
            yield from self._never_answers(resource, function, timeout)
        prefix = client_and_prefix(resource.service)[1]
        if fault.kind == "lost_response":
            yield from call()
        raise StatesFailure(*faults.task_error(fault, resource.service, prefix))

    def _never_answers(self, resource: Resource, function: Any, timeout: int | None) -> Process:
        """Wait as a call that never answers: the state's TimeoutSeconds, else a Lambda function's own timeout
        (Lambda then reports Sandbox.Timedout), else Step Functions' default of about a year."""
        if timeout is None and resource.service in ("function", "lambda"):
            seconds = self.engine.lambdas.find(str(function or resource.arn)).timeout_s
            yield Sleep(seconds)
            raise StatesFailure(
                Lambda.SANDBOX_TIMEDOUT,
                json.dumps(
                    {
                        "errorType": Lambda.SANDBOX_TIMEDOUT,
                        "errorMessage": f"Task timed out after {seconds:.2f} seconds",
                    }
                ),
            )
        yield Sleep(timeout or DEFAULT_TIMEOUT)
        raise StatesFailure(States.TIMEOUT, "The task timed out (injected: no answer)")

    def _call(self, execution: Execution, resource: Resource, arguments: Any) -> Process:
        yield None  # the call is a scheduling point: others may run while it is "in flight"
        if resource.service == "function":
            return self.engine.lambdas.invoke(resource.arn, arguments)
        if resource.service == "lambda" and resource.action == "invoke":
            return self.engine.lambdas.invoke_integration(arguments)
        if resource.service == "states" and resource.action == "startExecution" and not resource.sdk:
            child = self.engine.start_child(execution, arguments)
            started = {"ExecutionArn": child.arn, "StartDate": child.describe()["startDate"].isoformat()}
            return _Child(child, started) if resource.pattern in (SYNC, SYNC2) else started
        if resource.service == "batch" and resource.action == "submitJob" and not resource.sdk:
            request = dict(arguments or {})
            job = self.engine.jobs.find(str(request.get("JobQueue", "")), str(request.get("JobDefinition", "")))
            if job is not None:
                description = self.engine.jobs.submit(job, request)
                return _FinishedJob(description) if resource.pattern == SYNC else jobs.submitted(description)
        if resource.pattern in (SYNC, SYNC2):  # moto accepts a Batch job or an ECS task but never runs it to its end
            raise StatesFailure(States.RUNTIME, f"the in-process engine cannot run {resource.service}:"
                                f"{resource.action}{resource.pattern} to completion: mock this state for the test "
                                "case (its Return is the finished job's description)")  # fmt: skip
        return self.engine.services.call(resource, arguments)

    def _plain_lambda(self, execution: Execution, name: str, resource: Resource, arguments: Any,
                      lane: list[int], timeout: int | None) -> Process:  # fmt: skip
        history = execution.history
        history.add("LambdaFunctionScheduled", lane, {"resource": resource.arn, "input": text(arguments)})
        history.add("LambdaFunctionStarted", lane)
        try:
            result = yield from self._faulted(execution, name, resource, arguments, timeout)
        except StatesFailure as failure:
            failed = "LambdaFunctionTimedOut" if failure.error == States.TIMEOUT else "LambdaFunctionFailed"
            history.add(failed, lane, {"error": failure.error, "cause": failure.cause})
            raise
        history.add("LambdaFunctionSucceeded", lane, {"output": text(result)})
        return result

    def _mocked(self, execution: Execution, state: str) -> Any:
        mocks = self.engine.mocks
        if mocks is None or execution.test_case is None:
            return _NOT_MOCKED
        case = mocks.get("StateMachines", {}).get(execution.machine_name, {}).get("TestCases", {})
        response_name = case.get(execution.test_case, {}).get(state)
        if response_name is None:
            return _NOT_MOCKED
        key = (execution.arn, state)
        call = self._mock_calls.get(key, 0)
        self._mock_calls[key] = call + 1
        for span, response in mocks.get("MockedResponses", {}).get(response_name, {}).items():
            first, _, last = span.partition("-")
            if int(first) <= call <= int(last or first):
                if "Throw" in response:
                    raise StatesFailure(response["Throw"].get("Error", ""), response["Throw"].get("Cause", ""))
                return json.loads(json.dumps(response.get("Return")))
        raise StatesFailure(States.RUNTIME, f"mock {response_name!r} has no response for call {call} of {state!r}")

    # -- waiting -----------------------------------------------------------------------------------------------------
    def prepare(self, execution: Execution, body: dict[str, Any], scope: ex.Scope) -> None:
        """Before a callback task's arguments are evaluated: its token, in the context object (`$$.Task.Token`)."""
        if str(body.get("Resource", "")).endswith(TOKEN):
            token = Callback(self.engine.scheduler.unique_id().hex * 2, execution,
                             last_beat=self.engine.scheduler.now)  # fmt: skip
            self.callbacks[token.token] = token
            scope.context["Task"] = {"Token": token.token}

    def _wait_token(self, token: Callback, timeout: float, heartbeat: float | None) -> Process:
        deadline = self.engine.scheduler.now + timeout
        while True:
            now = self.engine.scheduler.now
            limit = deadline if heartbeat is None else min(deadline, token.last_beat + heartbeat)
            try:
                return (yield Await(token.outcome, max(0.0, limit - now)))
            except TimeoutExpired:
                now = self.engine.scheduler.now
                if now >= deadline:
                    raise StatesFailure(States.TIMEOUT, "The task timed out") from None
                if heartbeat is not None and now >= token.last_beat + heartbeat:
                    raise StatesFailure(States.HEARTBEAT_TIMEOUT, "The task sent no heartbeat in time") from None

    def _wait_child(self, child: _Child, pattern: str, timeout: float) -> Process:
        try:
            yield Await(child.execution.finished, timeout)
        except TimeoutExpired:
            self.engine.stop_execution(child.execution.arn, error=States.TIMEOUT, cause="the parent task timed out")
            raise StatesFailure(States.TIMEOUT, "The task timed out") from None
        done = child.execution
        if done.status != "SUCCEEDED":
            raise StatesFailure(States.TASK_FAILED, done.child_cause())
        description = {**child.started, "Status": done.status, "StateMachineArn": done.machine_arn,
                       "Name": done.name, "Input": text(done.input)}  # fmt: skip
        if pattern == SYNC2:
            description["Output"] = done.output
            description["InputDetails"] = {"Included": True}
            description["Input"] = done.input
        else:
            description["Output"] = text(done.output)
        return description

    def complete(self, token: str, *, output: Any = None, error: str | None = None, cause: str = "") -> None:
        callback = self.callbacks.get(token)
        if callback is None:
            raise StatesFailure("TaskTimedOut", "Task Timed Out: the token is not (or no longer) awaited")
        if error is None:
            callback.outcome.resolve(output)
        else:
            callback.outcome.reject(StatesFailure(error, cause))

    def heartbeat(self, token: str) -> None:
        callback = self.callbacks.get(token)
        if callback is None:
            raise StatesFailure("TaskTimedOut", "Task Timed Out: the token is not (or no longer) awaited")
        callback.last_beat = self.engine.scheduler.now

    @staticmethod
    def _seconds(body: dict[str, Any], key: str, scope: ex.Scope, jsonata: bool) -> int | None:
        if key in body:
            value = ex.evaluate(body[key], scope, field=key) if jsonata else body[key]
        elif key + "Path" in body:
            value = ex.read_path(body[key + "Path"], scope.input, scope, field=key + "Path")
        else:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise StatesFailure(States.RUNTIME, f"{key} must be a positive integer, got {value!r}")
        return int(value)


@dataclass
class _Child:
    execution: Execution
    started: dict[str, Any]


@dataclass
class _FinishedJob:
    description: dict[str, Any]


_NOT_MOCKED = object()

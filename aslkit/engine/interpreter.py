"""The interpreter: one execution of a definition, state by state, as a process of the scheduler.

Each state follows AWS's order of processing. JSONPath: InputPath -> Parameters -> work -> ResultSelector ->
ResultPath -> OutputPath (Assign sees the result). JSONata: Arguments -> work -> Assign and Output, both over the
values before the state (`$states.input`, `$states.result`, `$states.errorOutput`, `$states.context`).
Retry and Catch wrap the whole of a state's work; Parallel branches and Map iterations run as processes of their
own, so they interleave under the scheduler like concurrent executions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aslkit.asl.errors import States, first_matching
from aslkit.engine import expressions as ex
from aslkit.engine.choice import matches
from aslkit.engine.failures import ExecutionStopped, StatesFailure
from aslkit.engine.history import History, text
from aslkit.engine.scheduler import Await, Process, Sleep, Task, gather

if TYPE_CHECKING:
    from aslkit.engine.execution import Execution

#: Step Functions' quota on a state's input or output, and on an execution's input
MAX_PAYLOAD = 256 * 1024


@dataclass
class Frame:
    """Where a graph runs: its variables, its history lane, its query language, the Map item it iterates."""

    variables: dict[str, Any]
    lane: list[int]
    query_language: str
    map_item: dict[str, Any] | None = None
    children: list[Task] = field(default_factory=list)

    def inner(self, query_language: str, lane: list[int], map_item: dict[str, Any] | None = None) -> Frame:
        """A branch's or iteration's frame: it reads the outer variables and cannot assign them."""
        return Frame(dict(self.variables), lane, query_language, map_item)


Work = Callable[[Any], Process]  # the effective arguments -> the state's raw result


class Interpreter:
    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.engine = execution.engine
        self.history: History = execution.history
        self.rng: random.Random = execution.engine.scheduler.rng
        scheduler = execution.engine.scheduler
        self.clock = lambda: scheduler.now

    # -- the execution -------------------------------------------------------------------------------------------
    def run(self) -> Process:
        execution = self.execution
        lane = [0]
        self.history.add("ExecutionStarted", lane, {"input": text(execution.input),
                         "inputDetails": {"truncated": False}, "roleArn": execution.role_arn})  # fmt: skip
        definition = execution.definition
        frame = Frame({}, lane, definition.get("QueryLanguage", "JSONPath"))
        try:
            output = yield from self.graph(definition, execution.input, frame)
        except StatesFailure as failure:
            self.history.add("ExecutionFailed", lane, {"error": failure.error, "cause": failure.cause})
            execution.finish("FAILED", error=failure.error, cause=failure.cause)
            return None
        except Exception as error:  # a definition the engine cannot run: never leave the execution RUNNING
            cause = f"aslkit's engine could not run this definition: {type(error).__name__}: {error}"
            self.history.add("ExecutionFailed", lane, {"error": States.RUNTIME, "cause": cause})
            execution.finish("FAILED", error=States.RUNTIME, cause=cause)
            raise
        except ExecutionStopped as stop:
            self._stop_children(frame)
            if stop.reason == "timeout":
                cause = f"The execution timed out after {definition.get('TimeoutSeconds')} seconds"
                self.history.add("ExecutionTimedOut", lane, {"error": States.TIMEOUT, "cause": cause})
                execution.finish("TIMED_OUT", error=States.TIMEOUT, cause=cause)
            else:
                self.history.add("ExecutionAborted", lane, {"error": execution.stop_error or "",
                                                            "cause": execution.stop_cause or ""})  # fmt: skip
                execution.finish("ABORTED", error=execution.stop_error, cause=execution.stop_cause)
            return None
        self.history.add("ExecutionSucceeded", lane, {"output": text(output),
                                                      "outputDetails": {"truncated": False}})  # fmt: skip
        execution.finish("SUCCEEDED", output=output)
        return output

    def graph(self, graph: dict[str, Any], data: Any, frame: Frame) -> Process:
        """Run a graph (the machine, a branch, an item processor) from StartAt to an end; return its output."""
        states: dict[str, Any] = graph["States"]
        name: str | None = graph["StartAt"]
        while name is not None:
            if name not in states:
                raise StatesFailure(States.RUNTIME, f"No such state {name!r}")
            name, data = yield from self.state(name, states[name], data, frame)
            yield None  # a scheduling point between states: concurrent work may run here
        return data

    # -- one state -----------------------------------------------------------------------------------------------
    def state(self, name: str, body: dict[str, Any], data: Any, frame: Frame) -> Process:
        kind = body["Type"]
        language = body.get("QueryLanguage", frame.query_language)
        if self.history.full:
            raise StatesFailure(States.RUNTIME, "The execution reached the limit of 25,000 history events")
        self.history.add(f"{kind}StateEntered", frame.lane, {"name": name, "input": _sized(data, name, "input")})
        context = self.execution.context(name, frame.map_item)
        scope = ex.Scope(data, context, frame.variables, self.rng, self.clock)
        jsonata = language == "JSONata"
        if kind == "Fail":
            raise self._fail(body, data, scope, jsonata)
        if kind == "Choice":
            next_name, output = self._choice(body, data, scope, frame, jsonata)
        elif kind in ("Succeed", "Pass", "Wait"):
            next_name, output = yield from self._simple(kind, body, data, scope, frame, jsonata)
        else:
            next_name, output = yield from self._with_recovery(name, kind, body, data, scope, frame, jsonata)
        self.history.add(f"{kind}StateExited", frame.lane, {"name": name, "output": _sized(output, name, "output"),
                                                           "outputDetails": {"truncated": False}})  # fmt: skip
        return next_name, output

    def _fail(self, body: dict[str, Any], data: Any, scope: ex.Scope, jsonata: bool) -> StatesFailure:
        if jsonata:
            error, cause = (
                ex.evaluate(body.get("Error"), scope, field="Error"),
                ex.evaluate(body.get("Cause"), scope, field="Cause"),
            )
        else:
            error = ex.read_path(body["ErrorPath"], data, scope, field="ErrorPath") if "ErrorPath" in body \
                else body.get("Error")  # fmt: skip
            cause = ex.read_path(body["CausePath"], data, scope, field="CausePath") if "CausePath" in body \
                else body.get("Cause")  # fmt: skip
        if (error is not None and not isinstance(error, str)) or (cause is not None and not isinstance(cause, str)):
            return StatesFailure(States.RUNTIME, "A Fail state's Error and Cause must be strings")
        return StatesFailure(error or "", cause or "")

    def _choice(self, body: dict[str, Any], data: Any, scope: ex.Scope, frame: Frame,
                jsonata: bool) -> tuple[str, Any]:  # fmt: skip
        effective = data if jsonata else ex.select(body, "InputPath", data, scope)
        for rule in body.get("Choices", []):
            chosen = (_truthy_condition(ex.evaluate(rule["Condition"], scope, field="Condition")) if jsonata
                      else matches(rule, effective, scope))  # fmt: skip
            if chosen:
                return rule["Next"], self._finish(_overriding(body, rule), body, data, effective, effective, scope,
                                                  frame, jsonata)  # fmt: skip
        if "Default" not in body:
            raise StatesFailure(States.NO_CHOICE_MATCHED, "No Choice rule matched and there is no Default")
        return body["Default"], self._finish(body, body, data, effective, effective, scope, frame, jsonata)

    def _simple(self, kind: str, body: dict[str, Any], data: Any, scope: ex.Scope, frame: Frame,
                jsonata: bool) -> Process:  # fmt: skip
        effective = data if jsonata else ex.select(body, "InputPath", data, scope)
        if kind == "Wait":
            yield Sleep(self._wait_seconds(body, effective, scope, jsonata))
        result = effective
        if kind == "Pass" and not jsonata:
            if "Parameters" in body:
                result = ex.template(body["Parameters"], effective, scope)
            if "Result" in body:
                result = body["Result"]
        output = self._finish(body, body, data, effective, result, scope, frame, jsonata,
                              place=kind == "Pass")  # fmt: skip
        return (None if kind == "Succeed" or body.get("End") else body.get("Next")), output

    def _finish(self, source: dict[str, Any], body: dict[str, Any], data: Any, effective: Any, result: Any,
                scope: ex.Scope, frame: Frame, jsonata: bool, *, place: bool = False) -> Any:  # fmt: skip
        """Assign (from `source`: the state, a Choice rule or a Catch) and the state's output."""
        if jsonata:
            scope.states["result"] = result
            assigned = ex.evaluate(source["Assign"], scope, field="Assign") if "Assign" in source else None
            output = ex.evaluate(source["Output"], scope, field="Output") if "Output" in source else result
        else:
            assigned = ex.template(source["Assign"], result, scope, field="Assign") if "Assign" in source else None
            output = ex.place(body, data, result) if place else effective
            output = ex.select(body, "OutputPath", output, scope)
        if assigned:
            frame.variables.update(assigned)
        return output

    def _wait_seconds(self, body: dict[str, Any], data: Any, scope: ex.Scope, jsonata: bool) -> float:
        if "Seconds" in body:
            seconds = ex.evaluate(body["Seconds"], scope, field="Seconds") if jsonata else body["Seconds"]
        elif "SecondsPath" in body:
            seconds = ex.read_path(body["SecondsPath"], data, scope, field="SecondsPath")
        else:
            if "TimestampPath" in body:
                stamp = ex.read_path(body["TimestampPath"], data, scope, field="TimestampPath")
            else:
                stamp = ex.evaluate(body["Timestamp"], scope, field="Timestamp") if jsonata else body["Timestamp"]
            try:
                when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
            except ValueError:
                raise StatesFailure(States.RUNTIME, f"The Wait state's timestamp {stamp!r} is not ISO 8601") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, when.timestamp() - self.engine.scheduler.now)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise StatesFailure(States.RUNTIME, f"The Wait state's seconds must be a non-negative number: {seconds!r}")
        return float(seconds)

    # -- Task, Parallel, Map: retried and caught -------------------------------------------------------------------
    def _with_recovery(self, name: str, kind: str, body: dict[str, Any], data: Any, scope: ex.Scope, frame: Frame,
                       jsonata: bool) -> Process:  # fmt: skip
        retriers = body.get("Retry", [])
        counts = [0] * len(retriers)
        while True:
            try:
                effective = data if jsonata else ex.select(body, "InputPath", data, scope)
                work = self._work(name, kind, body, scope, frame, jsonata)
                scope.context["State"]["RetryCount"] = sum(counts)
                if kind == "Task":
                    self.engine.tasks.prepare(self.execution, body, scope)
                if jsonata:
                    arguments = ex.evaluate(body["Arguments"], scope, field="Arguments") if "Arguments" in body \
                        else (data if kind != "Task" else None)  # fmt: skip
                elif "Parameters" in body and kind != "Map":  # a Map's Parameters is its ItemSelector
                    arguments = ex.template(body["Parameters"], effective, scope)
                else:
                    arguments = effective
                raw = yield from work(arguments)
                if not jsonata and "ResultSelector" in body:
                    raw = ex.template(body["ResultSelector"], raw, scope, field="ResultSelector")
                return _next(body), self._finish(body, body, data, effective, raw, scope, frame, jsonata, place=True)
            except StatesFailure as failure:
                index = first_matching(retriers, failure.error)
                if index is not None and counts[index] < retriers[index].get("MaxAttempts", 3):
                    yield Sleep(self._backoff(retriers[index], counts[index]))
                    counts[index] += 1
                    continue
                catcher_index = first_matching(body.get("Catch", []), failure.error)
                if catcher_index is None:
                    raise
                catcher = body["Catch"][catcher_index]
                error_output = {"Error": failure.error, "Cause": failure.cause}
                scope.states["errorOutput"] = error_output
                if jsonata:
                    output = self._finish(catcher, catcher, data, data, error_output, scope, frame, True)
                else:
                    if "Assign" in catcher:
                        frame.variables.update(ex.template(catcher["Assign"], error_output, scope, field="Assign"))
                    output = ex.place(catcher, data, error_output)
                return catcher["Next"], output

    def _backoff(self, retrier: dict[str, Any], attempt: int) -> float:
        delay = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** attempt
        if "MaxDelaySeconds" in retrier:
            delay = min(delay, float(retrier["MaxDelaySeconds"]))
        if retrier.get("JitterStrategy") == "FULL":
            delay = self.rng.uniform(0, delay)
        return delay

    def _work(self, name: str, kind: str, body: dict[str, Any], scope: ex.Scope, frame: Frame,
              jsonata: bool) -> Work:  # fmt: skip
        if kind == "Task":
            return lambda arguments: self.engine.tasks.run(self.execution, name, body, arguments, scope, frame.lane,
                                                           jsonata)  # fmt: skip
        if kind == "Parallel":
            return lambda arguments: self._parallel(body, arguments, frame)
        if kind == "Map":
            return lambda arguments: self._map(name, body, arguments, scope, frame, jsonata)
        raise StatesFailure(States.RUNTIME, f"Unknown state type {kind!r}")

    def _parallel(self, body: dict[str, Any], data: Any, frame: Frame) -> Process:
        self.history.add("ParallelStateStarted", frame.lane)
        branches = []
        for branch in body["Branches"]:
            inner = frame.inner(branch.get("QueryLanguage", frame.query_language), [frame.lane[0]])
            branches.append(self.engine.scheduler.spawn(self.graph(branch, data, inner), "branch"))
        frame.children.extend(branches)
        try:
            results = yield Await(gather(self.engine.scheduler, branches))
        except StatesFailure:
            self._stop(branches)
            self.history.add("ParallelStateFailed", frame.lane)
            raise
        except ExecutionStopped:
            self._stop(branches)
            raise
        self.history.add("ParallelStateSucceeded", frame.lane)
        return results

    def _map(self, name: str, body: dict[str, Any], data: Any, scope: ex.Scope, frame: Frame,
             jsonata: bool) -> Process:  # fmt: skip
        from aslkit.engine.maps import MapRun

        result = yield from MapRun(self, name, body, data, scope, frame, jsonata).run()
        return result

    def _stop(self, tasks: list[Task]) -> None:
        for task in tasks:
            self.engine.scheduler.cancel(task, ExecutionStopped("branch"))

    def _stop_children(self, frame: Frame) -> None:
        self._stop(frame.children)


def _overriding(state: dict[str, Any], rule: dict[str, Any]) -> dict[str, Any]:
    """A matched Choice rule's Assign and Output, each falling back to the state's own."""
    return {key: rule.get(key, state.get(key)) for key in ("Assign", "Output") if key in rule or key in state}


def _next(body: dict[str, Any]) -> str | None:
    return None if body.get("End") else body.get("Next")


def _truthy_condition(value: Any) -> bool:
    if not isinstance(value, bool):
        raise StatesFailure(States.QUERY_EVALUATION_ERROR, f"A Choice Condition must be a boolean, got {value!r}")
    return value


def _sized(value: Any, state: str, what: str) -> str:
    """The value as history text, refused as AWS refuses a state input or output over 256 KiB."""
    serialized = text(value)
    if len(serialized) > MAX_PAYLOAD // 4 and len(serialized.encode()) > MAX_PAYLOAD:
        raise StatesFailure(States.DATA_LIMIT_EXCEEDED,
                            f"The state/task returned a result with a size exceeding the maximum number of bytes "
                            f"service limit (the {what} of state {state!r}: {len(serialized.encode())} bytes, "
                            f"limit {MAX_PAYLOAD})")  # fmt: skip
    return serialized

"""One execution in the engine: its identity, status, history and context object."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aslkit.engine.history import History, text
from aslkit.engine.scheduler import Signal, Task
from aslkit.runtime.results import ExecutionResult, from_history

if TYPE_CHECKING:
    from aslkit.engine import Engine


@dataclass(eq=False)
class Execution:
    engine: Engine
    arn: str
    name: str
    machine_arn: str
    machine_name: str
    type: str
    definition: dict[str, Any]
    input: Any
    role_arn: str = ""
    test_case: str | None = None
    parent: Execution | None = None
    map_run: str | None = None  # a Distributed Map iteration: its Map Run's ARN
    status: str = "RUNNING"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    started: float = 0.0
    stopped: float | None = None
    stop_error: str | None = None
    stop_cause: str | None = None
    finished: Signal = field(default_factory=Signal)
    task: Task | None = None
    history: History = field(init=False)
    _entered: tuple[float, str] = field(init=False, default=(-1.0, ""))

    def __post_init__(self) -> None:
        self.history = History(lambda: self.engine.scheduler.now, self._journal)
        self.started = self.engine.scheduler.now
        self._start_time = _iso(self.started)

    def _journal(self, event: dict[str, Any]) -> None:
        if self.engine.journal is not None:
            self.engine.journal.append((self.arn, event))

    def finish(self, status: str, *, output: Any = None, error: str | None = None, cause: str | None = None) -> None:
        self.status, self.output, self.error, self.cause = status, output, error, cause
        self.stopped = self.engine.scheduler.now
        self.finished.resolve(self)

    def context(self, state: str, map_item: dict[str, Any] | None) -> dict[str, Any]:
        """The context object (`$$` / `$states.context`) for a state entered now."""
        now = self.engine.scheduler.now
        if self._entered[0] != now:
            self._entered = (now, _iso(now))
        context: dict[str, Any] = {
            "Execution": {
                "Id": self.arn,
                "Input": self.input,
                "Name": self.name,
                "RoleArn": self.role_arn,
                "StartTime": self._start_time,
                "RedriveCount": 0,
            },
            "State": {"EnteredTime": self._entered[1], "Name": state, "RetryCount": 0},
            "StateMachine": {"Id": self.machine_arn, "Name": self.machine_name},
        }
        if map_item is not None:
            context["Map"] = {"Item": map_item}
        return context

    def describe(self) -> dict[str, Any]:
        """DescribeExecution's shape."""
        description: dict[str, Any] = {
            "executionArn": self.arn,
            "stateMachineArn": self.machine_arn,
            "name": self.name,
            "status": self.status,
            "startDate": datetime.fromtimestamp(self.started, UTC),
            "input": text(self.input),
        }
        if self.stopped is not None:
            description["stopDate"] = datetime.fromtimestamp(self.stopped, UTC)
        if self.status == "SUCCEEDED":
            description["output"] = text(self.output)
        if self.error is not None:
            description["error"] = self.error
        if self.cause is not None:
            description["cause"] = self.cause
        return description

    def result(self) -> ExecutionResult:
        return from_history(self.arn, self.describe(), list(self.history.events))

    def child_cause(self) -> str:
        """The Cause a `.sync` parent sees when this child did not succeed: its DescribeExecution as JSON."""
        description = {
            "ExecutionArn": self.arn,
            "StateMachineArn": self.machine_arn,
            "Name": self.name,
            "Status": self.status,
            "StartDate": int(self.started * 1000),
            "StopDate": int((self.stopped or self.started) * 1000),
            "Input": text(self.input),
            "Error": self.error,
            "Cause": self.cause,
        }
        return json.dumps({k: v for k, v in description.items() if v is not None}, separators=(",", ":"))


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

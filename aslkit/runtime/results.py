"""What an execution did, read from its history: status, output, error, the states entered, their durations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

#: the statuses an execution ends in
TERMINAL: Final = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass
class StateVisit:
    """One entry into a state: when, how long, and whether it left normally."""

    name: str
    type: str
    entered: datetime
    exited: datetime | None = None
    input_text: str | None = None  # as the history holds it: parsed on first use (`input`, `output`)
    output_text: str | None = None
    error: str | None = None  # the last error raised in this state (caught, retried or fatal)
    cause: str | None = None
    attempts: int = 0  # task attempts: more than 1 means the state was retried

    @property
    def duration_ms(self) -> float | None:
        if self.exited is None:
            return None
        return (self.exited - self.entered).total_seconds() * 1000

    @property
    def input(self) -> Any:
        return _json(self.input_text)

    @property
    def output(self) -> Any:
        return _json(self.output_text)


@dataclass
class ExecutionResult:
    arn: str
    status: str
    input: Any = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    visits: list[StateVisit] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    started: datetime | None = None
    stopped: datetime | None = None
    machine_arn: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def states(self) -> list[str]:
        """Names of the states entered, in order (repeats included)."""
        return [visit.name for visit in self.visits]

    @property
    def failed_state(self) -> str | None:
        """The state the execution was in when it failed (the last one entered and not left)."""
        if self.status == "SUCCEEDED":
            return None
        open_visits = [visit for visit in self.visits if visit.exited is None]
        return open_visits[-1].name if open_visits else (self.visits[-1].name if self.visits else None)

    @property
    def duration_ms(self) -> float | None:
        if self.started is None or self.stopped is None:
            return None
        return (self.stopped - self.started).total_seconds() * 1000

    @property
    def transitions(self) -> int:
        """State transitions as AWS bills them for STANDARD workflows: one per state entered, plus the start."""
        return len(self.visits) + 1

    @property
    def steps(self) -> set[tuple[str, str]]:
        """The (from, to) state transitions made: a state left, then the next one entered because of it."""
        by_id = {event["id"]: event for event in self.history}
        taken: set[tuple[str, str]] = set()
        for event in self.history:
            if event["type"].endswith("StateEntered"):
                exited = nearest_event(by_id, event, "StateExited", stop="StateEntered")
                if exited is not None:
                    taken.add((exited["stateExitedEventDetails"]["name"], event["stateEnteredEventDetails"]["name"]))
        return taken

    def durations(self) -> dict[str, float]:
        """Total milliseconds spent per state name."""
        totals: dict[str, float] = {}
        for visit in self.visits:
            if visit.duration_ms is not None:
                totals[visit.name] = totals.get(visit.name, 0.0) + visit.duration_ms
        return totals

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == event_type]

    def explain(self) -> str:
        """A one-paragraph account, for assertion messages."""
        states = self.states
        if len(states) > 40:
            states = [*states[:20], f"... {len(states) - 30} more ...", *states[-10:]]
        lines = [f"{self.status}: {' -> '.join(states)}"]
        if self.error or self.cause:
            lines.append(f"error {self.error} in {self.failed_state!r}: {self.cause}")
        if self.output is not None:
            lines.append(f"output: {json.dumps(self.output)[:500]}")
        return "\n".join(lines)


def event_details(event: Mapping[str, Any]) -> dict[str, Any]:
    """A history event's details (its one `...EventDetails` member), or `{}` for an event without any."""
    return next((value for key, value in event.items() if key.endswith("EventDetails")), {})


def details_key(kind: str) -> str:
    """The member of a history event that holds its details (`TaskFailed` -> `taskFailedEventDetails`; every
    `...StateEntered` -> `stateEnteredEventDetails`, every `...StateExited` -> `stateExitedEventDetails`)."""
    if kind.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if kind.endswith("StateExited"):
        return "stateExitedEventDetails"
    return kind[:1].lower() + kind[1:] + "EventDetails"


def fetch_result(stepfunctions: Any, execution_arn: str) -> ExecutionResult:
    """Describe an execution and read its whole history (with a boto3 Step Functions client)."""
    return from_history(execution_arn, stepfunctions.describe_execution(executionArn=execution_arn),
                        read_history(stepfunctions, execution_arn))  # fmt: skip


def read_history(stepfunctions: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of an execution's history, page after page, with state inputs and outputs."""
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000, "includeExecutionData": True}
    while True:
        page = stepfunctions.get_execution_history(**request)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        request["nextToken"] = page["nextToken"]


def from_history(arn: str, description: dict[str, Any], history: list[dict[str, Any]]) -> ExecutionResult:
    result = ExecutionResult(
        arn=arn,
        status=description["status"],
        input=_json(description.get("input")),
        output=_json(description.get("output")),
        error=description.get("error"),
        cause=description.get("cause"),
        history=history,
        started=description.get("startDate"),
        stopped=description.get("stopDate"),
        machine_arn=description.get("stateMachineArn", ""),
    )
    open_by_name: dict[str, list[StateVisit]] = {}
    by_id = {event["id"]: event for event in history if "id" in event}
    visit_of: dict[int, StateVisit] = {}  # StateEntered event id -> visit
    for event in history:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            visit = StateVisit(details["name"], kind.removesuffix("StateEntered"), event["timestamp"],
                               input_text=details.get("input"))  # fmt: skip
            result.visits.append(visit)
            open_by_name.setdefault(visit.name, []).append(visit)
            visit_of[event.get("id", -1)] = visit
        elif not kind.startswith("Execution") and kind.endswith(("Scheduled", *_FAILURES)):
            entered = nearest_event(by_id, event, "StateEntered", limit=64)
            owner = visit_of.get(entered["id"]) if entered else None
            if owner is not None and kind.endswith("Scheduled"):
                owner.attempts += 1
            elif owner is not None:
                failure = event_details(event)
                owner.error, owner.cause = failure.get("error", kind), failure.get("cause")
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            pending = open_by_name.get(details["name"])
            if pending:
                visit = pending.pop(0)
                visit.exited = event["timestamp"]
                visit.output_text = details.get("output")
        elif kind == "ExecutionFailed" and result.error is None:
            details = event.get("executionFailedEventDetails", {})
            result.error, result.cause = details.get("error"), details.get("cause")
    return result


_FAILURES = ("Failed", "TimedOut", "StartFailed", "SubmitFailed")


def nearest_event(
    by_id: dict[int, dict[str, Any]],
    event: dict[str, Any],
    suffix: str | tuple[str, ...],
    *,
    stop: str = "",
    limit: int = 8,
) -> dict[str, Any] | None:
    """Walk back along previousEventId from `event` (`by_id`: the history by event id) to the nearest earlier event
    whose type ends with `suffix` (one of them, for a tuple), at most `limit` steps and never past a `stop` type."""
    current = by_id.get(event.get("previousEventId", 0))
    for _ in range(limit):
        if current is None:
            return None
        if current["type"].endswith(suffix):
            return current
        if stop and current["type"].endswith(stop):
            return None
        current = by_id.get(current.get("previousEventId", 0))
    return None


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def child_executions(history: list[dict[str, Any]]) -> list[str]:
    """The executions a history's `states:startExecution` tasks started (their ARN is in the task's output)."""
    found: list[str] = []
    for event in history:
        if event["type"] not in ("TaskSubmitted", "TaskSucceeded"):
            continue
        details = event_details(event)
        if details.get("resourceType") != "states" or not str(details.get("resource", "")).startswith("startExecution"):
            continue
        try:
            output = json.loads(details.get("output") or "{}")
        except ValueError:
            continue
        arn = output.get("ExecutionArn") if isinstance(output, dict) else None
        if isinstance(arn, str) and arn not in found:
            found.append(arn)
    return found

"""EXPRESS executions, read from their state machine's CloudWatch Logs log group.

Step Functions keeps no history of an EXPRESS execution (GetExecutionHistory and ListExecutions refuse them); with
logging at level ALL and execution data included, every history event is one JSON record in the machine's log
group instead (`{"id", "previous_event_id", "event_timestamp", "type", "execution_arn", "details"}`). Read back,
the records give the same history events, result and follower lines as a STANDARD execution's, on AWS and on
LocalStack alike. Every renderer names the log group with `log_group_name`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aslkit.runtime.results import ExecutionResult, details_key, from_history

_END = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
        "ExecutionAborted": "ABORTED"}  # fmt: skip


def log_group_name(physical_machine_name: str) -> str:
    """The log group of a state machine's executions (the `/aws/vendedlogs/` prefix keeps its resource policy
    small, as AWS recommends for vended logs)."""
    return f"/aws/vendedlogs/states/{physical_machine_name}"


def logging_configuration(log_group_arn: str) -> dict[str, Any]:
    """Every event with its data: what reading an EXPRESS execution back needs."""
    return {"level": "ALL", "includeExecutionData": True,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": f"{log_group_arn}:*"}}]}  # fmt: skip


def log_group_of(stepfunctions: Any, machine_arn: str) -> str | None:
    """The log group a state machine logs its executions to, if it logs them with their data."""
    configuration = stepfunctions.describe_state_machine(stateMachineArn=machine_arn).get("loggingConfiguration")
    if not configuration or configuration.get("level") == "OFF":
        return None
    for destination in configuration.get("destinations") or []:
        arn = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
        if ":log-group:" in arn:
            return str(arn.split(":log-group:", 1)[1].removesuffix(":*"))
    return None


def machine_of(execution_arn: str) -> str:
    """The state machine ARN of an execution ARN (`...:express:NAME:EXEC:ID` or `...:execution:NAME:EXEC`)."""
    head, _, rest = execution_arn.partition(":express:" if ":express:" in execution_arn else ":execution:")
    return f"{head}:stateMachine:{rest.split(':', 1)[0]}"


def is_express(execution_arn: str) -> bool:
    return ":express:" in execution_arn


def fetch(stepfunctions: Any, logs: Any, execution_arn: str) -> ExecutionResult | None:
    """An EXPRESS execution's result from its machine's log group (None while nothing of it is logged)."""
    group = log_group_of(stepfunctions, machine_of(execution_arn))
    return fetch_in(logs, group, execution_arn) if group else None


def fetch_in(logs: Any, group: str, execution_arn: str) -> ExecutionResult | None:
    """`fetch` from a log group already looked up (for a caller that polls)."""
    return result(read_records(logs, group, matching=execution_arn), execution_arn)


def executions(stepfunctions: Any, logs: Any, machine_arn: str, *, since: datetime | None = None) -> list[str]:
    """The EXPRESS executions of a machine that started (since a time), oldest first, from its log group."""
    return [run.arn for run in runs(stepfunctions, logs, machine_arn, since=since)]


@dataclass(frozen=True)
class Run:
    """An EXPRESS execution as its log group shows it: when it started, and whether it has ended."""

    arn: str
    started: datetime
    ended: bool


def runs(stepfunctions: Any, logs: Any, machine_arn: str, *, since: datetime | None = None) -> list[Run]:
    """The EXPRESS executions of a machine that started (since a time), oldest first."""
    group = log_group_of(stepfunctions, machine_arn)
    return runs_in(logs, group, since=since) if group else []


def runs_in(logs: Any, group: str, *, since: datetime | None = None) -> list[Run]:
    """The EXPRESS executions logged to `group` that started (since a time), oldest first (for a caller that polls
    and has looked the group up once)."""
    records = read_records(logs, group, since=since, matching="Execution")
    ended = {r["execution_arn"] for r in records if r["type"] in _END}
    found = [Run(str(r["execution_arn"]), _timestamp(r.get("event_timestamp")), r["execution_arn"] in ended)
             for r in records if r["type"] == "ExecutionStarted"]  # fmt: skip
    return sorted(found, key=lambda run: run.started)


def read_records(logs: Any, group: str, *, since: datetime | None = None, matching: str = "") -> list[dict[str, Any]]:
    """Every execution event logged to `group` (since a time; whose text holds `matching`), in order per execution."""
    request: dict[str, Any] = {"logGroupName": group}
    if matching:
        request["filterPattern"] = f'"{matching}"'
    if since is not None:
        request["startTime"] = int(since.timestamp() * 1000) - 1000
    records: list[dict[str, Any]] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**request):
            for entry in page.get("events", []):
                try:
                    record = json.loads(entry["message"])
                except ValueError:
                    continue
                logged = isinstance(record, dict) and "execution_arn" in record and "type" in record
                if logged and (not matching or matching in entry["message"]):  # not every service applies patterns
                    records.append(record)
    except logs.exceptions.ResourceNotFoundException:
        return []
    records.sort(key=lambda r: (r["execution_arn"], int(r.get("id", 0))))
    return records


def history(records: list[dict[str, Any]], execution_arn: str) -> list[dict[str, Any]]:
    """One execution's records as history events (GetExecutionHistory's shape)."""
    events = []
    for record in records:
        if record["execution_arn"] != execution_arn:
            continue
        kind = str(record["type"])
        event: dict[str, Any] = {"id": int(record.get("id", 0)), "type": kind,
                                 "previousEventId": int(record.get("previous_event_id", 0)),
                                 "timestamp": _timestamp(record.get("event_timestamp"))}  # fmt: skip
        if record.get("details"):
            event[details_key(kind)] = record["details"]
        events.append(event)
    return events


def result(records: list[dict[str, Any]], execution_arn: str) -> ExecutionResult | None:
    """What the execution did, or None if its records show no start (yet)."""
    events = history(records, execution_arn)
    if not events or events[0]["type"] != "ExecutionStarted":
        return None
    description: dict[str, Any] = {"status": "RUNNING", "startDate": events[0]["timestamp"],
                                   "input": events[0].get("executionStartedEventDetails", {}).get("input"),
                                   "stateMachineArn": machine_of(execution_arn)}  # fmt: skip
    last = events[-1]
    if last["type"] in _END:
        details = last.get(details_key(last["type"]), {})
        description.update(status=_END[last["type"]], stopDate=last["timestamp"], output=details.get("output"),
                           error=details.get("error"), cause=details.get("cause"))  # fmt: skip
    return from_history(execution_arn, description, events)


def _timestamp(value: Any) -> datetime:
    """AWS logs epoch milliseconds (as text); LocalStack an ISO 8601 string or seconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.fromtimestamp(0, tz=UTC)

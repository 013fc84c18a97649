"""Follow an execution live: one line per state entered and left (with its duration), failures, retries, catches."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aslkit.runtime import express
from aslkit.runtime.results import TERMINAL, event_details, read_history

_FAILURE_SUFFIXES = ("Failed", "TimedOut", "StartFailed", "SubmitFailed")


class Follower:
    """Reads an execution's history as it grows and turns each new event into at most one line."""

    def __init__(self, clients: Any, execution_arn: str, emit: Callable[[str], None] = print) -> None:
        """`clients` has `stepfunctions` and `logs` (an EXPRESS execution is read from its log group)."""
        self.sfn = clients.stepfunctions
        self.clients = clients
        self.group: str | None = None  # an EXPRESS execution's log group
        self.arn = execution_arn
        self.emit = emit
        self.seen = 0
        self.entered: dict[str, list[datetime]] = {}  # per state name: Map iterations overlap
        self.failed_in: str | None = None
        self.current: str | None = None

    def follow(self, timeout: float = 300.0, interval: float = 0.1) -> dict[str, Any]:
        """Print lines until the execution ends; return its description."""
        deadline = time.monotonic() + timeout
        while True:
            description, events = self._read()  # the status first: a run that ends meanwhile has all its events
            for event in events[self.seen :]:
                line = self.describe(event)
                if line:
                    self.emit(line)
            self.seen = len(events)
            if description["status"] in TERMINAL:
                return description
            if time.monotonic() > deadline:
                self.emit(f"  … still {description['status']} after {timeout:.0f} s; stopped following")
                return description
            time.sleep(interval)

    def _read(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The execution's description and history; an EXPRESS one's from its log group."""
        if not express.is_express(self.arn):
            description = dict(self.sfn.describe_execution(executionArn=self.arn))
            return description, read_history(self.sfn, self.arn)
        if self.group is None:  # looked up once: every poll reads the group itself
            self.group = express.log_group_of(self.sfn, express.machine_of(self.arn))
        result = express.fetch_in(self.clients.logs, self.group, self.arn) if self.group else None
        if result is None:
            return {"status": "RUNNING"}, []
        output = None if result.output is None else json.dumps(result.output)
        return {"status": result.status, "output": output, "error": result.error, "cause": result.cause}, result.history

    def describe(self, event: dict[str, Any]) -> str | None:
        kind: str = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            self.entered.setdefault(name, []).append(event["timestamp"])
            self.current = name
            caught = self.failed_in is not None and self.failed_in != name
            prefix = f"  ↳ caught, going to {name}\n" if caught else ""
            self.failed_in = None
            return f"{prefix}  ▶ {name}  ({kind.removesuffix('StateEntered')})"
        if kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            pending = self.entered.get(name)
            started = pending.pop(0) if pending else None
            took = f"{(event['timestamp'] - started).total_seconds() * 1000:.0f} ms" if started else ""
            return f"  ✓ {name}  {took}".rstrip()
        if kind.endswith("Scheduled") and self.failed_in == self.current:
            self.failed_in = None
            return f"  ↻ retrying {self.current}"
        if kind.endswith(_FAILURE_SUFFIXES) and not kind.startswith("Execution"):
            details = event_details(event)
            self.failed_in = self.current
            cause = short_cause(details.get("cause", ""))
            return f"  ✗ {self.current}: {details.get('error', kind)}{f' — {cause}' if cause else ''}"
        if kind == "ExecutionSucceeded":
            return "  ● succeeded"
        if kind in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            details = event.get("executionFailedEventDetails") or event.get("executionTimedOutEventDetails") or {}
            outcome = kind.removeprefix("Execution").lower()
            return f"  ● {outcome}: {details.get('error', '')} {short_cause(details.get('cause', ''))}"
        return None


def short_cause(text: str, limit: int = 160) -> str:
    """A Lambda error cause reduced to its message, on one line."""
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict) and "errorMessage" in parsed:
            text = str(parsed["errorMessage"])
    except (TypeError, ValueError):
        pass
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

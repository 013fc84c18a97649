"""What runs cost at AWS's published on-demand prices (a dated table; region-specific where it differs).

    price = Prices.for_region("ap-southeast-2")
    price.standard(transitions=12) + price.lambda_(invocations=2, duration_ms=120, memory_mb=256)
    estimate(result, "STANDARD", memory_mb={"my_function": 256}).total_usd   # from an execution's history

Prices change: the table says when it was read, and estimates are for comparing designs, not for invoices.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from aslkit.runtime.results import ExecutionResult, nearest_event

PRICES_AS_OF: Final = "2026-11-01"


@dataclass(frozen=True)
class Prices:
    region: str
    standard_transition: float  # USD per state transition (STANDARD)
    express_request: float  # USD per EXPRESS execution started
    express_gb_second: float  # USD per GB-second of EXPRESS duration (first tier)
    lambda_request: float  # USD per invocation
    lambda_gb_second: float  # USD per GB-second (x86, first tier)
    sqs_standard_request: float  # USD per 64 KB request
    sqs_fifo_request: float
    dynamodb_write: float  # USD per write request unit (on demand)
    dynamodb_read: float  # USD per read request unit (on demand)
    eventbridge_event: float  # USD per custom event put

    @staticmethod
    def for_region(region: str = "us-east-1") -> Prices:
        base = _PRICES["us-east-1"]
        return _PRICES.get(region, base)

    def standard(self, transitions: int) -> float:
        return transitions * self.standard_transition

    def express(self, requests: int, duration_ms: float, memory_mb: int = 64) -> float:
        """EXPRESS bills each execution in 100 ms steps of duration at the memory the workflow uses (64 MB min)."""
        billed_seconds = max(100.0, -(-duration_ms // 100) * 100) / 1000
        return requests * self.express_request + requests * billed_seconds * (memory_mb / 1024) * self.express_gb_second

    def lambda_(self, invocations: int, duration_ms: float, memory_mb: int) -> float:
        """Lambda bills each invocation's duration, rounded up to the millisecond (at least 1 ms), at its memory."""
        gb_seconds = invocations * (billed_ms(duration_ms) / 1000) * (memory_mb / 1024)
        return invocations * self.lambda_request + gb_seconds * self.lambda_gb_second


_US_EAST_1 = Prices(
    region="us-east-1",
    standard_transition=0.000025,
    express_request=0.000001,
    express_gb_second=0.00001667,
    lambda_request=0.0000002,
    lambda_gb_second=0.0000166667,
    sqs_standard_request=0.0000004,
    sqs_fifo_request=0.0000005,
    dynamodb_write=0.000000625,
    dynamodb_read=0.000000125,
    eventbridge_event=0.000001,
)
_PRICES: Final[dict[str, Prices]] = {
    "us-east-1": _US_EAST_1,
    "ap-southeast-2": Prices(
        region="ap-southeast-2",
        standard_transition=0.000025,
        express_request=0.000001,
        express_gb_second=0.00001667,
        lambda_request=0.0000002,
        lambda_gb_second=0.0000166667,
        sqs_standard_request=0.0000004,
        sqs_fifo_request=0.0000005,
        dynamodb_write=0.000000711,
        dynamodb_read=0.000000142,
        eventbridge_event=0.000001,
    ),
}


DEFAULT_LAMBDA_MEMORY_MB: Final = 128


@dataclass(frozen=True)
class RunCost:
    """One execution's billable usage and what it costs. Lambda work is what the history shows (an EXPRESS
    execution's is read from its log group: without one, its Lambda tasks are not counted)."""

    machine_type: str  # STANDARD or EXPRESS; a whole run's is its first execution's
    region: str
    executions: int = 1  # more than 1: a whole run, its child executions priced with it
    transitions: int = 0  # STANDARD: billed state transitions, retries included
    express_requests: int = 0
    express_ms: float = 0.0
    lambda_invocations: int = 0
    lambda_gb_seconds: float = 0.0
    step_functions_usd: float = 0.0
    lambda_usd: float = 0.0

    @property
    def total_usd(self) -> float:
        return self.step_functions_usd + self.lambda_usd

    def __add__(self, other: RunCost) -> RunCost:
        """Two parts of one run priced together (a parent and the children it started)."""
        return RunCost(
            self.machine_type,
            self.region,
            executions=self.executions + other.executions,
            transitions=self.transitions + other.transitions,
            express_requests=self.express_requests + other.express_requests,
            express_ms=self.express_ms + other.express_ms,
            lambda_invocations=self.lambda_invocations + other.lambda_invocations,
            lambda_gb_seconds=self.lambda_gb_seconds + other.lambda_gb_seconds,
            step_functions_usd=self.step_functions_usd + other.step_functions_usd,
            lambda_usd=self.lambda_usd + other.lambda_usd,
        )

    def describe(self) -> str:
        parts = []
        if self.transitions or self.machine_type == "STANDARD":
            parts.append(f"{self.transitions} transitions")
        if self.express_requests:
            parts.append(f"{self.express_requests} request(s), {self.express_ms:.0f} ms")
        usage = ", ".join(parts)
        if self.executions > 1:
            usage = f"{self.executions} executions: {usage}"
        if self.lambda_invocations:
            usage += f", {self.lambda_invocations} Lambda invocation(s), {self.lambda_gb_seconds:.4f} GB-s"
        return f"${self.total_usd:.6f} ({usage}; {self.region} prices of {PRICES_AS_OF})"


def estimate(
    result: ExecutionResult,
    machine_type: str,
    prices: Prices | None = None,
    memory_mb: Mapping[str, int] | None = None,
) -> RunCost:
    """What an execution costs, from its history: transitions (STANDARD) or request and duration (EXPRESS), plus
    each Lambda task's invocations and GB-seconds at the function's memory (`memory_mb` by function name or ARN;
    128 MB otherwise). Durations are task start to end, an upper bound of Lambda's billed duration."""
    prices = prices or Prices.for_region()
    invocations, gb_seconds, lambda_usd = 0, 0.0, 0.0
    for function, duration_ms in lambda_tasks(result.history):
        memory = _memory(function, memory_mb or {})
        invocations += 1
        gb_seconds += billed_ms(duration_ms) / 1000 * memory / 1024
        lambda_usd += prices.lambda_(1, duration_ms, memory)
    if machine_type == "EXPRESS":
        duration = result.duration_ms or 0.0
        return RunCost(machine_type, prices.region, express_requests=1, express_ms=duration,
                       lambda_invocations=invocations, lambda_gb_seconds=gb_seconds,
                       step_functions_usd=prices.express(1, duration), lambda_usd=lambda_usd)  # fmt: skip
    task_visits = sum(1 for visit in result.visits if visit.type == "Task")
    scheduled = sum(1 for event in result.history if event["type"] in ("TaskScheduled", "LambdaFunctionScheduled"))
    transitions = result.transitions + max(0, scheduled - task_visits)
    return RunCost(machine_type, prices.region, transitions=transitions, lambda_invocations=invocations,
                   lambda_gb_seconds=gb_seconds, step_functions_usd=prices.standard(transitions),
                   lambda_usd=lambda_usd)  # fmt: skip


def estimate_run(
    results: Sequence[ExecutionResult], prices: Prices | None = None, memory_mb: Mapping[str, int] | None = None
) -> RunCost:
    """A whole run priced together: its first execution and every child it started (`.sync`, `.sync:2`,
    Distributed Map children), each at its own type (an EXPRESS execution's ARN says so)."""
    if not results:
        raise ValueError("a run has at least one execution")
    costs = [estimate(result, machine_type_of(result.arn), prices, memory_mb) for result in results]
    total = costs[0]
    for cost in costs[1:]:
        total = total + cost
    return total


def machine_type_of(execution_arn: str) -> str:
    """EXPRESS or STANDARD, as the execution's ARN says (`...:express:...` for EXPRESS)."""
    return "EXPRESS" if ":express:" in execution_arn else "STANDARD"


def lambda_tasks(history: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """(function name or ARN, milliseconds) for every Lambda invocation in an execution history, retries included."""
    by_id = {event["id"]: event for event in history}
    found: list[tuple[str, float]] = []
    for event in history:
        kind = event["type"]
        if kind not in ("TaskSucceeded", "TaskFailed", "TaskTimedOut", "LambdaFunctionSucceeded",
                        "LambdaFunctionFailed", "LambdaFunctionTimedOut"):  # fmt: skip
            continue
        started = nearest_event(by_id, event, ("TaskStarted", "LambdaFunctionStarted"), limit=10)
        scheduled = nearest_event(by_id, event, ("TaskScheduled", "LambdaFunctionScheduled"), limit=10)
        if scheduled is None or started is None:
            continue
        details = scheduled.get("taskScheduledEventDetails") or {}
        if kind.startswith("Task") and details.get("resourceType") != "lambda":
            continue
        function = _function_name(scheduled)
        found.append((function, _ms(started["timestamp"], event["timestamp"])))
    return found


def _function_name(scheduled: dict[str, Any]) -> str:
    if "lambdaFunctionScheduledEventDetails" in scheduled:
        return str(scheduled["lambdaFunctionScheduledEventDetails"].get("resource", ""))
    try:
        parameters = json.loads(scheduled["taskScheduledEventDetails"].get("parameters") or "{}")
    except ValueError:
        return ""
    return str(parameters.get("FunctionName", ""))


def billed_ms(duration_ms: float) -> int:
    """Lambda's billed duration: rounded up to the millisecond, at least 1 ms (a task that took no virtual time
    in the engine is billed as AWS would bill its shortest run)."""
    return max(1, math.ceil(duration_ms))


def _memory(function: str, memory_mb: Mapping[str, int]) -> int:
    name = function.split(":function:", 1)[-1].split(":", 1)[0]
    return memory_mb.get(function) or memory_mb.get(name) or DEFAULT_LAMBDA_MEMORY_MB


def _ms(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() * 1000)

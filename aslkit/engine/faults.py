"""Faults the engine injects: by state name, resource or service operation, on every call, the Nth call, or with
a probability drawn from the run's seed; recorded in the history as AWS records the real thing.

    from aslkit.engine import faults

    engine.faults = faults.Plan([
        faults.error("WriteFailed", "disk full", state="Write status", calls=[2]),   # the 2nd time the state runs
        faults.throttle(operation="dynamodb:UpdateItem", probability=0.1),           # a handler's or a task's call
        faults.lost_response(resource="crackling_index"),                            # ran, but its answer was lost
        faults.slow(30, state="Take genome lock"),                                   # 30 virtual seconds
        faults.timeout(state="Download part"),
    ], seed=7)

Where a fault applies:
- `state=` / `resource=` (a function name, or text in the Task's Resource ARN): a Task state's call. `error` and
  `throttle` fail it before the call; `timeout` fails it with `States.Timeout` once the state's TimeoutSeconds has
  passed (a Lambda function without one: `Sandbox.Timedout` after the function's timeout), without the call;
  `lost_response` makes the call (its effects stay) and fails the state as the lost answer would; `slow` makes the
  call after `seconds` of virtual time (a TimeoutSeconds that passes first times the state out).
- `operation="service:Action"` (`dynamodb:PutItem`, `s3:GetObject`): every boto3 call a handler makes while the
  engine runs it, and every `aws-sdk:*` / optimized integration call. The caller sees the service's error
  (`ClientError` in a handler; `DynamoDB.ConditionalCheckFailedException` in a state), a throttling error, a read
  timeout (`timeout`: no effect; `lost_response`: after the call took effect). `slow` applies to Task states only.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal, TypedDict, Unpack

from aslkit.asl.errors import Lambda, States
from aslkit.errors import UserInputError

Kind = Literal["error", "throttle", "timeout", "lost_response", "slow"]

#: the error names of a throttled call, per service (others: `<Service>.ThrottlingException`)
THROTTLED: dict[str, str] = {
    "lambda": "TooManyRequestsException",
    "dynamodb": "ProvisionedThroughputExceededException",
    "s3": "SlowDown",
    "sqs": "RequestThrottled",
    "states": "ThrottlingException",
}


@dataclass(frozen=True)
class Fault:
    """One kind of failure, where it applies (`state`, `resource`, `operation`; all given must match) and when
    (`calls`: the Nth matching calls, counted from 1 in each run; `probability`: drawn from the run's seed)."""

    kind: Kind
    state: str | None = None
    resource: str | None = None
    operation: str | None = None
    error: str = ""
    cause: str = ""
    seconds: float = 0.0
    calls: frozenset[int] | None = None
    probability: float = 1.0

    def __post_init__(self) -> None:
        if self.state is None and self.resource is None and self.operation is None:
            raise UserInputError(f"a {self.kind} fault needs a state=, resource= or operation= to apply to")
        if self.operation is not None and ":" not in self.operation:
            raise UserInputError(f"operation={self.operation!r}: write it service:Action, as dynamodb:PutItem")
        if not 0.0 <= self.probability <= 1.0:
            raise UserInputError(f"probability={self.probability}: give a number from 0 to 1")

    def describe(self) -> str:
        where = ", ".join(f"{k}={v!r}" for k, v in (("state", self.state), ("resource", self.resource),
                                                    ("operation", self.operation)) if v is not None)  # fmt: skip
        return f"{self.kind}({self.error or self.seconds or ''}) at {where}".replace("() ", " ")


class Where(TypedDict, total=False):
    """Where and when a fault applies (see `Fault`)."""

    state: str
    resource: str
    operation: str
    calls: Iterable[int]
    probability: float


def _fault(kind: Kind, where: Where, *, error: str = "", cause: str = "", seconds: float = 0.0) -> Fault:
    calls = where.get("calls")
    return Fault(kind, where.get("state"), where.get("resource"), where.get("operation"), error, cause, seconds,
                 None if calls is None else frozenset(calls), where.get("probability", 1.0))  # fmt: skip


def error(name: str, cause: str = "", **where: Unpack[Where]) -> Fault:
    """The call fails with `name` (and `cause`): in a state, the error Retry and Catch see; for an operation, the
    service's error code (`ConditionalCheckFailedException`)."""
    return _fault("error", where, error=name, cause=cause or f"{name} (injected)")


def throttle(**where: Unpack[Where]) -> Fault:
    """The call is refused as throttled (Lambda.TooManyRequestsException, DynamoDB's ProvisionedThroughput...)."""
    return _fault("throttle", where)


def timeout(**where: Unpack[Where]) -> Fault:
    """The call never answers: the state times out, or the SDK's read times out; the call has no effect."""
    return _fault("timeout", where)


def lost_response(**where: Unpack[Where]) -> Fault:
    """The call takes effect but its answer is lost: the caller sees a failure and may well try again."""
    return _fault("lost_response", where)


def slow(seconds: float, **where: Unpack[Where]) -> Fault:
    """A Task state's call answers after `seconds` of virtual time."""
    return _fault("slow", where, seconds=seconds)


@dataclass(frozen=True)
class Call:
    """What is being called: a Task state's (state, resource) or a service operation (`dynamodb:PutItem`)."""

    state: str | None = None
    resource: str | None = None
    operation: str | None = None

    def matches(self, fault: Fault) -> bool:
        if fault.state is not None and fault.state != self.state:
            return False
        if fault.resource is not None and (self.resource is None or fault.resource not in self.resource):
            return False
        if fault.operation is not None:
            return self.operation is not None and fault.operation.lower() == self.operation.lower()
        return True


@dataclass
class Plan:
    """The faults of one run, with their call counts and the seeded draws of their probabilities."""

    faults: list[Fault]
    seed: int = 0
    injected: list[tuple[Fault, Call]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"faults:{self.seed}")
        self._counts = [0] * len(self.faults)

    def pick_task(self, call: Call) -> Fault | None:
        """The fault for a Task state's call now: those by state or resource, and `slow` by operation."""
        return self._pick(call, lambda fault: fault.operation is None or fault.kind == "slow")

    def pick_operation(self, call: Call) -> Fault | None:
        """The fault for a service operation called now (by a handler, or by an integration): those by operation."""
        return self._pick(call, lambda fault: fault.operation is not None and fault.kind != "slow")

    def _pick(self, call: Call, applies: Callable[[Fault], bool]) -> Fault | None:
        """The first fault that applies to this call now (counting the call for every fault that matches)."""
        chosen = None
        for index, fault in enumerate(self.faults):
            if not applies(fault) or not call.matches(fault):
                continue
            self._counts[index] += 1
            if chosen is not None:
                continue
            if fault.calls is not None and self._counts[index] not in fault.calls:
                continue
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            chosen = fault
        if chosen is not None:
            self.injected.append((chosen, call))
        return chosen


def task_error(fault: Fault, service: str, prefix: str) -> tuple[str, str]:
    """The (error, cause) a Task state records for `fault`, for a resource of `service` ("function" for a plain
    Lambda ARN; `prefix` is the service's error prefix in Step Functions, `DynamoDB`)."""
    lambda_like = service in ("function", "lambda")
    if fault.kind == "error":
        return fault.error, fault.cause
    if fault.kind == "throttle":
        name = Lambda.TOO_MANY_REQUESTS if lambda_like else f"{prefix}.{_throttled(service)}"
        return name, "Rate exceeded (injected)"
    if fault.kind == "lost_response":
        name = Lambda.SDK_CLIENT_EXCEPTION if lambda_like else f"{prefix}.SdkClientException"
        return name, "Unable to execute HTTP request: Read timed out (injected: the call took effect)"
    return States.TIMEOUT, "The task timed out (injected)"


def _throttled(service: str) -> str:
    name = THROTTLED.get(service, "ThrottlingException")
    return name if name.endswith("Exception") else name + "Exception"


def operation_error(fault: Fault, service: str) -> tuple[str, str]:
    """The service error code and message a handler's boto3 call gets for an `error` or `throttle` fault."""
    if fault.kind == "error":
        return fault.error, fault.cause
    return THROTTLED.get(service, "ThrottlingException"), "Rate exceeded (injected)"


def error_status(fault: Fault, service: str) -> int:
    """The HTTP status of that error: a throttled Lambda answers 429, a throttled S3 503, the rest 400."""
    if fault.kind == "throttle":
        return {"lambda": 429, "s3": 503}.get(service, 400)
    return 400


#: True while the engine calls a handler or a service for a state: only those calls are faulted (not the test's
#: own, nor the engine's deliveries)
_IN_CALL: ContextVar[bool] = ContextVar("aslkit_fault_scope", default=False)


@contextlib.contextmanager
def in_call() -> Iterator[None]:
    token = _IN_CALL.set(True)
    try:
        yield
    finally:
        _IN_CALL.reset(token)


def faultable() -> bool:
    return _IN_CALL.get()

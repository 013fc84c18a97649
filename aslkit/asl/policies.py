"""Retry and Catch: what a Task, Parallel or Map does when it fails."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from aslkit.asl.errors import States
from aslkit.asl.values import Discard, JsonValue, render_value

if TYPE_CHECKING:
    from aslkit.asl.graph import Chainable
    from aslkit.asl.states import State

JitterStrategy = Literal["FULL", "NONE"]


@dataclass
class Retry:
    """One retrier: which errors, how often, how fast the interval grows and how far it may go."""

    errors: Sequence[str] = (States.ALL,)
    interval_seconds: int | None = None
    max_attempts: int | None = None
    backoff_rate: float | None = None
    max_delay_seconds: int | None = None
    jitter_strategy: JitterStrategy | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.errors, str):
            self.errors = (self.errors,)

    @classmethod
    def lambda_transient(cls) -> Retry:
        """The retrier AWS recommends on every `lambda:invoke` task: the service's transient errors, 3 attempts
        from 1 s, doubling, with full jitter."""
        from aslkit.asl.errors import LAMBDA_TRANSIENT

        return cls(LAMBDA_TRANSIENT, interval_seconds=1, max_attempts=3, backoff_rate=2, jitter_strategy="FULL")

    @classmethod
    def dynamodb_transient(cls, *also: str) -> Retry:
        """For a DynamoDB task: its transient errors (and `also` these), 6 attempts from 1 s, doubling up to 20 s,
        with full jitter (a throttled table recovers within seconds)."""
        from aslkit.asl.errors import DYNAMODB_TRANSIENT

        return cls([*DYNAMODB_TRANSIENT, *also], interval_seconds=1, max_attempts=6, backoff_rate=2,
                   max_delay_seconds=20, jitter_strategy="FULL")  # fmt: skip

    @classmethod
    def dynamodb_throttled(cls) -> Retry:
        """For a conditional DynamoDB write: its throttling only (a throttled request never took effect), paced like
        `dynamodb_transient`."""
        from aslkit.asl.errors import DYNAMODB_THROTTLED

        return cls(list(DYNAMODB_THROTTLED), interval_seconds=1, max_attempts=6, backoff_rate=2,
                   max_delay_seconds=20, jitter_strategy="FULL")  # fmt: skip

    def render(self) -> dict[str, object]:
        fields: dict[str, object] = {
            "Comment": self.comment,
            "ErrorEquals": list(self.errors),
            "IntervalSeconds": self.interval_seconds,
            "MaxAttempts": self.max_attempts,
            "BackoffRate": self.backoff_rate,
            "MaxDelaySeconds": self.max_delay_seconds,
            "JitterStrategy": self.jitter_strategy,
        }
        return {key: value for key, value in fields.items() if value is not None}


@dataclass
class Catch:
    """One catcher: on these errors, go to `next` (a state or a chain), keeping the error where you say."""

    errors: Sequence[str]
    next: Chainable
    result_path: str | Discard | None = None
    output: JsonValue = None
    assign: Mapping[str, JsonValue] | None = None
    comment: str | None = None
    _target: State | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        from aslkit.asl.graph import start_of

        if isinstance(self.errors, str):
            self.errors = (self.errors,)
        self._target = start_of(self.next)

    @property
    def target(self) -> State:
        assert self._target is not None
        return self._target

    def render(self, placeholders: set[str]) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.comment is not None:
            out["Comment"] = self.comment
        out["ErrorEquals"] = list(self.errors)
        if self.result_path is not None:
            out["ResultPath"] = render_value(self.result_path)
        if self.output is not None:
            out["Output"] = render_value(self.output, placeholders)
        if self.assign is not None:
            out["Assign"] = render_value(self.assign, placeholders)
        out["Next"] = self.target.name
        return out

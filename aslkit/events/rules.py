"""EventBridge rules and schedules: what starts a workflow, and with what input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aslkit import names
from aslkit.asl.machine import StateMachine
from aslkit.errors import SpecError
from aslkit.events import schedules
from aslkit.resources import Function, Queue, Resource, Topic, check_name

#: What a rule or schedule delivers to: a state machine starts, a function is invoked, a queue or topic gets the event.
Target = StateMachine | Function | Queue | Topic


@dataclass(frozen=True)
class EventBus(Resource):
    """A custom event bus. Rules without a bus listen on the account's default bus."""

    kind = "bus"
    adoptable = True
    stateful = True

    def attributes(self) -> tuple[str, ...]:
        return ("name", "arn")


@dataclass(frozen=True)
class InputTransformer:
    """`input_paths` map names to JSONPaths of the event; `template` uses them as `<name>`."""

    input_paths: Mapping[str, str]
    template: str


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule: events matching `pattern` on `bus` go to `target`.

    Every rule has a DLQ (`dlq`, or one the deployer creates) and a retry policy, so an event that cannot be
    delivered is kept where it can be seen again.
    """

    name: str
    pattern: Mapping[str, Any]
    target: Target
    bus: EventBus | None = None
    input_path: str | None = None
    input_transformer: InputTransformer | None = None
    dlq: Queue | None = None
    max_retry_attempts: int = 10
    max_event_age_seconds: int = 3600
    description: str = ""

    def __post_init__(self) -> None:
        check_name("rule", self.name)
        if self.input_path and self.input_transformer:
            raise SpecError(f"rule {self.name!r}: give input_path or input_transformer, not both")
        if not self.pattern:
            raise SpecError(f"rule {self.name!r} needs an event pattern")

    @property
    def dead_letter_queue(self) -> Queue:
        """Where its undeliverable events are kept: the queue the spec names, or `<rule>_dlq` that every deployer
        creates for it (a store itself: no dead-letter queue of its own)."""
        return self.dlq or Queue(names.dlq(self.name), max_receive_count=None)


@dataclass(frozen=True)
class Schedule:
    """A schedule (`rate(5 minutes)`, `cron(0 2 * * ? *)`) that starts `target` with `input` (an EventBridge
    scheduled rule: the expression is checked as EventBridge checks it, `aslkit.events.schedules`)."""

    name: str
    expression: str
    target: Target
    input: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        check_name("schedule", self.name)
        try:
            schedules.parse(self.expression)
        except schedules.ScheduleError as error:
            raise SpecError(f"schedule {self.name!r}: {error}") from None

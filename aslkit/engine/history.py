"""An execution's history in AWS's GetExecutionHistory shape, so results, reports, diagrams and cost read it as
they read LocalStack's or AWS's."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aslkit.runtime.results import details_key

#: Step Functions' quota on one execution's history
MAX_EVENTS = 25_000


def text(value: Any) -> str:
    """JSON as Step Functions writes it in histories and descriptions (compact)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class History:
    """Events appended in order; each lane (the execution, a Parallel branch, a Map iteration) chains its own
    previousEventId, as AWS's histories do."""

    def __init__(self, clock: Callable[[], float], journal: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self._clock = clock
        self._journal = journal

    def add(self, kind: str, lane: list[int], details: dict[str, Any] | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(self._clock(), UTC),
            "type": kind,
            "id": len(self.events) + 1,
            "previousEventId": lane[0],
        }
        if details is not None:
            event[details_key(kind)] = details
        self.events.append(event)
        lane[0] = event["id"]
        if self._journal is not None:
            self._journal(event)
        return event

    @property
    def full(self) -> bool:
        return len(self.events) >= MAX_EVENTS

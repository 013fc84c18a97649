"""Putting the workflow's events on its bus: one entry, and a failure when EventBridge refuses it."""

from __future__ import annotations

import json
from typing import Any


def put_event(events: Any, bus: str, source: str, detail_type: str, detail: dict[str, Any]) -> None:
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": bus}
    response = events.put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge refused {detail_type} on {bus}: {response['Entries']}")

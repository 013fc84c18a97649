"""Summarise the libraries of a sequencing run: a pure function and its handler."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="example")
tracer = Tracer()

KNOWN_TYPES = frozenset({"WGS", "WTS", "WES", "ctDNA"})


class InvalidRun(ValueError):
    """The run description cannot be summarised; the message says which field is wrong."""


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    """Count a run's libraries per type; raise `InvalidRun` naming the first problem."""
    run_id = run.get("runId")
    if not isinstance(run_id, str) or not run_id:
        raise InvalidRun("runId is missing or empty")
    libraries = run.get("libraries")
    if not isinstance(libraries, list):
        raise InvalidRun(f"run {run_id}: libraries must be a list")
    counts: Counter[str] = Counter()
    for index, library in enumerate(libraries):
        kind = library.get("type") if isinstance(library, dict) else None
        if kind not in KNOWN_TYPES:
            raise InvalidRun(f"run {run_id}: library {index} has type {kind!r}; expected one of {sorted(KNOWN_TYPES)}")
        counts[kind] += 1
    return {"runId": run_id, "libraryCount": len(libraries), "byType": dict(sorted(counts.items()))}


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return summarise(event)

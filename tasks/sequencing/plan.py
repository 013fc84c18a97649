"""Pure task handlers of the orchestrator: sample sheet to libraries, and tumor/normal pairing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.sequencing import pairing, samplesheet

logger = Logger()
tracer = Tracer()


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def parse_samplesheet(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"libraries": samplesheet.libraries(event["samplesheet"])}


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def pair_libraries(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return pairing.pair(event["libraries"], event.get("qc") or [], rows=event.get("rows"), earlier=event.get("earlier"),
                        skip=event.get("skip"))  # fmt: skip

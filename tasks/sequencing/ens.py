"""ICA ENS messages (SQS records) read, validated, and turned into the platform's events. Pure functions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from tasks.sequencing.status import sequence_run_status, workflow_run_status

SCHEMAS = Path(__file__).with_name("schemas")
ENS_TYPES = ("bssh.runs", "wes.runs", "gds.files")


class MalformedEnsMessage(ValueError):
    """An ENS message that cannot be read; the message says what is wrong. It goes to the DLQ with this reason."""


class ContractViolation(ValueError):
    """An event does not match its JSON Schema; the message names the field."""


@dataclass(frozen=True)
class EnsMessage:
    message_id: str
    type: str
    action: str
    action_date: str
    body: dict[str, Any]


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def check(name: str, document: Any) -> None:
    """Raise ContractViolation with the first error's location, if `document` breaks schema `name`."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise ContractViolation(f"{name}: {where}: {first.message}")


def parse_record(record: dict[str, Any]) -> EnsMessage:
    """An SQS record of an ENS message, with its attributes read case-insensitively (ENS mixes the cases)."""
    attributes = {
        key.lower(): (value.get("stringValue") if isinstance(value, dict) else value)
        for key, value in (record.get("messageAttributes") or {}).items()
    }
    ens_type = attributes.get("type")
    if ens_type not in ENS_TYPES:
        raise MalformedEnsMessage(f"message attribute 'type' is {ens_type!r}; expected one of {', '.join(ENS_TYPES)}")
    try:
        body = json.loads(record.get("body") or "")
    except ValueError as error:
        raise MalformedEnsMessage(f"{ens_type} body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise MalformedEnsMessage(f"{ens_type} body is {type(body).__name__}, not a JSON object")
    schema = {"bssh.runs": "ens_bssh_runs", "wes.runs": "ens_wes_runs"}.get(ens_type)
    if schema:
        try:
            check(schema, body)
        except ContractViolation as error:
            raise MalformedEnsMessage(str(error)) from error
    return EnsMessage(
        message_id=str(record.get("messageId", "")),
        type=ens_type,
        action=str(attributes.get("action") or ""),
        action_date=str(attributes.get("actiondate") or ""),
        body=body,
    )


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def sequence_run_state_change(message: EnsMessage) -> dict[str, Any]:
    """The SequenceRunStateChange detail of a bssh.runs message (raises UnknownRunStatus on an unmapped status)."""
    body = message.body
    detail = {
        "sequence_run_id": body["id"],
        "sequence_run_name": body["name"],
        "instrument_run_id": body.get("instrumentRunId") or body["name"],
        "gds_volume_name": body["gdsVolumeName"],
        "gds_folder_path": body["gdsFolderPath"],
        "sample_sheet_name": body.get("sampleSheetName") or "SampleSheet.csv",
        "status": sequence_run_status(body["status"]),
        "bssh_status": body["status"],
        "date_modified": body["dateModified"],
        "timestamp": _timestamp(message.action_date),
    }
    check("SequenceRunStateChange", detail)
    return detail


def bssh_dedup_key(message: EnsMessage) -> str:
    """Production deduplicated on (run id, dateModified, status)."""
    body = message.body
    return f"{body['id']}|{body['dateModified']}|{body['status']}"


@dataclass(frozen=True)
class WesOutcome:
    workflow_run_name: str
    workflow_run_id: str
    status: str
    terminal: bool
    output: Any
    error: str
    cause: str
    dedup_key: str


def wes_outcome(message: EnsMessage) -> WesOutcome:
    body = message.body
    status, terminal = workflow_run_status(body["EventType"])
    details = body.get("EventDetails") or {}
    run = body["WorkflowRun"]
    return WesOutcome(
        workflow_run_name=body["Name"],
        workflow_run_id=run["Id"],
        status=status,
        terminal=terminal,
        output=run.get("Output"),
        error=str(details.get("Error") or f"WES.{status.title()}"),
        cause=str(details.get("Cause") or ""),
        dedup_key=f"{body['Name']}|{body['EventType']}|{body.get('EventId', body.get('Timestamp', ''))}",
    )


def workflow_run_state_change(outcome: WesOutcome, timestamp: str) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "workflow_run_id": outcome.workflow_run_id,
        "workflow_run_name": outcome.workflow_run_name,
        "status": outcome.status,
        "timestamp": _timestamp(timestamp),
    }
    if outcome.output is not None:
        detail["output"] = outcome.output
    if outcome.status in ("FAILED", "ABORTED"):
        detail["error"], detail["cause"] = outcome.error, outcome.cause
    check("WorkflowRunStateChange", detail)
    return detail


def _timestamp(value: str) -> str:
    """An RFC 3339 timestamp from ENS's (which may carry 7 fractional digits), or now."""
    if not value:
        return now()
    text = value.replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        return datetime.fromisoformat(text).astimezone(UTC).isoformat().replace("+00:00", "Z")
    except ValueError:
        return now()

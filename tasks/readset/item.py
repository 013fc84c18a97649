"""The read-set metadata item, built from what HealthOmics returns. Pure functions.

Step Functions' `aws-sdk:omics:*` integrations return the API's shapes with PascalCase names (`Files.Source1`).
Any field the HealthOmics API model does not mark as required may be absent: such a field is left out of the item,
never written as null. The item is keyed by `set_arn` and has one status attribute, `set_status`.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeSerializer

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "aslkit"))
_serializer = TypeSerializer()
FILE_SLOTS = (("Source1", "source1"), ("Source2", "source2"), ("Index", "index"))
#: How long a deleted read set's tombstone is kept: it stops late, older events from bringing it back.
TOMBSTONE_DAYS = 30


class InvalidReadSetEvent(ValueError):
    """The event lacks what identifies the read set (arn, sequenceStoreId, id, status)."""


def build_item(
    *,
    read_set: dict[str, Any],
    event_time: str,
    status: str,
    metadata: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    store: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole item. `read_set` has at least `arn`, `id`, `sequenceStoreId` (from the event or ListReadSets);
    `metadata` is GetReadSetMetadata's response (absent for archived read sets: no file information)."""
    read_set = {key[:1].lower() + key[1:]: value for key, value in read_set.items()}  # events and lists differ
    for key in ("arn", "id", "sequenceStoreId"):
        if not read_set.get(key):
            raise InvalidReadSetEvent(f"the read set has no {key!r}: {read_set}")
    source = {**_camel(read_set), **(metadata or {})}
    item: dict[str, Any] = {
        "set_arn": read_set["arn"],
        "set_id": read_set["id"],
        "set_status": status,
        "event_time": event_time,
        "set_name": source.get("Name"),
        "set_description": source.get("Description"),
        "set_type": source.get("FileType"),
        "set_sample_id": source.get("SampleId"),
        "set_subject_id": source.get("SubjectId"),
        "set_reference_arn": source.get("ReferenceArn"),
        "files": _files(metadata) if metadata else None,
        "store": _store(store, read_set["sequenceStoreId"]),
        "tags": dict((tags or {}).get("Tags") or {}),
    }
    return {key: value for key, value in item.items() if value is not None}


def _camel(read_set: dict[str, Any]) -> dict[str, Any]:
    """ListReadSets entries and events use camelCase: align them with the PascalCase SDK responses."""
    return {key[:1].upper() + key[1:]: value for key, value in read_set.items()}


def _files(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    files = metadata.get("Files") or {}
    etags = metadata.get("Etag") or {}
    out = []
    for slot, file_type in FILE_SLOTS:
        entry = files.get(slot)
        if not entry:
            continue
        record = {
            "file_type": file_type,
            "file_path": (entry.get("S3Access") or {}).get("S3Uri"),
            "etag": etags.get(slot),
            "content_length": entry.get("ContentLength"),
            "part_size": entry.get("PartSize"),
            "total_parts": entry.get("TotalParts"),
        }
        out.append({key: value for key, value in record.items() if value is not None})
    return out


def _store(store: dict[str, Any] | None, store_id: str) -> dict[str, Any]:
    store = store or {}
    access = store.get("S3Access") or {}
    record = {
        "store_id": store.get("Id") or store_id,
        "store_arn": store.get("Arn"),
        "store_name": store.get("Name"),
        "store_type": "sequence_store",  # the original's value
        "store_uri": access.get("S3Uri"),
        "store_ap_arn": access.get("S3AccessPointArn"),
    }
    return {key: value for key, value in record.items() if value is not None}


def to_dynamodb(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed JSON (numbers as Decimal first, so integers stay integers)."""
    return {key: _serializer.serialize(_decimals(value)) for key, value in item.items()}


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """{read_set, event_time, status, metadata?, tags?, store?} -> {item: <DynamoDB JSON>}"""
    item = build_item(
        read_set=event["read_set"],
        event_time=event["event_time"],
        status=event["status"],
        metadata=event.get("metadata"),
        tags=event.get("tags"),
        store=event.get("store"),
    )
    metrics.add_metric(name="ReadSetItemsBuilt", unit=MetricUnit.Count, value=1)
    return {"item": to_dynamodb(item)}

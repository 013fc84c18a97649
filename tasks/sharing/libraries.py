"""The library metadata the sharing service reads: one item per (instrument run, library), as the LIMS sync writes it.

Item: `instrument_run_id` (partition key), `library_id` (sort key), `project_id`, optional `owner_id`,
`subject_id`, `sample_id`, and `fastq_uri`, the S3 prefix that holds the library's FASTQ files of that run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()


def items_with(dynamodb: Any, table: str, key: str, value: str) -> list[dict[str, Any]]:
    """Every item whose partition key `key` is `value` (all pages of the query), as plain Python values."""
    items: list[dict[str, Any]] = []
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="#key = :value",
        ExpressionAttributeNames={"#key": key},
        ExpressionAttributeValues={":value": {"S": value}},
    )
    for page in pages:
        items += [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in page.get("Items", [])]
    return items


def libraries_of_run(dynamodb: Any, table: str, instrument_run_id: str) -> list[dict[str, Any]]:
    """Every library item of a run."""
    return items_with(dynamodb, table, "instrument_run_id", instrument_run_id)


def select(
    libraries: Iterable[dict[str, Any]],
    *,
    projects: Iterable[str] = (),
    library_ids: Iterable[str] = (),
    owner: str | None = None,
) -> list[dict[str, Any]]:
    """The libraries in any of `projects` (all when none given), among `library_ids` (all when none given), owned by
    `owner` (any when None). Pure."""
    wanted_projects, wanted_ids = set(projects), set(library_ids)
    return [
        library
        for library in libraries
        if (not wanted_projects or library.get("project_id") in wanted_projects)
        and (not wanted_ids or library.get("library_id") in wanted_ids)
        and (owner is None or library.get("owner_id") == owner)
    ]

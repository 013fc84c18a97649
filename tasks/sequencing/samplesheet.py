"""Illumina v2 sample sheets: the libraries of a run, from `[BCLConvert_Data]` joined with `[Cloud_Data]`."""

from __future__ import annotations

import csv
import io
from typing import Any


class InvalidSampleSheet(ValueError):
    """The sample sheet cannot give the run's libraries; the message names the section or line."""


def sections(text: str) -> dict[str, list[str]]:
    """Lines per `[Section]`, blank lines and trailing commas dropped."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().rstrip(",")
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            if current in out:
                raise InvalidSampleSheet(f"section [{current}] appears twice (line {number})")
            out[current] = []
        elif current is None:
            raise InvalidSampleSheet(f"line {number} is outside any [Section]: {raw!r}")
        else:
            out[current].append(line)
    return out


def _table(lines: list[str], section: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not lines:
        raise InvalidSampleSheet(f"section [{section}] is empty")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    missing = [column for column in required if column not in (rows[0].keys() if rows else lines[0].split(","))]
    if missing:
        raise InvalidSampleSheet(f"section [{section}] lacks column(s) {', '.join(missing)}")
    return [{key.strip(): (value or "").strip() for key, value in row.items() if key} for row in rows]


def libraries(text: str) -> list[dict[str, Any]]:
    """One entry per Sample_ID: lanes, indexes, project, and the LibraryName from [Cloud_Data]."""
    found = sections(text)
    if "Header" in found and not any(line.startswith("FileFormatVersion,2") for line in found["Header"]):
        raise InvalidSampleSheet("only v2 sample sheets are supported: [Header] needs FileFormatVersion,2")
    if "BCLConvert_Data" not in found:
        raise InvalidSampleSheet("no [BCLConvert_Data] section")
    data = _table(found["BCLConvert_Data"], "BCLConvert_Data", ("Sample_ID",))
    cloud = {row["Sample_ID"]: row for row in _table(found.get("Cloud_Data", []) or ["Sample_ID"], "Cloud_Data", ())}
    by_id: dict[str, dict[str, Any]] = {}
    for row in data:
        sample_id = row["Sample_ID"]
        if not sample_id:
            raise InvalidSampleSheet("a [BCLConvert_Data] row has an empty Sample_ID")
        entry = by_id.setdefault(
            sample_id,
            {
                "library_id": sample_id,
                "library_name": cloud.get(sample_id, {}).get("LibraryName") or sample_id,
                "project": row.get("Sample_Project", ""),
                "index": row.get("index", ""),
                "index2": row.get("index2", ""),
                "lanes": [],
            },
        )
        if row.get("Lane"):
            entry["lanes"].append(int(row["Lane"]))
    return list(by_id.values())

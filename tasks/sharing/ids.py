"""Identifiers of the sharing service: package and push ids (`pkg.<ULID>`, `psh.<ULID>`) and execution names.

Ids are ULIDs (26 Crockford base-32 characters: 48 bits of milliseconds, 80 bits of randomness), so they sort by
creation time. The id of a record a state machine creates is derived from its execution (start time, plus a hash of
the execution ARN as the randomness): a retried task writes the same record, never a second one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_PATTERN = r"[0-9A-HJKMNP-TV-Z]{26}"
KINDS = {"package": "pkg", "push": "psh"}
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
MAX_EXECUTION_NAME = 80


def ulid(milliseconds: int, randomness: int) -> str:
    """The ULID of a time (ms since the epoch) and 80 bits of randomness."""
    if not 0 <= milliseconds < 2**48 or not 0 <= randomness < 2**80:
        raise ValueError("a ULID holds 48 bits of time and 80 bits of randomness")
    value = (milliseconds << 80) | randomness
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_id(kind: str, when: datetime | None = None) -> str:
    """A fresh id (`aslkit share` uses it to name what it starts)."""
    moment = when or datetime.now().astimezone()
    return f"{KINDS[kind]}.{ulid(int(moment.timestamp() * 1000), secrets.randbits(80))}"


def id_for_execution(kind: str, execution_arn: str, execution_name: str, start_time: str) -> str:
    """The record id of an execution: its name when that is already an id of this kind (`aslkit share` names its
    executions so), otherwise derived from its start time and ARN (stable across retries)."""
    prefix = KINDS[kind]
    if re.fullmatch(rf"{prefix}\.{ULID_PATTERN}", execution_name):
        return execution_name
    started = datetime.fromisoformat(start_time.replace("Z", "+00:00"))
    randomness = int.from_bytes(hashlib.sha256(execution_arn.encode()).digest()[:10], "big")
    return f"{prefix}.{ulid(int(started.timestamp() * 1000), randomness)}"


def execution_name(job_name: str, instrument_run_id: str) -> str:
    """The child execution of one job for one run: the same (job, run) always gets the same name, so a repeated
    trigger cannot start a second package. Characters Step Functions refuses become `-`; a name over 80 characters
    keeps its start and ends with a hash of the whole."""
    name = _NAME_CHARS.sub("-", f"{job_name}__{instrument_run_id}").strip("-")
    if len(name) <= MAX_EXECUTION_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{name[: MAX_EXECUTION_NAME - 13]}-{digest}"

"""ENS statuses mapped to the platform's: BSSH run status -> SequenceRunStateChange, WES EventType -> outcome."""

from __future__ import annotations

from typing import Final


class UnknownRunStatus(ValueError):
    """A BSSH run status this mapping does not know; the message is kept in the DLQ with the status named."""


BSSH_STATUS: Final[dict[str, str]] = {
    **dict.fromkeys(("uploading", "running", "new"), "STARTED"),
    **dict.fromkeys(("complete", "analyzing", "pendinganalysis"), "SUCCEEDED"),
    **dict.fromkeys(("failed", "needsattention", "timedout", "failedupload"), "FAILED"),
    "stopped": "ABORTED",
}

#: WES EventType -> (WorkflowRunStateChange status, terminal?)
WES_EVENT: Final[dict[str, tuple[str, bool]]] = {
    "RunRequested": ("REQUESTED", False),
    "RunStarted": ("RUNNING", False),
    "RunUpdated": ("RUNNING", False),
    "RunSucceeded": ("SUCCEEDED", True),
    "RunFailed": ("FAILED", True),
    "RunAborted": ("ABORTED", True),
}


def sequence_run_status(bssh_status: str) -> str:
    key = bssh_status.replace("_", "").replace(" ", "").lower()
    try:
        return BSSH_STATUS[key]
    except KeyError:
        raise UnknownRunStatus(
            f"BSSH run status {bssh_status!r} is not mapped; known: {', '.join(sorted(BSSH_STATUS))}"
        ) from None


def workflow_run_status(event_type: str) -> tuple[str, bool]:
    try:
        return WES_EVENT[event_type]
    except KeyError:
        raise UnknownRunStatus(f"WES event type {event_type!r} is not mapped; known: {', '.join(WES_EVENT)}") from None

"""An error raised inside an execution, as Step Functions names it: what Retry and Catch match on."""

from __future__ import annotations

from typing import Final

from aslkit.asl.errors import States

INTRINSIC_FAILURE: Final = States.INTRINSIC_FAILURE


class StatesFailure(Exception):
    """An execution-level error (`error`, `cause`): a handler's exception, a service error, or one of `States.*`."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


class ExecutionStopped(BaseException):
    """Thrown into a running execution (or branch) to end it: stopped by a user, timed out, or a sibling failed."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason

"""Names of the errors Step Functions raises, for `Retry` and `Catch`.

Spelled once here so that a typo is a Python error, not a retry that never matches; and how Step Functions matches
them against a retrier or catcher (`first_matching`), which the engine and the coverage report both follow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final


class States:
    """Errors raised by the Step Functions runtime itself."""

    ALL: Final = "States.ALL"
    DATA_LIMIT_EXCEEDED: Final = "States.DataLimitExceeded"
    EXCEED_TOLERATED_FAILURE_THRESHOLD: Final = "States.ExceedToleratedFailureThreshold"
    HEARTBEAT_TIMEOUT: Final = "States.HeartbeatTimeout"
    INTRINSIC_FAILURE: Final = "States.IntrinsicFailure"
    ITEM_READER_FAILED: Final = "States.ItemReaderFailed"
    NO_CHOICE_MATCHED: Final = "States.NoChoiceMatched"
    PARAMETER_PATH_FAILURE: Final = "States.ParameterPathFailure"
    PERMISSIONS: Final = "States.Permissions"
    QUERY_EVALUATION_ERROR: Final = "States.QueryEvaluationError"
    RESULT_PATH_MATCH_FAILURE: Final = "States.ResultPathMatchFailure"
    RESULT_WRITER_FAILED: Final = "States.ResultWriterFailed"
    RUNTIME: Final = "States.Runtime"
    TASK_FAILED: Final = "States.TaskFailed"
    TIMEOUT: Final = "States.Timeout"
    BRANCH_FAILED: Final = "States.BranchFailed"


class Lambda:
    """Errors of the Lambda service integration (not of your handler: those carry the exception's name)."""

    SERVICE_EXCEPTION: Final = "Lambda.ServiceException"
    AWS_LAMBDA_EXCEPTION: Final = "Lambda.AWSLambdaException"
    SDK_CLIENT_EXCEPTION: Final = "Lambda.SdkClientException"
    TOO_MANY_REQUESTS: Final = "Lambda.TooManyRequestsException"
    UNKNOWN: Final = "Lambda.Unknown"
    # Raised by the Lambda runtime and reported as the handler's error type.
    SANDBOX_TIMEDOUT: Final = "Sandbox.Timedout"


#: The transient Lambda errors AWS recommends retrying on every `lambda:invoke` task.
LAMBDA_TRANSIENT: Final = (
    Lambda.SERVICE_EXCEPTION,
    Lambda.AWS_LAMBDA_EXCEPTION,
    Lambda.SDK_CLIENT_EXCEPTION,
    Lambda.TOO_MANY_REQUESTS,
)

#: The transient errors of a DynamoDB call (an optimized or `aws-sdk` integration): throttling, the service's own
#: failures, and the SDK's (a reset connection, a timeout, a lost answer).
DYNAMODB_TRANSIENT: Final = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.InternalServerErrorException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.AmazonDynamoDBException",
    "DynamoDB.SdkClientException",
)

#: DynamoDB's refusals of a request that never took effect (throttling): safe to retry even for a conditional write.
DYNAMODB_THROTTLED: Final = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
)

#: Every `States.*` error name the runtime can raise (the linter warns on other `States.` names).
STATES_ERRORS: Final = frozenset(
    value for key, value in vars(States).items() if key.isupper() and isinstance(value, str)
)

#: Errors `States.ALL` (and `States.TaskFailed`) do not catch: the execution fails with them whatever the catchers say.
NOT_CAUGHT_BY_ALL: Final = (States.RUNTIME, States.DATA_LIMIT_EXCEEDED)


def first_matching(handlers: Sequence[Mapping[str, Any]], error: str) -> int | None:
    """The index of the first retrier or catcher whose `ErrorEquals` matches `error`, as Step Functions matches
    them: the name itself, `States.ALL`, or `States.TaskFailed` for anything but `States.Timeout`."""
    for index, handler in enumerate(handlers):
        names = handler.get("ErrorEquals", [])
        if error in names:
            return index
        if States.ALL in names and error not in NOT_CAUGHT_BY_ALL:
            return index
        if States.TASK_FAILED in names and error != States.TIMEOUT and error not in NOT_CAUGHT_BY_ALL:
            return index
    return None

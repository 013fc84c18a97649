"""AWS calls outside executions: turning botocore's errors into aslkit's, with what to do next."""

from __future__ import annotations

from aslkit.errors import AslkitError, ServiceError, UserInputError

#: error codes of Step Functions whose message is clear once the ARN is named
_NOT_FOUND = {"ExecutionDoesNotExist", "StateMachineDoesNotExist", "ResourceNotFoundException", "NoSuchBucket",
              "NoSuchKey", "ResourceNotFound"}  # fmt: skip
_BAD_INPUT = {"InvalidArn", "InvalidName", "InvalidExecutionInput", "ValidationException", "InvalidParameterValue"}


def service_error(error: BaseException) -> AslkitError | None:
    """The AslkitError for a botocore error (None for anything else)."""
    try:
        from botocore import exceptions as bx
    except ImportError:  # pragma: no cover - boto3 is a core dependency
        return None
    if isinstance(error, bx.NoCredentialsError | bx.PartialCredentialsError):
        return ServiceError("no AWS credentials found", hint="pass --profile, set AWS_PROFILE, or run `aws configure`")
    if isinstance(error, bx.ProfileNotFound):
        return UserInputError(str(error), hint="see `aws configure list-profiles`")
    if isinstance(error, bx.NoRegionError):
        return UserInputError("no AWS region given", hint="pass --region or set AWS_REGION")
    if isinstance(error, bx.EndpointConnectionError | bx.ConnectionClosedError | bx.ReadTimeoutError):
        endpoint = getattr(error, "kwargs", {}).get("endpoint_url", "the endpoint")
        return ServiceError(f"cannot reach {endpoint}",
                            hint="is LocalStack running (`aslkit local status`)? or check --endpoint-url")  # fmt: skip
    if isinstance(error, bx.ParamValidationError):
        return UserInputError(f"a request was refused before it was sent: {error}")
    if isinstance(error, bx.ClientError):
        details = error.response.get("Error", {})
        code, message = str(details.get("Code", "Error")), str(details.get("Message", ""))
        operation = getattr(error, "operation_name", "the call")
        if code in _NOT_FOUND:
            return UserInputError(f"{operation}: {code}: {message}", hint="check the name or ARN, and the region")
        if code in _BAD_INPUT:
            return UserInputError(f"{operation}: {code}: {message}")
        if code in {"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "AccessDenied",
                    "AccessDeniedException"}:  # fmt: skip
            return ServiceError(f"{operation}: {code}: {message}", hint="check the credentials and their permissions")
        return ServiceError(f"{operation}: {code}: {message}")
    if isinstance(error, bx.BotoCoreError):
        return ServiceError(str(error))
    return None

"""AWS services in process, from moto: the `aws-sdk:*` and optimized integrations, and every boto3 call the
handlers make while the engine runs, reach the same fakes. Needs aslkit[test] (moto); started on first use."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

from aslkit.engine import faults
from aslkit.engine.failures import StatesFailure
from aslkit.errors import MissingExtra
from aslkit.standins.omics import OmicsStandIn

if TYPE_CHECKING:
    from aslkit.engine.tasks import Resource

#: ASL service name -> (boto3 client name, the prefix of its error names in Step Functions)
SERVICES: dict[str, tuple[str, str]] = {
    "dynamodb": ("dynamodb", "DynamoDB"),
    "s3": ("s3", "S3"),
    "sqs": ("sqs", "SQS"),
    "sns": ("sns", "SNS"),
    "events": ("events", "EventBridge"),
    "states": ("stepfunctions", "StepFunctions"),
    "sfn": ("stepfunctions", "StepFunctions"),
    "lambda": ("lambda", "Lambda"),
    "secretsmanager": ("secretsmanager", "SecretsManager"),
    "ssm": ("ssm", "Ssm"),
    "batch": ("batch", "Batch"),
    "ecs": ("ecs", "Ecs"),
    "logs": ("logs", "CloudWatchLogs"),
}


def client_and_prefix(service: str) -> tuple[str, str]:
    """The boto3 client name and the Step Functions error prefix of an ASL service name (`function`, a plain Lambda
    ARN's, is Lambda's)."""
    service = "lambda" if service == "function" else service
    return SERVICES.get(service, (service, service.capitalize()))


class Services:
    def __init__(self, region: str, account: str) -> None:
        self.region = region
        self._mock: Any = None
        self._clients: dict[str, Any] = {}
        #: HealthOmics, which moto lacks: served to every boto3 client in the process while the engine is wired
        self.omics = OmicsStandIn(region, account)

    def start(self) -> None:
        if self._mock is not None:
            return
        try:
            import moto
        except ImportError:
            raise MissingExtra("AWS service integrations in the in-process engine", "test", "moto") from None
        self._mock = moto.mock_aws()
        self._mock.start()

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
            self._clients.clear()

    def client(self, service: str) -> Any:
        self.start()
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            # one attempt: a state sees the service's error (a throttle, a timeout) and its Retry decides
            self._clients[service] = boto3.client(service, region_name=self.region, aws_access_key_id="testing",
                                                  aws_secret_access_key="testing",
                                                  config=Config(retries={"total_max_attempts": 1}))  # fmt: skip
        return self._clients[service]

    def call(self, resource: Resource, arguments: Any) -> Any:
        name, prefix = client_and_prefix(resource.service)
        client = self.client(name)
        operation = re.sub(r"(?<!^)(?=[A-Z])", "_", resource.action).lower()
        method = getattr(client, operation, None)
        if method is None:
            raise StatesFailure("States.Runtime", f"{resource.service} has no action {resource.action!r}")
        model = client.meta.service_model.operation_model(_operation_name(client, operation))
        request = _request(resource, dict(arguments or {}), model.input_shape)
        from botocore.exceptions import ClientError, ConnectTimeoutError, ParamValidationError, ReadTimeoutError

        try:
            with faults.in_call():
                response = method(**request)
        except (ReadTimeoutError, ConnectTimeoutError) as error:  # an injected timeout or lost response
            raise StatesFailure(f"{prefix}.SdkClientException", f"Unable to execute HTTP request: {error}") from None
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Exception"))
            message = str(error.response.get("Error", {}).get("Message", ""))
            name = code if code.endswith("Exception") else code + "Exception"
            raise StatesFailure(f"{prefix}.{name}", message) from None
        except ParamValidationError as error:
            raise StatesFailure(f"{prefix}.ValidationException", str(error)) from None
        return _plain(_response(resource, response, model.output_shape))


def _operation_name(client: Any, method: str) -> str:
    """The API's operation name (`GetReadSetMetadata`) for a boto3 method name (`get_read_set_metadata`)."""
    names: dict[str, str] = client.meta.method_to_api_mapping
    return str(names[method])


def _request(resource: Resource, arguments: dict[str, Any], shape: Any) -> dict[str, Any]:
    """AWS SDK integrations name parameters in PascalCase whatever the API's casing (`SequenceStoreId` for
    `sequenceStoreId`); optimized integrations take JSON where the API takes text (message bodies, event details)."""
    if resource.sdk:
        named: dict[str, Any] = _to_api(arguments, shape)
        return named
    if resource.service == "sqs" and not isinstance(arguments.get("MessageBody", ""), str):
        arguments["MessageBody"] = json.dumps(arguments["MessageBody"], separators=(",", ":"))
    if resource.service == "sns" and not isinstance(arguments.get("Message", ""), str):
        arguments["Message"] = json.dumps(arguments["Message"], separators=(",", ":"))
    if resource.service == "events":
        for entry in arguments.get("Entries", []):
            if not isinstance(entry.get("Detail", ""), str):
                entry["Detail"] = json.dumps(entry["Detail"], separators=(",", ":"))
    return arguments


def _response(resource: Resource, response: dict[str, Any], shape: Any) -> Any:
    response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if resource.service == "s3" and "Body" in response:
        response["Body"] = response["Body"].read().decode("utf-8", errors="replace")
    return _from_api(response, shape) if resource.sdk else response


def _folded(name: str) -> str:
    return name.replace("_", "").lower()


def _to_api(value: Any, shape: Any) -> Any:
    """Parameter names matched to the API's members case-insensitively, through nested structures and lists."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {_folded(name): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = members.get(_folded(key), key)
            out[name] = _to_api(item, shape.members.get(name))
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_api(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_api(item, shape.value) for key, item in value.items()}
    return value


def _from_api(value: Any, shape: Any) -> Any:
    """The API's member names in PascalCase, as Step Functions returns them (map keys stay as they are)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {key[:1].upper() + key[1:]: _from_api(item, shape.members.get(key)) for key, item in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_from_api(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _from_api(item, shape.value) for key, item in value.items()}
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if hasattr(value, "as_tuple"):  # Decimal
        return int(value) if value == int(value) else float(value)
    return value

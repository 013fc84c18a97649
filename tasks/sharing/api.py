"""The sharing manager's REST API: what `aslkit share` does, for other services and people with IAM credentials.

Every operation authorises with IAM (the API is `Api(auth="iam")`: a caller signs with SigV4 and needs
execute-api:Invoke on it); the caller's IAM ARN is recorded on the package or push it starts (`requested_by`) and on
what it aborts (`aborted_by`). Its OpenAPI document is served at `GET /openapi.json`, and a Swagger page at
`/swagger`. Built on Powertools' REST resolver, which validates the bodies against the models below.

    POST /packages                        {packageName, packageRequest}           -> 202 {packageId, executionArn}
    GET  /packages/{packageId}            the package's record                    -> 200
    GET  /packages/{packageId}/report     a 1-hour link to its HTML report        -> 200 {reportUrl}
    POST /packages/{packageId}/push       {shareDestination}                      -> 202 {pushId, executionArn}
    POST /packages/{packageId}/presign    a download script, as a 24-hour link    -> 200 {scriptUrl, ...}
    POST /packages/{packageId}/abort      stop it, mark it ABORTED                -> 200 the record
    GET  /pushes/{pushId}                 the push's record                       -> 200
    POST /pushes/{pushId}/abort           stop its copies, mark it ABORTED        -> 200 the record
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any, ClassVar

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, SecurityScheme
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from pydantic import BaseModel, Field

from tasks.sharing.operations import OperationRefused, Operations
from tasks.sharing.records import InvalidPackageRequest, InvalidPushRequest, check_package, check_push

logger = Logger()
tracer = Tracer()
app = APIGatewayRestResolver(enable_validation=True)
TITLE, VERSION = "aslkit data sharing", "1.0.0"
#: API Gateway gives a request 29 s: an abort or a presign waits at most this long for its execution
WAIT_SECONDS = 20.0
SIGV4: dict[str, SecurityScheme] = {
    "sigv4": APIKey.model_validate({
        "name": "Authorization", "in": APIKeyIn.header,
        "description": "AWS Signature Version 4 for execute-api (IAM credentials with execute-api:Invoke on it)"})
}  # fmt: skip
SECURITY: list[dict[str, list[str]]] = [{"sigv4": []}]
DESCRIPTION = ("Package libraries' FASTQs and secondary analysis, push them to S3 or ICAv2, presign them, abort them. "
               "Every operation authorises with IAM (SigV4).")  # fmt: skip
PackageId = Annotated[str, Path(pattern=r"^pkg\.[0-9A-Z]{26}$", description="pkg.<ULID>")]
PushId = Annotated[str, Path(pattern=r"^psh\.[0-9A-Z]{26}$", description="psh.<ULID>")]


class PackageCreate(BaseModel):
    packageName: str = Field(min_length=1, max_length=128, description="a name for people")
    packageRequest: dict[str, Any] = Field(
        description="what it holds, as tasks/sharing/schemas/package_request.schema.json says (instrumentRunIdList, "
        "dataTypeList, ...)"
    )


class PushCreate(BaseModel):
    shareDestination: str = Field(description="s3://bucket/prefix/ or icav2://project-id/folder/")


class Started(BaseModel):
    id: str
    executionArn: str


class Deployed(Operations):
    """The deployment as the function's environment names it."""

    MACHINES: ClassVar[dict[str, str]] = {
        "sharing_packaging": "PACKAGING_MACHINE",
        "sharing_push": "PUSH_MACHINE",
        "sharing_presign": "PRESIGN_MACHINE",
    }

    def machine(self, name: str) -> str:
        return os.environ[self.MACHINES[name]]

    def table(self) -> str:
        return os.environ["JOBS_TABLE"]

    def bus(self) -> str:
        return os.environ["EVENT_BUS_NAME"]


_operations: Deployed | None = None


def operations() -> Deployed:
    global _operations
    _operations = _operations or Deployed(
        lambda service, **config: boto3.client(service, config=Config(**config) if config else None)
    )
    return _operations


def caller() -> str:
    """The IAM caller API Gateway authenticated (its ARN; its access key where no ARN is given)."""
    identity = app.current_event.request_context.identity
    return str(identity.user_arn or identity.caller or identity.access_key or "unauthenticated")


def _record(record_id: str, kind: str) -> dict[str, str]:
    try:
        record = operations().record(record_id)
    except OperationRefused as refused:
        raise NotFoundError(str(refused)) from None
    if record.get("kind") != kind:
        raise NotFoundError(f"{record_id} is a {record.get('kind')}, not a {kind}")
    return {key: value for key, value in record.items() if key != "request"} | (
        {"request": json.loads(record["request"])} if "request" in record else {})  # fmt: skip


def _or_conflict(operation: Any) -> Any:
    """The operation's result; its refusal (already ended, not ready) as a 409 naming why."""
    try:
        return operation()
    except OperationRefused as refused:
        raise ServiceError(409, str(refused)) from None


@app.post("/packages", summary="Generate a package", responses={202: {"description": "packaging started"}})
def generate(body: PackageCreate) -> Response[Started]:
    try:
        check_package(body.model_dump())
    except InvalidPackageRequest as error:
        raise BadRequestError(str(error)) from None
    package_id, arn = operations().generate(body.packageName, body.packageRequest, caller())
    logger.info("package requested", extra={"package": package_id, "by": caller()})
    return Response(202, "application/json", Started(id=package_id, executionArn=arn))


@app.get("/packages/<packageId>", summary="A package's record: status, counts, who asked")
def view_package(packageId: PackageId) -> dict[str, Any]:
    return _record(packageId, "package")


@app.get("/packages/<packageId>/report", summary="A one-hour link to the package's HTML report")
def report(packageId: PackageId) -> dict[str, Any]:
    _record(packageId, "package")
    _, url = _or_conflict(lambda: operations().report_url(packageId))
    return {"packageId": packageId, "reportUrl": url, "expiresIn": 3600}


@app.post("/packages/<packageId>/push", summary="Push a package", responses={202: {"description": "push started"}})
def push(packageId: PackageId, body: PushCreate) -> Response[Started]:
    try:
        check_push({"packageId": packageId, "shareDestination": body.shareDestination})
    except InvalidPushRequest as error:
        raise BadRequestError(str(error)) from None
    _record(packageId, "package")
    push_id, arn = operations().push(packageId, body.shareDestination, caller())
    return Response(202, "application/json", Started(id=push_id, executionArn=arn))


@app.post("/packages/<packageId>/presign", summary="A download script of presigned URLs, as a 24-hour link")
def presign(packageId: PackageId) -> dict[str, Any]:
    _record(packageId, "package")
    arn = operations().presign(packageId, caller())
    described = operations().settled(arn, WAIT_SECONDS)
    if described is None:
        raise ServiceError(504, f"the presign of {packageId} is still running: its output will be in {arn}")
    if described["status"] != "SUCCEEDED":
        raise ServiceError(409, f"{described.get('error')}: {described.get('cause')}")
    return dict(json.loads(described["output"]))


@app.post("/packages/<packageId>/abort", summary="Abort a package still being built")
def abort_package(packageId: PackageId) -> dict[str, Any]:
    _record(packageId, "package")
    _or_conflict(lambda: operations().abort_package(packageId, f"{caller()} (API)", WAIT_SECONDS))
    return _record(packageId, "package")


@app.get("/pushes/<pushId>", summary="A push's record: status, destination, counts, who asked")
def view_push(pushId: PushId) -> dict[str, Any]:
    return _record(pushId, "push")


@app.post("/pushes/<pushId>/abort", summary="Abort a push: stop its copies, abort its open multipart uploads")
def abort_push(pushId: PushId) -> dict[str, Any]:
    _record(pushId, "push")
    _, _, uploads = _or_conflict(lambda: operations().abort_push(pushId, f"{caller()} (API)", WAIT_SECONDS))
    # None: the API's role may not abort uploads at that destination (aslkit share abort-push, or its lifecycle)
    return _record(pushId, "push") | {"openUploadsAborted": uploads}


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(
        200,
        "application/json",
        app.get_openapi_json_schema(
            title=TITLE, version=VERSION, description=DESCRIPTION, security_schemes=SIGV4, security=SECURITY
        ),
    )


app.enable_swagger(
    path="/swagger", title=TITLE, version=VERSION, description=DESCRIPTION, security_schemes=SIGV4, security=SECURITY
)


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

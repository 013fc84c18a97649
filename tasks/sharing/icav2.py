"""Push one file of a package to an ICAv2 project, through ICAv2's project data API.

For `icav2://<project id>/<folder path>/`, each file is created in the project as data (`POST
/api/projects/{projectId}/data`, `dataType` FILE, its `folderPath`; an existing one is found with `GET
/api/projects/{projectId}/data?filePath=...`), then uploaded with the temporary credentials ICAv2 issues for it (`POST
/api/projects/{projectId}/data/{dataId}:createTemporaryCredentials`: an S3 bucket, an object prefix and a session),
streamed from the package's source object in parts, so any size fits in memory. The credentials never leave this
function (they are not in the execution's history). Authenticated with the stage's API key (`X-API-Key`).
"""

from __future__ import annotations

import json
import os
import posixpath
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.s3.transfer import TransferConfig

logger = Logger()
tracer = Tracer()
MEDIA_TYPE = "application/vnd.illumina.v3+json"


class Icav2Unauthorized(RuntimeError):
    """ICAv2 refused the API key (401/403): put a key of a user with access to the project in the stage's secret."""


class Icav2ProjectNotFound(RuntimeError):
    """The destination's project does not exist in ICAv2, or the key's user is not a member of it."""


class Icav2RequestFailed(RuntimeError):
    """ICAv2 answered another error, or could not be reached; the message has the status and body."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Icav2Client:
    """ICAv2's REST API (`<base url>/api/...`), with an API key."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url, self.api_key = base_url.rstrip("/"), api_key

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.base_url}/api{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"X-API-Key": self.api_key, "Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as error:
            text = error.read()[:500].decode(errors="replace")
            if error.code in (401, 403):
                raise Icav2Unauthorized(f"ICAv2 answered {error.code} to {method} {path}: {text}") from None
            raise Icav2RequestFailed(f"ICAv2 answered {error.code} to {method} {path}: {text}", error.code) from None
        except urllib.error.URLError as error:
            raise Icav2RequestFailed(f"ICAv2 at {self.base_url} cannot be reached: {error.reason}") from None

    def file(self, project: str, path: str) -> str:
        """The id of the file at `path` (`/a/b/name`) in the project, created there when it is not yet."""
        folder, name = posixpath.split(path)
        folder = folder.rstrip("/") + "/"
        # ICAv2 matches a filePath as a prefix in any case unless asked otherwise: reads.fq would find reads.fq.gz
        query = urllib.parse.urlencode({"filePath": path, "filePathMatchMode": "FULL_CASE_INSENSITIVE", "type": "FILE"})
        try:
            found = self.call("GET", f"/projects/{project}/data?{query}").get("items", [])
        except Icav2RequestFailed as error:
            if error.status != 404:
                raise
            raise Icav2ProjectNotFound(f"ICAv2 has no project {project!r} the key's user can use: {error}") from None
        same = [item for item in found if item["data"]["details"]["path"] == path]  # case too: S3 keys have it
        if same:
            return str(same[0]["data"]["id"])
        created = self.call("POST", f"/projects/{project}/data", {"name": name, "folderPath": folder,
                                                                   "dataType": "FILE"})  # fmt: skip
        return str(created["data"]["id"])

    def upload_credentials(self, project: str, data_id: str) -> dict[str, Any]:
        answer = self.call("POST", f"/projects/{project}/data/{data_id}:createTemporaryCredentials", {})
        return dict(answer["awsTempCredentials"])


def destination_path(key: str) -> str:
    """The file's path in the project from its key under the destination (`folder/.../name`): one leading slash, no
    empty parts. Pure."""
    return "/" + "/".join(part for part in key.split("/") if part)


def upload(event: dict[str, Any], *, icav2: Icav2Client, s3: Any, part_bytes: int = 64 * 1024**2) -> dict[str, Any]:
    """One file of a push: `{source_bucket, source_key, dest_bucket (the project), dest_key (its path), size}`."""
    project, path = event["dest_bucket"], destination_path(event["dest_key"])
    data_id = icav2.file(project, path)
    credentials = icav2.upload_credentials(project, data_id)
    target = boto3.client(
        "s3",
        region_name=credentials.get("region"),
        aws_access_key_id=credentials["accessKey"],
        aws_secret_access_key=credentials["secretKey"],
        aws_session_token=credentials["sessionToken"],
    )
    body = s3.get_object(Bucket=event["source_bucket"], Key=event["source_key"])["Body"]
    encryption = credentials.get("serverSideEncryptionAlgorithm")
    target.upload_fileobj(
        body,
        credentials["bucket"],
        credentials["objectPrefix"],
        ExtraArgs={"ServerSideEncryption": encryption} if encryption else {},
        Config=TransferConfig(multipart_threshold=part_bytes, multipart_chunksize=part_bytes),
    )
    logger.info("uploaded to ICAv2", extra={"project": project, "path": path, "data_id": data_id})
    return {"data_id": data_id, "path": path, "bytes": event["size"]}


_client: Icav2Client | None = None


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _client
    if _client is None:  # the key is read once per warm environment
        key = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["ICAV2_SECRET_ID"])["SecretString"]
        _client = Icav2Client(os.environ["ICAV2_BASE_URL"], key)
    return upload(event, icav2=_client, s3=boto3.client("s3"))

"""Share a package by presigned URLs: a shell script that downloads every file, itself shared by a presigned URL.

The files' URLs are valid 7 days (SigV4's maximum) and the script's URL 24 hours: download the script and send it
on, rather than the link. URLs are signed with the long-term keys of a dedicated IAM user (the secret
PRESIGN_SECRET_ID): a URL signed with the Lambda's own role credentials dies with their session, within hours.
"""

from __future__ import annotations

import json
import os
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from tasks.sharing.report import human_bytes

logger = Logger()
tracer = Tracer()
FILE_URL_SECONDS = 7 * 24 * 3600
SCRIPT_URL_SECONDS = 24 * 3600


class PresignCredentialsMissing(RuntimeError):
    """The presigning secret does not hold aws_access_key_id and aws_secret_access_key."""


def script(package: dict[str, Any], files: list[tuple[str, str, int]], expires: datetime) -> str:
    """The download script: `bash download.sh [FOLDER]` fetches every (path, url) into FOLDER (default: the package
    name), creating folders, retrying, and failing on the first file that cannot be fetched. Pure."""
    total = sum(size for _, _, size in files)
    lines = [
        "#!/usr/bin/env bash",
        f"# Package {package['name']} ({package['id']}): {len(files)} file(s), {human_bytes(total)}.",
        f"# The links below work until {expires.isoformat(timespec='minutes')}.",
        "# Usage: bash download.sh [FOLDER]   (needs curl)",
        "set -euo pipefail",
        f'dest="${{1:-{shlex.quote(package["name"])}}}"',
        'download() { mkdir -p "$(dirname "$dest/$1")"; echo "$1"; '
        'curl --fail --silent --show-error --location --retry 3 --output "$dest/$1" "$2"; }',
    ]
    lines += [f"download {shlex.quote(path)} {shlex.quote(url)}" for path, url, _ in files]
    lines.append(f'echo "{len(files)} file(s) downloaded to $dest"')
    return "\n".join(lines) + "\n"


def signer(secret_id: str) -> Any:
    value = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    if not value.get("aws_access_key_id") or not value.get("aws_secret_access_key"):
        raise PresignCredentialsMissing(
            f'secret {secret_id} must hold {{"aws_access_key_id": ..., "aws_secret_access_key": ...}} of the '
            "IAM user that signs package URLs (it needs s3:GetObject on the FASTQ and sharing buckets)"
        )
    session = boto3.Session(aws_access_key_id=value["aws_access_key_id"],
                            aws_secret_access_key=value["aws_secret_access_key"])  # fmt: skip
    # SigV4 explicitly: boto3 still signs us-east-1 URLs with the deprecated SigV2 by default.
    return session.client("s3", config=Config(signature_version="s3v4"))


def presign(event: dict[str, Any], *, s3: Any, signing: Any, bucket: str, now: datetime) -> dict[str, Any]:
    files = json.loads(s3.get_object(Bucket=bucket, Key=event["filesKey"])["Body"].read())
    expires = now + timedelta(seconds=FILE_URL_SECONDS)
    signed = [
        (item["relative_path"],
         signing.generate_presigned_url("get_object", Params={"Bucket": item["source_bucket"],
                                                              "Key": item["source_key"]},
                                        ExpiresIn=FILE_URL_SECONDS),
         item["size"])
        for item in files
    ]  # fmt: skip
    package = {"id": event["packageId"], "name": event["packageName"]}
    key = f"presign/{package['id']}/download-{now.strftime('%Y%m%dT%H%M%SZ')}.sh"
    s3.put_object(Bucket=bucket, Key=key, Body=script(package, signed, expires).encode(),
                  ContentType="text/x-shellscript")  # fmt: skip
    url = signing.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                         ExpiresIn=SCRIPT_URL_SECONDS)  # fmt: skip
    return {
        "packageId": package["id"],
        "script": f"s3://{bucket}/{key}",
        "scriptUrl": url,
        "scriptUrlExpiresAt": (now + timedelta(seconds=SCRIPT_URL_SECONDS)).isoformat(timespec="seconds"),
        "filesExpireAt": expires.isoformat(timespec="seconds"),
        "files": len(signed),
    }


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = presign(event, s3=boto3.client("s3"), signing=signer(os.environ["PRESIGN_SECRET_ID"]),
                     bucket=os.environ["SHARING_BUCKET"], now=datetime.now(UTC))  # fmt: skip
    logger.info("package presigned", extra={k: result[k] for k in ("packageId", "script", "files")})
    return result

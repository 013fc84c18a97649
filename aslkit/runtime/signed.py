"""Calls to an API that authorises with IAM (`Api(auth="iam")`): requests signed with Signature Version 4 for
`execute-api`, as AWS's SDKs sign them, and the check of such a signature (the in-process gateway's)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def sign(method: str, url: str, body: bytes, credentials: Credentials, region: str) -> dict[str, str]:
    """The headers of a request signed for API Gateway (Authorization, X-Amz-Date, and the session token if any)."""
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    return dict(request.headers.items())


def call(method: str, url: str, payload: Any = None, *, credentials: Credentials | None, region: str,
         timeout: float = 30) -> Answer:  # fmt: skip
    """One request to the API, signed with `credentials` (unsigned when None); any HTTP status is an answer."""
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = sign(method, url, body, credentials, region) if credentials is not None else {
        "Content-Type": "application/json"}  # fmt: skip
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers.items()), error.read())


class SignatureError(Exception):
    """Why API Gateway refuses a request to an IAM-authorised method; the message is API Gateway's."""


def verify(method: str, url: str, headers: dict[str, str], body: bytes,
           secrets: dict[str, str]) -> tuple[str, str]:  # fmt: skip
    """(access key id, region) of a correctly signed request; SignatureError otherwise. `secrets` maps the access
    key ids this gateway knows to their secret keys."""
    lower = {key.lower(): value for key, value in headers.items()}
    authorization = lower.get("authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        raise SignatureError("Missing Authentication Token")
    fields = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 ") :].split(",")
                  if "=" in part)  # fmt: skip
    try:
        key, _date, region, service, _ = fields["Credential"].split("/")
        signed, signature = fields["SignedHeaders"].split(";"), fields["Signature"]
    except (KeyError, ValueError):
        raise SignatureError(f"Authorization header requires 'Credential', 'SignedHeaders' and 'Signature': "
                             f"{authorization[:80]}") from None  # fmt: skip
    if key not in secrets:
        raise SignatureError("The security token included in the request is invalid.")
    if service != SERVICE or "x-amz-date" not in lower:
        raise SignatureError(f"Credential should be scoped to the service '{SERVICE}', and X-Amz-Date given")
    lower.setdefault("host", urlsplit(url).netloc)  # HTTP/1.1 always sends it; a caller of verify may not
    request = AWSRequest(method=method, url=url, data=body, headers={name: lower.get(name, "") for name in signed})
    request.context["timestamp"] = lower["x-amz-date"]
    auth = SigV4Auth(Credentials(key, secrets[key], lower.get("x-amz-security-token")), SERVICE, region)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if expected != signature:
        raise SignatureError("The request signature we calculated does not match the signature you provided. "
                             "Check your AWS Secret Access Key and signing method.")  # fmt: skip
    return key, region

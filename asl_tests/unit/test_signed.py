"""SigV4 for IAM-authorised APIs (`aslkit.runtime.signed`): what an SDK signs, the in-process gateway's check accepts;
anything changed after signing, or signed with another secret, is refused with API Gateway's message."""

from __future__ import annotations

import pytest
from botocore.credentials import Credentials

from aslkit.runtime.signed import SignatureError, sign, verify

URL = "http://127.0.0.1:4510/restapis/abc123/api/_user_request_/packages?limit=5"
BODY = b'{"packageName": "p"}'
SECRETS = {"AKIDEXAMPLE": "secret-of-the-example"}


def test_a_signed_request_is_verified_with_its_key_and_region() -> None:
    headers = sign("POST", URL, BODY, Credentials("AKIDEXAMPLE", "secret-of-the-example"), "ap-southeast-2")
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert verify("POST", URL, headers, BODY, SECRETS) == ("AKIDEXAMPLE", "ap-southeast-2")
    with_token = sign("GET", URL, b"", Credentials("AKIDEXAMPLE", "secret-of-the-example", "session"), "us-east-1")
    assert with_token["X-Amz-Security-Token"] == "session"
    assert verify("GET", URL, with_token, b"", SECRETS)[0] == "AKIDEXAMPLE"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, b: (h, b + b" "), "signature we calculated does not match"),  # the body after signing
        (lambda h, b: ({**h, "X-Amz-Date": "20200101T000000Z"}, b), "signature we calculated does not match"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "Authorization"}, b), "Missing Authentication Token"),
        (lambda h, b: ({**h, "Authorization": h["Authorization"].replace("AKIDEXAMPLE", "AKIDOTHER")}, b),
         "security token included in the request is invalid"),
    ],
)  # fmt: skip
def test_a_request_changed_after_signing_or_unsigned_is_refused(change: object, message: str) -> None:
    headers = sign("POST", URL, BODY, Credentials("AKIDEXAMPLE", "secret-of-the-example"), "us-east-1")
    changed_headers, changed_body = change(headers, BODY)  # type: ignore[operator]
    with pytest.raises(SignatureError, match=message):
        verify("POST", URL, changed_headers, changed_body, SECRETS)
    forged = sign("POST", URL, BODY, Credentials("AKIDEXAMPLE", "not-the-secret"), "us-east-1")
    with pytest.raises(SignatureError, match="does not match"):
        verify("POST", URL, forged, BODY, SECRETS)

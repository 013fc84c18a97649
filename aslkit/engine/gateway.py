"""REST APIs with Lambda proxy integrations, served in process on a loopback port: a browser, `urllib` or a
site's script calls them as it would call API Gateway, and each request invokes the route's function with API
Gateway's proxy event (REST, version 1.0), its answer (`statusCode`, `headers`, `body`) becoming the response.
A function that fails answers 502 with API Gateway's body, `{"message": "Internal server error"}`.

An API added with `auth="iam"` takes only requests signed with SigV4 by a key the gateway knows (`identities`:
moto's `testing` key, the tier's, unless a test adds others), answering 403 with API Gateway's messages otherwise;
the function sees the caller in `requestContext.identity` (accessKey, caller, user, userArn, accountId).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from aslkit.engine.failures import StatesFailure
from aslkit.runtime.signed import SignatureError, verify

if TYPE_CHECKING:
    from aslkit.engine import Engine


Answer = tuple[int, dict[str, str], bytes]  # status, headers, body


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # "/results/{jobId}"
    function: str  # the engine's function name

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


class Gateway:
    """The engine's APIs: `add(api_id, stage, routes)` returns the invoke URL (no trailing slash)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.apis: dict[tuple[str, str], list[Route]] = {}
        self.iam: set[tuple[str, str]] = set()
        #: access key id -> (secret key, the IAM user's ARN): who may call an IAM-authorised API
        self.identities: dict[str, tuple[str, str]] = {
            "testing": ("testing", f"arn:aws:iam::{engine.account}:user/moto")}  # fmt: skip
        self._server: ThreadingHTTPServer | None = None

    def add(self, api_id: str, stage: str, routes: list[Route], auth: str = "none") -> str:
        self.apis[(api_id, stage)] = routes
        (self.iam.add if auth == "iam" else self.iam.discard)((api_id, stage))
        return f"{self._url()}/restapis/{api_id}/{stage}/_user_request_"

    def _caller(self, method: str, target: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """The identity of a signed request (SignatureError when it is not signed by a known key)."""
        key, _ = verify(method, self._url() + target, headers, body, {k: v[0] for k, v in self.identities.items()})
        arn = self.identities[key][1]
        return {"accessKey": key, "caller": key, "user": key, "userArn": arn, "accountId": arn.split(":")[4]}

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _url(self) -> str:
        if self._server is None:
            gateway = self

            class Handler(BaseHTTPRequestHandler):
                def do_request(self) -> None:
                    length = int(self.headers.get("Content-Length") or 0)
                    status, headers, body = gateway.serve(self.command, self.path, dict(self.headers),
                                                          self.rfile.read(length) if length else b"")  # fmt: skip
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_request

                def log_message(self, format: str, *args: Any) -> None:
                    return

            self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            threading.Thread(target=self._server.serve_forever, daemon=True, name="aslkit-gateway").start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def serve(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        from aslkit.engine.wiring import LOCK

        parts = urlsplit(target)
        found = re.match(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$", parts.path)
        if found is None or (found[1], found[2]) not in self.apis:
            return _json(404, {"message": "Not Found"})
        path = found[3] or "/"
        identity: dict[str, Any] = {}
        if (found[1], found[2]) in self.iam:
            try:
                identity = self._caller(method, target, headers, body)
            except SignatureError as error:
                return _json(403, {"message": str(error)})
        for route in self.apis[(found[1], found[2])]:
            parameters = route.match(method, path)
            if parameters is None:
                continue
            event = _proxy_event(route, method, path, parameters, headers, dict(parse_qsl(parts.query)), body,
                                 found[1], found[2], identity)  # fmt: skip
            with LOCK:
                try:
                    answer = self.engine.lambdas.invoke(route.function, event)
                except StatesFailure:
                    return _json(502, {"message": "Internal server error"})
                finally:
                    self.engine.scheduler.run_until_idle()
            return _answer(answer)
        return _json(403 if any(r.match(r.method, path) is not None for r in self.apis[(found[1], found[2])]) else 404,
                     {"message": "Missing Authentication Token"})  # fmt: skip


def _proxy_event(route: Route, method: str, path: str, parameters: dict[str, str], headers: dict[str, str],
                 query: dict[str, str], body: bytes, api_id: str, stage: str,
                 identity: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": route.path, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {key: [value] for key, value in query.items()} or None,
        "pathParameters": parameters or None, "stageVariables": None,
        "requestContext": {"resourcePath": route.path, "httpMethod": method, "path": f"/{stage}{path}",
                           "stage": stage, "apiId": api_id, "requestId": str(uuid.uuid4()),
                           "identity": {"sourceIp": "127.0.0.1", **identity}},
        "body": text if body else None, "isBase64Encoded": encoded,
    }  # fmt: skip


def _answer(answer: Any) -> Answer:
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return _json(502, {"message": "Internal server error"})
    body = answer.get("body") or ""
    data = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode()
    headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
    return int(answer["statusCode"]), headers, data


def _json(status: int, body: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

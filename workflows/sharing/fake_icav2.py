"""A local stand-in for ICAv2's project data API, for tests and the demo (never deployed to AWS).

It serves what the sharing push uses, shaped as ICAv2 answers (`application/vnd.illumina.v3+json`):
`GET /ica/rest/api/projects/{projectId}/data?filePath=...&filePathMatchMode=...&type=...` (`{"items":
[ProjectData]}`; paths matched as ICAv2 matches them: by default every path that starts with the given one, in any
case, or `FULL_CASE_INSENSITIVE` the whole path in any case), `POST
/ica/rest/api/projects/{projectId}/data` (`{name, folderPath, dataType}` -> 201 ProjectData, 409 when that exact path is
taken) and `POST /ica/rest/api/projects/{projectId}/data/{dataId}:createTemporaryCredentials` (`awsTempCredentials`:
the stand-in's bucket in the local S3, the file's object prefix there, a session). Every call needs the `X-API-Key`
it was given (401 otherwise); an unknown project answers 404. What was uploaded is read back from that bucket.
"""

from __future__ import annotations

import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from aslkit.standins.http import JsonHandler, LoopbackService

DATA_PATH = re.compile(r"^/ica/rest/api/projects/(?P<project>[^/]+)/data$")
CREDENTIALS_PATH = re.compile(
    r"^/ica/rest/api/projects/(?P<project>[^/]+)/data/(?P<id>[^/:]+):createTemporaryCredentials$"
)


class FakeIcav2(LoopbackService):
    def __init__(self, s3: Any, *, api_key: str, projects: tuple[str, ...], bucket: str = "icav2-standin-data") -> None:
        self.s3, self.api_key, self.bucket = s3, api_key, bucket
        self.projects = set(projects)
        #: data id -> {projectId, path, name, folderPath, dataType}
        self.data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        super().__init__(self._handler_class())

    @property
    def url(self) -> str:
        """The base URL the push's `icav2_base_url` takes (ICAv2's is https://ica.illumina.com/ica/rest)."""
        return f"{self.address}/ica/rest"

    def __enter__(self) -> Self:
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except Exception:
            self.s3.create_bucket(Bucket=self.bucket)
        return super().__enter__()

    def object_key(self, project: str, path: str) -> str:
        return f"{project}{path}"

    def uploaded(self, project: str, path: str) -> bytes:
        """What was uploaded to the file at `path` in `project`."""
        body: bytes = self.s3.get_object(Bucket=self.bucket, Key=self.object_key(project, path))["Body"].read()
        return body

    def files(self, project: str) -> list[str]:
        """The paths of the project's FILE data, sorted."""
        return sorted(d["path"] for d in self.data.values() if d["projectId"] == project and d["dataType"] == "FILE")

    # -- the API ---------------------------------------------------------------------------------------------------
    def _project_data(self, data_id: str) -> dict[str, Any]:
        record = self.data[data_id]
        return {"projectId": record["projectId"], "data": {
            "id": data_id, "urn": f"urn:ilmn:ica:region:standin:data:{data_id}#{record['path']}",
            "details": {"name": record["name"], "path": record["path"], "dataType": record["dataType"],
                        "status": "PARTIAL" if record["dataType"] == "FILE" else "AVAILABLE"}}}  # fmt: skip

    def find(self, project: str, path: str, mode: str, kind: str | None) -> list[dict[str, Any]]:
        """The project's data whose path matches `path` as ICAv2's `filePathMatchMode` says."""
        wanted = path.lower()

        def matches(candidate: str) -> bool:
            return candidate.lower() == wanted if mode == "FULL_CASE_INSENSITIVE" else candidate.lower().startswith(
                wanted)  # fmt: skip

        return [self._project_data(i) for i, d in self.data.items()
                if d["projectId"] == project and matches(d["path"]) and kind in (None, d["dataType"])]  # fmt: skip

    def create(self, project: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name, folder, kind = body.get("name"), body.get("folderPath", "/"), body.get("dataType")
        if not name or kind not in ("FILE", "FOLDER") or not str(folder).startswith("/") or not folder.endswith("/"):
            return 400, {"title": "invalid data", "detail": "name, folderPath (/.../) and dataType FILE|FOLDER"}
        path = f"{folder}{name}" + ("/" if kind == "FOLDER" else "")
        with self._lock:
            # the same path exactly (ICAv2 keeps abc.txt and ABC.txt apart: its FULL_CASE_INSENSITIVE can find both)
            if any(d["projectId"] == project and d["path"] == path for d in self.data.values()):
                return 409, {"title": "data already exists", "detail": path}
            prefix = "fil" if kind == "FILE" else "fol"
            data_id = f"{prefix}.{uuid.uuid4().hex[:24]}"
            self.data[data_id] = {"projectId": project, "path": path, "name": name, "folderPath": folder,
                                  "dataType": kind}  # fmt: skip
        return 201, self._project_data(data_id)

    def credentials(self, project: str, data_id: str) -> tuple[int, dict[str, Any]]:
        record = self.data.get(data_id)
        if record is None or record["projectId"] != project:
            return 404, {"title": "data not found", "detail": data_id}
        return 200, {"awsTempCredentials": {
            "accessKey": "ASIASTANDIN", "secretKey": "standin-secret", "sessionToken": f"standin-{data_id}",
            "region": "us-east-1", "bucket": self.bucket, "objectPrefix": self.object_key(project, record["path"]),
            "serverSideEncryptionAlgorithm": "AES256"}}  # fmt: skip

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(JsonHandler):
            content_type = "application/vnd.illumina.v3+json"

            def _route(self, method: str) -> None:
                url = urlsplit(self.path)
                if self.headers.get("X-API-Key") != fake.api_key:
                    return self.send_json(401, {"title": "Unauthorized", "detail": "no valid X-API-Key"})
                body = self.read_json()
                if (match := DATA_PATH.match(url.path)) is not None:
                    if match["project"] not in fake.projects:
                        return self.send_json(404, {"title": "project not found", "detail": match["project"]})
                    if method == "GET":
                        query = {key: values[0] for key, values in parse_qs(url.query).items()}
                        mode = query.get("filePathMatchMode", "STARTS_WITH_CASE_INSENSITIVE")
                        if mode not in ("STARTS_WITH_CASE_INSENSITIVE", "FULL_CASE_INSENSITIVE"):
                            return self.send_json(400, {"title": "invalid filePathMatchMode", "detail": mode})
                        found = fake.find(match["project"], query.get("filePath", ""), mode, query.get("type"))
                        return self.send_json(200, {"items": found})
                    return self.send_json(*fake.create(match["project"], body))
                if method == "POST" and (match := CREDENTIALS_PATH.match(url.path)) is not None:
                    return self.send_json(*fake.credentials(match["project"], match["id"]))
                return self.send_json(404, {"title": "no route", "detail": f"{method} {url.path}"})

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        return Handler

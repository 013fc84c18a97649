"""A local stand-in for ICA v1 WES, for tests and the demo (never deployed to AWS).

It answers `POST /v1/workflows/{id}/versions/{version}:launch` like ICA (a `wfr.` run id, status Requested), then,
after `delay` seconds, posts ENS `wes.runs` messages (RunStarted, then RunSucceeded / RunFailed / RunAborted) on the
ENS queue, shaped as ICA sends them, so the real callback path runs. A BCL Convert run's output lists the FASTQ
files it made as FASTQ list rows (`main/fastq_list_rows`: one per library and lane of the sample sheet it was given,
read from the runs bucket that mirrors GDS), as ICA's BCL Convert workflow reports them. `outcome(run_name)` picks
each run's ending (None: the fake stays silent, for tests that post their own messages), or several: the first is
the run's ending, each further one a late, contradicting message `delay` seconds after the one before.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from aslkit.standins.http import JsonHandler, LoopbackService

LAUNCH_PATH = re.compile(r"^/v1/workflows/(?P<id>[^/]+)/versions/(?P<version>[^/:]+):launch$")
FAILURE_DETAILS = {
    "Failed": ("Workflow.Failed", "Run Failed. Reason: task: [dragen] details: [exit code 1]"),
    "Aborted": ("Workflow.Aborted", "Run Aborted by user"),
}


def _timer(seconds: float, action: Callable[[], None]) -> None:
    threading.Timer(seconds, action).start()


class FakeWes(LoopbackService):
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        *,
        delay: float = 0.2,
        outcome: Callable[[str], str | Sequence[str] | None] = lambda name: "Succeeded",
        api_key: str | None = None,
        later: Callable[[float, Callable[[], None]], None] | None = None,
    ) -> None:
        """`later(seconds, action)` runs what the WES does after a delay (a thread's timer by default; the test
        harness passes its tier's, so an in-process test runs it on the virtual clock)."""
        self.sqs = sqs
        self.later = later or _timer
        self.queue_url = queue_url
        self.delay = delay
        self.outcome = outcome
        self.api_key = api_key
        self.launches: list[dict[str, Any]] = []
        self.read_gds: Callable[[str], str | None] = lambda path: None
        #: the WES run id a launch of this workflow run name gets (a test that posts its messages first); random else
        self.run_ids: dict[str, str] = {}
        self._event_id = 1000
        self._lock = threading.Lock()
        super().__init__(self._handler_class())

    @property
    def url(self) -> str:
        return self.address

    def attach(self, s3: Any, deployment: Any) -> None:
        """Answer on the deployment's ENS queue; read `gds://...` files (sample sheets) from its runs bucket."""
        self.queue_url = deployment.queues["ens_ingress"]
        bucket = deployment.buckets["sequencing_runs"]

        def read(path: str) -> str | None:
            try:
                return str(s3.get_object(Bucket=bucket, Key=path.removeprefix("gds://"))["Body"].read().decode())
            except Exception:
                return None

        self.read_gds = read

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                match = LAUNCH_PATH.match(self.path)
                if not match:
                    return self.send_json(404, {"code": "NotFound", "message": f"no route {self.path}"})
                if fake.api_key and self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    return self.send_json(401, {"code": "Unauthorized", "message": "bad API key"})
                run = fake.accept(match["id"], match["version"], self.read_json())
                return self.send_json(200, run)

        return Handler

    def accept(self, workflow_id: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("name", ""))
        run_id = self.run_ids.get(name) or f"wfr.{uuid.uuid4().hex}"
        launch = {
            "id": run_id,
            "name": name,
            "workflow_id": workflow_id,
            "version": version,
            "input": body.get("input"),
            "output_directory": (body.get("engineParameters") or {}).get("outputDirectory"),
        }
        with self._lock:
            self.launches.append(launch)
        ending = self.outcome(name)
        if ending is not None:
            endings = [ending] if isinstance(ending, str) else list(ending)
            self.later(self.delay, lambda: self._finish(launch, endings))
        return {"id": run_id, "name": name, "status": "Requested", "timeCreated": _now()}

    def _finish(self, launch: dict[str, Any], endings: list[str]) -> None:
        self.post(launch["name"], launch["id"], "Started")
        self._end(launch, endings)

    def _end(self, launch: dict[str, Any], endings: list[str]) -> None:
        self.post(launch["name"], launch["id"], endings[0], output=self.outputs(launch))
        if endings[1:]:
            self.later(self.delay, lambda: self._end(launch, endings[1:]))

    def outputs(self, launch: dict[str, Any]) -> dict[str, Any]:
        """Where the run wrote (the launch's engineParameters.outputDirectory, as ICA does) and, for BCL Convert,
        its FASTQ list rows."""
        directory = launch.get("output_directory") or f"gds://development/{launch['name']}"
        out: dict[str, Any] = {"outputDirectory": directory, "workflow_id": launch["workflow_id"]}
        sheet = (launch.get("input") or {}).get("samplesheet")
        if sheet:
            text = self.read_gds(str(sheet))
            out["main/fastq_list_rows"] = fastq_list_rows(text, directory) if text else []
        return out

    def post(self, name: str, run_id: str, status: str, *, output: Any = None) -> None:
        """Send one ENS wes.runs message (`status`: Started, Succeeded, Failed, Aborted) to the queue."""
        with self._lock:
            self._event_id += 1
            event_id = self._event_id
        error, cause = FAILURE_DETAILS.get(status, ("", ""))
        body = {
            "Timestamp": _now(),
            "EventType": f"Run{status}",
            "EventDetails": {"Error": error, "Cause": cause} if error else {},
            "WorkflowRun": {
                "TenantId": "tid-local",
                "Status": status,
                "Id": run_id,
                "Name": name,
                "TimeModified": _now(),
                **({"Output": output} if output is not None else {}),
            },
            "Name": name,
            "EventId": event_id,
            "PreviousEventId": event_id - 1,
        }
        attributes = {
            "action": "updated",
            "actionDate": _now(),
            "type": "wes.runs",
            "producedBy": "WorkflowExecutionService",
            "contentType": "application/json",
        }
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(body),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )

    def wait_for_launches(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.launches) >= count:
                    return list(self.launches)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} WES launches, got {len(self.launches)}: {self.launches}")


def fastq_list_rows(samplesheet: str, directory: str) -> list[dict[str, Any]]:
    """The rows BCL Convert reports for a v2 sample sheet: per library and lane, its read group and both reads."""
    from tasks.sequencing.samplesheet import InvalidSampleSheet, libraries

    try:
        found = libraries(samplesheet)
    except InvalidSampleSheet:
        return []
    rows = []
    for number, library in enumerate(found, start=1):
        for lane in library["lanes"] or [1]:
            stem = f"{directory}/{library['project'] or 'default'}/{library['library_id']}/{library['library_id']}"
            rows.append({
                "rgid": f"{library['index']}.{library['index2']}.{lane}", "rgsm": library["library_id"],
                "rglb": library["library_id"], "lane": lane,
                "read_1": {"class": "File", "location": f"{stem}_S{number}_L{lane:03d}_R1_001.fastq.gz"},
                "read_2": {"class": "File", "location": f"{stem}_S{number}_L{lane:03d}_R2_001.fastq.gz"},
            })  # fmt: skip
    return rows


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")

"""The WES launcher: a `.waitForTaskToken` task that records the token, then launches the ICA v1 WES workflow.

The callback comes later: ENS posts `wes.runs` messages, and the event manager completes the token. Launching is
idempotent per workflow run name: a launch whose outcome is already recorded is answered at once with it, except
that a re-run (a request with another `attempt`) launches again what did not succeed (`decide`).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.sequencing import ens
from tasks.sequencing.bus import put_event

logger = Logger()
tracer = Tracer()
SOURCE = "sequencing.wes_launcher"


class WesLaunchFailed(RuntimeError):
    """ICA WES refused or failed the launch; the message has the HTTP status and body."""


def launch_request(
    request: dict[str, Any], workflows: dict[str, dict[str, str]], output_root: str = "gds://development"
) -> tuple[str, dict[str, Any]]:
    """(URL path, JSON body) of the ICA v1 launch call `POST /v1/workflows/{id}/versions/{version}:launch`; the run
    writes under `<output_root>/<workflow run name>` (the stage's GDS folder)."""
    ens.check("WorkflowRequest", request)
    try:
        workflow = workflows[request["workflow_type"]]
    except KeyError:
        raise WesLaunchFailed(f"no WES workflow configured for {request['workflow_type']!r}") from None
    path = f"/v1/workflows/{workflow['id']}/versions/{workflow['version']}:launch"
    body = {
        "name": request["workflow_run_name"],
        "input": request["workflow_input"],
        "engineParameters": {"outputDirectory": f"{output_root.rstrip('/')}/{request['workflow_run_name']}"},
    }
    return path, body


def launch_event(request: dict[str, Any], workflows: dict[str, dict[str, str]], body: dict[str, Any]) -> dict[str, Any]:
    workflow = workflows[request["workflow_type"]]
    detail = {
        "workflow_run_name": request["workflow_run_name"],
        "workflow_id": workflow["id"],
        "workflow_version": workflow["version"],
        "workflow_input": json.dumps(request["workflow_input"], sort_keys=True),
        "workflow_engine_parameters": json.dumps(body["engineParameters"], sort_keys=True),
        "timestamp": ens.now(),
    }
    ens.check("WesLaunchRequest", detail)
    return detail


class Clients:
    def __init__(self) -> None:
        self.table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
        self.events = boto3.client("events")
        self.sfn = boto3.client("stepfunctions")
        self.secrets = boto3.client("secretsmanager")
        self.bus = os.environ["EVENT_BUS_NAME"]
        self.workflows: dict[str, dict[str, str]] = json.loads(os.environ["WES_WORKFLOWS"])
        self.base_url = os.environ["WES_BASE_URL"].rstrip("/")
        self.output_root = os.environ["WES_OUTPUT_ROOT"]
        self._api_key: str | None = None

    def api_key(self) -> str:
        if self._api_key is None:  # read once per warm environment
            self._api_key = self.secrets.get_secret_value(SecretId=os.environ["ICA_SECRET_ID"])["SecretString"]
        return self._api_key

    def emit(self, detail_type: str, detail: dict[str, Any]) -> None:
        put_event(self.events, self.bus, SOURCE, detail_type, detail)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.api_key()}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as error:
            raise WesLaunchFailed(f"WES answered {error.code} to {path}: {error.read()[:500]!r}") from error
        except urllib.error.URLError as error:
            raise WesLaunchFailed(f"WES at {self.base_url} cannot be reached: {error.reason}") from error


_clients: Clients | None = None


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _clients
    clients = _clients = _clients or Clients()
    path, body = launch_request(event, clients.workflows, clients.output_root)
    name, attempt = event["workflow_run_name"], event.get("attempt") or ""
    key = {"pk": f"WFR#{name}", "sk": "LAUNCH"}
    previous = clients.table.get_item(Key=key).get("Item") or {}
    decision = decide(previous, attempt)
    if decision == "replay":
        return replay(clients, event["task_token"], json.loads(previous["outcome"]))
    item = {**key, "task_token": event["task_token"], "workflow_type": event["workflow_type"], "status": "LAUNCHING",
            "attempt": attempt, "requested_at": datetime.now(UTC).isoformat()}  # fmt: skip
    if decision == "wait":
        item["wes_run_id"] = previous["wes_run_id"]  # launched before: wait for its outcome, do not launch twice
    clients.table.put_item(Item=item)
    clients.emit("WesLaunchRequest", launch_event(event, clients.workflows, body))
    if decision == "wait":
        run_id = str(previous["wes_run_id"])
    else:
        run_id = str(clients.post(path, body).get("id", ""))
        clients.table.update_item(
            Key=key, UpdateExpression="SET wes_run_id = :r", ExpressionAttributeValues={":r": run_id}
        )
    detail = {"workflow_run_id": run_id, "workflow_run_name": name, "workflow_type": event["workflow_type"],
              "status": "LAUNCHED", "timestamp": ens.now()}  # fmt: skip
    ens.check("WorkflowRunStateChange", detail)
    clients.emit("WorkflowRunStateChange", detail)
    logger.info("launched", workflow_run_name=name, wes_run_id=run_id)
    return {"workflow_run_id": run_id}


def decide(previous: dict[str, Any], attempt: str) -> str:
    """What a launch does, given the run's launch record (empty: never launched) and the request's attempt (empty
    for a run's first orchestration, a re-run's name otherwise):

    - `replay`: the run ended and that stands: it succeeded, or it failed within this same attempt (a retried
      invocation); the new waiter gets the recorded outcome at once.
    - `wait`: this attempt launched it already and it has not ended: wait for its outcome, launch nothing.
    - `launch`: never launched, or a re-run meets a run that failed, was aborted or never answered: launch anew.
    """
    outcome = json.loads(previous["outcome"]) if previous.get("outcome") else None
    same_attempt = str(previous.get("attempt") or "") == attempt
    if outcome is not None and (outcome["status"] == "SUCCEEDED" or same_attempt):
        return "replay"
    if outcome is None and same_attempt and previous.get("wes_run_id"):
        return "wait"
    return "launch"


def replay(clients: Clients, token: str, outcome: dict[str, Any]) -> dict[str, Any]:
    """The run already ended: answer the new waiter with the recorded outcome."""
    if outcome["status"] == "SUCCEEDED":
        result = {"workflow_run_id": outcome["workflow_run_id"], "output": outcome.get("output") or {}}
        clients.sfn.send_task_success(taskToken=token, output=json.dumps(result))
    else:
        clients.sfn.send_task_failure(taskToken=token, error=outcome["error"], cause=outcome.get("cause", ""))
    return {"replayed": outcome["status"]}

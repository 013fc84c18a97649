"""The WES launcher's ICA v1 call, against the local HTTP fake of WES (no AWS involved)."""

from __future__ import annotations

import json
import time

import pytest

from tasks.sequencing import ens, wes_launcher
from workflows.sequencing.fake_wes import FakeWes

WORKFLOWS = {"dragen_wgs_qc": {"id": "wfl.qc", "version": "4.2.4"}}
REQUEST = {
    "workflow_type": "dragen_wgs_qc",
    "workflow_run_name": "umccr__automated__dragen_wgs_qc__RUN__L1",
    "workflow_input": {"library_id": "L1"},
    "library_id": "L1",
    "task_token": "token-1",
}


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send_message(self, **kwargs: object) -> None:
        self.sent.append(kwargs)


def clients_for(url: str, key: str) -> wes_launcher.Clients:
    clients = wes_launcher.Clients.__new__(wes_launcher.Clients)  # only the HTTP side: no AWS clients needed
    clients.base_url, clients._api_key, clients.workflows = url, key, WORKFLOWS
    return clients


def test_launch_request_is_the_ica_v1_call() -> None:
    path, body = wes_launcher.launch_request(REQUEST, WORKFLOWS, "gds://production/analysis_data/")
    assert path == "/v1/workflows/wfl.qc/versions/4.2.4:launch"
    assert (
        body["engineParameters"]["outputDirectory"] == f"gds://production/analysis_data/{REQUEST['workflow_run_name']}"
    )
    assert body["name"] == REQUEST["workflow_run_name"] and body["input"] == {"library_id": "L1"}
    detail = wes_launcher.launch_event(REQUEST, WORKFLOWS, body)
    ens.check("WesLaunchRequest", detail)
    assert json.loads(detail["workflow_input"]) == {"library_id": "L1"}


def test_launch_posts_to_wes_and_wes_calls_back_through_ens() -> None:
    sqs = Recorder()
    with FakeWes(sqs, "queue-url", delay=0.0, api_key="k3y") as wes:
        path, body = wes_launcher.launch_request(REQUEST, WORKFLOWS)
        run = clients_for(wes.url, "k3y").post(path, body)
        assert run["id"].startswith("wfr.") and run["status"] == "Requested"
        wes.wait_for_launches(1)
        deadline = time.monotonic() + 5
        while len(sqs.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    messages = list(sqs.sent)
    bodies = [json.loads(m["MessageBody"]) for m in messages]
    assert [b["EventType"] for b in bodies] == ["RunStarted", "RunSucceeded"]
    assert all(b["Name"] == REQUEST["workflow_run_name"] and b["WorkflowRun"]["Id"] == run["id"] for b in bodies)
    attributes = {k: {"stringValue": v["StringValue"]} for k, v in messages[1]["MessageAttributes"].items()}
    record = {"messageId": "m", "body": messages[1]["MessageBody"], "messageAttributes": attributes}
    assert ens.wes_outcome(ens.parse_record(record)).status == "SUCCEEDED", "the fake speaks real ENS"


@pytest.mark.parametrize(("key", "message"), [("wrong", "WES answered 401"), (None, "cannot be reached")])
def test_launch_failures_are_named(key: str | None, message: str) -> None:
    with FakeWes(Recorder(), "q", api_key="k3y") as wes:
        url = wes.url if key else "http://127.0.0.1:9"
        path, body = wes_launcher.launch_request(REQUEST, WORKFLOWS)
        with pytest.raises(wes_launcher.WesLaunchFailed, match=message):
            clients_for(url, key or "k3y").post(path, body)


def test_a_request_breaking_its_contract_is_refused() -> None:
    with pytest.raises(ens.ContractViolation, match="workflow_type"):
        wes_launcher.launch_request({**REQUEST, "workflow_type": "rna_seq"}, WORKFLOWS)


SUCCEEDED = json.dumps({"status": "SUCCEEDED", "workflow_run_id": "wfr.1"})
FAILED = json.dumps({"status": "FAILED", "workflow_run_id": "wfr.1", "error": "Workflow.Failed"})


@pytest.mark.parametrize(
    ("previous", "attempt", "decision"),
    [
        ({}, "", "launch"),  # never launched
        ({"wes_run_id": "wfr.1"}, "", "wait"),  # a retried invocation: the run goes on
        ({"wes_run_id": "wfr.1", "outcome": SUCCEEDED}, "", "replay"),
        ({"wes_run_id": "wfr.1", "outcome": FAILED}, "", "replay"),  # the same attempt: its failure stands
        ({"wes_run_id": "wfr.1", "outcome": SUCCEEDED}, "rerun1", "replay"),  # a re-run reuses a success
        ({"wes_run_id": "wfr.1", "outcome": FAILED}, "rerun1", "launch"),  # and launches a failure again
        ({"wes_run_id": "wfr.1"}, "rerun1", "launch"),  # one that never answered (a timeout) too
        ({"wes_run_id": "wfr.2", "attempt": "rerun1"}, "rerun1", "wait"),  # the re-run's own launch, retried
        ({"wes_run_id": "wfr.2", "attempt": "rerun1", "outcome": FAILED}, "rerun2", "launch"),
    ],
)
def test_a_launch_replays_waits_or_launches_by_its_record_and_attempt(previous: dict, attempt: str,
                                                                     decision: str) -> None:  # fmt: skip
    assert wes_launcher.decide(previous, attempt) == decision

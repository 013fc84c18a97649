"""`aslkit run`, `aslkit local` and `aslkit deploy` against the session's LocalStack, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aslkit.local.run import trigger
from aslkit.testing.harness import Harness

from .checks_workflow import WORKFLOW as CHECKS

ROOT = Path(__file__).resolve().parents[2]


def aslkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aslkit.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)  # fmt: skip


def test_local_status_reports_the_running_endpoint(localstack) -> None:
    result = aslkit("local", "status")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(localstack.url)


def test_run_with_input_follows_the_execution_live(localstack) -> None:
    result = aslkit("run", "example", "--input", "samples/example/run.input.json")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "  ▶ Summarise run  (Task)" in lines
    assert any(line.startswith("  ✓ Summarise run  ") and line.endswith(" ms") for line in lines)
    assert "  ● succeeded" in lines
    assert lines[-1] == "1 execution(s): SUCCEEDED"


def test_run_follows_a_rule_started_express_run(localstack) -> None:
    """EXPRESS executions are not listed and keep no history in Step Functions: `aslkit run` finds the rule-started
    run in its machine's log group and follows it; HealthOmics is aslkit's stand-in, seeded by the workflow."""
    result = aslkit("run", "readset", "--event", "samples/readset/1_active.input.json")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "  ▶ Get read set metadata  (Task)" in lines and "  ▶ Write item  (Task)" in lines
    assert lines[-1] == "1 execution(s): SUCCEEDED"
    # the same run, watched afterwards by its ARN: read back from the log group too
    header = next(line for line in lines if line.startswith("readset_status:"))
    arn = f"arn:aws:states:us-east-1:000000000000:express:{header}"
    watched = aslkit("watch", arn, "--endpoint-url", localstack.url, "--timeout", "30")
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "  ▶ Write item  (Task)" in watched.stdout.splitlines() and "output: " in watched.stdout


def test_run_reports_a_failure_with_its_state_and_exit_code(localstack, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"runId": "R9", "libraries": [{"id": "L1", "type": "RNA"}]}))
    result = aslkit("run", "example", "--input", str(bad))
    assert result.returncode == 1
    assert "  ✗ Summarise run: InvalidRun — run R9: library 0 has type 'RNA'" in result.stdout
    assert "  ↳ caught, going to Run is invalid" in result.stdout
    assert "error: InvalidRun" in result.stdout


def test_deploy_and_teardown(localstack, aws, harness: Harness) -> None:
    deployed = aslkit("deploy", "example", "--local")
    assert deployed.returncode == 0, deployed.stderr
    assert "state machine example_run_summary" in deployed.stdout
    again = aslkit("deploy", "example", "--local")
    assert again.returncode == 0, "deploying twice updates in place"
    removed = aslkit("deploy", "example", "--local", "--teardown")
    assert removed.returncode == 0
    harness.forget_deployments()  # what the session had deployed unprefixed is gone: later tests deploy again
    names = [m["name"] for m in aws.stepfunctions.list_state_machines()["stateMachines"]]
    assert "example_run_summary" not in names


def test_sqs_envelope_is_delivered_per_record_and_bad_records_reach_the_dlq(harness: Harness, checks, aws) -> None:
    envelope = {
        "Records": [
            {
                "body": json.dumps({"n": 1}),
                "messageAttributes": {"kind": {"stringValue": "good", "dataType": "String"}},
            },
            {"body": "not json", "messageAttributes": {"kind": {"stringValue": "bad", "dataType": "String"}}},
        ]
    }
    arns = trigger(aws, CHECKS, checks, event=envelope)
    assert len(arns) == 1, "the good record started one execution, the bad one none"
    result = harness.wait(arns[0])
    assert result.output == {"got": {"kind": "good", "n": 1}}
    dlq = checks.queues["checks_ingress_dlq"]

    def dead_letters() -> list[str]:
        return [m["Body"] for m in aws.sqs.receive_message(QueueUrl=dlq).get("Messages", [])]

    bodies = harness.eventually(dead_letters, timeout=20, what="the rejected record reaches the DLQ")
    assert bodies == ["not json"], "the rejected record is kept in the DLQ, nothing else"


def test_eventbridge_event_file_starts_the_rule_target(harness: Harness, checks, aws) -> None:
    event = {"source": "aslkit.checks", "detail-type": "Ping", "detail": {"from": "file"}}
    arns = trigger(aws, CHECKS, checks, event=event)
    assert len(arns) == 1
    assert harness.wait(arns[0]).output == {"got": {"from": "file"}}


def test_watch_follows_an_execution_live(harness: Harness, localstack) -> None:
    deployment = harness.deploy("example", prefix="watch_")
    arn = harness.start(deployment, {"runId": "W1", "libraries": [{"id": "L1", "type": "WGS"}]})
    result = aslkit("watch", arn, "--endpoint-url", localstack.url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "  ▶ Summarise run  (Task)" in lines and "  ● succeeded" in lines
    assert lines[-1].startswith("output: ") and '"runId":"W1"' in lines[-1]

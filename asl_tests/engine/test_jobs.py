"""Container jobs in the engine: AWS Batch's SubmitJob to a job the engine knows runs its command in process, with
Batch's parameter substitution, overrides, attempts and answers (`aslkit.engine.jobs`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aslkit.engine import Engine
from aslkit.engine.jobs import Job

COMMAND = ["python", "-m", "asl_tests.engine.container_job", "--out", "Ref::out", "--exit", "Ref::code"]


def engine_with_job(attempts: int = 1) -> Engine:
    engine = Engine()
    engine.jobs.add(Job("index", COMMAND, {"SETTING": "from-the-definition"}, attempts=attempts))
    return engine


def submit(out: Path, code: int, *, pattern: str = ".sync", definition: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "StartAt": "Submit",
        "States": {
            "Submit": {
                "Type": "Task",
                "Resource": f"arn:aws:states:::batch:submitJob{pattern}",
                "Parameters": {
                    "JobName": "index-one",
                    "JobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/index",
                    "JobDefinition": definition or "arn:aws:batch:us-east-1:123456789012:job-definition/index:1",
                    "Parameters": {"out": str(out), "code": str(code)},
                    **extra,
                },
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Failed job"}],
                "End": True,
            },
            "Failed job": {"Type": "Pass", "End": True},
        },
    }


def test_a_sync_job_runs_its_command_with_parameters_filled_and_answers_as_describe_jobs(tmp_path: Path) -> None:
    engine, out = engine_with_job(), tmp_path / "runs.json"
    result = engine.run(submit(out, 0), {})
    assert result.status == "SUCCEEDED" and result.states == ["Submit"], result.explain()
    assert json.loads(out.read_text()) == [{"argv": ["--out", str(out), "--exit", "0"], "attempt": "1",
                                            "setting": "from-the-definition", "override": None}]  # fmt: skip
    job = result.output
    assert (job["Status"], job["JobName"], job["Container"]["ExitCode"]) == ("SUCCEEDED", "index-one", 0)
    assert job["Container"]["Command"] == [*COMMAND[:4], str(out), "--exit", "0"]
    assert job["JobQueue"].endswith(":job-queue/index") and len(job["Attempts"]) == 1
    submitted = json.loads(result.events("TaskSubmitted")[0]["taskSubmittedEventDetails"]["output"])
    assert set(submitted) == {"JobArn", "JobId", "JobName"} and submitted["JobId"] == job["JobId"]
    assert engine.jobs.jobs["index"].log.lines[-1] == "attempt 1 exits 0"


def test_a_failing_job_is_tried_as_often_as_its_definition_allows_then_fails_the_state(tmp_path: Path) -> None:
    engine, out = engine_with_job(attempts=2), tmp_path / "runs.json"
    result = engine.run(submit(out, 3), {})
    assert result.states == ["Submit", "Failed job"], result.explain()
    failed = result.events("TaskFailed")[0]["taskFailedEventDetails"]
    assert failed["error"] == "States.TaskFailed"
    job = json.loads(failed["cause"])
    assert job["Status"] == "FAILED" and [a["Container"]["ExitCode"] for a in job["Attempts"]] == [3, 3]
    assert [run["attempt"] for run in json.loads(out.read_text())] == ["1", "2"]


def test_an_exception_in_the_job_fails_it_with_its_traceback_in_the_log(tmp_path: Path) -> None:
    engine = engine_with_job()
    result = engine.run(submit(tmp_path / "runs.json", 99), {})
    assert result.states == ["Submit", "Failed job"]
    assert json.loads(result.events("TaskFailed")[0]["taskFailedEventDetails"]["cause"])["Container"]["ExitCode"] == 1
    log = "\n".join(engine.jobs.jobs["index"].log.lines)
    assert "Traceback" in log and "RuntimeError: the job's code broke" in log


def test_overrides_and_request_response(tmp_path: Path) -> None:
    engine, out = engine_with_job(attempts=3), tmp_path / "runs.json"
    overrides = {"Environment": [{"Name": "OVERRIDE", "Value": "yes"}]}
    result = engine.run(submit(out, 5, pattern="", ContainerOverrides=overrides, RetryStrategy={"Attempts": 1}), {})
    assert result.status == "SUCCEEDED" and set(result.output) == {"JobArn", "JobId", "JobName"}
    assert [(run["attempt"], run["override"]) for run in json.loads(out.read_text())] == [("1", "yes")]
    assert engine.jobs.runs[-1]["Status"] == "FAILED"  # submitted, not waited for: the state does not see it fail


def test_an_unknown_job_definition_on_a_known_queue_is_batch_s_client_error(tmp_path: Path) -> None:
    definition = "arn:aws:batch:us-east-1:123456789012:job-definition/other:1"
    result = engine_with_job().run(submit(tmp_path / "runs.json", 0, definition=definition), {})
    assert result.states == ["Submit", "Failed job"]  # States.TaskFailed in a Catch matches any task error
    assert result.output["Error"] == "Batch.ClientException" and "job-definition/index:1" in result.output["Cause"]
    assert not (tmp_path / "runs.json").exists()

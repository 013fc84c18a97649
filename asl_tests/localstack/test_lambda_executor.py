"""The subprocess Lambda executor on LocalStack: results, AWS error names, timeouts, warm workers, logs, zips."""

from __future__ import annotations

import json
import time

import pytest

from aslkit.testing.harness import Harness

#: these tests are about LocalStack's Lambda executor itself: they run on LocalStack only
pytestmark = [pytest.mark.localstack, pytest.mark.usefixtures("localstack")]


@pytest.mark.parametrize(
    ("scenario", "error", "message"),
    [
        ("custom", "PartNotFound", "part 7 is missing"),
        ("timeout", "Sandbox.Timedout", "Task timed out after 1.00 seconds"),
        ("exit", "Runtime.ExitError", "Runtime exited with error: exit status 3"),
        ("marshal", "Runtime.MarshalError", "Unable to marshal response"),
        ("import", "Runtime.ImportModuleError", "Unable to import module 'asl_tests.localstack.no_such_module'"),
    ],
)
def test_handler_failures_surface_with_aws_error_names(harness: Harness, checks, scenario, error, message) -> None:
    result = harness.run(checks, {"scenario": scenario, "part": 7}, machine="checks_errors")
    assert result.succeeded, result.explain()
    assert result.states == ["Which scenario?", f"Invoke {scenario}", f"Caught {scenario}", "Done"]
    assert result.output["caught"] == error
    assert result.output["error"]["Error"] == error
    assert message in result.output["error"]["Cause"]


def test_worker_stays_warm_and_sees_localstack(harness: Harness, checks, aws) -> None:
    outputs = [
        harness.run(checks, {"scenario": "echo", "n": n}, machine="checks_errors").output["result"] for n in range(3)
    ]
    assert [o["event"]["n"] for o in outputs] == [0, 1, 2]
    assert len({o["pid"] for o in outputs}) == 1, "one warm worker serves sequential invocations"
    assert outputs[2]["invocations"] == outputs[0]["invocations"] + 2, "module globals survive between invocations"
    assert outputs[0]["function"] == "checks_echo"
    assert 0 < outputs[0]["remaining_ms"] <= 5000
    assert outputs[0]["endpoint"] == aws.endpoint_url


def test_timeout_replaces_the_worker(harness: Harness, checks) -> None:
    before = harness.run(checks, {"scenario": "echo"}, machine="checks_errors").output["result"]["pid"]
    timed_out = harness.run(checks, {"scenario": "timeout"}, machine="checks_errors")
    assert timed_out.output["caught"] == "Sandbox.Timedout"
    # the slow function's worker was killed; an unrelated warm worker is untouched
    after = harness.run(checks, {"scenario": "echo"}, machine="checks_errors").output["result"]["pid"]
    assert before == after
    again = harness.run(checks, {"scenario": "timeout"}, machine="checks_errors")
    assert again.output["caught"] == "Sandbox.Timedout", "a fresh worker replaces the killed one"


def test_handler_output_reaches_cloudwatch_logs(harness: Harness, checks, aws) -> None:
    marker = f"marker-{time.time_ns()}"
    harness.run(checks, {"scenario": "echo", "marker": marker}, machine="checks_errors")
    group = "/aws/lambda/checks_echo"
    deadline = time.monotonic() + 10
    messages: list[str] = []
    while time.monotonic() < deadline and not any(marker in m for m in messages):
        events = aws.logs.filter_log_events(logGroupName=group).get("events", [])
        messages = [e["message"] for e in events]
        time.sleep(0.2)
    text = "".join(messages)
    assert marker in text
    assert "START RequestId:" in text and "REPORT RequestId:" in text


def test_direct_invoke_reports_function_error(checks, aws) -> None:
    response = aws.client("lambda").invoke(FunctionName="checks_custom_error", Payload=json.dumps({"part": 3}))
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert body["errorType"] == "PartNotFound"
    assert body["errorMessage"] == "part 3 is missing"
    assert all("aslkit_localstack" not in line for line in body["stackTrace"]), "only user frames, as on AWS"


def test_catalogue_function_deployed_as_a_zip(harness: Harness, aws) -> None:
    deployment = harness.deploy("example", prefix="zip_", code="zip")
    config = aws.client("lambda").get_function(FunctionName="zip_example_summarise_run")
    assert config["Code"].get("RepositoryType") != "S3" or "hot-reload" not in json.dumps(config["Code"])
    result = harness.run(deployment, {"runId": "R1", "libraries": [{"id": "L1", "type": "WGS"}]})
    assert result.succeeded, result.explain()
    assert result.output["result"]["summary"] == {"runId": "R1", "libraryCount": 1, "byType": {"WGS": 1}}

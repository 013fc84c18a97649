"""The in-process tier's services, wired into moto: the Step Functions API served by the engine, schedules on the
virtual clock, rule deliveries that fail into the rule's DLQ, APIs on loopback, JSONata's null and clock."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import pytest

from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness

from .wiring_workflow import CRON_WORKFLOW, WORKFLOW


@pytest.fixture
def wiring(harness: Harness) -> Deployment:
    if not harness.in_process:
        pytest.skip("the in-process tier's own services")
    return harness.deploy(WORKFLOW)


def test_the_step_functions_api_is_the_engines(harness: Harness, wiring: Deployment, aws: Any) -> None:
    sfn = aws.stepfunctions
    arn = sfn.start_execution(stateMachineArn=wiring.machine_arn("wiring_nulls"), name="by-api",
                              input=json.dumps({"value": None}))["executionArn"]  # fmt: skip
    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED", "a start from outside runs what needs no time before it returns"
    assert json.loads(described["output"])["givenIsNull"] is True
    listed = sfn.list_executions(stateMachineArn=wiring.machine_arn("wiring_nulls"))["executions"]
    assert arn in [item["executionArn"] for item in listed]
    events = sfn.get_execution_history(executionArn=arn, maxResults=2)
    assert [e["type"] for e in events["events"]] == ["ExecutionStarted", "PassStateEntered"] and events["nextToken"]
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=wiring.machine_arn("wiring_nulls"), name="by-api", input="{}")
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn=arn + "-nope")


def test_jsonata_reads_null_as_null_and_the_clock_as_virtual(harness: Harness, wiring: Deployment) -> None:
    before = harness.clock()
    harness.sleep(600)
    result = harness.run(wiring, {"value": None}, machine="wiring_nulls")
    assert result.output["missingIsNull"] is True and result.output["givenIsNull"] is True
    assert result.output["millis"] == int((before + 600) * 1000), "$millis() is the engine's clock"
    assert harness.run(wiring, {"value": 1}, machine="wiring_nulls").output["givenIsNull"] is False


def test_a_schedule_fires_on_the_virtual_clock_while_its_rule_is_enabled(
    harness: Harness, wiring: Deployment, aws: Any
) -> None:
    def ticks() -> list[str]:
        return harness.backend.executions(wiring, "wiring_ticked")

    before = len(ticks())
    harness.sleep(15 * 60)
    fired = [harness.result(arn) for arn in ticks()[: len(ticks()) - before]]
    assert len(fired) == 3, "rate(5 minutes) over 15 virtual minutes"
    assert all(r.output["input"] == {"from": "schedule"} for r in fired)
    times = sorted(datetime.fromisoformat(r.output["at"].replace("Z", "+00:00")).timestamp() for r in fired)
    assert [round(b - a) for a, b in itertools.pairwise(times)] == [300, 300]
    bus, rule = wiring.rules["wiring_every_five"]
    aws.events.disable_rule(Name=rule, EventBusName=bus)
    try:
        count = len(ticks())
        harness.sleep(15 * 60)
        assert len(ticks()) == count, "a disabled schedule starts nothing"
    finally:
        aws.events.enable_rule(Name=rule, EventBusName=bus)


def test_a_cron_schedule_fires_at_its_times_in_utc(harness: Harness) -> None:
    if not harness.in_process:
        pytest.skip("the in-process tier's own services")
    nightly = harness.deploy(CRON_WORKFLOW)
    before = set(harness.backend.executions(nightly, "wiring_nightly"))
    start = harness.clock()
    harness.sleep(86400)  # every other deployment's schedules tick meanwhile: a day, not a week
    new = [harness.result(arn) for arn in harness.backend.executions(nightly, "wiring_nightly") if arn not in before]
    times = sorted(datetime.fromisoformat(r.output["at"].replace("Z", "+00:00")) for r in new)
    assert all(r.output["input"] == {"from": "cron"} for r in new)
    assert len(times) == 2, "cron(30 2,14 * * ? *) over a day: twice"
    assert sorted((t.hour, t.minute, t.second) for t in times) == [(2, 30, 0), (14, 30, 0)]
    assert all(start < t.timestamp() <= start + 86400 for t in times)


def test_a_rule_delivers_its_transformed_input_and_keeps_an_undeliverable_event_in_its_dlq(
    harness: Harness, wiring: Deployment, aws: Any
) -> None:
    [good] = harness.put_event(wiring, source="wiring.test", detail_type="T", detail={"value": 5},
                               machine="wiring_ticked", settle=0)  # fmt: skip
    assert good.output["input"] == {"value": 5}
    harness.put_event(wiring, source="wiring.test", detail_type="T", detail={"value": "not quoted"}, expect=0,
                      machine="wiring_ticked", settle=0)  # fmt: skip
    dlq = wiring.queues["wiring_strict_dlq"]
    [kept] = aws.sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(kept["Body"])["detail"] == {"value": "not quoted"}, "the event itself is kept"
    attributes = {k: v["StringValue"] for k, v in kept["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] and attributes["TARGET_ARN"] == wiring.machine_arn("wiring_ticked")


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_api_calls_its_function_with_a_lambda_proxy_event(wiring: Deployment) -> None:
    base = wiring.apis["wiring_api"]
    assert get(f"{base}/hello/ada?lang=en") == (200, {"hello": "ada", "query": {"lang": "en"}, "stage": "api",
                                                      "method": "GET"})  # fmt: skip
    assert get(f"{base}/hello/boom") == (502, {"message": "Internal server error"})
    assert get(f"{base}/nowhere")[0] == 404


@pytest.mark.parametrize(("service", "operation"), [("dynamodb", "PutItem"), ("lambda", "Invoke"),
                                                    ("s3", "PutObject"), ("sns", "Publish")])  # fmt: skip
def test_an_injected_error_parses_as_the_services_own_in_each_protocol(service: str, operation: str) -> None:
    """An operation fault is an HTTP answer that botocore parses (so its retries see it): JSON, REST-JSON,
    REST-XML and query services each read the code and the message, markup in the message included."""
    import botocore.session
    from botocore import parsers

    from aslkit.engine.wiring import _error_response

    model = botocore.session.get_session().get_service_model(service)
    answer = _error_response("https://example/", 400, "AccessDenied", "not <yours> & never", model.protocol)
    response = {"status_code": answer.status_code, "headers": dict(answer.headers), "body": answer.content}
    shape = model.operation_model(operation).output_shape
    parsed = parsers.create_parser(model.protocol).parse(response, shape)
    assert parsed["Error"]["Code"] == "AccessDenied" and parsed["Error"]["Message"] == "not <yours> & never"

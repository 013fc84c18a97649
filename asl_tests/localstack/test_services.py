"""DynamoDB, JSONata, EventBridge rules, callbacks and mocked integrations, on LocalStack."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from aslkit.cost import Prices, estimate
from aslkit.testing.harness import Harness
from aslkit.testing.mocks import Return, Throw


def test_dynamodb_conditional_write_and_jsonata(harness: Harness, checks, aws) -> None:
    key = f"run-{uuid.uuid4().hex[:8]}"
    first = harness.run(checks, {"id": key, "note": "first", "tags": ["a", "b"]}, machine="checks_ledger")
    assert first.succeeded, first.explain()
    assert first.states == ["Start", "Record once", "Read back"]
    assert first.output == {"recorded": True, "tags": 2, "stored_note": "first"}

    second = harness.run(checks, {"id": key, "note": "second", "tags": []}, machine="checks_ledger")
    assert second.succeeded, second.explain()
    assert second.states == ["Start", "Record once", "Already recorded"]
    assert second.output == {"recorded": False, "error": "DynamoDB.ConditionalCheckFailedException"}
    item = aws.dynamodb.get_item(TableName="checks_ledger", Key={"id": {"S": key}})["Item"]
    assert item["note"] == {"S": "first"}, "the conditional write kept the first value"


def test_event_starts_exactly_one_execution(harness: Harness, checks) -> None:
    detail = {"ping": uuid.uuid4().hex}
    results = harness.put_event(checks, source="aslkit.checks", detail_type="Ping", detail=detail, expect=1)
    assert len(results) == 1
    assert results[0].succeeded
    assert results[0].output == {"got": detail}, "the rule's InputPath passes the detail only"


def test_a_rule_with_the_constant_input_of_an_empty_object_delivers_it(harness: Harness, checks, aws,
                                                                      localstack) -> None:  # fmt: skip
    """AWS delivers a constant Input as written, `{}` included (EDP's sweep schedule has it); LocalStack dropped
    a falsy one until aslkit's plugin fixed it."""
    rule, source = f"checks_constant_{uuid.uuid4().hex[:6]}", f"aslkit.constant.{uuid.uuid4().hex[:6]}"
    aws.events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    aws.events.put_targets(Rule=rule, Targets=[{"Id": "target", "Arn": checks.machine_arn("checks_event"),
                                                "RoleArn": "arn:aws:iam::000000000000:role/checks-events",
                                                "Input": "{}"}])  # fmt: skip
    before = set(harness.backend.executions(checks, "checks_event"))
    aws.events.put_events(Entries=[{"Source": source, "DetailType": "Ping", "Detail": json.dumps({"x": 1})}])
    new = harness.eventually(lambda: [a for a in harness.backend.executions(checks, "checks_event") if a not in before],
                             timeout=15, what="the rule starts the machine with {}")  # fmt: skip
    assert len(new) == 1 and harness.result(new[0]).input == {}


def test_event_not_matching_the_pattern_starts_nothing(harness: Harness, checks) -> None:
    results = harness.put_event(checks, source="aslkit.other", detail_type="Ping", detail={}, expect=0)
    assert results == []


def _receive_one(aws, queue_url: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = aws.sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            aws.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
            return json.loads(messages[0]["Body"])
    raise AssertionError(f"no message on {queue_url} in {timeout} s")


def test_wait_for_task_token_completed_by_the_test(harness: Harness, checks, aws) -> None:
    arn = harness.start(checks, {"question": "ship it?"}, machine="checks_callback")
    message = _receive_one(aws, checks.queues["checks_callbacks"])
    assert message["question"] == "ship it?"
    waiting = harness.result(arn)
    assert waiting.status == "RUNNING" and waiting.states == ["Ask and wait"], "it waits for the token"
    harness.backend.send_task_success(message["token"], {"answer": "yes"})
    result = harness.wait(arn)
    assert result.succeeded, result.explain()
    assert result.output == {"answer": "yes"}
    assert result.states == ["Ask and wait", "Answered"]


def test_wait_for_task_token_failure_is_caught_by_name(harness: Harness, checks, aws) -> None:
    arn = harness.start(checks, {"question": "delete prod?"}, machine="checks_callback")
    message = _receive_one(aws, checks.queues["checks_callbacks"])
    harness.backend.send_task_failure(message["token"], "Rejected", "a human said no")
    result = harness.wait(arn)
    assert result.status == "FAILED"
    assert (result.error, result.cause) == ("Rejected", "a human said no")
    assert result.states == ["Ask and wait", "Was rejected"]


def test_mocked_integration_returns_and_throws(harness: Harness, checks) -> None:
    metadata = {"Name": "NA12878", "Status": "ACTIVE", "Id": "1234567890"}
    harness.mock(checks, "checks_mocked", "found", {"Get read set": [Return(metadata)]})
    harness.mock(
        checks,
        "checks_mocked",
        "throttled_then_missing",
        {
            "Get read set": [
                Throw("Omics.ThrottlingException", "slow down"),
                Throw("Omics.ResourceNotFoundException", "gone"),
            ]
        },
    )
    found = harness.run(checks, {"store": "s1", "id": "1234567890"}, machine="checks_mocked", test_case="found")
    assert found.succeeded, found.explain()
    assert found.output == {"name": "NA12878", "status": "ACTIVE"}

    missing = harness.run(
        checks, {"store": "s1", "id": "0"}, machine="checks_mocked", test_case="throttled_then_missing"
    )
    assert missing.status == "FAILED"
    assert missing.error == "ReadSetNotFound"
    assert missing.states == ["Get read set", "No such read set"]
    assert len(missing.events("TaskFailed")) == 2, "the throttle was retried once, then the not-found was caught"
    first = missing.visits[0]
    assert (first.attempts, first.error, first.cause) == (2, "Omics.ResourceNotFoundException", "gone")
    assert missing.steps == {("Get read set", "No such read set")}, "the catch is the one transition made"
    cost = estimate(missing, "STANDARD")
    assert cost.transitions == 4, "start, two states, and the retry are billed"
    assert cost.lambda_invocations == 0 and cost.total_usd == pytest.approx(4 * Prices.for_region().standard_transition)

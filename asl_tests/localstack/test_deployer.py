"""The deployer creates every resource kind a spec can declare, and they behave as declared."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from aslkit.asl import Pass, StateMachine, path
from aslkit.events import InputTransformer, Rule, Schedule
from aslkit.resources import Bucket, Queue, SsmParameter, Table, Topic
from aslkit.spec import Workflow
from aslkit.testing.harness import Harness

#: these tests are about the LocalStack deployer: they run on LocalStack only
pytestmark = [pytest.mark.localstack, pytest.mark.usefixtures("localstack")]

landing = Bucket("dep_landing", event_bridge=True)
orders = Queue("dep_orders", fifo=True)
fanout = Queue("dep_fanout", max_receive_count=None)
alerts = Topic("dep_alerts", subscribe_queues=["dep_fanout"])
inbox = Queue("dep_inbox", max_receive_count=None)
notices = Topic("dep_notices", subscribe_queues=["dep_inbox"])
switches = SsmParameter("dep_switches", value='{"stop": false}', description="what operators flip")
records = Table("dep_records", partition_key=("pk", "S"), sort_key=("sk", "N"), stream="NEW_IMAGE",
                ttl_attribute="expires")  # fmt: skip
on_object = StateMachine("dep_on_object", Pass("Seen", parameters={"seen": path("$")}))
ticker = StateMachine("dep_ticker", Pass("Tick"))

SPEC = Workflow(
    "deployer_checks",
    "every resource kind",
    machines=[on_object, ticker],
    tables=[records],
    buckets=[landing],
    queues=[orders, fanout, inbox],
    topics=[alerts, notices],
    ssm_parameters=[switches],
    rules=[
        Rule(
            "dep_object_created",
            pattern={
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": [{"prefix": "dep-landing"}]}},
            },
            target=on_object,
            input_transformer=InputTransformer(
                {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"},
                '{"bucket": <bucket>, "key": <key>, "source": "s3"}',
            ),
        ),
        Rule("dep_noticed", pattern={"source": ["deployer.checks"]}, target=notices),
    ],
    schedules=[Schedule("dep_every_minute", "rate(1 minute)", target=ticker, input={"tick": True})],
)


@pytest.fixture
def deployed(harness: Harness):
    return harness.deploy(SPEC)  # built and deployed once per session, then cached


def test_table_has_keys_stream_and_ttl(deployed, aws) -> None:
    table = aws.dynamodb.describe_table(TableName="dep_records")["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    ttl = aws.dynamodb.describe_time_to_live(TableName="dep_records")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires"
    assert deployed.substitutions["dep_records_table_name"] == "dep_records"


def test_fifo_queue_with_dlq(deployed, aws) -> None:
    url = deployed.queues["dep_orders"]
    assert url.endswith("dep_orders.fifo")
    attributes = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"].endswith("dep_orders_dlq.fifo")


def test_topic_delivers_to_its_subscribed_queue(deployed, aws) -> None:
    aws.sns.publish(TopicArn=deployed.topics["dep_alerts"], Message="package quarantined")
    deadline = time.monotonic() + 10
    bodies: list[str] = []
    while time.monotonic() < deadline and not bodies:
        response = aws.sqs.receive_message(QueueUrl=deployed.queues["dep_fanout"], WaitTimeSeconds=1)
        bodies = [m["Body"] for m in response.get("Messages", [])]
    assert bodies == ["package quarantined"], "raw delivery: the message itself, not an SNS envelope"


def test_a_rule_publishes_its_events_to_a_topic(deployed, aws) -> None:
    aws.events.put_events(Entries=[{"Source": "deployer.checks", "DetailType": "Notice", "Detail": '{"n": 1}'}])
    deadline, bodies = time.monotonic() + 15, []
    while time.monotonic() < deadline and not bodies:
        response = aws.sqs.receive_message(QueueUrl=deployed.queues["dep_inbox"], WaitTimeSeconds=1)
        bodies = [json.loads(m["Body"]) for m in response.get("Messages", [])]
    assert [(b["source"], b["detail-type"], b["detail"]) for b in bodies] == [("deployer.checks", "Notice", {"n": 1})]


def test_an_ssm_parameter_starts_with_its_value_and_keeps_an_operators(deployed, aws, harness: Harness) -> None:
    ssm = aws.client("ssm")
    name = deployed.ssm_parameters["dep_switches"]
    assert deployed.substitutions["dep_switches_ssm_parameter_name"] == name
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == '{"stop": false}'
    ssm.put_parameter(Name=name, Value='{"stop": true}', Type="String", Overwrite=True)
    again = harness.deploy(SPEC, fresh=True)  # a deploy again (an update) leaves what the operator set
    assert ssm.get_parameter(Name=again.ssm_parameters["dep_switches"])["Parameter"]["Value"] == '{"stop": true}'
    ssm.put_parameter(Name=name, Value='{"stop": false}', Type="String", Overwrite=True)


def test_object_created_event_reaches_the_rule_with_its_input_transformer(deployed, aws, harness: Harness) -> None:
    before = set(harness.backend.executions(deployed, "dep_on_object"))
    aws.s3.put_object(Bucket="dep-landing", Key="runs/R1/sample.fastq.gz", Body=b"@r1\nACGT\n+\nIIII\n")
    deadline = time.monotonic() + 15
    new: list[str] = []
    while time.monotonic() < deadline and not new:
        new = [a for a in harness.backend.executions(deployed, "dep_on_object") if a not in before]
        time.sleep(0.1)
    assert len(new) == 1
    result = harness.wait(new[0])
    assert result.output == {"seen": {"bucket": "dep-landing", "key": "runs/R1/sample.fastq.gz", "source": "s3"}}


def test_schedule_and_rule_have_targets_with_dlq_and_retry(deployed, aws) -> None:
    rule = aws.events.describe_rule(Name="dep_every_minute")
    assert rule["ScheduleExpression"] == "rate(1 minute)"
    targets = aws.events.list_targets_by_rule(Rule="dep_object_created")["Targets"]
    assert targets[0]["DeadLetterConfig"]["Arn"].endswith(":dep_object_created_dlq")
    assert targets[0]["RetryPolicy"] == {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600}


def test_hot_reload_restarts_the_worker_when_a_source_changes(aws, tmp_path: Path) -> None:
    package = tmp_path / "hr_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "mod.py"
    module.write_text("def handler(event, context):\n    return 'v1'\n")
    lam = aws.client("lambda")
    lam.create_function(
        FunctionName="hot_reload_check",
        Runtime="python3.13",
        Role="arn:aws:iam::000000000000:role/hot-reload-check",
        Handler="hr_pkg.mod.handler",
        Code={"S3Bucket": "hot-reload", "S3Key": str(tmp_path)},
    )
    try:
        waiter_deadline = time.monotonic() + 20
        while lam.get_function(FunctionName="hot_reload_check")["Configuration"]["State"] != "Active":
            assert time.monotonic() < waiter_deadline
            time.sleep(0.05)
        assert json.loads(lam.invoke(FunctionName="hot_reload_check")["Payload"].read()) == "v1"
        time.sleep(0.01)
        module.write_text(textwrap.dedent("def handler(event, context):\n    return 'v2'\n"))
        assert json.loads(lam.invoke(FunctionName="hot_reload_check")["Payload"].read()) == "v2"
    finally:
        lam.delete_function(FunctionName="hot_reload_check")

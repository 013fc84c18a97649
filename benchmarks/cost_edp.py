"""Transitions and AWS cost per 1,000 recorded S3 object events: EDP as Step Functions against the original design.

    .venv/bin/python benchmarks/cost_edp.py

Runs the committed recorder on its own LocalStack for recorded events and for the event that reaches the threshold
(a flush), timing each EXPRESS execution. A STANDARD copy of the same definition is run only to read the history
(EXPRESS keeps none): the transitions are the same. The original design (Quilt's EDP) ran one Lambda per event that
wrote the batch record; its duration is estimated as one measured DynamoDB write from Python plus 20 ms of handler
overhead, at 128 MB. Both designs emit the same package-objects-ready events; the sweeper runs once a minute in both.
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aslkit.cost import PRICES_AS_OF, Prices  # noqa: E402
from aslkit.local.clients import AwsClients  # noqa: E402
from aslkit.local.deployer import substitute  # noqa: E402
from aslkit.local.launcher import private_localstack  # noqa: E402
from aslkit.testing.backend import LocalStackBackend  # noqa: E402
from aslkit.testing.harness import Harness  # noqa: E402
from workflows.edp import WORKFLOW  # noqa: E402

RUNS = 40
COUNT = 20  # events per batch (the default threshold): one flush per 20 events


def main() -> int:
    with private_localstack(ROOT) as endpoint:
        return measure(AwsClients(endpoint.url))


def measure(aws: AwsClients) -> int:
    harness = Harness(LocalStackBackend(aws, ROOT), ROOT)
    deployment = harness.deploy(WORKFLOW, parameters={"edp_landing_threshold_count": str(COUNT)})
    bus, rule = deployment.rules["edp_package_ready"]
    aws.events.disable_rule(Name=rule, EventBusName=bus)  # packaging is not what is measured
    base = json.loads((ROOT / "asl_tests/data/edp/s3_object_created.event.json").read_text())
    bucket = deployment.buckets["edp_landing"]

    def event(key: str) -> dict:
        e = copy.deepcopy(base)
        e["detail"]["bucket"]["name"], e["detail"]["object"]["key"] = bucket, key
        e["detail"]["object"]["sequencer"] = uuid.uuid4().hex[:18]
        return e

    text = substitute((ROOT / "statemachines/edp_recorder.asl.json").read_text(), deployment.substitutions,
                      source="edp_recorder")  # fmt: skip
    standard = aws.stepfunctions.create_state_machine(
        name="edp_recorder_standard_copy", definition=text, roleArn="arn:aws:iam::000000000000:role/x"
    )["stateMachineArn"]

    recorded_ms, flush_ms = [], []
    for n in range(RUNS):
        prefix = f"cost/{n:03d}"
        for i in range(COUNT):
            started = time.perf_counter()
            result = harness.run(deployment, event(f"{prefix}/f{i}"), machine="edp_recorder")
            took = (time.perf_counter() - started) * 1000
            assert result.succeeded, result.explain()
            (flush_ms if result.output["action"] == "flushed" else recorded_ms).append(took)

    def transitions(key: str) -> int:
        arn = aws.stepfunctions.start_execution(stateMachineArn=standard, input=json.dumps(event(key)))["executionArn"]
        return harness.wait(arn).transitions

    recorded_t = transitions("copy/p/f0")  # the first event of a batch
    for i in range(COUNT - 1):
        transitions(f"copy/q/f{i}")
    flush_t = transitions("copy/q/f19")

    table = deployment.tables["edp_batches"]
    writes = []
    for i in range(RUNS):
        started = time.perf_counter()
        aws.dynamodb.update_item(
            TableName=table,
            Key={"batch_id": {"S": f"direct/{i}"}},
            UpdateExpression="ADD pending :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        writes.append((time.perf_counter() - started) * 1000)

    price = Prices.for_region("us-east-1")
    flushes = 1000 // COUNT
    rec, fl, write = statistics.median(recorded_ms), statistics.median(flush_ms), statistics.median(writes)
    ours_sfn = price.express(1000 - flushes, rec) + price.express(flushes, fl)
    ours_ddb = 1000 * 2 * price.dynamodb_write + flushes * price.dynamodb_write  # admit + count; close per flush
    events = flushes * price.eventbridge_event
    original_lambda = price.lambda_(1000, write + 20, 128)
    original_ddb = 1000 * price.dynamodb_write + flushes * price.dynamodb_write
    ours, original = ours_sfn + ours_ddb + events, original_lambda + original_ddb + events
    sweeps = 60 * 24 * 30
    print(f"EDP: cost per 1,000 recorded events, {COUNT} events per batch (prices as of {PRICES_AS_OF}, us-east-1)")
    print(f"  recorder execution (EXPRESS), median: {rec:.0f} ms recorded, {fl:.0f} ms with a flush "
          f"({RUNS * COUNT} executions on LocalStack)")  # fmt: skip
    print(f"  transitions per event: {recorded_t} recorded, {flush_t} with a flush "
          f"(EXPRESS bills requests and duration, not transitions)")  # fmt: skip
    print(f"  this design: ${ours:.5f}  = Step Functions ${ours_sfn:.5f} + DynamoDB ${ours_ddb:.5f} "
          f"(2 writes per event: admit once, count) + EventBridge ${events:.5f}")  # fmt: skip
    print(f"  original:    ${original:.5f}  = Lambda ${original_lambda:.5f} (128 MB, {write + 20:.0f} ms) + DynamoDB "
          f"${original_ddb:.5f} (1 write per event, no deduplication) + EventBridge ${events:.5f}")  # fmt: skip
    print(f"  sweeper, both designs: {sweeps} runs a month; here ${price.express(sweeps, fl):.4f} a month (EXPRESS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

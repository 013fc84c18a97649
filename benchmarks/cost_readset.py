"""Transitions and AWS cost per 1,000 read-set status events: this design against the original one.

    .venv/bin/python benchmarks/cost_readset.py

Runs the committed status machine on LocalStack (its own instance) for each kind of event, with HealthOmics mocked,
and measures what each execution does and how long it takes. The same definition is also created as STANDARD, only
to read its history: EXPRESS keeps none, and the number of transitions is the same. The original design (the seeds'
sample) put each event on one SQS FIFO queue and ran one Lambda (256 MB) per event that called HealthOmics and
DynamoDB itself; its Lambda duration is estimated as this design's execution duration (the same calls, made one
after the other by one handler) plus 20 ms. Status updates are measured on read sets already known (seeded with an
earlier ACTIVE event), the steady state of a store.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aslkit.cost import PRICES_AS_OF, Prices  # noqa: E402
from aslkit.local.clients import AwsClients  # noqa: E402
from aslkit.local.deployer import substitute  # noqa: E402
from aslkit.local.launcher import private_localstack  # noqa: E402
from aslkit.testing.backend import LocalStackBackend  # noqa: E402
from aslkit.testing.harness import Harness  # noqa: E402
from aslkit.testing.mocks import MockConfig, Return  # noqa: E402
from workflows.readset import WORKFLOW  # noqa: E402

MIX = {"ACTIVE": 0.4, "ACTIVATING": 0.1, "ARCHIVED": 0.2, "DELETED": 0.1, "PROCESSING_UPLOAD": 0.2}
RUNS = 15


def main() -> int:
    with private_localstack(ROOT) as endpoint:
        return measure(endpoint)


def measure(endpoint) -> int:
    aws = AwsClients(endpoint.url)
    harness = Harness(LocalStackBackend(aws, ROOT, Path(endpoint.mock_config)), ROOT)
    deployment = harness.deploy(WORKFLOW)
    responses = {
        "Get read set metadata": [Return({"Id": "1", "Arn": "a", "SequenceStoreId": "s", "Status": "ACTIVE",
                                          "FileType": "FASTQ", "CreationTime": "2023-01-01T00:00:00Z"})],
        "List tags": [Return({"Tags": {"project": "P"}})],
        "Get sequence store": [
            Return({"Id": "s", "Arn": "arn", "Name": "store", "CreationTime": "2023-01-01T00:00:00Z"})
        ],
    }  # fmt: skip
    mocks = MockConfig()
    mocks.case("readset_status", "cost", responses)
    standard_text = substitute((ROOT / "statemachines/readset_status.asl.json").read_text(), deployment.substitutions,
                               source="readset_status")  # fmt: skip
    standard = aws.stepfunctions.create_state_machine(
        name="readset_status_standard_copy", definition=standard_text, roleArn="arn:aws:iam::000000000000:role/x"
    )["stateMachineArn"]
    mocks.case("readset_status_standard_copy", "cost", responses)
    mocks.write(Path(endpoint.mock_config))

    rows = {}
    for status in MIX:
        durations, transitions, invocations = [], [], []
        for n in range(RUNS):
            for copy_name in ("", "copy"):  # seed: the read set is known, as in a store's steady state
                seed = {"source": "aws.omics", "detail-type": "Read Set Status Change", "time": "2023-04-04T09:00:00Z",
                        "detail": {"arn": f"arn:aws:omics:us-east-1:1:sequenceStore/s/readSet/{status}{n}{copy_name}",
                                   "id": f"{n}", "sequenceStoreId": "s", "status": "ACTIVE"}}  # fmt: skip
                harness.run(deployment, seed, machine="readset_status", test_case="cost")
            ev = {"source": "aws.omics", "detail-type": "Read Set Status Change", "time": f"2023-04-04T10:{n:02d}:00Z",
                  "detail": {"arn": f"arn:aws:omics:us-east-1:1:sequenceStore/s/readSet/{status}{n}", "id": f"{n}",
                             "sequenceStoreId": "s", "status": status}}  # fmt: skip
            started = time.perf_counter()
            result = harness.run(deployment, ev, machine="readset_status", test_case="cost")
            durations.append((time.perf_counter() - started) * 1000)
            assert result.succeeded, result.explain()
            ev["detail"]["arn"] += "copy"
            arn = aws.stepfunctions.start_execution(stateMachineArn=f"{standard}#cost", input=json.dumps(ev))[
                "executionArn"
            ]
            copy = harness.wait(arn)
            transitions.append(copy.transitions)
            invocations.append(sum(1 for v in copy.visits if v.name == "Build item"))
        rows[status] = (statistics.median(durations), statistics.median(transitions), statistics.median(invocations))

    price = Prices.for_region("us-east-1")
    per_1000 = {status: int(1000 * share) for status, share in MIX.items()}
    express = lambda_ = dynamo = 0.0
    for status, count in per_1000.items():
        duration, _, builds = rows[status]
        express += price.express(count, duration)
        lambda_ += price.lambda_(int(count * builds), 30, 256)
        dynamo += count * (price.dynamodb_write if status in ("ACTIVE", "ACTIVATING", "ARCHIVED", "DELETED") else 0)
    ours = express + lambda_ + dynamo
    # original: FIFO send + receive + delete per event; one 256 MB Lambda per event, running the same calls
    original_lambda_ms = {status: rows[status][0] for status in MIX}
    original = sum(
        count * 3 * price.sqs_fifo_request
        + price.lambda_(count, original_lambda_ms[status] + 20, 256)
        + count * price.dynamodb_write  # it wrote on every event, whatever the status
        for status, count in per_1000.items()
    )
    print(f"read-set status handling: cost per 1,000 events (prices as of {PRICES_AS_OF}, us-east-1)")
    print(f"  event mix: {', '.join(f'{k} {v:.0%}' for k, v in MIX.items())}; {RUNS} runs per status, medians")
    print(f"  {'status':<18} {'transitions':>11} {'duration ms':>12} {'Lambda calls':>13}")
    for status, (duration, transitions, builds) in rows.items():
        print(f"  {status:<18} {transitions:>11.0f} {duration:>12.0f} {builds:>13.0f}")
    print(
        f"  this design (EXPRESS + builder Lambda + DynamoDB):  ${ours:.5f}   "
        f"(EXPRESS ${express:.5f}, Lambda ${lambda_:.5f}, DynamoDB ${dynamo:.5f})"
    )
    print(f"  original (SQS FIFO + one Lambda per event + DynamoDB): ${original:.5f}")
    print("  EXPRESS bills requests and duration, not transitions; the transition counts come from a STANDARD copy.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

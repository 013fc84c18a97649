"""`aslkit run WORKFLOW --event FILE | --input FILE`: trigger a workflow on LocalStack the way production does.

An EventBridge event goes on the bus; an SQS `Records[]` envelope (as ICA ENS delivers) goes to the workflow's
ingress queue, one message per record with its attributes; an input starts the entry state machine. Every execution
the trigger started is followed live, and the exit code says whether all of them succeeded.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aslkit.local.clients import AwsClients
from aslkit.local.deployer import Deployment, LocalDeployer, substitute
from aslkit.local.follow import Follower
from aslkit.runtime import express
from aslkit.spec import SpecError, Workflow

#: how long a trigger may take to start its first execution (LocalStack's SQS pollers back off while idle)
DISCOVERY_TIMEOUT_S = 30.0
SETTLE_S = 1.0  # and no new execution for this long: the trigger's consequences have all started


def _run_express(
    clients: AwsClients, deployment: Deployment, machine: str, input: Any, emit: Callable[[str], None]
) -> int:
    """An EXPRESS machine runs synchronously; its states are read back from its log group when it ends."""
    from aslkit.testing.backend import LocalStackBackend

    result = LocalStackBackend(clients, Path.cwd()).run_sync(deployment, machine, input)
    emit(f"\n{result.arn.split(':', 6)[-1]} (EXPRESS, synchronous)")
    follower = Follower(clients, result.arn, emit)
    for event in result.history:
        line = follower.describe(event)
        if line:
            emit(line)
    if result.succeeded:
        emit(f"output: {json.dumps(result.output)}")
    else:
        emit(f"error: {result.error}\ncause: {result.cause}")
    emit(f"\n1 execution(s): {result.status}")
    return 0 if result.succeeded else 1


def trigger(
    clients: AwsClients,
    workflow: Workflow,
    deployment: Deployment,
    *,
    event: Any = None,
    input: Any = None,
) -> list[str]:
    """Deliver the trigger and return the ARNs of the executions it started."""
    if input is not None:
        arn = deployment.machine_arn(workflow.entry_machine.name)
        name = f"run-{uuid.uuid4().hex[:12]}"
        return [
            clients.stepfunctions.start_execution(stateMachineArn=arn, name=name, input=json.dumps(input))[
                "executionArn"
            ]
        ]
    watched = list(deployment.machines)
    since = datetime.now(UTC)
    groups = {m: express.log_group_of(clients.stepfunctions, deployment.machine_arn(m)) for m in watched
              if deployment.machine_types.get(m) == "EXPRESS"}  # looked up once, polled below  # fmt: skip
    before = {run[0] for machine in watched for run in _executions(clients, deployment, machine, since, groups)}
    # A trigger file may name the deployment's resources by placeholder (`${edp_landing_bucket_name}`).
    event = json.loads(substitute(json.dumps(event), deployment.substitutions, source="the event"))
    if isinstance(event, dict) and "Records" in event:
        send_records(clients, workflow, deployment, event["Records"])
    elif _is_event(event) or (isinstance(event, list) and event and all(_is_event(e) for e in event)):
        put_events(clients, deployment, event if isinstance(event, list) else [event])
    else:
        raise SpecError(
            "the --event file must hold an EventBridge event (source, detail-type, detail), a list of them, "
            "or an SQS Records[] envelope"
        )
    # Every execution the trigger led to, in the order they started: the ones it started, and the ones those
    # started (a starter's orchestration, a flush's packaging): found until every EXPRESS one found has ended and
    # none has appeared for SETTLE_S (a STANDARD one is followed, not waited for).
    deadline = time.monotonic() + DISCOVERY_TIMEOUT_S
    found: list[tuple[str, datetime, bool]] = []
    last_new = time.monotonic()
    while time.monotonic() < deadline:
        now = [
            run for m in watched for run in _executions(clients, deployment, m, since, groups) if run[0] not in before
        ]
        if len(now) > len(found):
            last_new = time.monotonic()
        found = now
        if found and all(ended for _, _, ended in found) and time.monotonic() - last_new >= SETTLE_S:
            break
        time.sleep(0.25)
    return [arn for arn, _, _ in sorted(found, key=lambda run: run[1])]


def _executions(clients: AwsClients, deployment: Deployment, machine: str, since: datetime,
                groups: dict[str, str | None]) -> list[tuple[str, datetime, bool]]:  # fmt: skip
    """(ARN, start, done starting others) of the machine's executions: a STANDARD one's listed (it starts others
    as it runs, and is followed), an EXPRESS one's (unlisted) from its log group (`groups`), done once it ended."""
    if machine in groups:
        group = groups[machine]
        logged = express.runs_in(clients.logs, group, since=since) if group else []
        return [(run.arn, run.started, run.ended) for run in logged]
    response = clients.stepfunctions.list_executions(stateMachineArn=deployment.machine_arn(machine), maxResults=1000)
    return [(item["executionArn"], item["startDate"], True) for item in response["executions"]]


def send_records(
    clients: AwsClients, workflow: Workflow, deployment: Deployment, records: list[dict[str, Any]]
) -> None:
    if workflow.ingress is None:
        raise SpecError(f"workflow {workflow.name!r} declares no ingress queue for SQS records")
    url = deployment.queues[workflow.ingress]
    for record in records:
        attributes = {
            name: {"DataType": value.get("dataType", "String"), "StringValue": value.get("stringValue", "")}
            for name, value in (record.get("messageAttributes") or {}).items()
        }
        clients.sqs.send_message(QueueUrl=url, MessageBody=record["body"], MessageAttributes=attributes)


def _is_event(event: Any) -> bool:
    return isinstance(event, dict) and "detail-type" in event and "source" in event


def put_events(clients: AwsClients, deployment: Deployment, events: list[dict[str, Any]]) -> None:
    """Put events as their producers would, ten per request (EventBridge's limit), with their own time."""
    entries = []
    for event in events:
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event.get("detail", {})),
            "EventBusName": deployment.bus_for(event["source"]),
            "Resources": event.get("resources", []),
        }
        if "time" in event:
            entry["Time"] = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
        entries.append(entry)
    for start in range(0, len(entries), 10):
        response = clients.events.put_events(Entries=entries[start : start + 10])
        if response.get("FailedEntryCount"):
            raise SpecError(f"EventBridge rejected events: {response['Entries']}")


@contextmanager
def stood_up(
    clients: AwsClients,
    root: Path,
    workflow: Workflow,
    parameters: dict[str, str] | None = None,
    *,
    prefix: str = "",
) -> Iterator[Deployment]:
    """The workflow deployed to LocalStack, with its local stand-ins (`Workflow.local`) running around it."""
    overrides = dict(parameters or {})

    def deploy(extra: dict[str, str] | None = None) -> Deployment:
        deployer = LocalDeployer(clients, root, prefix=prefix, parameters={**(extra or {}), **overrides})
        return deployer.deploy(workflow)

    if workflow.local is None:
        yield deploy()
        return
    with workflow.local(clients, deploy) as deployment:
        yield deployment


def run(
    clients: AwsClients,
    root: Path,
    workflow: Workflow,
    *,
    event: Any = None,
    input: Any = None,
    parameters: dict[str, str] | None = None,
    timeout: float = 300.0,
    emit: Callable[[str], None] = print,
) -> int:
    started = time.perf_counter()
    with stood_up(clients, root, workflow, parameters) as deployment:
        took = time.perf_counter() - started
        emit(f"deployed {workflow.name} ({len(deployment.machines)} state machine(s)) in {took:.1f} s")
        for line in deployment.addresses():
            emit(f"  {line}")
        return _trigger_and_follow(clients, workflow, deployment, event, input, timeout, emit)


def _trigger_and_follow(
    clients: AwsClients,
    workflow: Workflow,
    deployment: Deployment,
    event: Any,
    input: Any,
    timeout: float,
    emit: Callable[[str], None],
) -> int:
    entry = workflow.entry_machine
    if input is not None and entry.type == "EXPRESS":
        return _run_express(clients, deployment, entry.name, input, emit)
    arns = trigger(clients, workflow, deployment, event=event, input=input)
    if not arns:
        emit(
            "the trigger started no execution: check the rule's pattern against the event, or whether it was "
            "already handled (duplicates are deduplicated); `aslkit local logs` shows what LocalStack did"
        )
        return 1
    outcomes = []
    for arn in arns:
        emit(f"\n{arn.split(':', 6)[-1]}")
        description = Follower(clients, arn, emit).follow(timeout)
        outcomes.append(description["status"])
        if description["status"] == "SUCCEEDED":
            emit(f"output: {description.get('output', '')}")
        else:
            emit(f"error: {description.get('error', '')}\ncause: {description.get('cause', '')}")
    emit(f"\n{len(arns)} execution(s): {', '.join(outcomes)}")
    return 0 if all(status == "SUCCEEDED" for status in outcomes) else 1

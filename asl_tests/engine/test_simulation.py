"""Deterministic simulation on the in-process tier: seeded interleavings that find a lost update and replay it,
faults recorded as AWS records them, at-least-once delivery, invariants."""

from __future__ import annotations

from typing import Any

import pytest

from aslkit.engine import faults
from aslkit.errors import UserInputError
from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness
from aslkit.testing.simulation import Run, Variant, assert_caught, every_execution_ends, exactly_once, simulate

from .simulation_workflow import WORKFLOW


@pytest.fixture
def counter(harness: Harness) -> Deployment:
    return harness.deploy(WORKFLOW)


def count(aws: Any, deployment: Deployment, key: str) -> int:
    item = aws.dynamodb.get_item(TableName=deployment.tables["sim_counters"], Key={"pk": {"S": key}}).get("Item")
    return int(item["version"]["N"]) if item else 0


def increments(harness: Harness, deployment: Deployment, n: int) -> Any:
    def scenario(run: Run) -> None:
        with run.concurrently():  # started together: the seed interleaves their states
            for _ in range(n):
                harness.start(deployment, {"key": run.key})

    return scenario


def counted(aws: Any, deployment: Deployment, n: int) -> Any:
    def every_increment_counted(run: Run) -> None:
        assert count(aws, deployment, run.key) == n, f"the counter is {count(aws, deployment, run.key)} after {n}"

    return every_increment_counted


def test_the_counter_holds_under_every_seed_and_its_broken_variant_is_caught_and_replays(
    harness: Harness, aws: Any, counter: Deployment
) -> None:
    checks = [counted(aws, counter, 3), every_execution_ends()]
    report = simulate(harness, increments(harness, counter, 3), seeds=range(60), invariants=checks)
    assert report.held and report.seeds == 60 and report.steps > 60 * 3 * 4

    with Variant(harness, counter.machine_arn("sim_counter"), "Write counter", "Arguments.ConditionExpression"):
        broken = simulate(harness, increments(harness, counter, 3), seeds=range(60), invariants=checks)
        assert broken.failure is not None, "a lost update went unnoticed"
        found = broken.failure
        assert found.invariant == "every_increment_counted" and "after 3" in found.message
        assert sum(line.split()[2] == "ExecutionSucceeded" for line in found.trace) == 3
        replayed = simulate(harness, increments(harness, counter, 3), seeds=[found.seed], invariants=checks)
    assert replayed.failure is not None
    assert (replayed.failure.message, replayed.failure.trace) == (found.message, found.trace)
    assert f"replay it: simulate(..., seeds=[{found.seed}])" in str(found)
    # the machine is whole again after the block
    assert simulate(harness, increments(harness, counter, 3), seeds=[found.seed], invariants=checks).held


def test_seeds_choose_different_interleavings(harness: Harness, aws: Any, counter: Deployment) -> None:
    traces: set[tuple[str, ...]] = set()

    def scenario(run: Run) -> None:
        increments(harness, counter, 2)(run)
        run.settle()
        traces.add(tuple(line.split(None, 1)[1] for line in run.trace()))

    assert simulate(harness, scenario, seeds=range(20), invariants=[counted(aws, counter, 2)]).held
    assert len(traces) > 3


def one_run(harness: Harness, deployment: Deployment, fault: faults.Fault) -> Run:
    runs: list[Run] = []

    def scenario(run: Run) -> None:
        runs.append(run)
        harness.start(deployment, {"key": run.key})

    assert simulate(harness, scenario, seeds=[1], faults=[fault]).held
    return runs[0]


def failures(run: Run) -> list[tuple[str, str]]:
    return [(event["type"], next(v for k, v in event.items() if k.endswith("EventDetails"))["error"])
            for result in run.executions for event in result.history if event["type"].endswith(("Failed", "TimedOut"))
            ]  # fmt: skip


def test_a_throttled_call_is_recorded_as_the_service_names_it_and_retried(
    harness: Harness, aws: Any, counter: Deployment
) -> None:
    run = one_run(harness, counter, faults.throttle(operation="dynamodb:PutItem", calls=[1]))
    (result,) = run.executions
    assert result.status == "SUCCEEDED" and count(aws, counter, run.key) == 1
    assert failures(run) == [("TaskFailed", "DynamoDB.ProvisionedThroughputExceededException")]
    assert result.states.count("Write counter") == 1  # retried within the state
    assert run.injected == ["throttle at operation='dynamodb:PutItem' (call dynamodb:PutItem)"]


def test_a_lost_response_keeps_the_calls_effect_and_fails_the_state(
    harness: Harness, aws: Any, counter: Deployment
) -> None:
    run = one_run(harness, counter, faults.lost_response(state="Write counter"))
    (result,) = run.executions
    assert (result.status, result.error) == ("FAILED", "DynamoDB.SdkClientException")
    assert count(aws, counter, run.key) == 1  # the write took effect: only its answer was lost


def test_a_handlers_own_call_gets_the_services_error(harness: Harness, aws: Any, counter: Deployment) -> None:
    run = one_run(harness, counter, faults.error("AccessDeniedException", "not today", operation="dynamodb:PutItem",
                                                 calls=[2]))  # fmt: skip
    (result,) = run.executions
    assert (result.status, result.error) == ("FAILED", "ClientError")
    assert "AccessDeniedException" in (result.cause or "") and "not today" in (result.cause or "")
    assert result.states[-1] == "Note" and count(aws, counter, run.key) == 1


def test_a_handlers_throttled_or_unanswered_call_is_retried_by_botocore_as_on_aws(
    harness: Harness, aws: Any, counter: Deployment
) -> None:
    """The 2nd PutItem is the handler's own: botocore retries a throttle (and a read timeout, after which its
    first attempt has already written), so the function succeeds; the state never sees the fault."""
    for fault in (faults.throttle(operation="dynamodb:PutItem", calls=[2]),
                  faults.lost_response(operation="dynamodb:PutItem", calls=[2])):  # fmt: skip
        run = one_run(harness, counter, fault)
        (result,) = run.executions
        assert result.status == "SUCCEEDED" and failures(run) == [], fault
        assert len(run.injected) == 1 and count(aws, counter, run.key) == 1


def test_timeouts_and_slow_calls_take_virtual_time(harness: Harness, aws: Any, counter: Deployment) -> None:
    timed_out = one_run(harness, counter, faults.timeout(state="Note"))
    (result,) = timed_out.executions
    assert (result.status, result.error) == ("FAILED", "Sandbox.Timedout")  # the function's own 5 s timeout
    assert "Task timed out after 5.00 seconds" in (result.cause or "")
    assert _seconds(result) == pytest.approx(5.0)

    slow = one_run(harness, counter, faults.slow(30, state="Read counter"))
    (result,) = slow.executions
    assert result.status == "SUCCEEDED" and _seconds(result) == pytest.approx(30.0)


def _seconds(result: Any) -> float:
    return float((result.history[-1]["timestamp"] - result.history[0]["timestamp"]).total_seconds())


def test_at_least_once_delivery_duplicates_and_delays_events(harness: Harness, aws: Any, counter: Deployment) -> None:
    def scenario(run: Run) -> None:
        aws.events.put_events(Entries=[{"Source": "sim.test", "DetailType": "increment",
                                        "Detail": f'{{"key": "{run.key}"}}'}])  # fmt: skip

    once = [counted(aws, counter, 1)]
    assert simulate(harness, scenario, seeds=range(5), invariants=once).held
    doubled = simulate(harness, scenario, seeds=range(5), invariants=once, duplicates=1.0, jitter=3.0)
    assert doubled.failure is not None and "the counter is 2 after 1" in doubled.failure.message
    started = [line for line in doubled.failure.trace if "ExecutionStarted" in line]
    assert len(started) == 2 and all(0.0 <= float(line.split("s")[0]) <= 3.0 for line in started)


def test_invariant_helpers_name_what_broke(harness: Harness, aws: Any, counter: Deployment) -> None:
    def notes(run: Run) -> list[str]:
        items = aws.dynamodb.scan(TableName=counter.tables["sim_notes"])["Items"]
        return [item["key"]["S"] for item in items if item["key"]["S"] == run.key]

    twice = exactly_once("a note per key", notes)
    report = simulate(harness, increments(harness, counter, 2), seeds=[3], invariants=[twice])
    assert report.failure is not None and report.failure.invariant == "a note per key exactly once"
    assert report.failure.message.startswith("a note per key more than once: s")

    steps: list[int] = []
    assert simulate(harness, increments(harness, counter, 1), seeds=[4], every_step=True,
                    invariants=[lambda run: steps.append(1)]).held  # fmt: skip
    assert len(steps) > 4  # after every scheduler step, and once more at the end


def test_bad_fault_specs_and_the_localstack_tier_are_refused_by_name() -> None:
    with pytest.raises(UserInputError, match="needs a state=, resource= or operation="):
        faults.error("Boom")
    with pytest.raises(UserInputError, match="write it service:Action"):
        faults.throttle(operation="PutItem")

    class NoEngine:
        backend = object()

    with pytest.raises(UserInputError, match="needs the in-process tier"):
        simulate(NoEngine(), lambda run: None)  # type: ignore[arg-type]


def test_assert_caught_proves_a_variant_is_caught_and_says_when_it_is_not(
    harness: Harness, aws: Any, counter: Deployment
) -> None:
    checks = [counted(aws, counter, 3)]
    arn = counter.machine_arn("sim_counter")
    lost_update = Variant(harness, arn, "Write counter", "Arguments.ConditionExpression")
    found = assert_caught(harness, increments(harness, counter, 3), lost_update, invariants=checks, seeds=range(40))
    assert "after 3" in found.message
    harmless = Variant(harness, arn, "Read counter", "Arguments.ConsistentRead")  # moto reads consistently anyway
    with pytest.raises(AssertionError, match="no invariant broke: the simulation does not catch this bug"):
        assert_caught(harness, increments(harness, counter, 3), harmless, invariants=checks, seeds=range(5))
    assert "sim_counter without the Arguments.ConsistentRead of 'Read counter'" in harmless.describe()


def test_the_harness_reseeds_the_engine_from_each_tests_id(harness: Harness, request: pytest.FixtureRequest) -> None:
    """A test draws the same interleavings alone or after others: its engine starts from a seed of its own id."""
    import zlib

    engine = getattr(harness.backend, "engine", None)
    if engine is None:
        pytest.skip("the in-process tier's scheduler")
    import random

    expected = random.Random(zlib.crc32(request.node.nodeid.encode())).getrandbits(32)
    assert engine.scheduler.rng.getrandbits(32) == expected

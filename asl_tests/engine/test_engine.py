"""The in-process engine against AWS's documented semantics: data flow, both query languages, errors, time."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from aslkit.engine import Engine, Function
from aslkit.engine.scheduler import EPOCH
from workflows.example import WORKFLOW as EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "example"


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def seconds(result: Any, event_type: str) -> list[float]:
    """Virtual seconds since the engine's epoch of each event of a type."""
    return [event["timestamp"].timestamp() - EPOCH for event in result.events(event_type)]


# -- the committed catalogue example with its real handler -------------------------------------------------------
def test_the_committed_example_runs_with_its_real_handler() -> None:
    engine = Engine.for_workflow(EXAMPLE, root=ROOT)
    result = engine.run("example_run_summary", json.loads((SAMPLES / "run.input.json").read_text()))
    assert result.status == "SUCCEEDED", result.explain()
    assert result.states[:2] == ["Summarise run", "Any library?"]
    assert result.output["result"]["summary"]["libraryCount"] == len(result.output["libraries"])
    assert [plan["libraryId"] for plan in result.output["plans"]] == [lib["id"] for lib in result.output["libraries"]]
    assert result.events("TaskSucceeded") and result.events("MapStateSucceeded")


def test_the_example_fails_with_the_handlers_error_name_and_message() -> None:
    engine = Engine.for_workflow(EXAMPLE, root=ROOT)
    result = engine.run("example_run_summary", json.loads((SAMPLES / "invalid_run.fails.input.json").read_text()))
    assert result.status == "FAILED" and result.error == "InvalidRun"
    assert result.failed_state == "Run is invalid"
    assert json.loads(result.cause or "{}")["errorType"] == "InvalidRun"


# -- JSONPath data flow ---------------------------------------------------------------------------------------------
def test_jsonpath_processing_order_input_parameters_selector_result_output() -> None:
    def add(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"sum": event["a"] + event["b"], "noise": "x"}

    engine = Engine(functions={"add": add})
    definition = machine({
        "Add": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "InputPath": "$.numbers",
                "Parameters": {"FunctionName": "add", "Payload": {"a.$": "$.x", "b.$": "$.y"}},
                "ResultSelector": {"total.$": "$.Payload.sum", "status.$": "$.StatusCode"},
                "ResultPath": "$.added", "OutputPath": "$.added", "End": True},
    })  # fmt: skip
    result = engine.run(definition, {"numbers": {"x": 2, "y": 40}, "other": True})
    assert result.output == {"total": 42, "status": 200}
    scheduled = json.loads(result.events("TaskScheduled")[0]["taskScheduledEventDetails"]["parameters"])
    assert scheduled == {"FunctionName": "add", "Payload": {"a": 2, "b": 40}}


def test_a_missing_path_fails_with_States_Runtime_naming_the_path_and_field() -> None:
    result = Engine().run(machine({"P": {"Type": "Pass", "Parameters": {"v.$": "$.absent"}, "End": True}}), {"a": 1})
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert "The JSONPath '$.absent' specified for the field 'v.$' could not be found" in (result.cause or "")


def test_result_path_null_keeps_the_input_and_discard_paths_give_empty_objects() -> None:
    definition = machine({
        "Keep": {"Type": "Pass", "Result": "ignored", "ResultPath": None, "Next": "Empty"},
        "Empty": {"Type": "Pass", "InputPath": None, "ResultPath": "$.from_empty", "Next": "Out"},
        "Out": {"Type": "Pass", "OutputPath": "$.from_empty", "End": True},
    })  # fmt: skip
    assert Engine().run(definition, {"k": 1}).output == {}


def test_paths_take_aws_dialect_dot_before_bracket_filters_slices_and_functions() -> None:
    data = {"Snapshots": [{"State": "ok", "n": 3}, {"State": "bad", "n": 9}], "abc": {"def ghi": 7}}
    definition = machine({"P": {"Type": "Pass", "Parameters": {
        "first.$": "$.Snapshots.[0].State", "spaced.$": "$.abc.['def ghi']", "bad.$": "$.Snapshots[?(@.n > 5)].State",
        "tail.$": "$.Snapshots[-1:].n", "count.$": "$.Snapshots.length()", "all.$": "$..State",
    }, "End": True}})  # fmt: skip
    assert Engine().run(definition, data).output == {"first": "ok", "spaced": 7, "bad": ["bad"], "tail": [9],
                                                     "count": 2, "all": ["ok", "bad"]}  # fmt: skip


def test_intrinsics_follow_aws_argument_rules() -> None:
    definition = machine({"P": {"Type": "Pass", "Parameters": {
        "f.$": "States.Format('{} has {} items', $.name, $.n)", "parts.$": "States.ArrayPartition($.items, 2)",
        "range.$": "States.ArrayRange(1, 9, 4)", "split.$": "States.StringSplit('a,b,,c', ',')",
        "merged.$": "States.JsonMerge($.left, $.right, false)", "hash.$": "States.Hash('abc', 'SHA-256')",
        "len.$": "States.ArrayLength($.items)", "uniq.$": "States.ArrayUnique(States.Array(1, 1, 2))",
        "json.$": "States.JsonToString($.left)", "b64.$": "States.Base64Encode('hi')", "add.$": "States.MathAdd($.n, -1)",
    }, "End": True}})  # fmt: skip
    data = {"name": "run", "n": 3, "items": [1, 2, 3], "left": {"a": 1}, "right": {"b": 2}}
    output = Engine().run(definition, data).output
    assert output["f"] == "run has 3 items" and output["parts"] == [[1, 2], [3]] and output["range"] == [1, 5, 9]
    assert output["split"] == ["a", "b", "c"] and output["merged"] == {"a": 1, "b": 2}
    assert output["hash"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert (output["len"], output["uniq"], output["json"], output["b64"], output["add"]) == (3, [1, 2], '{"a":1}',
                                                                                           "aGk=", 2)  # fmt: skip


def test_math_add_of_a_string_is_an_intrinsic_failure() -> None:
    definition = machine({"P": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.n, 1)"}, "End": True}})
    result = Engine().run(definition, {"n": "3"})
    assert result.error == "States.IntrinsicFailure" and "must be an integer" in (result.cause or "")


def test_the_context_object_names_the_execution_state_and_map_item() -> None:
    definition = machine({
        "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value",
              "i.$": "$$.Map.Item.Index", "state.$": "$$.State.Name", "machine.$": "$$.StateMachine.Name",
              "name.$": "$$.Execution.Name"},
              "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}}, "End": True},
    })  # fmt: skip
    engine = Engine()
    engine.register(definition, name="ctx")
    result = engine.run("ctx", {"items": ["a", "b"]}, name="run-1")
    assert result.output == [{"v": "a", "i": 0, "state": "M", "machine": "ctx", "name": "run-1"},
                             {"v": "b", "i": 1, "state": "M", "machine": "ctx", "name": "run-1"}]  # fmt: skip


# -- Choice ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("rule", "data", "chosen"), [
    ({"Variable": "$.s", "StringEquals": "x"}, {"s": "x"}, True),
    ({"Variable": "$.s", "StringMatches": "log-*.txt"}, {"s": "log-1.txt"}, True),
    ({"Variable": "$.s", "StringMatches": "a\\*"}, {"s": "ab"}, False),
    ({"Variable": "$.n", "NumericGreaterThanEquals": 3}, {"n": 3}, True),
    ({"Variable": "$.n", "NumericEqualsPath": "$.m"}, {"n": 3, "m": 3}, True),
    ({"Variable": "$.n", "NumericEquals": 3}, {"n": "3"}, False),
    ({"Variable": "$.b", "BooleanEquals": True}, {"b": True}, True),
    ({"Variable": "$.t", "TimestampLessThan": "2026-01-02T00:00:00Z"}, {"t": "2026-01-01T10:00:00Z"}, True),
    ({"Variable": "$.x", "IsPresent": False}, {}, True),
    ({"Variable": "$.x", "IsNull": True}, {"x": None}, True),
    ({"Variable": "$.t", "IsTimestamp": True}, {"t": "yesterday"}, False),
    ({"And": [{"Variable": "$.n", "NumericLessThan": 5}, {"Not": {"Variable": "$.s", "StringEquals": "y"}}]},
     {"n": 1, "s": "x"}, True),
    ({"Or": [{"Variable": "$.n", "NumericLessThan": 0}, {"Variable": "$.n", "NumericGreaterThan": 9}]}, {"n": 5},
     False),
])  # fmt: skip
def test_choice_operators(rule: dict[str, Any], data: dict[str, Any], chosen: bool) -> None:
    definition = machine({"C": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
                          "Yes": {"Type": "Succeed"}, "No": {"Type": "Succeed"}})  # fmt: skip
    assert Engine().run(definition, data).states[-1] == ("Yes" if chosen else "No")


def test_no_matching_choice_without_default_is_States_NoChoiceMatched() -> None:
    definition = machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1,
                                                               "Next": "S"}]}, "S": {"Type": "Succeed"}})  # fmt: skip
    assert Engine().run(definition, {"n": 2}).error == "States.NoChoiceMatched"


# -- JSONata and variables ------------------------------------------------------------------------------------------
def test_jsonata_assign_output_and_step_functions_functions() -> None:
    definition = machine({
        "Init": {"Type": "Pass", "Assign": {"n": 0, "total": 0}, "Next": "Loop"},
        "Loop": {"Type": "Pass", "Assign": {"n": "{% $n + 1 %}", "total": "{% $total + $n %}"}, "Next": "More?"},
        "More?": {"Type": "Choice", "Choices": [{"Condition": "{% $n < 10 %}", "Next": "Loop"}], "Default": "Done"},
        "Done": {"Type": "Succeed", "Output": "{% {'n': $n, 'total': $total, 'parts': $partition([1,2,3], 2),"
                                              " 'range': $range(0, 4, 2), 'parsed': $parse('{\"a\":1}')} %}"},
    }, QueryLanguage="JSONata")  # fmt: skip
    result = Engine().run(definition, {})
    # Assign's expressions all read the values from before the state: total adds the old n (0..9)
    assert result.output == {"n": 10, "total": 45, "parts": [[1, 2], [3]], "range": [0, 2, 4], "parsed": {"a": 1}}
    assert result.states.count("Loop") == 10


def test_inner_scopes_read_outer_variables_and_cannot_change_them() -> None:
    definition = machine({
        "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "Par"},
        "Par": {"Type": "Parallel", "Branches": [{"StartAt": "Inner", "States": {
            "Inner": {"Type": "Pass", "Assign": {"x": 99}, "Output": "{% $x %}", "End": True}}}],
                "Output": "{% {'branch': $states.result[0], 'outer': $x} %}", "End": True},
    }, QueryLanguage="JSONata")  # fmt: skip
    assert Engine().run(definition, {}).output == {"branch": 1, "outer": 1}


def test_a_jsonata_error_is_States_QueryEvaluationError() -> None:
    definition = machine({"P": {"Type": "Pass", "Output": "{% $states.input.a + 'x' %}", "End": True}},
                         QueryLanguage="JSONata")  # fmt: skip
    assert Engine().run(definition, {"a": 1}).error == "States.QueryEvaluationError"


# -- errors: Retry and Catch ----------------------------------------------------------------------------------------
def test_retry_backoff_runs_on_the_virtual_clock_then_catch_hands_over_the_error() -> None:
    calls: list[float] = []
    engine = Engine()

    def flaky(event: Any, context: Any) -> None:
        calls.append(engine.now - EPOCH)
        raise TimeoutError("upstream slow")

    engine.add_function(Function("flaky", flaky))
    definition = machine({
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                 "Retry": [{"ErrorEquals": ["TimeoutError"], "IntervalSeconds": 10, "BackoffRate": 3,
                            "MaxAttempts": 3, "MaxDelaySeconds": 60}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}], "End": True},
        "Handled": {"Type": "Pass", "End": True},
    })  # fmt: skip
    result = engine.run(definition, {"id": 1})
    assert calls == [0, 10, 40, 100]  # 10, then 30, then 90 capped at 60
    assert result.status == "SUCCEEDED" and result.output["error"]["Error"] == "TimeoutError"
    assert result.output["id"] == 1 and len(result.events("LambdaFunctionFailed")) == 4


def test_states_all_does_not_catch_States_Runtime() -> None:
    definition = machine({
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {
            "B": {"Type": "Pass", "Parameters": {"v.$": "$.missing"}, "End": True}}}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Succeed"},
    })  # fmt: skip
    result = Engine().run(definition, {})
    assert result.status == "FAILED" and result.error == "States.Runtime"


def test_a_failed_parallel_branch_stops_the_others() -> None:
    definition = machine({"P": {"Type": "Parallel", "Branches": [
        {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
                                        "After": {"Type": "Pass", "End": True}}},
        {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "branch 2"}}},
    ], "End": True}})  # fmt: skip
    result = Engine().run(definition, {})
    assert result.status == "FAILED" and (result.error, result.cause) == ("Boom", "branch 2")
    assert "After" not in result.states
    assert result.events("ParallelStateFailed")


# -- time -----------------------------------------------------------------------------------------------------------
def test_wait_states_advance_the_virtual_clock_not_the_real_one() -> None:
    definition = machine({
        "Hour": {"Type": "Wait", "Seconds": 3600, "Next": "Until"},
        "Until": {"Type": "Wait", "TimestampPath": "$.at", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    })  # fmt: skip
    at = datetime.fromtimestamp(EPOCH + 86400).isoformat().replace("+00:00", "") + "Z"
    result = Engine().run(definition, {"at": at})
    assert result.status == "SUCCEEDED"
    assert result.duration_ms == pytest.approx(86400 * 1000, abs=1)


def test_the_machine_timeout_ends_the_execution_TIMED_OUT() -> None:
    definition = machine({"W": {"Type": "Wait", "Seconds": 100, "End": True}}, TimeoutSeconds=30)
    result = Engine().run(definition, {})
    assert result.status == "TIMED_OUT" and result.error == "States.Timeout"


# -- callbacks and children -----------------------------------------------------------------------------------------
def callback_machine(heartbeat: int | None = None) -> dict[str, Any]:
    task: dict[str, Any] = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                            "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
                            "TimeoutSeconds": 600, "End": True}  # fmt: skip
    if heartbeat:
        task["HeartbeatSeconds"] = heartbeat
    return machine({"Ask": task})


def test_a_token_completed_later_resumes_the_task_with_its_output() -> None:
    tokens: list[str] = []
    engine = Engine(functions={"ask": lambda event, context: tokens.append(event["token"])})
    arn = engine.start(callback_machine(), {})
    engine.advance(120)
    assert engine.result(arn).status == "RUNNING" and len(tokens) == 1
    engine.send_task_success(tokens[0], {"answer": 42})
    result = engine.wait(arn)
    assert result.status == "SUCCEEDED" and result.output == {"answer": 42}
    assert [e["type"] for e in result.history if e["type"].startswith("Task") and "State" not in e["type"]] == [
        "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]  # fmt: skip


def test_a_token_completed_during_its_own_invocation_is_not_lost() -> None:
    engine = Engine()
    engine.add_function(Function("ask", lambda event, context: engine.send_task_success(event["token"], {"now": 1})))
    result = engine.run(callback_machine(), {})
    assert result.status == "SUCCEEDED" and result.output == {"now": 1}


def test_a_missed_heartbeat_is_States_HeartbeatTimeout_and_the_deadline_States_Timeout() -> None:
    tokens: list[str] = []
    engine = Engine(functions={"ask": lambda event, context: tokens.append(event["token"])})
    result = engine.run(callback_machine(heartbeat=60), {})
    assert result.error == "States.HeartbeatTimeout" and result.events("TaskTimedOut")
    beating = engine.start(callback_machine(heartbeat=60), {})
    for _ in range(12):
        engine.advance(50)
        if engine.result(beating).status != "RUNNING":
            break
        engine.send_task_heartbeat(tokens[-1])
    assert engine.result(beating).error == "States.Timeout"


def test_a_sync2_child_runs_in_the_same_engine_with_its_own_history() -> None:
    engine = Engine()
    child = engine.register(machine({"Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, $.v)"},
                                                "End": True}}), name="child")  # fmt: skip
    failing = engine.register(machine({"No": {"Type": "Fail", "Error": "ChildSaidNo", "Cause": "nope"}}), name="no")
    parent = machine({"Run": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                              "Parameters": {"StateMachineArn.$": "$.machine", "Input": {"v": 21}},
                              "ResultSelector": {"out.$": "$.Output"}, "End": True}})  # fmt: skip
    result = engine.run(parent, {"machine": child})
    assert result.status == "SUCCEEDED" and result.output == {"out": {"v": 42}}
    children = [e for e in engine.executions.values() if e.machine_name == "child"]
    assert children and children[0].result().states == ["Double"]
    failed = engine.run(parent, {"machine": failing})
    assert failed.error == "States.TaskFailed"
    assert json.loads(failed.cause or "{}")["Error"] == "ChildSaidNo"


def test_a_distributed_map_runs_batches_as_child_executions_within_tolerance() -> None:
    definition = machine({"M": {"Type": "Map", "ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ToleratedFailureCount": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "C",
                          "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.Items[0]",
                                     "NumericEquals": 5, "Next": "Bad"}], "Default": "Ok"},
                                     "Bad": {"Type": "Fail", "Error": "Five"}, "Ok": {"Type": "Pass", "End": True}}},
        "End": True}})  # fmt: skip
    engine = Engine()
    result = engine.run(definition, {"items": [1, 2, 3, 4, 5, 6]})
    assert result.status == "SUCCEEDED", result.explain()
    assert result.output[:2] == [{"Items": [1, 2]}, {"Items": [3, 4]}] and result.output[2] is None
    children = [e for e in engine.executions.values() if e.parent is not None]
    assert len(children) == 3 and all(child.arn.split(":")[5] == "express" for child in children)
    assert [child.status for child in children] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    too_many = engine.run(definition, {"items": [5, 6, 5, 6]})
    assert too_many.error == "States.ExceedToleratedFailureThreshold"


# -- limits, mocks, determinism ------------------------------------------------------------------------------------
def test_a_state_output_over_256_kib_is_States_DataLimitExceeded() -> None:
    definition = machine({"Big": {"Type": "Pass", "Result": "x" * (256 * 1024), "End": True}})
    assert Engine().run(definition, {}).error == "States.DataLimitExceeded"


def test_mocks_in_the_step_functions_local_format_return_and_throw_per_call() -> None:
    from aslkit.testing.mocks import MockConfig, Return, Throw

    definition = machine({"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                   "Parameters": {"FunctionName": "not-deployed"},
                                   "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1}],
                                   "OutputPath": "$.Payload", "End": True}})  # fmt: skip
    mocks = MockConfig()
    mocks.case("mocked", "flaky", {"Call": [Throw("Lambda.ServiceException", "blip"), Return({"Payload": {"ok": 1}})]})
    engine = Engine(mocks=mocks.render())
    engine.register(definition, name="mocked")
    result = engine.run("mocked", {}, test_case="flaky")
    assert result.status == "SUCCEEDED" and result.output == {"ok": 1}
    assert len(result.events("TaskFailed")) == 1


def test_concurrent_work_interleaves_by_seed_and_replays_exactly() -> None:
    branches = [{"StartAt": f"B{i}", "States": {f"B{i}": {"Type": "Pass", "Next": f"C{i}"},
                                                 f"C{i}": {"Type": "Pass", "End": True}}} for i in range(4)]  # fmt: skip
    definition = machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}})

    def order(seed: int) -> list[str]:
        return Engine(seed=seed).run(definition, {}).states

    assert order(7) == order(7)
    assert len({tuple(order(seed)) for seed in range(8)}) > 1


def test_aws_services_come_from_moto_with_step_functions_error_names() -> None:
    pytest.importorskip("moto")
    engine = Engine()
    try:
        engine.services.client("dynamodb").create_table(
            TableName="runs", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")  # fmt: skip
        put = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
               "Parameters": {"TableName": "runs", "Item": {"id": {"S.$": "$.id"}},
                              "ConditionExpression": "attribute_not_exists(id)"}, "ResultPath": None}  # fmt: skip
        definition = machine({"Put": {**put, "Next": "Get"},
                              "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                                      "Parameters": {"TableName": "runs", "Key": {"id": {"S.$": "$.id"}}},
                                      "End": True}})  # fmt: skip
        first = engine.run(definition, {"id": "R1"})
        assert first.status == "SUCCEEDED" and first.output["Item"] == {"id": {"S": "R1"}}
        again = engine.run(definition, {"id": "R1"})
        assert again.error == "DynamoDB.ConditionalCheckFailedException"
    finally:
        engine.close()


def test_a_jsonata_choice_uses_the_matched_rules_output_else_its_own() -> None:
    definition = machine({
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 3 %}", "Next": "Big",
                                             "Output": "{% {'size': 'big'} %}"}],
              "Default": "Small", "Output": "{% {'size': 'small', 'n': $states.input.n} %}"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}, QueryLanguage="JSONata")  # fmt: skip
    assert Engine().run(definition, {"n": 5}).output == {"size": "big"}
    assert Engine().run(definition, {"n": 1}).output == {"size": "small", "n": 1}


@pytest.mark.parametrize("expression", ["$job", "$job.genome", "$job.missing", "$job.genome.deeper", "$nothing",
                                        "$nothing.at.all", "$job.nested.value", "$job.nested.none", "$job.float",
                                        "$job.list", "$job.items.name", "$states.input", "$states.input.count",
                                        "$states.context.Execution.Id", "$job.nested", "$flag", "$none", "$now"])  # fmt: skip
def test_a_plain_variable_path_reads_as_jsonata_reads_it(expression: str) -> None:
    """The engine reads `$a.b.c` without JSONata; what it gives must be what JSONata gives, or it defers."""
    from aslkit.engine import expressions as ex

    job = {"genome": "GCA_1.1", "nested": {"value": 3.0, "none": None}, "float": 2.5, "list": [1, 2],
           "items": [{"name": "a"}, {"name": "b"}]}  # fmt: skip
    scope = ex.Scope({"count": 1.0}, {"Execution": {"Id": "arn:x"}}, {"job": job, "flag": False, "none": None},
                     rng=__import__("random").Random(0))  # fmt: skip
    direct = ex._simple_path(expression, scope)
    by_jsonata = ex._evaluated(expression, scope, "Output")
    if direct is ex._NOT_SIMPLE:
        assert expression in ("$job.list", "$job.items.name", "$nothing", "$nothing.at.all", "$now"), (
            "only arrays, unknown names and functions are left to JSONata"
        )
    else:
        assert direct == by_jsonata and type(direct) is type(by_jsonata), (direct, by_jsonata)

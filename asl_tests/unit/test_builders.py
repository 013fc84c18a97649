"""The ASL builders: each state renders the ASL it should, graphs are checked, output is deterministic."""

from __future__ import annotations

import json

import pytest

from aslkit.asl import (
    DISCARD,
    AslValidationError,
    Catch,
    Choice,
    Condition,
    Fail,
    GraphError,
    Intrinsic,
    ItemBatcher,
    ItemReader,
    Map,
    Parallel,
    Pass,
    Pattern,
    Placeholder,
    ReaderConfig,
    ResultWriter,
    Retry,
    StateMachine,
    States,
    Succeed,
    Task,
    Wait,
    aws_sdk,
    batch_submit_job,
    dynamodb,
    ecs_run_task,
    fragment,
    jsonata,
    lambda_invoke,
    name_prefix,
    path,
    put_events,
    resource_arn,
    sns_publish,
    sqs_send_message,
    start_execution,
)
from aslkit.asl.conditions import ALL_OPERATORS, COMPARISON_OPERATORS
from aslkit.lint import lint_document


def states_of(machine: StateMachine) -> dict:
    return machine.to_asl()["States"]  # type: ignore[return-value]


def test_chain_renders_next_and_end_in_order() -> None:
    machine = StateMachine("m", Pass("A") >> Pass("B") >> Succeed("C"))
    assert machine.to_asl() == {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Succeed"},
        },
    }


def test_output_is_deterministic_json() -> None:
    build = lambda: StateMachine(  # noqa: E731
        "m",
        Pass("A", result={"z": 1, "a": 2}, result_path="$.r", comment="c") >> Succeed("B"),
        comment="top",
        timeout_seconds=60,
    ).to_json()
    text = build()
    assert text == build()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.splitlines()[1] == '  "Comment": "top",'
    # ASL keys in canonical order (Type first, Next last); user data keeps its own order.
    assert list(json.loads(text)["States"]["A"]) == ["Type", "Comment", "Result", "ResultPath", "Next"]
    assert list(json.loads(text)["States"]["A"]["Result"]) == ["z", "a"]
    assert list(json.loads(text)) == ["Comment", "TimeoutSeconds", "StartAt", "States"]


def test_request_follows_the_query_language() -> None:
    def task() -> Task:
        return lambda_invoke("Call", function=Placeholder("fn"), payload={"x": 1})

    jsonpath = states_of(StateMachine("a", task()))["Call"]
    jsonata_ = states_of(StateMachine("b", task(), query_language="JSONata"))["Call"]
    per_state = states_of(
        StateMachine("c", Task("Call", resource="arn:aws:lambda:::f", request={"x": 1}, query_language="JSONata"))
    )
    assert jsonpath["Parameters"] == {"FunctionName": "${fn}", "Payload": {"x": 1}}
    assert jsonata_["Arguments"] == {"FunctionName": "${fn}", "Payload": {"x": 1}}
    assert "Parameters" not in jsonata_
    assert per_state["Call"]["Arguments"] == {"x": 1} and per_state["Call"]["QueryLanguage"] == "JSONata"


def test_dynamic_values_get_dollar_keys() -> None:
    state = Pass(
        "P",
        parameters={
            "id": path("$.id"),
            "ctx": path("$$.Execution.Id"),
            "msg": Intrinsic("Format", "run {} it's {}", path("$.id"), Intrinsic("States.UUID")),
            "literal": "$.not-a-path",
        },
    )
    rendered = states_of(StateMachine("m", state))["P"]["Parameters"]
    assert rendered == {
        "id.$": "$.id",
        "ctx.$": "$$.Execution.Id",
        "msg.$": "States.Format('run {} it\\'s {}', $.id, States.UUID())",
        "literal": "$.not-a-path",
    }


def test_discard_renders_null() -> None:
    state = Task("T", resource="arn:aws:states:::lambda:invoke", result_path=DISCARD, input_path=DISCARD)
    rendered = states_of(StateMachine("m", state))["T"]
    assert rendered["ResultPath"] is None and rendered["InputPath"] is None


def test_every_state_type_renders_and_lints() -> None:
    failed = Fail("Failed", error="JobFailed", cause="the job failed")
    done = Succeed("Done", output_path="$.result")
    branch_a = Pass("Branch A", result={"a": 1})
    branch_b = Wait("Branch B", timestamp_path="$.until") >> Pass("Branch B done")
    parallel = Parallel(
        "Both",
        branches=[branch_a, branch_b],
        result_selector={"first.$": "$[0]"},
        result_path="$.both",
        retry=[Retry([States.BRANCH_FAILED], max_attempts=2)],
    )
    inline = Map(
        "Each",
        items_path="$.items",
        item_selector={"value": path("$$.Map.Item.Value")},
        processor=Pass("Item"),
        max_concurrency_path="$.concurrency",
        result_path="$.each",
    )
    task = Task(
        "Work",
        resource="arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        parameters={"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
        timeout_seconds=3600,
        heartbeat_seconds=600,
        credentials={"RoleArn": "arn:aws:iam::123456789012:role/x"},
        result_selector={"ok.$": "$.ok"},
        retry=[
            Retry(
                ["Busy"],
                interval_seconds=2,
                max_attempts=5,
                backoff_rate=1.5,
                max_delay_seconds=30,
                jitter_strategy="FULL",
            ),
            Retry(),
        ],
        catch=[Catch([States.TIMEOUT], failed, result_path="$.error"), Catch([States.ALL], failed)],
    )
    choice = (
        Choice("Route")
        .when(
            Condition.and_(Condition.is_present("$.x"), Condition.not_(Condition.is_null("$.x"))), done, comment="x set"
        )
        .when(
            Condition.or_(Condition.string_matches("$.name", "run-*"), Condition.boolean_equals("$.force", True)),
            failed,
        )
        .otherwise(done)
    )
    machine = StateMachine("all", Wait("Pause", seconds=1) >> task >> parallel >> inline >> choice)
    document = machine.to_asl()
    states = document["States"]
    assert set(states) == {"Pause", "Work", "Both", "Each", "Route", "Done", "Failed"}
    assert states["Both"]["Branches"][1] == {
        "StartAt": "Branch B",
        "States": {
            "Branch B": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Branch B done"},
            "Branch B done": {"Type": "Pass", "End": True},
        },
    }
    assert states["Work"]["Catch"] == [
        {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Failed"},
        {"ErrorEquals": ["States.ALL"], "Next": "Failed"},
    ]
    assert states["Work"]["Retry"][1] == {"ErrorEquals": ["States.ALL"]}
    assert states["Route"]["Choices"][0] == {
        "Comment": "x set",
        "And": [{"Variable": "$.x", "IsPresent": True}, {"Not": {"Variable": "$.x", "IsNull": True}}],
        "Next": "Done",
    }
    assert states["Each"]["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert lint_document(document).findings == []


def test_distributed_map_renders_every_field() -> None:
    state = Map(
        "Each object",
        processor=Pass("Handle"),
        mode="DISTRIBUTED",
        execution_type="EXPRESS",
        label="objects",
        item_reader=ItemReader(
            resource="arn:aws:states:::s3:listObjectsV2",
            request={"Bucket": Placeholder("bucket"), "Prefix": "in/"},
            reader_config=ReaderConfig(max_items=1000),
        ),
        item_batcher=ItemBatcher(max_items_per_batch=50, max_input_bytes_per_batch=262144, batch_input={"run": "r1"}),
        result_writer=ResultWriter(
            request={"Bucket": Placeholder("bucket"), "Prefix": "out/"}, output_type="JSONL", transformation="FLATTEN"
        ),
        tolerated_failure_percentage=5,
        max_concurrency=100,
    )
    machine = StateMachine("dm", state)
    rendered = states_of(machine)["Each object"]
    assert rendered["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "ReaderConfig": {"MaxItems": 1000},
        "Parameters": {"Bucket": "${bucket}", "Prefix": "in/"},
    }
    assert rendered["ItemBatcher"] == {
        "MaxItemsPerBatch": 50,
        "MaxInputBytesPerBatch": 262144,
        "BatchInput": {"run": "r1"},
    }
    assert rendered["ResultWriter"] == {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "${bucket}", "Prefix": "out/"},
        "WriterConfig": {"OutputType": "JSONL", "Transformation": "FLATTEN"},
    }
    assert rendered["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
    assert rendered["Label"] == "objects" and rendered["ToleratedFailurePercentage"] == 5
    assert machine.placeholders == ["bucket"]
    machine.to_json()  # lint-clean


def test_jsonata_state_fields() -> None:
    state = Map(
        "Each",
        items=jsonata("$states.input.items"),
        processor=Pass("P", output=jsonata("$states.input * 2"), assign={"last": jsonata("$states.input")}),
        max_concurrency=jsonata("$states.input.n"),
        output={"doubled": jsonata("$states.result")},
    )
    wait = Wait("Wait", seconds=jsonata("$delay"))
    machine = StateMachine("j", Pass("Init", assign={"delay": 1}) >> wait >> state, query_language="JSONata")
    states = states_of(machine)
    assert states["Each"]["Items"] == "{% $states.input.items %}"
    assert states["Each"]["MaxConcurrency"] == "{% $states.input.n %}"
    assert states["Wait"]["Seconds"] == "{% $delay %}"
    assert states["Init"]["Assign"] == {"delay": 1}
    machine.to_json()


def test_choice_operators_all_render_and_lint() -> None:
    values = {"string": "a", "timestamp": "2026-01-01T00:00:00Z", "number": 1, "boolean": True}
    target = Succeed("Yes")
    choice = Choice("Test").otherwise(Succeed("No"))
    for operator in sorted(ALL_OPERATORS):
        operand = "$.other" if operator.endswith("Path") else values[COMPARISON_OPERATORS[operator]]
        choice.when(Condition.compare("$.value", operator, operand), target)
    document = StateMachine("ops", choice).to_asl()
    assert len(document["States"]["Test"]["Choices"]) == len(ALL_OPERATORS) == 39
    assert lint_document(document).findings == []
    with pytest.raises(ValueError, match="unknown Choice operator"):
        Condition.compare("$.x", "StringContains", "a")


def test_named_condition_helpers_match_generic_compare() -> None:
    assert Condition.numeric_less_than_equals_path("$.a", "$.b").rendered == {
        "Variable": "$.a",
        "NumericLessThanEqualsPath": "$.b",
    }
    assert Condition.timestamp_greater_than("$.t", "2026-01-01T00:00:00Z").rendered == {
        "Variable": "$.t",
        "TimestampGreaterThan": "2026-01-01T00:00:00Z",
    }
    assert Condition.jsonata("$states.input.ok").rendered == {"Condition": "{% $states.input.ok %}"}


def test_duplicate_names_are_rejected_naming_both_places() -> None:
    first = Pass("Same")
    second = Pass("Same")
    with pytest.raises(GraphError) as error:
        StateMachine("dup", first >> second).to_asl()
    message = str(error.value)
    assert message.count("test_builders.py:") == 2
    assert "'Same'" in message


def test_duplicate_names_across_branches_are_rejected() -> None:
    parallel = Parallel("P", branches=[Pass("X"), Pass("X")])
    with pytest.raises(GraphError, match="unique across the whole machine"):
        StateMachine("dup", parallel).to_asl()


def test_fragments_prefix_their_state_names() -> None:
    @fragment
    def launch_and_wait(workflow: str, *, prefix: str = "") -> Task:
        launch = lambda_invoke("Launch", function=Placeholder("launcher"), payload={"workflow": workflow})
        return launch >> Wait("Wait", seconds=5) >> Pass("Collect")  # type: ignore[return-value]

    chain = launch_and_wait("bcl", prefix="BCL Convert: ") >> launch_and_wait("qc", prefix="QC: ")
    names = list(states_of(StateMachine("f", chain)))
    assert names == [
        "BCL Convert: Launch",
        "BCL Convert: Wait",
        "BCL Convert: Collect",
        "QC: Launch",
        "QC: Wait",
        "QC: Collect",
    ]
    with name_prefix("A "), name_prefix("B "):
        assert Pass("x").name == "A B x"


def test_chaining_mistakes_are_explained() -> None:
    with pytest.raises(GraphError, match="no open end to continue to 'P'"):
        Succeed("S") >> Pass("P")
    with pytest.raises(GraphError, match=r"Fail state .F. .* cannot have a Next"):
        Fail("F").set_next(Pass("P2"))
    a = Pass("A")
    a >> Pass("B")
    with pytest.raises(GraphError, match="already continues to 'B'"):
        a >> Pass("C")
    with pytest.raises(GraphError, match="no open end"):
        (Pass("X") >> Choice("C")) >> Pass("Y")
    with pytest.raises(ValueError, match="exactly one of seconds"):
        Wait("W")


def test_loops_through_choice_render_once() -> None:
    wait = Wait("Wait", seconds=5)
    check = Pass("Check")
    done = Choice("Done?").when(Condition.boolean_equals("$.done", True), Succeed("Finished")).otherwise(wait)
    machine = StateMachine("loop", wait >> check >> done)
    assert list(states_of(machine)) == ["Wait", "Check", "Done?", "Finished"]
    machine.to_json()


def test_integration_helpers_build_resources() -> None:
    assert (
        resource_arn("states", "startExecution", Pattern.RUN_JOB_V2) == "arn:aws:states:::states:startExecution.sync:2"
    )
    with pytest.raises(ValueError, match="does not support the RUN_JOB pattern"):
        resource_arn("lambda", "invoke", Pattern.RUN_JOB)
    with pytest.raises(ValueError, match="camelCase"):
        aws_sdk("X", "s3", "CopyObject")
    tasks = [
        dynamodb("Put", "putItem", {"TableName": Placeholder("table"), "Item": {"pk": {"S": "x"}}}),
        put_events("Emit", entries=[{"Source": "aslkit", "DetailType": "T", "Detail": {}}]),
        sqs_send_message(
            "Send",
            queue_url=Placeholder("queue"),
            message_body={"token": path("$$.Task.Token")},
            pattern=Pattern.WAIT_FOR_TASK_TOKEN,
            timeout_seconds=60,
        ),
        sns_publish("Notify", topic_arn=Placeholder("topic"), message="done", subject="aslkit"),
        start_execution("Child", state_machine=Placeholder("child"), input={"a": 1}, execution_name=path("$.name")),
        batch_submit_job(
            "Index", job_name="index", job_queue=Placeholder("queue_arn"), job_definition=Placeholder("jobdef")
        ),
        ecs_run_task("Index on ECS", cluster=Placeholder("cluster"), task_definition=Placeholder("taskdef")),
        aws_sdk("Get read set", "omics", "getReadSetMetadata", {"SequenceStoreId": "s", "Id": "r"}),
    ]
    chain = tasks[0]
    for task in tasks[1:]:
        chain = chain >> task  # type: ignore[assignment]
    machine = StateMachine("integrations", chain)
    resources = [s["Resource"] for s in states_of(machine).values()]
    assert resources == [
        "arn:aws:states:::dynamodb:putItem",
        "arn:aws:states:::events:putEvents",
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "arn:aws:states:::sns:publish",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:::batch:submitJob.sync",
        "arn:aws:states:::ecs:runTask.sync",
        "arn:aws:states:::aws-sdk:omics:getReadSetMetadata",
    ]
    assert machine.placeholders == ["child", "cluster", "jobdef", "queue", "queue_arn", "table", "taskdef", "topic"]
    machine.to_json()


def test_builders_refuse_to_emit_what_the_linter_rejects() -> None:
    bad = Task("T", resource="arn:aws:states:::lambda:invoke", parameters={"FunctionName": "f"})
    with pytest.raises(AslValidationError) as error:
        StateMachine("bad", bad, query_language="JSONata").to_json()
    assert "query-language-field" in str(error.value) and "/States/T/Parameters" in str(error.value)


def test_undeclared_placeholder_in_plain_text_is_an_error() -> None:
    task = Task("T", resource="arn:aws:states:::lambda:invoke", parameters={"FunctionName": "${typo_arn}"})
    with pytest.raises(AslValidationError, match="unknown-placeholder"):
        StateMachine("p", task).to_json()
    assert "typo_arn" in StateMachine("p", task, placeholders=["typo_arn"]).to_json()


def test_catch_handler_can_be_a_chain() -> None:
    handler = Pass("Record failure") >> Fail("Failed", error="E")
    task = Task("T", resource="arn:aws:states:::lambda:invoke")
    task.add_catch("States.ALL", handler, result_path="$.error")
    task.add_retry(Retry(["Lambda.TooManyRequestsException"], max_attempts=2))
    states = states_of(StateMachine("c", task))
    assert states["T"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Record failure"}]
    assert list(states) == ["T", "Record failure", "Failed"]


def test_every_business_metric_a_spec_declares_is_one_its_handler_emits() -> None:
    """The dashboard graphs `Function.metrics`: each must be a metric name its handler's module adds."""
    import importlib
    import inspect
    from pathlib import Path

    from aslkit.build import discover

    declared = [(f, m) for w in discover(Path(__file__).resolve().parents[2]) for f in w.functions for m in f.metrics]
    assert len(declared) >= 5
    for function, metric in declared:
        source = inspect.getsource(importlib.import_module(function.handler.rpartition(".")[0]))
        assert f'name="{metric}"' in source or f'else "{metric}"' in source, (
            f"{function.name} declares {metric}, which {function.handler} does not emit"
        )


def test_every_catalogue_handler_is_traced_with_powertools() -> None:
    """X-Ray is active on every function in AWS: each handler is wrapped by Powertools' Tracer (`aslkit.spec.
    powertools_environment` turns it off locally, where no X-Ray daemon listens)."""
    import importlib
    import inspect
    from pathlib import Path

    from aslkit.build import discover

    functions = [f for w in discover(Path(__file__).resolve().parents[2]) for f in w.functions]
    for function in functions:
        module, _, name = function.handler.rpartition(".")
        source = inspect.getsource(importlib.import_module(module))
        decorators = source.split(f"\ndef {name}(", 1)[0].rsplit("\n\n", 1)[-1]
        assert "@tracer.capture_lambda_handler" in decorators, f"{function.handler} is not traced"


def test_a_dynamodb_task_retries_throttling_by_default_and_transient_errors_when_it_is_not_conditional() -> None:
    from aslkit.asl import Retry, StateMachine, dynamodb, dynamodb_set

    def rendered(task: object) -> dict:
        return StateMachine("m", task).to_asl()["States"][task.name]  # type: ignore[attr-defined,arg-type]

    def errors(task: object) -> list[list[str]]:
        return [r["ErrorEquals"] for r in rendered(task)["Retry"]]

    read = dynamodb("Read", "getItem", {"TableName": "t", "Key": {"pk": {"S": "a"}}})
    put = dynamodb("Put", "putItem", {"TableName": "t", "Item": {"pk": {"S": "a"}}})
    guarded = dynamodb_set("Claim", table="t", key={"pk": {"S": "a"}}, values={"owner": {"S": "me"}},
                           condition="attribute_not_exists(pk)")  # fmt: skip
    assert errors(read) == errors(put) == [list(Retry.dynamodb_transient().errors)]
    assert errors(guarded) == [["DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.ThrottlingException",
                                "DynamoDB.RequestLimitExceeded"]], "a conditional write retries only refusals"  # fmt: skip
    assert "Retry" not in rendered(dynamodb("Own", "getItem", {"TableName": "t", "Key": {}}, retry=[]))

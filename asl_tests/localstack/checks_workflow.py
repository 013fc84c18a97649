"""A workflow that is not part of the catalogue: it exists to prove the harness and the LocalStack plugin."""

from __future__ import annotations

from aslkit.asl import (
    Catch,
    Choice,
    Condition,
    Fail,
    Pass,
    Pattern,
    Retry,
    StateMachine,
    Succeed,
    aws_sdk,
    dynamodb,
    jsonata,
    lambda_invoke,
    path,
    sqs_send_message,
)
from aslkit.events import EventBus, Rule
from aslkit.resources import Function, Queue, Table
from aslkit.spec import Workflow, machine_arn

HANDLERS = "asl_tests.localstack.handlers"
echo = Function("checks_echo", handler=f"{HANDLERS}.echo", timeout=5)
custom = Function("checks_custom_error", handler=f"{HANDLERS}.raise_custom")
slow = Function("checks_slow", handler=f"{HANDLERS}.sleep_past_timeout", timeout=1)
exits = Function("checks_exit", handler=f"{HANDLERS}.exit_hard")
marshal = Function("checks_marshal", handler=f"{HANDLERS}.unserialisable")
missing = Function("checks_missing_module", handler="asl_tests.localstack.no_such_module.handler")
ledger = Table("checks_ledger", partition_key=("id", "S"))
callbacks = Queue("checks_callbacks")
ingress = Queue("checks_ingress", max_receive_count=1, visibility_timeout=2)
bus = EventBus("checks_bus")


def error_scenarios() -> StateMachine:
    done = Succeed("Done")
    choice = Choice("Which scenario?").otherwise(Fail("Unknown scenario", error="UnknownScenario"))
    for scenario, function, error in (
        ("echo", echo, None),
        ("custom", custom, "PartNotFound"),
        ("timeout", slow, "Sandbox.Timedout"),
        ("exit", exits, "Runtime.ExitError"),
        ("marshal", marshal, "Runtime.MarshalError"),
        ("import", missing, "Runtime.ImportModuleError"),
    ):
        caught = Pass(f"Caught {scenario}", parameters={"caught": error, "error.$": "$.error"})
        task = lambda_invoke(
            f"Invoke {scenario}",
            function=function.arn,
            payload=path("$"),
            result_selector={"result": path("$.Payload")},
            catch=[Catch([error], caught, result_path="$.error")] if error else [],
        )
        choice.when(Condition.string_equals("$.scenario", scenario), task >> done)
        caught >> done
    return StateMachine("checks_errors", choice, comment="Each Lambda failure mode, caught by its AWS error name")


def ledger_machine() -> StateMachine:
    """Record an id once (a conditional write), then read it back; a second run is told it was already there."""
    item = {"id": {"S": jsonata("$id")}, "note": {"S": jsonata("$states.input.note")}}
    read = dynamodb(
        "Read back",
        "getItem",
        {"TableName": ledger.name_ref, "Key": {"id": {"S": jsonata("$id")}}},
        output=jsonata("$merge([$states.input, {'stored_note': $states.result.Item.note.S}])"),
    )
    already = Pass("Already recorded", output={"recorded": False, "error": jsonata("$states.input.Error")})
    put = dynamodb(
        "Record once",
        "putItem",
        {"TableName": ledger.name_ref, "Item": item, "ConditionExpression": "attribute_not_exists(id)"},
        output={"recorded": True, "tags": jsonata("$count($states.input.tags)")},
        catch=[Catch(["DynamoDB.ConditionalCheckFailedException"], already)],
    )
    start = Pass("Start", assign={"id": jsonata("$states.input.id")})
    return StateMachine(
        "checks_ledger",
        start >> put >> read,
        query_language="JSONata",
        comment="JSONata + DynamoDB direct integrations",
    )


def callback_machine() -> StateMachine:
    wait = sqs_send_message(
        "Ask and wait",
        queue_url=callbacks.url,
        message_body={"token": path("$$.Task.Token"), "question": path("$.question")},
        pattern=Pattern.WAIT_FOR_TASK_TOKEN,
        timeout_seconds=30,
        heartbeat_seconds=20,
        catch=[Catch(["Rejected"], Fail("Was rejected", error="Rejected", cause_path="$.Cause"))],
    )
    return StateMachine("checks_callback", wait >> Succeed("Answered"))


def event_machine() -> StateMachine:
    return StateMachine("checks_event", Pass("Received", parameters={"got": path("$")}))


def mocked_machine() -> StateMachine:
    get = aws_sdk(
        "Get read set",
        "omics",
        "getReadSetMetadata",
        {"SequenceStoreId": path("$.store"), "Id": path("$.id")},
        retry=[Retry(["Omics.ThrottlingException"], interval_seconds=1, max_attempts=2, backoff_rate=1)],
        catch=[Catch(["Omics.ResourceNotFoundException"], Fail("No such read set", error="ReadSetNotFound"))],
        result_selector={"name": path("$.Name"), "status": path("$.Status")},
    )
    return StateMachine("checks_mocked", get >> Succeed("Got it"))


ERRORS, LEDGER, CALLBACK, EVENT, MOCKED = (
    error_scenarios(),
    ledger_machine(),
    callback_machine(),
    event_machine(),
    mocked_machine(),
)

WORKFLOW = Workflow(
    "checks",
    "Harness checks: Lambda error mapping, DynamoDB, JSONata, callbacks, EventBridge rules, mocks",
    machines=[ERRORS, LEDGER, CALLBACK, EVENT, MOCKED],
    functions=[
        echo,
        custom,
        slow,
        exits,
        marshal,
        missing,
        Function(
            "checks_ingest",
            handler=f"{HANDLERS}.ingest",
            queue_trigger="checks_ingress",
            environment={"TARGET_ARN": machine_arn(EVENT)},
        ),
    ],
    tables=[ledger],
    queues=[callbacks, ingress],
    ingress="checks_ingress",
    buses=[bus],
    rules=[
        Rule(
            "checks_ping",
            pattern={"source": ["aslkit.checks"], "detail-type": ["Ping"]},
            target=EVENT,
            bus=bus,
            input_path="$.detail",
        )
    ],
)

"""Expressiveness proof: the production OrcaBus data-sharing definitions, rebuilt with the builders."""

from __future__ import annotations

import json
from pathlib import Path

from aslkit.asl import (
    LAMBDA_TRANSIENT,
    Choice,
    Fail,
    ItemReader,
    Map,
    Pattern,
    Placeholder,
    ReaderConfig,
    Retry,
    StateMachine,
    States,
    Succeed,
    Wait,
    jsonata,
    lambda_invoke,
    start_execution,
)

DATA = Path(__file__).parent.parent / "data" / "orcabus"
LAMBDA_RETRY = Retry(LAMBDA_TRANSIENT, interval_seconds=1, max_attempts=3, backoff_rate=2, jitter_strategy="FULL")


def auto_package_push() -> StateMachine:
    check_fn = Placeholder("__check_package_push_status_lambda_function_arn__")

    def check_status(name: str) -> Wait:
        return lambda_invoke(
            name,
            function=check_fn,
            payload={"id": jsonata("$states.input.id")},
            output=jsonata("$merge([$states.input, {'status': $states.result.Payload}])"),
            retry=[LAMBDA_RETRY],
        )

    failed = Fail("Auto Package-Push Failed")
    complete = Succeed("Auto Package-Push Complete")
    wait_package = Wait("Wait For Package", seconds=300)
    wait_push = Wait("Wait For Push", seconds=300)
    trigger_push = lambda_invoke(
        "Trigger Push",
        function=Placeholder("__trigger_push_lambda_function_arn__"),
        payload=jsonata("{'id': $states.input.id, 'shareDestination': $states.input.shareDestination}"),
        output=jsonata("$states.result.Payload.pushRequestObject"),
        retry=[LAMBDA_RETRY],
    )
    package_done = (
        Choice("Is Package Complete")
        .when("$states.input.status = 'SUCCEEDED'", trigger_push)
        .when("$states.input.status in [ 'FAILED', 'CANCELLED' ]", failed)
        .otherwise(wait_package)
    )
    push_done = (
        Choice("Is Push Completed")
        .when("$states.input.status = 'SUCCEEDED'", complete)
        .when("$states.input.status in [ 'FAILED', 'CANCELLED' ]", failed)
        .otherwise(wait_push)
    )
    trigger_package = lambda_invoke(
        "Trigger Package",
        function=Placeholder("__trigger_packaging_lambda_function_arn__"),
        payload=jsonata("$states.input"),
        output=jsonata(
            "$merge([$states.result.Payload.packagingRequestObject, "
            "{'shareDestination': $states.input.shareDestination}])"
        ),
        retry=[LAMBDA_RETRY],
    )
    trigger_package >> wait_package >> check_status("Check Package Status") >> package_done
    trigger_push >> wait_push >> check_status("Check Push Status") >> push_done
    return StateMachine("auto_package_push", trigger_package, query_language="JSONata", timeout_seconds=86400)


def auto_controller() -> StateMachine:
    item = "$states.context.Map.Item.Value"
    check = lambda_invoke(
        "Check projects in instrument run",
        function=Placeholder("__check_project_in_instrument_run_lambda_function_arn__"),
        payload={
            "instrumentRunId": jsonata("$states.input.instrumentRunId"),
            "projectIdList": jsonata("$states.input.packageRequest.projectIdList"),
        },
        retry=[
            Retry(
                (States.TASK_FAILED, *LAMBDA_TRANSIENT),
                interval_seconds=1,
                max_attempts=3,
                backoff_rate=2,
                jitter_strategy="FULL",
            )
        ],
        output=jsonata("$merge([$states.input, $states.result.Payload])"),
    )
    run = start_execution(
        "Run autoPackage",
        state_machine=Placeholder("__auto_package_sfn_arn__"),
        input={
            "packageName": jsonata("$states.input.packageName"),
            "packageRequest": jsonata("$states.input.packageRequest"),
            "shareDestination": jsonata("$states.input.shareDestination"),
        },
        pattern=Pattern.RUN_JOB_V2,
        retry=[
            Retry(
                [States.TIMEOUT, States.TASK_FAILED],
                interval_seconds=2,
                max_attempts=3,
                backoff_rate=2,
                jitter_strategy="FULL",
            )
        ],
    )
    decide = (
        Choice("Job Enabled and Project Found in Run?")
        .when("$states.input.enabled and $states.input.project_found", run)
        .otherwise(Succeed("Skip"))
    )
    for_each_job = Map(
        "For each Job (from S3)",
        processor=check >> decide,
        mode="DISTRIBUTED",
        execution_type="STANDARD",
        max_concurrency=5,
        item_reader=ItemReader(
            resource="arn:aws:states:::s3:getObject",
            reader_config=ReaderConfig(input_type="JSON"),
            request={
                "Bucket": Placeholder("__jobs_config_bucket__"),
                "Key": Placeholder("__jobs_config_key__"),
            },
        ),
        item_selector={
            "enabled": jsonata(f"{item}.enabled"),
            "packageName": jsonata(f"'autosharing-' & {item}.jobName & '-' & $states.input.instrumentRunId"),
            "packageRequest": {
                "instrumentRunIdList": jsonata("[$states.input.instrumentRunId]"),
                "dataTypeList": jsonata(f"{item}.dataTypeList"),
                "projectIdList": jsonata(f"{item}.projectIdList"),
            },
            "shareDestination": jsonata(f"{item}.shareDestination"),
            "instrumentRunId": jsonata("$states.input.instrumentRunId"),
        },
        output={"plans": jsonata("$states.result")},
    )
    return StateMachine("auto_controller", for_each_job, query_language="JSONata")


def test_auto_package_push_round_trips() -> None:
    original = json.loads((DATA / "orcabus_auto_package_push_35af97e.asl.json").read_text())
    built = json.loads(auto_package_push().to_json())
    assert built == original


def test_auto_controller_round_trips() -> None:
    original = json.loads((DATA / "orcabus_auto_controller.asl.json").read_text())
    built = json.loads(auto_controller().to_json())
    assert built == original


def test_placeholders_are_listed() -> None:
    assert auto_controller().placeholders == [
        "__auto_package_sfn_arn__",
        "__check_project_in_instrument_run_lambda_function_arn__",
        "__jobs_config_bucket__",
        "__jobs_config_key__",
    ]

"""IAM derived from definitions, against hand-checked expectations: nothing missing, nothing extra."""

from __future__ import annotations

import json
from pathlib import Path

from aslkit.asl import (
    ItemReader,
    Map,
    Pass,
    Pattern,
    Placeholder,
    ResultWriter,
    StateMachine,
    aws_sdk,
    batch_submit_job,
    ecs_run_task,
    jsonata,
    put_events,
    sns_publish,
    sqs_send_message,
    start_execution,
)
from aslkit.iam import OBJECTS, VERSIONS, Names, Statement, names_for, sdk_action, statements
from workflows.example import WORKFLOW as EXAMPLE
from workflows.sequencing import WORKFLOW as SEQUENCING

ROOT = Path(__file__).resolve().parents[2]
P, R, A = "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"


def derived(workflow, machine: str) -> list[Statement]:
    document = json.loads((ROOT / "statemachines" / f"{machine}.asl.json").read_text())
    return statements(document, names_for(workflow, machine))


def test_example() -> None:
    arn = "${example_summarise_run_function_arn}"
    assert derived(EXAMPLE, "example_run_summary") == [
        Statement(("lambda:InvokeFunction",), (arn, f"{arn}:*"), VERSIONS)
    ]


def test_sequencing_orchestrator() -> None:
    fns = ["${library_pairing_function_arn}", "${samplesheet_parser_function_arn}", "${wes_launcher_function_arn}"]
    state = "${sequencing_state_table_arn}"
    assert derived(SEQUENCING, "sequencing_orchestrator") == [
        Statement(("dynamodb:GetItem",), ("${library_metadata_table_arn}",)),
        Statement(("dynamodb:PutItem",), (state,)),  # the QC'd libraries, remembered per subject
        Statement(("dynamodb:Query",), (state, f"{state}/index/*"), "index/* covers the table's own indexes"),
        Statement(("events:PutEvents",), ("${sequencing_bus_bus_arn}",)),  # SequenceRunFailed, WorkflowRunFailed
        Statement(("lambda:InvokeFunction",), tuple(x for f in fns for x in (f, f"{f}:*")), VERSIONS),
        Statement(("s3:GetObject",), (f"arn:{P}:s3:::${{sequencing_runs_bucket_name}}/*",), OBJECTS),
        Statement(("ssm:GetParameter",), ("${sequencing_run_controls_ssm_parameter_arn}",)),  # the run controls
    ]


def test_sequencing_starter() -> None:
    assert derived(SEQUENCING, "sequencing_run_starter") == [
        Statement(("states:StartExecution",), ("${sequencing_orchestrator_state_machine_arn}",))
    ]


def test_orcabus_controller_distributed_map_and_sync_child() -> None:
    document = json.loads((ROOT / "asl_tests/data/orcabus/orcabus_auto_controller.asl.json").read_text())
    names = Names(
        arns={
            "${__check_project_in_instrument_run_lambda_function_arn__}": "${check_fn_arn}",
            "${__auto_package_sfn_arn__}": "${package_sm_arn}",
        },
        machine_names={"${__auto_package_sfn_arn__}": "auto-package"},
        self_name="auto-controller",
    )
    assert statements(document, names) == [
        Statement(
            ("events:DescribeRule", "events:PutRule", "events:PutTargets"),
            (f"arn:{P}:events:{R}:{A}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",),
        ),
        Statement(("lambda:InvokeFunction",), ("${check_fn_arn}", "${check_fn_arn}:*"), VERSIONS),
        Statement(("s3:GetObject",), (f"arn:{P}:s3:::${{__jobs_config_bucket__}}/*",), OBJECTS),
        Statement(("states:DescribeExecution", "states:StopExecution"),
                  (f"arn:{P}:states:{R}:{A}:execution:auto-controller/*",),
                  "its Distributed Map's child executions, named at run time"),
        Statement(("states:DescribeExecution", "states:StopExecution"),
                  (f"arn:{P}:states:{R}:{A}:execution:auto-package:*",),
                  "the executions of the machine it starts, named at run time"),
        Statement(("states:StartExecution",),
                  ("${package_sm_arn}", f"arn:{P}:states:{R}:{A}:stateMachine:auto-controller")),
    ]  # fmt: skip


def test_every_integration_kind() -> None:
    entry = {"EventBusName": Placeholder("bus_arn"), "Source": "s", "DetailType": "d", "Detail": {}}
    jobs = {"job_queue": Placeholder("jq_arn"), "job_definition": Placeholder("jd_arn")}
    chain = (
        put_events("Emit", entries=[entry])
        >> sqs_send_message("Send", queue_url=Placeholder("q_queue_url"), message_body="x")
        >> sns_publish("Notify", topic_arn=Placeholder("t_topic_arn"), message="m")
        >> start_execution("Child", state_machine=Placeholder("c_state_machine_arn"), pattern=Pattern.REQUEST_RESPONSE)
        >> batch_submit_job("Index", job_name="j", **jobs)
        >> ecs_run_task("Scan", cluster=Placeholder("cl_arn"), task_definition=Placeholder("td_arn"))
        >> aws_sdk("Copy", "s3", "copyObject", {"Bucket": "dest", "Key": "k", "CopySource": "src/k"})
        >> aws_sdk("Get read set", "omics", "getReadSetMetadata", {"SequenceStoreId": "1", "Id": "2"})
        >> Map("Each object", mode="DISTRIBUTED", execution_type="STANDARD", processor=Pass("Do"),
               item_reader=ItemReader("arn:aws:states:::s3:listObjectsV2", {"Bucket": "in"}),
               result_writer=ResultWriter(request={"Bucket": "out", "Prefix": "r/"}))
    )  # fmt: skip
    found = {s.actions: s for s in statements(StateMachine("m", chain).to_asl(), Names(
        arns={"${q_queue_url}": "${q_queue_arn}"}, self_name="m"))}  # fmt: skip
    assert found[("events:PutEvents",)].resources == ("${bus_arn}",)
    assert found[("sqs:SendMessage",)].resources == ("${q_queue_arn}",)
    assert found[("sns:Publish",)].resources == ("${t_topic_arn}",)
    assert found[("batch:SubmitJob",)].resources == ("${jd_arn}", "${jq_arn}")
    assert (
        found[("batch:DescribeJobs",)].resources == ("*",)
        and "takes no resource" in found[("batch:DescribeJobs",)].reason
    )
    assert found[("batch:TerminateJob",)].resources == (f"arn:{P}:batch:{R}:{A}:job/*",)
    assert found[("ecs:RunTask",)].resources == ("${td_arn}",)
    assert found[("iam:PassRole",)].resources == ("*",) and found[("iam:PassRole",)].reason
    assert found[("s3:GetObject",)].resources == (f"arn:{P}:s3:::src/*",)
    assert found[("omics:GetReadSetMetadata",)].resources == (f"arn:{P}:omics:{R}:{A}:sequenceStore/*",)
    assert "any store of this account" in found[("omics:GetReadSetMetadata",)].reason
    assert found[("s3:ListBucket",)].resources == (f"arn:{P}:s3:::in",)
    writer = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject")
    assert found[writer].resources == (f"arn:{P}:s3:::out/*",)
    assert found[("s3:PutObject",)].resources == (f"arn:{P}:s3:::dest/*",)
    assert ("states:StartExecution",) in found
    for statement in found.values():
        assert not any("*" in r for r in statement.resources) or statement.reason, f"{statement}: a wildcard, no reason"


def test_a_push_to_input_given_locations_is_granted_its_object_scopes_only() -> None:
    """The sharing push copies from its buckets to the destination a request gives: its role gets the workflow's
    object scopes for it (its buckets, the stage's destinations), never `*`."""
    from workflows.sharing import WORKFLOW as SHARING

    s3 = [s for s in derived(SHARING, "sharing_push") if s.actions[0].startswith("s3:")]
    scoped = {s.actions: s.resources for s in s3 if "object scopes" in s.reason}
    assert set(scoped) == {("s3:AbortMultipartUpload",), ("s3:GetObject",), ("s3:PutObject",)}
    assert all(r == tuple(sorted(SHARING.object_scopes["sharing_push"])) for r in scoped.values())
    assert not [s for s in s3 if "*" in s.resources]


def test_a_jsonata_arguments_expression_names_its_resources() -> None:
    """The EDP sweeper's shape: the table sits in an object a `$merge` builds; a literal joined with `&` is read
    too, and a field that is computed in one of the objects fixes nothing."""
    table = "$merge([{'TableName': '${t_table_name}', 'Limit': 5}, $k ? {'ExclusiveStartKey': $k} : {}])"
    objects = "{'Bucket': 'runs-' & '${stage}', 'Key': 'samples/' & $states.input.id}"
    computed = "$x ? {'TableName': '${t_table_name}'} : {'TableName': $states.input.table}"
    chain = (Pass("Start")
             >> aws_sdk("Scan", "dynamodb", "scan", jsonata(table))
             >> aws_sdk("Read", "s3", "getObject", jsonata(objects))
             >> aws_sdk("Query", "dynamodb", "query", jsonata(computed)))  # fmt: skip
    found = statements(StateMachine("m", chain, query_language="JSONata").to_asl(),
                       Names(arns={"${t_table_name}": "${t_table_arn}"}))  # fmt: skip
    by_action = {s.actions: s for s in found}
    assert by_action[("dynamodb:Scan",)].resources == ("${t_table_arn}", "${t_table_arn}/index/*")
    assert by_action[("dynamodb:Query",)].resources == ("*",), "a table computed in one branch is any table"
    assert by_action[("s3:GetObject",)].resources == (f"arn:{P}:s3:::runs-${{stage}}/*",), "literals joined by &"


def test_sdk_action_names() -> None:
    assert sdk_action("s3", "listObjectsV2") == "s3:ListBucket"
    assert sdk_action("sfn", "describeExecution") == "states:DescribeExecution"
    assert sdk_action("omics", "listReadSets") == "omics:ListReadSets"

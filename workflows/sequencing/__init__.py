"""Sequencing-run orchestration: ICA ENS events -> BCL Convert -> DRAGEN WGS QC per library -> somatic per pair.

ENS messages arrive on an SQS queue; the event manager turns them into SequenceRunStateChange and
WorkflowRunStateChange events and completes WES launches. A rule on "run ready for analysis" starts the
orchestrator through a small EXPRESS starter, which names the execution after the run (a duplicate event cannot
start a second one). Each WES workflow is one fragment: the launcher records the task token and launches; the
execution waits, bounded by a timeout and a heartbeat, until the run's ENS outcome completes the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aslkit.asl import (
    Catch,
    Chain,
    Choice,
    Fail,
    Map,
    Pass,
    Pattern,
    Placeholder,
    Retry,
    StateMachine,
    Succeed,
    Wait,
    aws_sdk,
    dynamodb,
    fragment,
    jsonata,
    lambda_invoke,
    number_parameter,
    reraise,
    start_execution,
)
from aslkit.asl.errors import Lambda
from aslkit.asl.values import JsonValue
from aslkit.events import EventBus, Rule
from aslkit.resources import (
    Access,
    Bucket,
    Function,
    Queue,
    Secret,
    Table,
    completes_tasks,
    publishes_to,
    reads,
    writes,
)
from aslkit.spec import Required, Workflow, machine_arn

from .fake_wes import FakeWes

# -- resources ----------------------------------------------------------------------------------------------------
ens_queue = Queue("ens_ingress", visibility_timeout=10, max_receive_count=5)
state_table = Table("sequencing_state", partition_key=("pk", "S"), sort_key=("sk", "S"))
metadata_table = Table("library_metadata", partition_key=("library_id", "S"))
runs_bucket = Bucket("sequencing_runs")
bus = EventBus("sequencing_bus")
ica_key = Secret(
    "ica_api_key",
    description="ICA API key used by the WES launcher",
    rotation="an Illumina Connected Analytics API key, issued in ICA's console: an operator creates a new key there "
    "and puts it here (aws secretsmanager put-secret-value); no rotation Lambda can create ICA keys",
)

PARAMETERS: dict[str, str | Required] = {
    "wes_base_url": "https://aps2.platform.illumina.com",
    "wes_workflows": json.dumps(
        {
            "bcl_convert": {"id": "wfl.bclconvert", "version": "4.2.7"},
            "dragen_wgs_qc": {"id": "wfl.dragenwgsqc", "version": "4.2.4"},
            "dragen_wgs_somatic": {"id": "wfl.dragenwgssomatic", "version": "4.2.4"},
        },
        sort_keys=True,
    ),
    # the GDS folder the stage's WES runs write under (<root>/<workflow run name>): each stage names its own
    "wes_output_root": Required(
        "the ICA GDS folder WES runs write their outputs under (gds://volume/path)",
        local="gds://development/analysis_data",
    ),
    "wes_timeout_seconds": "172800",  # 48 h for a WES run to end
    "wes_heartbeat_seconds": "43200",  # 12 h without any ENS event for it
    "sample_sheet_wait_seconds": "300",  # a run-ready message before its sample sheet: look again every 5 min
    "sample_sheet_waits": "12",  # for an hour
}

state_env = {"TABLE_NAME": state_table.name_ref, "EVENT_BUS_NAME": bus.name_ref}
event_manager = Function(
    "ens_event_manager",
    handler="tasks.sequencing.event_manager.handler",
    metrics=("EnsMessagesHandled", "EnsMessagesRejected", "EnsMessagesRetried"),
    timeout=5,
    queue_trigger="ens_ingress",
    environment={**state_env, "DLQ_URL": ens_queue.dlq_url},
    access=[writes(state_table), publishes_to(bus), completes_tasks(), Access("send", "ens_ingress_dlq")],
    description="ICA ENS messages in, SequenceRunStateChange / WorkflowRunStateChange out, WES callbacks",
)
launcher = Function(
    "wes_launcher",
    handler="tasks.sequencing.wes_launcher.handler",
    timeout=30,
    environment={
        **state_env,
        "ICA_SECRET_ID": ica_key.arn,
        "WES_BASE_URL": Placeholder("wes_base_url"),
        "WES_WORKFLOWS": Placeholder("wes_workflows"),
        "WES_OUTPUT_ROOT": Placeholder("wes_output_root"),
    },
    description="Record the task token and launch an ICA v1 WES workflow",
    access=[writes(state_table), publishes_to(bus), completes_tasks(), reads(ica_key)],
)
parser = Function("samplesheet_parser", handler="tasks.sequencing.plan.parse_samplesheet")
pairer = Function("library_pairing", handler="tasks.sequencing.plan.pair_libraries")

LAMBDA_RETRY = Retry.lambda_transient()
#: a launch gates a run's 48 hours: when the account's Lambda concurrency is spent, wait for it (up to ~8 min)
#: rather than fail the sequencing run after AWS's 3 quick attempts
LAUNCH_THROTTLED = Retry([Lambda.TOO_MANY_REQUESTS], interval_seconds=2, max_attempts=10, backoff_rate=2,
                         max_delay_seconds=60, jitter_strategy="FULL")  # fmt: skip


# -- the WES fragment ---------------------------------------------------------------------------------------------
@fragment
def wes_run(*, tolerate_failure: bool, prefix: str = "") -> Chain:
    """Input `{request, timeout, heartbeat}`; output `{status, workflow_run_name, workflow_run_id?, output?, error?,
    cause?}`. A failed, aborted or timed-out run ends in `failed` (a result) or, when not tolerated, a Fail state."""
    failed_output = jsonata(
        "{'status': 'FAILED', 'workflow_type': $states.input.request.workflow_type,"
        " 'workflow_run_name': $states.input.request.workflow_run_name,"
        " 'library_id': $states.input.request.library_id, 'subject_id': $states.input.request.subject_id,"
        " 'error': $states.errorOutput.Error, 'cause': $states.errorOutput.Cause}"
    )
    failed: Pass | Fail
    if tolerate_failure:
        failed = Pass("Run failed", comment="recorded; only what depends on this run is skipped")
    else:
        # the run's own error (a WES status), or WesRunFailed for a States.* one (a heartbeat or timeout): a Fail
        # that ends with a States.* name ends the execution as States.Runtime instead
        failed = reraise("Run failed", "WesRunFailed")
    launch = lambda_invoke(
        "Launch and wait",
        function=launcher.arn,
        payload=jsonata("$merge([$states.input.request, {'task_token': $states.context.Task.Token}])"),
        pattern=Pattern.WAIT_FOR_TASK_TOKEN,
        timeout_seconds="{% $states.input.timeout %}",
        heartbeat_seconds="{% $states.input.heartbeat %}",
        retry=[LAUNCH_THROTTLED, LAMBDA_RETRY],
        output=jsonata(
            "{'status': 'SUCCEEDED', 'workflow_type': $states.input.request.workflow_type,"
            " 'workflow_run_name': $states.input.request.workflow_run_name,"
            " 'library_id': $states.input.request.library_id, 'subject_id': $states.input.request.subject_id,"
            " 'workflow_run_id': $states.result.workflow_run_id, 'output': $states.result.output}"
        ),
        catch=[Catch(["States.ALL"], failed, output=failed_output)],
    )
    return launch >> Pass("Run succeeded")


def wes_request(workflow_type: str, run_name: str, workflow_input: str, **fields: str) -> dict[str, JsonValue]:
    """The fragment's input: a WorkflowRequest (JSONata expressions) plus the configured bounds."""
    request: dict[str, JsonValue] = {
        "workflow_type": workflow_type,
        "workflow_run_name": jsonata(run_name),
        "workflow_input": jsonata(workflow_input),
        "seq_run_name": jsonata("$run.sequence_run_name"),
        **{key: jsonata(value) for key, value in fields.items()},
    }
    return {"request": request, "timeout": jsonata("$timeout"), "heartbeat": jsonata("$heartbeat")}


# -- the orchestrator ---------------------------------------------------------------------------------------------
def orchestrator() -> StateMachine:
    start = Pass(
        "Start",
        assign={
            "run": jsonata("$states.input"),
            "timeout": number_parameter("wes_timeout_seconds"),
            "heartbeat": number_parameter("wes_heartbeat_seconds"),
            "sheet_waits": 0,
        },
        comment="Input: a SequenceRunStateChange detail (status SUCCEEDED: the run is ready for analysis)",
    )
    # The run-ready message can come before the sample sheet is copied: look again, bounded (the execution's name
    # is the run's, so failing here at once would leave the run never orchestrated).
    no_sheet = Fail(
        "No sample sheet",
        error="SampleSheetNotFound",
        cause="{% 'no sample sheet at ' & $run.gds_volume_name & $run.gds_folder_path & ' after '"
        " & $string($sheet_waits) & ' waits of ' & $string($states.input.wait) & ' s' %}",
    )
    wait_sheet = Wait("Wait for sample sheet", seconds=jsonata("$states.input.wait"),
                      assign={"sheet_waits": jsonata("$sheet_waits + 1")})  # fmt: skip
    sheet_late = Choice("Sample sheet late?").when("$sheet_waits < $states.input.waits", wait_sheet).otherwise(no_sheet)
    read_sheet = aws_sdk(
        "Read sample sheet",
        "s3",
        "getObject",
        {
            "Bucket": runs_bucket.name_ref,
            "Key": jsonata("$run.gds_volume_name & $run.gds_folder_path & '/' & $run.sample_sheet_name"),
        },
        output={"samplesheet": jsonata("$states.result.Body")},
        catch=[Catch(["S3.NoSuchKeyException"], sheet_late, output={
            "wait": number_parameter("sample_sheet_wait_seconds"), "waits": number_parameter("sample_sheet_waits")})],
    )  # fmt: skip
    wait_sheet >> read_sheet
    parse = lambda_invoke(
        "Parse sample sheet",
        function=parser.arn,
        payload=jsonata("$states.input"),
        output=jsonata("$states.result.Payload"),
        retry=[LAMBDA_RETRY],
        catch=[
            Catch(
                ["InvalidSampleSheet"],
                Fail("Invalid sample sheet", error="InvalidSampleSheet", cause="{% $states.input.Cause %}"),
            )
        ],
    )
    metadata = Map(
        "Look up library metadata",
        items=jsonata("$states.input.libraries"),
        max_concurrency=10,
        processor=dynamodb(
            "Get library metadata",
            "getItem",
            {"TableName": metadata_table.name_ref, "Key": {"library_id": {"S": jsonata("$states.input.library_id")}}},
            output=jsonata(
                "$merge([$states.input, {'subject_id': $states.result.Item.subject_id.S,"
                " 'phenotype': $states.result.Item.phenotype.S, 'type': $states.result.Item.type.S,"
                " 'workflow': $states.result.Item.workflow.S}])"
            ),
            retry=[Retry.dynamodb_transient()],
        ),
        assign={"libraries": jsonata("$states.result")},
    )
    bcl_input = wes_request(
        "bcl_convert",
        "'umccr__automated__bcl_convert__' & $run.sequence_run_name & '__' & $run.sequence_run_id",
        "{'run_folder': 'gds://' & $run.gds_volume_name & $run.gds_folder_path,"
        " 'samplesheet': 'gds://' & $run.gds_volume_name & $run.gds_folder_path & '/' & $run.sample_sheet_name}",
    )
    prepare_bcl = Pass("Prepare BCL Convert", output=bcl_input)
    bcl = wes_run(tolerate_failure=False, prefix="BCL Convert: ")
    qc = Map(
        "DRAGEN WGS QC per library",
        items=jsonata("[$libraries[type = 'WGS']]"),
        max_concurrency=20,
        item_selector=wes_request(
            "dragen_wgs_qc",
            "'umccr__automated__dragen_wgs_qc__' & $run.sequence_run_name"
            " & '__' & $states.context.Map.Item.Value.library_id",
            "{'library_id': $states.context.Map.Item.Value.library_id,"
            " 'fastq_directory': $bcl.output.outputDirectory & '/' & $states.context.Map.Item.Value.library_id}",
            library_id="$states.context.Map.Item.Value.library_id",
            subject_id="$states.context.Map.Item.Value.subject_id",
        ),
        processor=wes_run(tolerate_failure=True, prefix="QC: "),
        assign={"qc": jsonata("$states.result")},
    )
    pair = lambda_invoke(
        "Pair tumor and normal",
        function=pairer.arn,
        payload={"libraries": jsonata("$libraries"), "qc": jsonata("$qc")},
        output=jsonata("$states.result.Payload"),
        assign={"pairing": jsonata("$states.result.Payload")},
        retry=[LAMBDA_RETRY],
    )
    somatic = Map(
        "DRAGEN WGS somatic per pair",
        items=jsonata("$states.input.pairs"),
        max_concurrency=20,
        item_selector=wes_request(
            "dragen_wgs_somatic",
            "'umccr__automated__dragen_wgs_somatic__' & $states.context.Map.Item.Value.subject_id"
            " & '__' & $states.context.Map.Item.Value.tumor.library_id"
            " & '__' & $states.context.Map.Item.Value.normal.library_id",
            "{'subject_id': $states.context.Map.Item.Value.subject_id,"
            " 'tumor_library_id': $states.context.Map.Item.Value.tumor.library_id,"
            " 'normal_library_id': $states.context.Map.Item.Value.normal.library_id}",
            subject_id="$states.context.Map.Item.Value.subject_id",
        ),
        processor=wes_run(tolerate_failure=True, prefix="Somatic: "),
    )
    summary = Succeed(
        "Summarise",
        output=jsonata(
            "("
            " $runs := $append($append([$bcl], $qc), $states.input);"
            " {"
            "  'sequence_run_id': $run.sequence_run_id, 'sequence_run_name': $run.sequence_run_name,"
            "  'libraries': [$libraries.library_id],"
            "  'wgs_libraries': [$libraries[type = 'WGS'].library_id],"
            "  'pairs': [$pairing.pairs.{'subject_id': subject_id, 'tumor': tumor.library_id,"
            "            'normal': normal.library_id}],"
            "  'unpaired': [$pairing.unpaired],"
            "  'succeeded': [$runs[status = 'SUCCEEDED'].workflow_run_name],"
            "  'failed': [$runs[status = 'FAILED'].{'workflow_run_name': workflow_run_name, 'error': error,"
            "             'cause': cause}]"
            " }"
            ")"
        ),
    )
    after_bcl = Pass("BCL Convert done", assign={"bcl": jsonata("$states.input")})
    return StateMachine(
        "sequencing_orchestrator",
        start >> read_sheet >> parse >> metadata >> prepare_bcl >> bcl >> after_bcl >> qc >> pair >> somatic >> summary,
        query_language="JSONata",
        comment="One execution per sequencing run: BCL Convert, DRAGEN WGS QC per library, somatic per pair",
    )


ORCHESTRATOR = orchestrator()

STARTER = StateMachine(
    "sequencing_run_starter",
    start_execution(
        "Start run orchestration",
        state_machine=machine_arn(ORCHESTRATOR),
        execution_name=jsonata("$states.input.detail.sequence_run_name & '__' & $states.input.detail.sequence_run_id"),
        input=jsonata("$states.input.detail"),
        pattern=Pattern.REQUEST_RESPONSE,
        output={"started": True, "execution_arn": jsonata("$states.result.ExecutionArn")},
        catch=[
            Catch(
                ["StepFunctions.ExecutionAlreadyExistsException"],
                Succeed("Already started", output={"started": False}),
            )
        ],
    ),
    query_language="JSONata",
    type="EXPRESS",
    comment="Names the orchestrator's execution after the run, so a duplicate event cannot start a second one",
)

# -- local stand-ins (demo, `aslkit run`) -------------------------------------------------------------------------
SEED = Path(__file__).resolve().parents[2] / "samples" / "sequencing" / "seed"


def _local_outcome(run_name: str) -> str:
    """In the local fake WES every run succeeds, except QC of a library whose id ends in _FAILQC."""
    return "Failed" if run_name.endswith("_FAILQC") else "Succeeded"


@contextmanager
def local_environment(clients: Any, deploy: Callable[[dict[str, str]], Any]) -> Iterator[Any]:
    """A fake ICA WES on loopback, the seeded run data (sample sheets in the runs bucket) and library metadata."""
    with FakeWes(clients.sqs, "", delay=0.3, api_key=ica_key.local_value, outcome=_local_outcome,
                 later=clients.later) as wes:  # fmt: skip
        deployment = deploy({"wes_base_url": wes.url, "wes_timeout_seconds": "300", "wes_heartbeat_seconds": "120"})
        wes.queue_url = deployment.queues["ens_ingress"]
        runs = SEED / "runs"
        for sheet in sorted(runs.rglob("SampleSheet.csv")):
            key = str(sheet.relative_to(runs))
            clients.s3.put_object(Bucket=deployment.buckets["sequencing_runs"], Key=key, Body=sheet.read_bytes())
        for item in json.loads((SEED / "library_metadata.json").read_text()):
            clients.dynamodb.put_item(
                TableName=deployment.tables["library_metadata"], Item={k: {"S": v} for k, v in item.items()}
            )
        yield deployment


WORKFLOW = Workflow(
    "sequencing",
    "Sequencing run orchestration: ENS events -> BCL Convert -> DRAGEN WGS QC -> DRAGEN WGS somatic",
    machines=[ORCHESTRATOR, STARTER],
    functions=[event_manager, launcher, parser, pairer],
    tables=[state_table, metadata_table],
    buckets=[runs_bucket],
    queues=[ens_queue],
    buses=[bus],
    secrets=[ica_key],
    rules=[
        Rule(
            "sequencing_run_ready",
            pattern={
                "source": ["sequencing.ens_event_manager"],
                "detail-type": ["SequenceRunStateChange"],
                # BSSH's PendingAnalysis only, as production starts: Complete and Analyzing also map to SUCCEEDED
                # (the run's own status), and a run must not start twice, nor on its first "done"
                "detail": {"status": ["SUCCEEDED"], "bssh_status": ["PendingAnalysis"]},
            },
            target=STARTER,
            bus=bus,
            description="A run pending analysis starts its orchestration (once)",
        )
    ],
    parameters=PARAMETERS,
    contracts={
        name: json.loads(
            (Path(__file__).resolve().parents[2] / "tasks/sequencing/schemas" / f"{name}.schema.json").read_text()
        )
        for name in ("SequenceRunStateChange", "WorkflowRunStateChange", "WesLaunchRequest", "WorkflowRequest")
    },
    entry="sequencing_orchestrator",
    ingress="ens_ingress",
    local=local_environment,
)

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
    Jsonata,
    Map,
    Pass,
    Pattern,
    Placeholder,
    Retry,
    State,
    StateMachine,
    Succeed,
    Wait,
    aws_sdk,
    caught,
    dynamodb,
    fragment,
    jsonata,
    lambda_invoke,
    number_parameter,
    put_events,
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
    SsmParameter,
    Table,
    Topic,
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

#: Switches operators flip while runs go on, read by every run at its start, before QC and before somatic:
#: `emergency_stop` (launch nothing until it is off), `skip_runs` (run names or ids: not orchestrated at all),
#: `skip_libraries` (library ids: neither QC'd nor paired).
RUN_CONTROLS = {"emergency_stop": False, "skip_runs": [], "skip_libraries": []}
controls = SsmParameter(
    "sequencing_run_controls",
    value=json.dumps(RUN_CONTROLS),
    description="sequencing run controls (JSON): emergency_stop, skip_runs, skip_libraries",
)
#: SequenceRunFailed and WorkflowRunFailed, for a notifier (e-mail, chat) to subscribe to
notifications = Topic("sequencing_notifications")
ORCHESTRATOR_SOURCE = "sequencing.orchestrator"

#: the ICA WES workflows a stage runs (ids and versions of its ICA tenant): the stand-in's names locally
LOCAL_WES_WORKFLOWS = {
    "bcl_convert": {"id": "wfl.bclconvert", "version": "4.2.7"},
    "dragen_wgs_qc": {"id": "wfl.dragenwgsqc", "version": "4.2.4"},
    "dragen_wgs_somatic": {"id": "wfl.dragenwgssomatic", "version": "4.2.4"},
}
PARAMETERS: dict[str, str | Required] = {
    "wes_base_url": "https://aps2.platform.illumina.com",
    "wes_workflows": Required(
        "JSON: per workflow type (bcl_convert, dragen_wgs_qc, dragen_wgs_somatic) the ICA workflow id and version "
        'the stage launches, {"bcl_convert": {"id": "wfl.<32 hex>", "version": "4.2.7"}, ...}',
        local=json.dumps(LOCAL_WES_WORKFLOWS, sort_keys=True),
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
    "emergency_stop_wait_seconds": "600",  # while the emergency stop is on, look again every 10 min
    "emergency_stop_waits": "144",  # for a day, then the run fails (EmergencyStop) and is re-run by hand
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
EVENTS_RETRY = Retry(["States.ALL"], interval_seconds=1, max_attempts=6, backoff_rate=2, jitter_strategy="FULL")
SSM_TRANSIENT = ["Ssm.ThrottlingException", "Ssm.InternalServerErrorException", "Ssm.SsmException"]
SSM_RETRY = Retry(SSM_TRANSIENT, interval_seconds=1, max_attempts=6, backoff_rate=2, max_delay_seconds=20,
                  jitter_strategy="FULL")  # fmt: skip
#: a launch gates a run's 48 hours: when the account's Lambda concurrency is spent, wait for it (up to ~8 min)
#: rather than fail the sequencing run after AWS's 3 quick attempts
LAUNCH_THROTTLED = Retry([Lambda.TOO_MANY_REQUESTS], interval_seconds=2, max_attempts=10, backoff_rate=2,
                         max_delay_seconds=60, jitter_strategy="FULL")  # fmt: skip


# -- failures, announced ------------------------------------------------------------------------------------------
def announcement(detail_type: str, detail: str) -> list[JsonValue]:
    """One event on the workflow's bus from the orchestrator; `detail` is a JSONata object expression."""
    return [{"Source": ORCHESTRATOR_SOURCE, "DetailType": detail_type, "EventBusName": bus.name_ref,
             "Detail": jsonata(detail)}]  # fmt: skip


def run_failure() -> State:
    """Input `{error, cause}`: a SequenceRunFailed event naming the run, then the execution fails with that error
    (a `States.*` one, such as a heartbeat timeout, as SequenceRunFailed: a Fail may not use the runtime's names)."""
    announce = put_events(
        "Announce run failure",
        entries=announcement(
            "SequenceRunFailed",
            "{'sequence_run_id': $run.sequence_run_id, 'sequence_run_name': $run.sequence_run_name,"
            " 'error': $states.input.error, 'cause': $string($states.input.cause),"
            " 'execution_arn': $states.context.Execution.Id, 'timestamp': $states.context.State.EnteredTime}",
        ),
        retry=[EVENTS_RETRY],
        output=jsonata("$states.input"),
    )
    announce >> reraise("Run failed", "SequenceRunFailed")
    return announce


# -- the WES fragment ---------------------------------------------------------------------------------------------
@fragment
def wes_run(*, on_failure: State | None = None, prefix: str = "") -> Chain:
    """Input `{request, timeout, heartbeat}`; output `{status, workflow_run_name, workflow_run_id?, output?, error?,
    cause?}`. A failed, aborted or timed-out run is announced (WorkflowRunFailed) and ends in `failed` (a result:
    only what depends on it is skipped) or, given `on_failure`, goes there with its `{error, cause}`."""
    result = (
        "'workflow_type': $states.input.request.workflow_type,"
        " 'workflow_run_name': $states.input.request.workflow_run_name,"
        " 'library_id': $states.input.request.library_id, 'subject_id': $states.input.request.subject_id"
    )
    announce = put_events(
        "Announce workflow failure",
        entries=announcement(
            "WorkflowRunFailed",
            "{'workflow_run_name': $states.input.workflow_run_name, 'workflow_type': $states.input.workflow_type,"
            " 'sequence_run_name': $run.sequence_run_name, 'library_id': $states.input.library_id,"
            " 'subject_id': $states.input.subject_id, 'error': $states.input.error,"
            " 'cause': $string($states.input.cause), 'execution_arn': $states.context.Execution.Id,"
            " 'timestamp': $states.context.State.EnteredTime}",
        ),
        retry=[EVENTS_RETRY],
        output=jsonata("$states.input"),
    )
    announce >> (on_failure or Pass("Run failed", comment="recorded; only what depends on this run is skipped"))
    launch = lambda_invoke(
        "Launch and wait",
        function=launcher.arn,
        payload=jsonata("$merge([$states.input.request, {'task_token': $states.context.Task.Token}])"),
        pattern=Pattern.WAIT_FOR_TASK_TOKEN,
        timeout_seconds="{% $states.input.timeout %}",
        heartbeat_seconds="{% $states.input.heartbeat %}",
        retry=[LAUNCH_THROTTLED, LAMBDA_RETRY],
        output=jsonata(
            f"{{'status': 'SUCCEEDED', {result},"
            " 'workflow_run_id': $states.result.workflow_run_id, 'output': $states.result.output}"
        ),
        catch=[Catch(["States.ALL"], announce, output=jsonata(
            f"{{'status': 'FAILED', {result}, 'error': $states.errorOutput.Error,"
            " 'cause': $states.errorOutput.Cause}"))],
    )  # fmt: skip
    return launch >> Pass("Run succeeded")


def wes_request(workflow_type: str, run_name: str, workflow_input: str, **fields: str) -> dict[str, JsonValue]:
    """The fragment's input: a WorkflowRequest (JSONata expressions) plus the configured bounds. A re-run's
    launches carry its attempt (the launcher launches again what did not succeed before)."""
    request: dict[str, JsonValue] = {
        "workflow_type": workflow_type,
        "workflow_run_name": jsonata(run_name),
        "workflow_input": jsonata(workflow_input),
        "seq_run_name": jsonata("$run.sequence_run_name"),
        "attempt": jsonata("$attempt"),
        **{key: jsonata(value) for key, value in fields.items()},
    }
    return {"request": request, "timeout": jsonata("$timeout"), "heartbeat": jsonata("$heartbeat")}


# -- the run controls ---------------------------------------------------------------------------------------------
@fragment
def run_controls(then: State, failed: State, *, prefix: str = "") -> State:
    """Read the run controls (an SSM parameter operators change at run time) into `$controls`; while its
    `emergency_stop` is on, launch nothing: look again every `emergency_stop_wait_seconds`, at most
    `emergency_stop_waits` times, then fail the run with EmergencyStop."""
    read = aws_sdk(
        "Read run controls",
        "ssm",
        "getParameter",
        {"Name": controls.name_ref},
        assign={"controls": jsonata("$parse($states.result.Parameter.Value)")},
        output=jsonata("$states.input"),
        retry=[SSM_RETRY],
        catch=[Catch(["States.ALL"], failed, output=caught())],
    )
    wait = Wait("Wait for the stop to clear", seconds=number_parameter("emergency_stop_wait_seconds"),
                assign={"stop_waits": jsonata("$stop_waits + 1")})  # fmt: skip
    too_long = Jsonata(
        "{'error': 'EmergencyStop', 'cause': 'the run controls (SSM parameter " + str(controls.name_ref) + ")"
        " stop every launch, and still did after ' & $string($stop_waits) & ' looks: clear emergency_stop and"
        " re-run the run (aslkit sequencing rerun)'}",
        placeholders=(controls.name_ref.name,),
    )
    gate = (
        Choice("Emergency stop?")
        .when("$controls.emergency_stop = true and $stop_waits < $stop_max", wait)
        .when("$controls.emergency_stop = true", failed, output=too_long)
        .otherwise(then)
    )
    wait >> read
    read >> gate
    return read


# -- the orchestrator ---------------------------------------------------------------------------------------------
ITEM = "$states.context.Map.Item.Value"


def or_empty(value: str) -> str:
    """A JSONata value, or '' where it is missing (a DynamoDB string attribute cannot be left undefined)."""
    return f"$exists({value}) ? {value} : ''"


def orchestrator() -> StateMachine:
    failed = run_failure()
    start = Pass(
        "Start",
        assign={
            "run": jsonata("$states.input"),
            "attempt": jsonata("$exists($states.input.rerun) ? $states.input.rerun : ''"),
            "timeout": number_parameter("wes_timeout_seconds"),
            "heartbeat": number_parameter("wes_heartbeat_seconds"),
            "sheet_waits": 0,
            "stop_waits": 0,
            "stop_max": number_parameter("emergency_stop_waits"),
        },
        comment="Input: a SequenceRunStateChange detail (status SUCCEEDED: the run is ready for analysis); a re-run "
        "by hand adds `rerun`, its attempt's name",
    )
    # The run-ready message can come before the sample sheet is copied: look again, bounded (the execution's name
    # is the run's, so failing here at once would leave the run never orchestrated).
    wait_sheet = Wait("Wait for sample sheet", seconds=jsonata("$states.input.wait"),
                      assign={"sheet_waits": jsonata("$sheet_waits + 1")})  # fmt: skip
    no_sheet = Pass("No sample sheet", output={"error": "SampleSheetNotFound", "cause": jsonata(
        "'no sample sheet at ' & $run.gds_volume_name & $run.gds_folder_path & ' after ' & $string($sheet_waits)"
        " & ' waits of ' & $string($states.input.wait) & ' s'")})  # fmt: skip
    no_sheet >> failed
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
            "wait": number_parameter("sample_sheet_wait_seconds"), "waits": number_parameter("sample_sheet_waits")}),
            Catch(["States.ALL"], failed, output=caught())],
    )  # fmt: skip
    wait_sheet >> read_sheet
    skipped = Succeed("Run skipped", output=jsonata(
        "{'sequence_run_id': $run.sequence_run_id, 'sequence_run_name': $run.sequence_run_name, 'skipped': true,"
        " 'reason': 'the run controls list it in skip_runs'}"))  # fmt: skip
    skip_run = (
        Choice("Run skipped?")
        .when("$run.sequence_run_name in $controls.skip_runs or $run.sequence_run_id in $controls.skip_runs", skipped)
        .otherwise(read_sheet)
    )
    parse = lambda_invoke(
        "Parse sample sheet",
        function=parser.arn,
        payload=jsonata("$states.input"),
        output=jsonata("$states.result.Payload"),
        retry=[LAMBDA_RETRY],
        catch=[Catch(["States.ALL"], failed, output=caught())],
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
        catch=[Catch(["States.ALL"], failed, output=caught())],
    )
    bcl_input = wes_request(
        "bcl_convert",
        "'umccr__automated__bcl_convert__' & $run.sequence_run_name & '__' & $run.sequence_run_id",
        "{'run_folder': 'gds://' & $run.gds_volume_name & $run.gds_folder_path,"
        " 'samplesheet': 'gds://' & $run.gds_volume_name & $run.gds_folder_path & '/' & $run.sample_sheet_name}",
    )
    prepare_bcl = Pass("Prepare BCL Convert", output=bcl_input)
    bcl = wes_run(on_failure=failed, prefix="BCL Convert: ")
    # BCL Convert's output lists the run's FASTQ files as FASTQ list rows (RGID, RGSM, RGLB, Lane, Read1/2 files):
    # each library's QC gets its own rows, one per lane
    after_bcl = Pass("BCL Convert done", assign={
        "bcl": jsonata("$states.input"),
        "rows": jsonata("[$states.input.output.`main/fastq_list_rows`]")})  # fmt: skip
    qc = Map(
        "DRAGEN WGS QC per library",
        items=jsonata(
            "[$libraries[type = 'WGS' and $not(library_id in $controls.skip_libraries) and library_id in $rows.rglb]]"
        ),
        max_concurrency=20,
        item_selector=wes_request(
            "dragen_wgs_qc",
            f"'umccr__automated__dragen_wgs_qc__' & $run.sequence_run_name & '__' & {ITEM}.library_id",
            f"{{'library_id': {ITEM}.library_id, 'sample_name': {ITEM}.library_name,"
            f" 'fastq_list_rows': [$rows[rglb = {ITEM}.library_id]]}}",
            library_id=f"{ITEM}.library_id",
            subject_id=f"{ITEM}.subject_id",
        ),
        processor=wes_run(prefix="QC: "),
        assign={"qc": jsonata("$states.result")},
        catch=[Catch(["States.ALL"], failed, output=caught())],
    )
    # A QC'd library is kept under its subject, so that a later run's tumor can pair with this run's normal
    remember = Map(
        "Remember QC'd libraries",
        items=jsonata("[$qc[status = 'SUCCEEDED' and $exists(subject_id)]]"),
        max_concurrency=10,
        item_selector={
            "library": jsonata(f"$libraries[library_id = {ITEM}.library_id]"),
            "rows": jsonata(f"[$rows[rglb = {ITEM}.library_id]]"),
            "qc": jsonata(ITEM),
        },
        processor=dynamodb(
            "Remember library",
            "putItem",
            {
                "TableName": state_table.name_ref,
                "Item": {
                    "pk": {"S": jsonata("'SUBJECT#' & $states.input.qc.subject_id")},
                    "sk": {"S": jsonata("'LIBRARY#' & $states.input.qc.library_id")},
                    "library_id": {"S": jsonata("$states.input.qc.library_id")},
                    "phenotype": {"S": jsonata(or_empty("$states.input.library.phenotype"))},
                    "workflow": {"S": jsonata(or_empty("$states.input.library.workflow"))},
                    "sequence_run_name": {"S": jsonata("$run.sequence_run_name")},
                    "qc_workflow_run_name": {"S": jsonata("$states.input.qc.workflow_run_name")},
                    "fastq_list_rows": {"S": jsonata("$string($states.input.rows)")},
                    "recorded_at": {"S": jsonata("$states.context.State.EnteredTime")},
                },
            },
        ),
        output=jsonata("$states.input"),
        catch=[Catch(["States.ALL"], failed, output=caught())],
    )
    earlier = Map(
        "Look up subjects' earlier libraries",
        items=jsonata("[$distinct([$libraries[type = 'WGS' and $exists(subject_id)].subject_id])]"),
        max_concurrency=10,
        processor=aws_sdk(
            "Query subject",
            "dynamodb",
            "query",
            {
                "TableName": state_table.name_ref,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": jsonata("'SUBJECT#' & $states.input")}},
            },
            output=jsonata(
                "[$states.result.Items.{'library_id': library_id.S, 'subject_id': $substringAfter(pk.S, '#'),"
                " 'phenotype': phenotype.S, 'workflow': workflow.S, 'type': 'WGS',"
                " 'sequence_run_name': sequence_run_name.S, 'fastq_list_rows': $parse(fastq_list_rows.S)}]"
            ),
            retry=[Retry.dynamodb_transient()],
        ),
        assign={"earlier": jsonata("$states.result")},
        catch=[Catch(["States.ALL"], failed, output=caught())],
    )
    pair = lambda_invoke(
        "Pair tumor and normal",
        function=pairer.arn,
        payload={
            "libraries": jsonata("$libraries"),
            "qc": jsonata("$qc"),
            "rows": jsonata("$rows"),
            "earlier": jsonata("$earlier"),
            "skip": jsonata("[$controls.skip_libraries]"),
        },
        output=jsonata("$states.result.Payload"),
        assign={"pairing": jsonata("$states.result.Payload")},
        retry=[LAMBDA_RETRY],
        catch=[Catch(["States.ALL"], failed, output=caught())],
    )
    somatic = Map(
        "DRAGEN WGS somatic per pair",
        items=jsonata("$pairing.pairs"),
        max_concurrency=20,
        item_selector=wes_request(
            "dragen_wgs_somatic",
            f"'umccr__automated__dragen_wgs_somatic__' & {ITEM}.subject_id & '__' & {ITEM}.tumor.library_id"
            f" & '__' & {ITEM}.normal.library_id",
            f"{{'subject_id': {ITEM}.subject_id, 'tumor_library_id': {ITEM}.tumor.library_id,"
            f" 'normal_library_id': {ITEM}.normal.library_id,"
            f" 'tumor_fastq_list_rows': {ITEM}.tumor.fastq_list_rows, 'fastq_list_rows': {ITEM}.normal.fastq_list_rows,"
            f" 'output_prefix_somatic': {ITEM}.tumor.library_id, 'output_prefix_germline': {ITEM}.normal.library_id}}",
            subject_id=f"{ITEM}.subject_id",
        ),
        processor=wes_run(prefix="Somatic: "),
        catch=[Catch(["States.ALL"], failed, output=caught())],
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
    # Top-down: the controls at the start, before QC and before somatic (an emergency stop halts what comes next)
    read_sheet >> parse >> metadata >> prepare_bcl >> bcl >> after_bcl
    after_bcl >> run_controls(qc, failed, prefix="QC: ")
    qc >> remember >> earlier >> pair >> run_controls(somatic, failed, prefix="Somatic: ")
    somatic >> summary
    return StateMachine(
        "sequencing_orchestrator",
        start >> run_controls(skip_run, failed),
        query_language="JSONata",
        comment="One execution per sequencing run: BCL Convert, DRAGEN WGS QC per library, somatic per pair; the run "
        "controls (emergency stop, skip lists) read at run time",
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
        wes.attach(clients.s3, deployment)
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
    topics=[notifications],
    secrets=[ica_key],
    ssm_parameters=[controls],
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
        ),
        Rule(
            "sequencing_failures",
            pattern={"source": [ORCHESTRATOR_SOURCE], "detail-type": ["SequenceRunFailed", "WorkflowRunFailed"]},
            target=notifications,
            bus=bus,
            description="A run or workflow run that failed, on the notifications topic",
        ),
    ],
    parameters=PARAMETERS,
    contracts={
        name: json.loads(
            (Path(__file__).resolve().parents[2] / "tasks/sequencing/schemas" / f"{name}.schema.json").read_text()
        )
        for name in (
            "SequenceRunStateChange",
            "WorkflowRunStateChange",
            "WesLaunchRequest",
            "WorkflowRequest",
            "SequenceRunFailed",
            "WorkflowRunFailed",
        )
    },
    entry="sequencing_orchestrator",
    ingress="ens_ingress",
    local=local_environment,
)

"""Sequencing-run orchestration end to end, driven by the real ENS payloads of the fixtures (the fake ICA WES acts
on the tier's clock: virtual in process, real on LocalStack)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aslkit.local.deployer import Deployment
from aslkit.local.run import send_records
from aslkit.runtime.results import ExecutionResult
from aslkit.testing.backend import ExecutionBackend
from tasks.sequencing import ens
from workflows.sequencing import RUN_CONTROLS, WORKFLOW, ica_key
from workflows.sequencing.fake_wes import FakeWes, fastq_list_rows

DATA = Path(__file__).resolve().parents[1] / "data" / "sequencing"
FAST = {
    "wes_timeout_seconds": "90",
    "wes_heartbeat_seconds": "60",
    "sample_sheet_wait_seconds": "2",
    "sample_sheet_waits": "3",
    "emergency_stop_wait_seconds": "2",
    "emergency_stop_waits": "3",
}


class Sequencing:
    """The deployed workflow with its fake WES and a queue that records every event on the bus."""

    def __init__(self, backend: ExecutionBackend, deployment: Deployment, wes: FakeWes, events_url: str) -> None:
        self.backend = backend
        self.aws = backend.aws
        self.deployment = deployment
        self.wes = wes
        self.events_url = events_url
        self.seen_events: list[dict[str, Any]] = []

    def name(self, machine: str) -> str:
        return self.deployment.machine_arn(machine).rsplit(":", 1)[1]

    def prepare_run(self, run_name: str, sheet: str, metadata: dict[str, tuple[str, str, str, str]]) -> None:
        """Put the sample sheet where the run's ENS message points, and the libraries' metadata in its table."""
        key = f"umccr-raw-sequence-data-dev/{run_name}/SampleSheet.csv"
        self.aws.s3.put_object(Bucket=self.deployment.buckets["sequencing_runs"], Key=key, Body=sheet.encode())
        for library_id, (subject, phenotype, kind, workflow) in metadata.items():
            self.aws.dynamodb.put_item(
                TableName=self.deployment.tables["library_metadata"],
                Item={"library_id": {"S": library_id}, "subject_id": {"S": subject}, "phenotype": {"S": phenotype},
                      "type": {"S": kind}, "workflow": {"S": workflow}},
            )  # fmt: skip

    def deliver(self, *records: dict[str, Any]) -> None:
        send_records(self.aws, WORKFLOW, self.deployment, list(records))

    def executions_of(self, run_name: str) -> list[str]:
        arns = self.backend.executions(self.deployment, "sequencing_orchestrator")
        return [arn for arn in arns if arn.rsplit(":", 1)[1].startswith(run_name)]

    def wait_run(self, run_name: str, timeout: float = 90) -> ExecutionResult:
        found = self.backend.until(lambda: self.executions_of(run_name), 20)
        assert found, f"no orchestrator execution for {run_name}"
        return self.backend.wait(found[0], timeout)

    def events(self) -> list[dict[str, Any]]:
        """Every event the bus has carried so far (drained from the recording queue)."""
        while True:
            messages = self.aws.sqs.receive_message(QueueUrl=self.events_url, MaxNumberOfMessages=10,
                                                    WaitTimeSeconds=0).get("Messages", [])  # fmt: skip
            if not messages:
                return self.seen_events
            for message in messages:
                self.seen_events.append(json.loads(message["Body"]))
                self.aws.sqs.delete_message(QueueUrl=self.events_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="module")
def seq(backend: ExecutionBackend) -> Iterator[Sequencing]:
    aws = backend.aws
    prefix = f"t{uuid.uuid4().hex[:6]}_"
    secret = "local-development-value"
    assert ica_key.local_value == secret
    with FakeWes(aws.sqs, "", delay=0.2, api_key=secret, later=backend.later) as wes:
        deployment = backend.deploy(WORKFLOW, prefix=prefix, parameters={**FAST, "wes_base_url": wes.url})
        wes.attach(aws.s3, deployment)
        url = aws.sqs.create_queue(QueueName=f"{prefix}bus_recorder")["QueueUrl"]
        arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = deployment.buses["sequencing_bus"]
        aws.events.put_rule(Name=f"{prefix}record_all", EventBusName=bus,
                            EventPattern=json.dumps({"source": [{"prefix": "sequencing."}]}))  # fmt: skip
        aws.events.put_targets(Rule=f"{prefix}record_all", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        yield Sequencing(backend, deployment, wes, url)


def bssh_record(run_name: str | None = None, run_id: str | None = None, status: str | None = None) -> dict[str, Any]:
    """The real PendingAnalysis message, optionally for another run (as a new run's message would be)."""
    record = copy.deepcopy(json.loads((DATA / "ens_bssh_runs_pending_analysis.sqs.json").read_text())["Records"][0])
    body = json.loads(record["body"])
    if run_name:
        body.update(name=run_name, instrumentRunId=run_name, gdsFolderPath=f"/{run_name}")
    if run_id:
        body["id"] = run_id
    if status:
        body["status"] = status
    record["body"] = json.dumps(body)
    record["messageId"] = str(uuid.uuid4())
    return record


FIXTURE_RUN = "200612_A01052_0017_BH5LYWDSXY"
FIXTURE_METADATA = {
    "MyFirstSample": ("SBJ00001", "tumor", "WGS", "clinical"),
    "MySecondSample": ("SBJ00001", "normal", "WGS", "clinical"),
}


def sheet(*libraries: str) -> str:
    rows = "\n".join(f"1,{lib},ACGTACGTAC,TTGGCCAA,Project" for lib in libraries)
    return f"[Header]\nFileFormatVersion,2\n\n[BCLConvert_Data]\nLane,Sample_ID,index,index2,Sample_Project\n{rows}\n"


# On LocalStack the demo test runs this message (samples/sequencing/pending_analysis.event.json) through the starter
# and the orchestration; in process it is checked state by state.
def test_real_pending_analysis_message_drives_a_full_run(seq: Sequencing) -> None:
    seq.prepare_run(FIXTURE_RUN, (DATA / "samplesheet_v2.csv").read_text(), FIXTURE_METADATA)
    seq.deliver(json.loads((DATA / "ens_bssh_runs_pending_analysis.sqs.json").read_text())["Records"][0])
    result = seq.wait_run(FIXTURE_RUN)
    assert result.succeeded, result.explain()
    out = result.output
    assert out["libraries"] == ["MyFirstSample", "MySecondSample"]
    assert out["pairs"] == [{"subject_id": "SBJ00001", "tumor": "MyFirstSample", "normal": "MySecondSample"}]
    assert out["unpaired"] == [] and out["failed"] == []
    assert out["succeeded"] == [
        f"umccr__automated__bcl_convert__{FIXTURE_RUN}__r.AnPk0ox1OU-pACGtvSEQC2",
        f"umccr__automated__dragen_wgs_qc__{FIXTURE_RUN}__MyFirstSample",
        f"umccr__automated__dragen_wgs_qc__{FIXTURE_RUN}__MySecondSample",
        "umccr__automated__dragen_wgs_somatic__SBJ00001__MyFirstSample__MySecondSample",
    ]
    assert result.states.count("QC: Launch and wait") == 2 and result.states.count("Somatic: Launch and wait") == 1
    assert result.transitions < 40
    launched = {(launch["workflow_id"], launch["name"].split("__")[2]) for launch in seq.wes.launches}
    assert {("wfl.bclconvert", "bcl_convert"), ("wfl.dragenwgsqc", "dragen_wgs_qc"),
            ("wfl.dragenwgssomatic", "dragen_wgs_somatic")} <= launched  # fmt: skip

    seq.backend.pause(1)
    events = [
        e for e in seq.events() if FIXTURE_RUN in json.dumps(e["detail"]) or "SBJ00001" in json.dumps(e["detail"])
    ]
    kinds = [e["detail-type"] for e in events]
    assert kinds.count("SequenceRunStateChange") == 1
    assert kinds.count("WesLaunchRequest") == 4
    statuses = sorted(e["detail"]["status"] for e in events if e["detail-type"] == "WorkflowRunStateChange")
    assert statuses == ["LAUNCHED"] * 4 + ["RUNNING"] * 4 + ["SUCCEEDED"] * 4
    for event in events:
        ens.check(event["detail-type"], event["detail"])  # every event matches its contract


def test_same_message_twice_starts_one_execution(seq: Sequencing) -> None:
    run = "231001_A00001_0002_DUPLICATE"
    seq.prepare_run(run, sheet("L1", "L2"), {"L1": ("SBJ2", "tumor", "WGS", "clinical"),
                                             "L2": ("SBJ2", "normal", "WGS", "clinical")})  # fmt: skip
    message = bssh_record(run, "r.Duplicate0001")
    seq.deliver(message, dict(message, messageId=str(uuid.uuid4())))
    result = seq.wait_run(run)
    assert result.succeeded, result.explain()
    seq.deliver(dict(message, messageId=str(uuid.uuid4())))  # ENS delivers it once more, after the run ended
    seq.backend.pause(3)
    run_events = [e for e in seq.events() if e["detail"].get("sequence_run_id") == "r.Duplicate0001"]
    assert len(run_events) == 1, "three deliveries of the same ENS message had one effect"
    # the run-ready event itself, put again: the starter finds the execution exists and starts nothing
    detail = ens.sequence_run_state_change(ens.parse_record(message))
    seq.backend.put_events(seq.deployment, [{"Source": "sequencing.ens_event_manager",
                                             "DetailType": "SequenceRunStateChange", "Detail": detail}])  # fmt: skip
    seq.backend.pause(2)
    assert len(seq.executions_of(run)) == 1


def test_a_complete_run_starts_nothing_until_it_is_pending_analysis(seq: Sequencing) -> None:
    """BSSH says Complete (and Analyzing) before PendingAnalysis; all three are SUCCEEDED for the platform, and
    only PendingAnalysis starts the orchestration, as in production."""
    run, run_id = "231001_A00001_0007_COMPLETE", "r.Complete0001"
    seq.prepare_run(run, sheet("LC"), {"LC": ("SBJC", "normal", "WGS", "research")})
    seq.deliver(bssh_record(run, run_id, status="Complete"), bssh_record(run, run_id, status="Analyzing"))
    seq.backend.pause(3)
    assert seq.executions_of(run) == [], "nothing starts before PendingAnalysis"
    seq.deliver(bssh_record(run, run_id))
    result = seq.wait_run(run)
    assert result.succeeded, result.explain()
    seq.backend.pause(1)
    changes = [e["detail"] for e in seq.events() if e["detail"].get("sequence_run_id") == run_id]
    assert sorted((d["status"], d["bssh_status"]) for d in changes if "bssh_status" in d) == [
        ("SUCCEEDED", "Analyzing"), ("SUCCEEDED", "Complete"), ("SUCCEEDED", "PendingAnalysis")]  # fmt: skip


def test_a_run_ready_before_its_sample_sheet_waits_for_it_bounded(seq: Sequencing) -> None:
    """The run-ready message can come before the sample sheet is copied: the run looks again every
    sample_sheet_wait_seconds (here 2 s), sample_sheet_waits times (here 3), then fails naming the path."""
    run, run_id = "231001_A00001_0008_LATESHEET", "r.LateSheet0001"
    seq.prepare_run(run, "", {"LS": ("SBJS", "normal", "WGS", "research")})
    key = f"umccr-raw-sequence-data-dev/{run}/SampleSheet.csv"
    seq.aws.s3.delete_object(Bucket=seq.deployment.buckets["sequencing_runs"], Key=key)  # not copied yet
    seq.deliver(bssh_record(run, run_id))
    seq.backend.pause(3)
    seq.aws.s3.put_object(Bucket=seq.deployment.buckets["sequencing_runs"], Key=key, Body=sheet("LS").encode())
    result = seq.wait_run(run)
    assert result.succeeded, result.explain()
    assert 1 <= result.states.count("Wait for sample sheet") <= 2 and result.output["libraries"] == ["LS"]

    never = "231001_A00001_0009_NOSHEET"
    seq.deliver(bssh_record(never, "r.NoSheet0001"))
    failed = seq.wait_run(never)
    assert (failed.status, failed.error) == ("FAILED", "SampleSheetNotFound")
    assert f"/{never} after 3 waits of 2 s" in (failed.cause or "")
    assert failed.states.count("Wait for sample sheet") == 3


def test_malformed_message_lands_in_the_dlq_while_the_next_is_processed(seq: Sequencing) -> None:
    run = "231001_A00001_0003_AFTERBAD"
    seq.prepare_run(run, sheet("L3"), {"L3": ("SBJ3", "normal", "WGS", "research")})
    bad = bssh_record(run, "r.Bad")
    bad["body"] = bad["body"].replace('"status"', '"statsu"')  # a required field is missing
    unknown = bssh_record(run, "r.Unknown", status="Paused")
    seq.deliver(bad, unknown, bssh_record(run, "r.AfterBad0001"))
    result = seq.wait_run(run)
    assert result.succeeded, result.explain()
    dlq = seq.deployment.queues["ens_ingress_dlq"]
    rejected: dict[str, dict[str, str]] = {}

    def both_rejected() -> bool:
        for message in seq.aws.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10,
                                                   MessageAttributeNames=["All"]).get("Messages", []):  # fmt: skip
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            rejected[json.loads(message["Body"]).get("id", "?")] = attributes
        return len(rejected) >= 2

    seq.backend.until(both_rejected, 15)
    assert rejected["r.Bad"]["errorType"] == "MalformedEnsMessage"
    assert "'status' is a required property" in rejected["r.Bad"]["reason"]
    assert rejected["r.Unknown"]["errorType"] == "UnknownRunStatus"
    assert "'Paused' is not mapped" in rejected["r.Unknown"]["reason"]
    assert rejected["r.Bad"]["ens.type"] == "bssh.runs", "the ENS metadata is kept with it"
    assert result.output["unpaired"] == [{"library_id": "L3", "reason": "subject SBJ3: no tumor library"}]


def test_failed_qc_skips_only_its_pair_and_is_reported(seq: Sequencing) -> None:
    run = "231001_A00001_0004_QCFAIL"
    seq.prepare_run(
        run,
        sheet("LA_T", "LA_N", "LB_T", "LB_N", "LR"),
        {"LA_T": ("SBJA", "tumor", "WGS", "clinical"), "LA_N": ("SBJA", "normal", "WGS", "clinical"),
         "LB_T": ("SBJB", "tumor", "WGS", "research"), "LB_N": ("SBJB", "normal", "WGS", "clinical"),
         "LR": ("SBJA", "tumor", "WTS", "clinical")},
    )  # fmt: skip
    seq.wes.outcome = lambda name: "Failed" if name.endswith("__LB_N") else "Succeeded"
    try:
        seq.deliver(bssh_record(run, "r.QcFail0001"))
        result = seq.wait_run(run)
    finally:
        seq.wes.outcome = lambda name: "Succeeded"
    assert result.succeeded, result.explain()
    out = result.output
    assert out["wgs_libraries"] == ["LA_T", "LA_N", "LB_T", "LB_N"], "the WTS library is not QC'd"
    assert out["pairs"] == [{"subject_id": "SBJA", "tumor": "LA_T", "normal": "LA_N"}]
    assert out["unpaired"] == [
        {"library_id": "LB_N", "reason": "QC failed: Workflow.Failed"},
        {"library_id": "LB_T", "reason": "subject SBJB: no normal library"},
    ]
    assert out["failed"] == [
        {"workflow_run_name": f"umccr__automated__dragen_wgs_qc__{run}__LB_N", "error": "Workflow.Failed",
         "cause": "Run Failed. Reason: task: [dragen] details: [exit code 1]"}
    ]  # fmt: skip
    assert "umccr__automated__dragen_wgs_somatic__SBJA__LA_T__LA_N" in out["succeeded"]
    seq.backend.pause(1)
    failures = [e["detail"] for e in seq.events() if e["detail"].get("status") == "FAILED"
                and e["detail"].get("workflow_run_name", "").endswith("__LB_N")]  # fmt: skip
    assert len(failures) == 1 and failures[0]["error"] == "Workflow.Failed"


def test_wes_event_before_its_launch_is_retried_not_lost(seq: Sequencing) -> None:
    run = "231001_A00001_0005_EARLY"
    run_id = "r.Early0001"
    bcl_name = f"umccr__automated__bcl_convert__{run}__{run_id}"
    seq.prepare_run(run, sheet("LE"), {"LE": ("SBJE", "normal", "WGS", "clinical")})
    seq.wes.outcome = lambda name: None if name == bcl_name else "Succeeded"  # the test answers for BCL Convert
    seq.wes.run_ids[bcl_name] = "wfr.early"  # ENS's message for the run WES is about to accept
    try:
        rows = fastq_list_rows(sheet("LE"), "gds://early")
        seq.wes.post(bcl_name, "wfr.early", "Succeeded",
                     output={"outputDirectory": "gds://early", "main/fastq_list_rows": rows})  # fmt: skip
        seq.backend.pause(1.5)  # the event manager has seen it, found no launch, and handed it back to SQS
        seq.deliver(bssh_record(run, run_id))
        result = seq.wait_run(run, timeout=120)
    finally:
        seq.wes.outcome = lambda name: "Succeeded"
    assert result.succeeded, result.explain()
    assert bcl_name in result.output["succeeded"]
    qc_launch = next(launch for launch in seq.wes.launches if launch["name"].endswith(f"{run}__LE"))
    assert qc_launch["input"]["fastq_list_rows"] == rows, "the early message's outputs were used"
    assert rows[0]["read_1"]["location"] == "gds://early/Project/LE/LE_S1_L001_R1_001.fastq.gz"


def test_a_late_contradicting_outcome_changes_nothing(seq: Sequencing) -> None:
    """WES said Succeeded and the run went on; a RunFailed for the same run afterwards neither flips the launch
    record nor puts a FAILED event on the bus."""
    run = "231001_A00001_0006_LATEFAIL"
    run_id = "r.LateFail0001"
    seq.prepare_run(run, sheet("LL"), {"LL": ("SBJL", "normal", "WGS", "research")})
    seq.deliver(bssh_record(run, run_id))
    result = seq.wait_run(run)
    assert result.succeeded, result.explain()
    bcl = f"umccr__automated__bcl_convert__{run}__{run_id}"
    launch_key = {"pk": {"S": f"WFR#{bcl}"}, "sk": {"S": "LAUNCH"}}
    table = seq.deployment.tables["sequencing_state"]
    before = seq.aws.dynamodb.get_item(TableName=table, Key=launch_key)["Item"]
    seq.wes.post(bcl, before["wes_run_id"]["S"], "Failed")
    seq.backend.pause(3)
    after = seq.aws.dynamodb.get_item(TableName=table, Key=launch_key)["Item"]
    assert (after["status"], after["outcome"]) == (before["status"], before["outcome"])
    assert after["status"] == {"S": "SUCCEEDED"}
    statuses = [e["detail"].get("status") for e in seq.events() if e["detail"].get("workflow_run_name") == bcl]
    assert "FAILED" not in statuses and statuses.count("SUCCEEDED") == 1


def set_controls(seq: Sequencing, **controls: Any) -> None:
    """What an operator does: put the run controls parameter (emergency_stop, skip_runs, skip_libraries)."""
    seq.aws.client("ssm").put_parameter(Name=seq.deployment.ssm_parameters["sequencing_run_controls"], Type="String",
                                        Value=json.dumps({**RUN_CONTROLS, **controls}), Overwrite=True)  # fmt: skip


def launches_of(seq: Sequencing, run: str) -> list[dict[str, Any]]:
    return [launch for launch in seq.wes.launches if run in launch["name"]]


def two_lane_sheet(*libraries: str) -> str:
    rows = "\n".join(f"{lane},{lib},ACGTACGTAC,TTGGCCAA,Project" for lib in libraries for lane in (1, 2))
    return f"[Header]\nFileFormatVersion,2\n\n[BCLConvert_Data]\nLane,Sample_ID,index,index2,Sample_Project\n{rows}\n"


def test_each_library_is_qcd_with_its_fastq_list_rows_and_each_pair_carries_both(seq: Sequencing) -> None:
    """BCL Convert's output lists the run's FASTQ files as FASTQ list rows; each library's QC gets its own (one per
    lane), and the somatic run gets the tumor's and the normal's."""
    run, run_id = "231001_A00001_0010_TWOLANES", "r.TwoLanes0001"
    seq.prepare_run(run, two_lane_sheet("LW_T", "LW_N"), {"LW_T": ("SBJW", "tumor", "WGS", "clinical"),
                                                          "LW_N": ("SBJW", "normal", "WGS", "clinical")})  # fmt: skip
    seq.deliver(bssh_record(run, run_id))
    result = seq.wait_run(run)
    assert result.succeeded, result.explain()
    launched = {launch["name"].split("__")[2]: launch for launch in launches_of(seq, run)}
    bcl_output = f"gds://development/analysis_data/umccr__automated__bcl_convert__{run}__{run_id}"
    qc = [launch for launch in launches_of(seq, run) if "dragen_wgs_qc" in launch["name"]]
    rows = {launch["input"]["library_id"]: launch["input"]["fastq_list_rows"] for launch in qc}
    assert sorted(rows) == ["LW_N", "LW_T"] and launched["bcl_convert"]["output_directory"] == bcl_output
    for library, its_rows in rows.items():
        assert [(row["rglb"], row["lane"]) for row in its_rows] == [(library, 1), (library, 2)]
        assert its_rows[1]["read_2"] == {"class": "File", "location": f"{bcl_output}/Project/{library}/{library}_S"
                                         f"{1 if library == 'LW_T' else 2}_L002_R2_001.fastq.gz"}  # fmt: skip
    (somatic,) = [launch for launch in seq.wes.launches if launch["name"].endswith("__SBJW__LW_T__LW_N")]
    assert somatic["input"]["tumor_fastq_list_rows"] == rows["LW_T"]
    assert somatic["input"]["fastq_list_rows"] == rows["LW_N"]


def test_a_tumor_pairs_with_the_normal_qcd_in_an_earlier_run(seq: Sequencing) -> None:
    """The normal was sequenced (and QC'd) in an earlier run; the tumor's run pairs with it, with its rows."""
    first, later = "231001_A00001_0011_NORMALFIRST", "231001_A00001_0012_TUMORLATER"
    metadata = {"LP_N": ("SBJP", "normal", "WGS", "clinical"), "LP_T": ("SBJP", "tumor", "WGS", "clinical")}
    seq.prepare_run(first, sheet("LP_N"), metadata)
    seq.deliver(bssh_record(first, "r.NormalFirst1"))
    before = seq.wait_run(first)
    assert before.succeeded, before.explain()
    assert before.output["unpaired"] == [{"library_id": "LP_N", "reason": "subject SBJP: no tumor library"}]
    (normal_qc,) = [launch for launch in launches_of(seq, first) if "dragen_wgs_qc" in launch["name"]]

    seq.prepare_run(later, sheet("LP_T"), metadata)
    seq.deliver(bssh_record(later, "r.TumorLater01"))
    result = seq.wait_run(later)
    assert result.succeeded, result.explain()
    assert result.output["pairs"] == [{"subject_id": "SBJP", "tumor": "LP_T", "normal": "LP_N"}]
    assert result.output["unpaired"] == []
    (somatic,) = [launch for launch in seq.wes.launches if launch["name"].endswith("__SBJP__LP_T__LP_N")]
    assert somatic["input"]["fastq_list_rows"] == normal_qc["input"]["fastq_list_rows"], "the earlier run's rows"
    assert first in somatic["input"]["fastq_list_rows"][0]["read_1"]["location"]


def test_run_controls_skip_a_run_and_a_library_at_run_time(seq: Sequencing) -> None:
    skipped, run = "231001_A00001_0013_SKIPPED", "231001_A00001_0014_SKIPLIB"
    metadata = {"LK_T": ("SBJK", "tumor", "WGS", "clinical"), "LK_T2": ("SBJK", "tumor", "WGS", "clinical"),
                "LK_N": ("SBJK", "normal", "WGS", "clinical")}  # fmt: skip
    seq.prepare_run(skipped, sheet("LK_T"), metadata)
    seq.prepare_run(run, sheet("LK_T", "LK_T2", "LK_N"), metadata)
    set_controls(seq, skip_runs=[skipped], skip_libraries=["LK_T2"])  # no deploy: the next run reads them
    try:
        seq.deliver(bssh_record(skipped, "r.Skipped0001"), bssh_record(run, "r.SkipLib0001"))
        passed_over, result = seq.wait_run(skipped), seq.wait_run(run)
    finally:
        set_controls(seq)
    assert passed_over.succeeded and passed_over.output["skipped"] is True
    assert passed_over.states == ["Start", "Read run controls", "Emergency stop?", "Run skipped?", "Run skipped"]
    assert launches_of(seq, skipped) == []
    assert result.succeeded, result.explain()
    assert result.output["pairs"] == [{"subject_id": "SBJK", "tumor": "LK_T", "normal": "LK_N"}]
    assert result.output["unpaired"] == [
        {"library_id": "LK_T2", "reason": "skipped by the run controls (skip_libraries)"}
    ]
    assert not [launch for launch in launches_of(seq, run) if launch["name"].endswith("__LK_T2")], "not QC'd"


def test_an_emergency_stop_holds_launches_until_cleared_and_fails_a_run_it_holds_too_long(seq: Sequencing) -> None:
    """While emergency_stop is on, a run launches nothing and looks again every emergency_stop_wait_seconds (here
    2 s); cleared, it goes on; held past emergency_stop_waits looks (here 3), the run fails with EmergencyStop, and
    SequenceRunFailed reaches the notifications topic."""
    held, stopped = "231001_A00001_0015_HELD", "231001_A00001_0016_STOPPED"
    seq.prepare_run(held, sheet("LH"), {"LH": ("SBJH", "normal", "WGS", "research")})
    inbox = subscribe(seq, seq.deployment.topics["sequencing_notifications"])
    set_controls(seq, emergency_stop=True)
    try:
        seq.deliver(bssh_record(held, "r.Held000001"))
        seq.backend.pause(3)
        assert launches_of(seq, held) == [], "nothing is launched while the stop is on"
        set_controls(seq)
        result = seq.wait_run(held)
        assert result.succeeded, result.explain()
        assert result.states.count("Wait for the stop to clear") >= 1

        set_controls(seq, emergency_stop=True)
        seq.deliver(bssh_record(stopped, "r.Stopped0001"))
        failed = seq.wait_run(stopped)
    finally:
        set_controls(seq)
    assert (failed.status, failed.error) == ("FAILED", "EmergencyStop")
    assert "clear emergency_stop and re-run the run (aslkit sequencing rerun)" in (failed.cause or "")
    assert failed.states.count("Wait for the stop to clear") == 3
    notified = [json.loads(body) for body in received(seq, inbox)]
    (announced,) = [n for n in notified if n["detail"].get("sequence_run_name") == stopped]
    assert announced["detail-type"] == "SequenceRunFailed" and announced["detail"]["error"] == "EmergencyStop"
    ens.check("SequenceRunFailed", announced["detail"])


def subscribe(seq: Sequencing, topic: str) -> str:
    inbox = seq.aws.sqs.create_queue(QueueName=f"seq_inbox_{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = seq.aws.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    seq.aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return inbox


def received(seq: Sequencing, inbox: str) -> list[str]:
    bodies: list[str] = []

    def drain() -> bool:
        for message in seq.aws.sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", []):
            bodies.append(message["Body"])
        return bool(bodies)

    assert seq.backend.until(drain, 30), "a notification reaches the topic's subscriber"
    return bodies


def test_a_finished_run_is_re_run_by_hand_launching_again_only_what_failed(seq: Sequencing, capsys: Any) -> None:
    """`aslkit sequencing rerun RUN`: the same orchestrator, named `<first>__rerun1`; what succeeded before is
    answered from its record, what failed (a QC) is launched again, and what depended on it runs now."""
    from aslkit.cli import main

    run, run_id = "231001_A00001_0017_RERUN", "r.Rerun00001"
    seq.prepare_run(run, sheet("LQ_T", "LQ_N"), {"LQ_T": ("SBJQ", "tumor", "WGS", "clinical"),
                                                 "LQ_N": ("SBJQ", "normal", "WGS", "clinical")})  # fmt: skip
    seq.wes.outcome = lambda name: "Failed" if name.endswith("__LQ_N") else "Succeeded"
    try:
        seq.deliver(bssh_record(run, run_id))
        first = seq.wait_run(run)
    finally:
        seq.wes.outcome = lambda name: "Succeeded"
    assert first.succeeded and first.output["pairs"] == [] and len(first.output["failed"]) == 1
    launched_before = len(launches_of(seq, run))
    assert main(["sequencing", "rerun", run, *seq.backend.cli_options(), "--stage", seq.deployment.prefix]) == 0
    (rerun,) = [arn for arn in seq.executions_of(run) if arn.endswith("__rerun1")]
    result = seq.backend.wait(rerun, 90)
    assert result.succeeded, result.explain()
    assert result.input["rerun"] == "rerun1" and result.input["sequence_run_id"] == run_id
    assert result.output["pairs"] == [{"subject_id": "SBJQ", "tumor": "LQ_T", "normal": "LQ_N"}]
    again = [launch["name"] for launch in launches_of(seq, run)[launched_before:]]
    assert again == [f"umccr__automated__dragen_wgs_qc__{run}__LQ_N"], "only the failed QC is launched again"
    assert len(seq.executions_of(run)) == 2
    # a run never orchestrated is refused with what to do (no traceback)
    assert main(["sequencing", "rerun", "231001_A00001_9999_NOSUCH", *seq.backend.cli_options(),
                 "--stage", seq.deployment.prefix]) == 2  # fmt: skip
    assert "no orchestration of run '231001_A00001_9999_NOSUCH'" in capsys.readouterr().err

"""The sequencing workflow's pure tasks, table-driven: sample sheets, status mapping, pairing, ENS parsing."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from tasks.sequencing import ens, pairing, samplesheet
from tasks.sequencing.status import UnknownRunStatus, sequence_run_status, workflow_run_status

DATA = Path(__file__).resolve().parents[2] / "data" / "sequencing"


def fixture(name: str) -> dict:
    return json.loads((DATA / name).read_text())


# -- sample sheets ------------------------------------------------------------------------------------------------
def test_fixture_sample_sheet_gives_its_libraries() -> None:
    libraries = samplesheet.libraries((DATA / "samplesheet_v2.csv").read_text())
    assert libraries == [
        {"library_id": "MyFirstSample", "library_name": "MyFirstSample_AAAAAAAAAA_CCCCCCCC", "project": "SampleProject",
         "index": "AAAAAAAAAA", "index2": "CCCCCCCC", "lanes": [1]},
        {"library_id": "MySecondSample", "library_name": "MySecondSample_GGGGGGGGGG_TTTTTTTT",
         "project": "SampleProject", "index": "GGGGGGGGGG", "index2": "TTTTTTTT", "lanes": [1]},
    ]  # fmt: skip


SHEET_HEAD = "[Header]\nFileFormatVersion,2\n\n[BCLConvert_Data]\n"


@pytest.mark.parametrize(
    ("text", "expected_ids", "lanes"),
    [
        (SHEET_HEAD + "Lane,Sample_ID,index\n1,L1,AC\n2,L1,AC\n1,L2,GT\n", ["L1", "L2"], [[1, 2], [1]]),
        (SHEET_HEAD + "Sample_ID,index\nL1,AC\n", ["L1"], [[]]),
        (SHEET_HEAD + "Sample_ID,index,\nL1,AC,\n\n[Cloud_Data]\nSample_ID,LibraryName\nL1,Lib-1\n", ["L1"], [[]]),
    ],
)
def test_sample_sheet_variants(text: str, expected_ids: list[str], lanes: list[list[int]]) -> None:
    libraries = samplesheet.libraries(text)
    assert [lib["library_id"] for lib in libraries] == expected_ids
    assert [lib["lanes"] for lib in libraries] == lanes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[Header]\nFileFormatVersion,1\n[BCLConvert_Data]\nSample_ID\nL1\n", "only v2 sample sheets"),
        ("[Header]\nFileFormatVersion,2\n", "no [BCLConvert_Data] section"),
        (SHEET_HEAD + "Lane,index\n1,AC\n", "lacks column(s) Sample_ID"),
        ("Sample_ID\n" + SHEET_HEAD, "outside any [Section]"),
        (SHEET_HEAD + "Sample_ID\nL1\n[BCLConvert_Data]\nSample_ID\nL2\n", "appears twice"),
    ],
)
def test_bad_sample_sheets_are_named(text: str, message: str) -> None:
    with pytest.raises(samplesheet.InvalidSampleSheet, match=re.escape(message)):
        samplesheet.libraries(text)


# -- status mapping -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bssh", "expected"),
    [
        ("Uploading", "STARTED"), ("Running", "STARTED"), ("New", "STARTED"),
        ("Complete", "SUCCEEDED"), ("Analyzing", "SUCCEEDED"), ("PendingAnalysis", "SUCCEEDED"),
        ("Failed", "FAILED"), ("NeedsAttention", "FAILED"), ("TimedOut", "FAILED"), ("FailedUpload", "FAILED"),
        ("Stopped", "ABORTED"), ("pending_analysis", "SUCCEEDED"),
    ],
)  # fmt: skip
def test_bssh_status_mapping(bssh: str, expected: str) -> None:
    assert sequence_run_status(bssh) == expected


def test_unknown_status_is_a_named_error() -> None:
    with pytest.raises(UnknownRunStatus, match="'Paused' is not mapped"):
        sequence_run_status("Paused")
    with pytest.raises(UnknownRunStatus, match="RunPaused"):
        workflow_run_status("RunPaused")


@pytest.mark.parametrize(
    ("event_type", "status", "terminal"),
    [("RunStarted", "RUNNING", False), ("RunSucceeded", "SUCCEEDED", True), ("RunFailed", "FAILED", True),
     ("RunAborted", "ABORTED", True)],
)  # fmt: skip
def test_wes_event_mapping(event_type: str, status: str, terminal: bool) -> None:
    assert workflow_run_status(event_type) == (status, terminal)


# -- pairing ------------------------------------------------------------------------------------------------------
def lib(library_id: str, subject: str | None, phenotype: str, workflow: str = "clinical", kind: str = "WGS") -> dict:
    return {"library_id": library_id, "subject_id": subject, "phenotype": phenotype, "workflow": workflow, "type": kind}


PAIRING_CASES = [
    ("one tumor, one normal", [lib("T", "S1", "tumor"), lib("N", "S1", "normal")], [], [("S1", "T", "N")], []),
    (
        "research tumor with clinical normal pairs",
        [lib("T", "S1", "tumor", "research"), lib("N", "S1", "normal", "clinical")], [], [("S1", "T", "N")], [],
    ),
    (
        "clinical tumor with research normal does not",
        [lib("T", "S1", "tumor", "clinical"), lib("N", "S1", "normal", "research")], [], [],
        [("T", "a clinical tumor may not pair with research normal N"), ("N", "subject S1: no tumor could pair")],
    ),
    (
        "two normals",
        [lib("T", "S1", "tumor"), lib("N1", "S1", "normal"), lib("N2", "S1", "normal")], [], [],
        [("T", "2 normal libraries"), ("N1", "2 normal libraries"), ("N2", "2 normal libraries")],
    ),
    ("no normal", [lib("T", "S1", "tumor")], [], [], [("T", "subject S1: no normal library")]),
    ("no tumor", [lib("N", "S1", "normal")], [], [], [("N", "subject S1: no tumor library")]),
    ("WTS is not paired", [lib("R", "S1", "tumor", kind="WTS")], [], [], []),
    ("no metadata", [{"library_id": "X"}], [], [], [("X", "no library metadata")]),
    (
        "failed QC excludes the library and its pair",
        [lib("T", "S1", "tumor"), lib("N", "S1", "normal"), lib("T2", "S2", "tumor"), lib("N2", "S2", "normal")],
        [{"library_id": "N", "status": "FAILED", "error": "Workflow.Failed"}],
        [("S2", "T2", "N2")],
        [("N", "QC failed: Workflow.Failed"), ("T", "subject S1: no normal library")],
    ),
    (
        "two tumors share the normal",
        [lib("T1", "S1", "tumor"), lib("T2", "S1", "tumor"), lib("N", "S1", "normal")], [],
        [("S1", "T1", "N"), ("S1", "T2", "N")], [],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "libraries", "qc", "pairs", "unpaired"), PAIRING_CASES, ids=[c[0] for c in PAIRING_CASES]
)
def test_pairing_rules(name: str, libraries: list, qc: list, pairs: list, unpaired: list) -> None:
    result = pairing.pair(libraries, qc)
    assert [(p["subject_id"], p["tumor"]["library_id"], p["normal"]["library_id"]) for p in result["pairs"]] == pairs
    assert len(result["unpaired"]) == len(unpaired)
    for (library_id, reason), found in zip(unpaired, result["unpaired"], strict=True):
        assert found["library_id"] == library_id and reason in found["reason"]


def remembered(library_id: str, subject: str, phenotype: str, workflow: str = "clinical") -> dict:
    """A library QC'd in an earlier run, as the orchestrator reads it back from sequencing_state."""
    return {**lib(library_id, subject, phenotype, workflow), "sequence_run_name": "EARLIER",
            "fastq_list_rows": [{"rglb": library_id, "lane": 1}]}  # fmt: skip


def row(library_id: str, lane: int = 1) -> dict:
    return {"rglb": library_id, "lane": lane, "rgsm": library_id}


def test_a_tumor_pairs_with_the_one_normal_qcd_in_an_earlier_run() -> None:
    libraries = [lib("T", "S1", "tumor"), lib("T9", "S9", "tumor")]
    earlier = [[remembered("N", "S1", "normal"), remembered("T", "S1", "tumor")],  # the subject's, this tumor too
               [remembered("N9a", "S9", "normal"), remembered("N9b", "S9", "normal")]]  # fmt: skip
    result = pairing.pair(libraries, [], rows=[row("T"), row("T", 2), row("T9")], earlier=earlier)
    ((pair),) = result["pairs"]
    assert (pair["subject_id"], pair["tumor"]["library_id"], pair["normal"]["library_id"]) == ("S1", "T", "N")
    assert pair["tumor"]["fastq_list_rows"] == [row("T"), row("T", 2)]
    assert pair["normal"]["fastq_list_rows"] == [{"rglb": "N", "lane": 1}] and pair["normal"]["sequence_run_name"]
    assert result["unpaired"] == [{"library_id": "T9", "reason": "subject S9: 2 normal libraries in earlier runs "
                                                                 "(N9a, N9b); exactly one needed"}]  # fmt: skip


def test_this_runs_normal_wins_over_an_earlier_one_and_skips_and_missing_rows_are_named() -> None:
    libraries = [lib("T", "S1", "tumor"), lib("N", "S1", "normal"), lib("K", "S1", "tumor"), lib("R", "S1", "tumor")]
    result = pairing.pair(libraries, [], rows=[row("T"), row("N"), row("K")], earlier=[[remembered("N0", "S1", "normal")]],
                          skip=["K"])  # fmt: skip
    assert [(p["tumor"]["library_id"], p["normal"]["library_id"]) for p in result["pairs"]] == [("T", "N")]
    assert result["unpaired"] == [
        {"library_id": "K", "reason": "skipped by the run controls (skip_libraries)"},
        {"library_id": "R", "reason": "BCL Convert gave no FASTQ list rows for it"},
    ]


# -- ENS messages -------------------------------------------------------------------------------------------------
def test_bssh_fixture_becomes_a_valid_sequence_run_state_change() -> None:
    message = ens.parse_record(fixture("ens_bssh_runs_pending_analysis.sqs.json")["Records"][0])
    assert (message.type, message.action) == ("bssh.runs", "statuschanged")
    detail = ens.sequence_run_state_change(message)
    assert detail["status"] == "SUCCEEDED" and detail["bssh_status"] == "PendingAnalysis"
    assert detail["sequence_run_id"] == "r.AnPk0ox1OU-pACGtvSEQC2"
    assert detail["sequence_run_name"] == "200612_A01052_0017_BH5LYWDSXY"
    assert detail["timestamp"] == "2021-04-12T04:29:52.212000Z"
    assert ens.bssh_dedup_key(message) == "r.AnPk0ox1OU-pACGtvSEQC2|2021-04-12T04:29:51.4800606Z|PendingAnalysis"


@pytest.mark.parametrize(
    ("name", "status", "terminal", "error"),
    [
        ("ens_wes_runs_succeeded.sqs.json", "SUCCEEDED", True, None),
        ("ens_wes_runs_failed.sqs.json", "FAILED", True, "Workflow.Failed"),
        ("ens_wes_runs_aborted.sqs.json", "ABORTED", True, "Workflow.Engine"),
    ],
)
def test_wes_fixtures_become_outcomes(name: str, status: str, terminal: bool, error: str | None) -> None:
    message = ens.parse_record(fixture(name)["Records"][0])  # camel-case attribute names: actionDate, producedBy
    assert message.action_date == "2020-05-09T22:17:10.815Z"
    outcome = ens.wes_outcome(message)
    assert (outcome.status, outcome.terminal) == (status, terminal)
    assert outcome.workflow_run_name.startswith("umccr__automated__bcl_convert__200612_A01052_0017_BH5LYWDSXY")
    detail = ens.workflow_run_state_change(outcome, message.action_date)
    if error:
        assert detail["error"] == error and detail["cause"]


def _record(body: object, kind: str = "bssh.runs") -> dict:
    return {"messageId": "m1", "body": body if isinstance(body, str) else json.dumps(body),
            "messageAttributes": {"type": {"stringValue": kind}}}  # fmt: skip


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (_record("{not json"), "bssh.runs body is not JSON"),
        (_record([1, 2]), "body is list, not a JSON object"),
        (_record({"id": "r.1"}), "ens_bssh_runs: (root): 'name' is a required property"),
        (_record({"EventType": "RunSucceeded", "Name": "x"}, "wes.runs"), "'WorkflowRun' is a required property"),
        ({"messageId": "m", "body": "{}", "messageAttributes": {}}, "message attribute 'type' is None"),
        (_record({}, "bssh.files"), "'bssh.files'"),
    ],
)
def test_malformed_messages_are_named(record: dict, message: str) -> None:
    with pytest.raises(ens.MalformedEnsMessage, match=re.escape(message)):
        ens.parse_record(record)


def test_unknown_bssh_status_in_a_valid_message() -> None:
    record = copy.deepcopy(fixture("ens_bssh_runs_pending_analysis.sqs.json")["Records"][0])
    body = json.loads(record["body"])
    body["status"] = "Paused"
    record["body"] = json.dumps(body)
    with pytest.raises(UnknownRunStatus):
        ens.sequence_run_state_change(ens.parse_record(record))


# -- contracts ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["SequenceRunStateChange", "WorkflowRunStateChange", "WesLaunchRequest", "WorkflowRequest"]
)
def test_schemas_cover_the_prototype_fields(name: str) -> None:
    prototype = fixture(f"prototype_schemas/{name}.json")["components"]["schemas"]["Event"]
    ours = json.loads((Path(ens.SCHEMAS) / f"{name}.schema.json").read_text())
    assert ours["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(prototype["properties"]) <= set(ours["properties"]), "every prototype field is covered"
    assert set(prototype["required"]) <= set(ours["required"]), "what the prototype required, ours requires"


def test_contract_violation_names_the_field() -> None:
    detail = {"sequence_run_id": "r", "sequence_run_name": "n", "gds_volume_name": "v", "gds_folder_path": "/p",
              "status": "DONE", "timestamp": "2024-01-01T00:00:00Z"}  # fmt: skip
    with pytest.raises(ens.ContractViolation, match="SequenceRunStateChange: status"):
        ens.check("SequenceRunStateChange", detail)

"""Automatic data sharing's pure parts: ids, job plans, request checks, manifests, the report, the download script,
the LIMS manifest reader, and the JSONata that parses destinations and errors (evaluated as LocalStack does)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonata
import pytest
from jsonschema import Draft202012Validator

from aslkit.asl.failures import CAUGHT
from aslkit.testing import browser
from tasks.sharing.contracts import errors
from tasks.sharing.ids import CROCKFORD, execution_name, id_for_execution, ulid
from tasks.sharing.jobs import JobsFileUnreadable, duplicate_names, plan
from tasks.sharing.libraries import select
from tasks.sharing.packaging import build_manifest, checksum, copy_list, relative_path, secondary_path
from tasks.sharing.presign import script
from tasks.sharing.records import InvalidPackageRequest, InvalidPushRequest, check_package, check_push
from tasks.sharing.report import human_bytes, render_report
from tasks.sharing.workflow_runs import choose
from workflows.sharing import machines
from workflows.sharing.cli import ShareError, read_lims_manifest

DATA = Path(__file__).resolve().parents[1] / "data" / "sharing"
RUN = "20231010_pi1-07_0329_A222N7LTD3"
LIBRARIES = [
    {"instrument_run_id": RUN, "library_id": "L1", "project_id": "PROJECT1", "owner_id": "O1"},
    {"instrument_run_id": RUN, "library_id": "L2", "project_id": "PROJECT2", "owner_id": "O2"},
    {"instrument_run_id": RUN, "library_id": "L3", "project_id": "PROJECT1", "owner_id": "O2"},
]


def decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + CROCKFORD.index(char)
    return value


def test_ulids_encode_time_then_randomness_and_sort_by_time() -> None:
    assert ulid(0, 0) == "0" * 26
    assert ulid(2**48 - 1, 2**80 - 1) == "7" + "Z" * 25
    assert decode(ulid(1_700_000_000_123, 42)) == (1_700_000_000_123 << 80) | 42
    assert ulid(1_000, 2**80 - 1) < ulid(1_001, 0)
    with pytest.raises(ValueError, match="48 bits"):
        ulid(2**48, 0)


def test_record_ids_are_stable_per_execution() -> None:
    arn = "arn:aws:states:ap-southeast-2:1:execution:dev-sharing-packaging:abc"
    first = id_for_execution("package", arn, "abc", "2026-11-22T06:00:00.123Z")
    assert first == id_for_execution("package", arn, "abc", "2026-11-22T06:00:00.123Z")
    assert first != id_for_execution("package", arn + "2", "abc", "2026-11-22T06:00:00.123Z")
    started = datetime(2026, 11, 22, 6, 0, 0, 123000, tzinfo=UTC)
    assert decode(first[4:]) >> 80 == int(started.timestamp() * 1000) and first.startswith("pkg.")
    named = "pkg." + ulid(1, 2)
    assert id_for_execution("package", arn, named, "2026-11-22T06:00:00Z") == named
    assert id_for_execution("push", arn, named, "2026-11-22T06:00:00Z").startswith("psh.")  # not a push id


def test_execution_names_are_deterministic_valid_and_bounded() -> None:
    assert execution_name("project-shortname", RUN) == f"project-shortname__{RUN}"
    assert execution_name("a b/c", "r:1") == "a-b-c__r-1"
    long = execution_name("j" * 70, RUN)
    assert len(long) == 80 and long == execution_name("j" * 70, RUN) and long != execution_name("j" * 71, RUN)


def test_the_fixtures_match_their_contracts() -> None:
    jobs = json.loads((DATA / "jobs.json").read_text())
    assert [errors("job", job) for job in jobs] == [[]]
    event = json.loads((DATA / "read_sets_added.event.json").read_text())
    schema = json.loads((DATA / "read_sets_added.schema.json").read_text())
    assert list(Draft202012Validator(schema["$defs"]["detail"]).iter_errors(event["detail"])) == []


def test_plans_share_only_enabled_jobs_with_a_project_in_the_run() -> None:
    job = json.loads((DATA / "jobs.json").read_text())[0]
    shared = plan(job, RUN, LIBRARIES)
    assert shared["action"] == "share" and shared["libraries"] == 2 and shared["matchedProjects"] == ["PROJECT1"]
    assert shared["executionName"] == f"project-shortname__{RUN}"
    assert shared["request"] == {
        "packageName": f"autosharing-project-shortname-{RUN}",
        "packageRequest": {"instrumentRunIdList": [RUN], "projectIdList": ["PROJECT1"], "dataTypeList": ["fastq"]},
        "shareDestination": "s3://target-bucket/path/",
    }
    secondary = {**job, "dataTypeList": ["fastq", "secondaryAnalysis"], "secondaryAnalysisTypeList": ["tumor-normal"]}
    assert plan(secondary, RUN, LIBRARIES)["request"]["packageRequest"] == {
        "instrumentRunIdList": [RUN], "projectIdList": ["PROJECT1"], "dataTypeList": ["fastq", "secondaryAnalysis"],
        "secondaryAnalysisTypeList": ["tumor-normal"]}  # fmt: skip
    assert plan({**job, "enabled": False}, RUN, LIBRARIES)["reason"] == "job disabled"
    absent = plan({**job, "projectIdList": ["PROJECT9"]}, RUN, LIBRARIES)
    assert absent["action"] == "skip" and "PROJECT9" in absent["reason"] and RUN in absent["reason"]
    owned = plan({**job, "ownerId": "O2"}, RUN, LIBRARIES)
    assert owned["libraries"] == 1  # the owner narrows the projects' libraries
    invalid = plan({"jobName": "x", "enabled": "yes", "projectIdList": [], "dataTypeList": ["bam"]}, RUN, LIBRARIES)
    assert invalid["action"] == "invalid" and invalid["job"] == "x"
    assert any(e.startswith("enabled:") for e in invalid["errors"])
    assert any(e.startswith("dataTypeList/0:") for e in invalid["errors"])
    assert any("shareDestination" in e for e in invalid["errors"])
    assert plan("not an object", RUN, LIBRARIES)["job"] is None


def test_select_narrows_by_project_library_and_owner() -> None:
    assert [lib["library_id"] for lib in select(LIBRARIES)] == ["L1", "L2", "L3"]
    assert [lib["library_id"] for lib in select(LIBRARIES, projects=["PROJECT1"], library_ids=["L3"])] == ["L3"]
    assert select(LIBRARIES, owner="nobody") == []


def test_requests_are_checked_with_named_errors() -> None:
    check_package({"packageName": "p", "packageRequest": {"instrumentRunIdList": [RUN], "dataTypeList": ["fastq"]}})
    with pytest.raises(InvalidPackageRequest, match=r"packageName.*instrumentRunIdList"):
        check_package({"packageName": " ", "packageRequest": {"dataTypeList": ["fastq"]}})
    with pytest.raises(InvalidPushRequest, match=r"pkg\.<ULID>.*s3://"):
        check_push({"packageId": "pkg.1", "shareDestination": "https://example.org/"})


def test_manifest_copy_list_and_report() -> None:
    assert checksum({"ChecksumCRC32": "a", "ChecksumSHA256": "b", "ETag": '"c"'}) == {"algorithm": "sha256",
                                                                                       "value": "b"}  # fmt: skip
    assert checksum({"ETag": '"c"'}) == {"algorithm": "etag", "value": "c"}
    library = {**LIBRARIES[0], "subject_id": "SBJ<1>"}
    assert relative_path(library, "primary/x/L1/L1_R1.fastq.gz") == f"fastq/{RUN}/L1/L1_R1.fastq.gz"
    files = {f"{RUN}/L1": [{"bucket": "b", "key": "primary/L1_R1.fastq.gz", "size": 2048,
                            "checksum": {"algorithm": "sha256", "value": "x=="}}]}  # fmt: skip
    request = {"instrumentRunIdList": [RUN], "dataTypeList": ["fastq"]}
    manifest = build_manifest("pkg.X", "<b>name</b>", request, [library, LIBRARIES[1]], files, "2026-11-22T00:00:00")
    assert manifest["totals"] == {"libraries": 2, "workflows": 0, "files": 1, "bytes": 2048}
    assert manifest["missing"] == ["L2"] and manifest["missingSecondary"] == []
    assert copy_list(manifest) == [{"source_bucket": "b", "source_key": "primary/L1_R1.fastq.gz",
                                    "relative_path": f"fastq/{RUN}/L1/L1_R1.fastq.gz", "size": 2048}]  # fmt: skip
    html = render_report(manifest)
    assert "<b>name</b>" not in html and "&lt;b&gt;name&lt;/b&gt;" in html and "SBJ&lt;1&gt;" in html
    assert html.split('id="libraries"')[1].split("</table>")[0].count("<tr>") == 3
    assert 'id="missing"' in html and "L2" in html.split('id="missing"')[1]
    assert [human_bytes(n) for n in (5, 2048, 12 * 1024**2)] == ["5 B", "2.0 KiB", "12.0 MiB"]


def tn_run(portal_run_id: str, timestamp: str, *, status: str = "SUCCEEDED", workflow: str = "tumor-normal",
           libraries: tuple[str, ...] = ("L1", "L3")) -> dict[str, Any]:  # fmt: skip
    return {"portal_run_id": portal_run_id, "workflow_name": workflow, "workflow_version": "4.2.4", "status": status,
            "timestamp": timestamp, "output_uri": f"s3://analysis/{workflow}/{portal_run_id}/",
            "libraries": [{"library_id": lib, "phenotype": phenotype}
                          for lib, phenotype in zip(libraries, ("tumor", "normal"), strict=False)]}  # fmt: skip


def test_the_workflow_runs_shared_are_the_latest_succeeded_of_each_workflow_unless_named() -> None:
    first, rerun = tn_run("r1", "2023-10-14T09:00:00Z"), tn_run("r2", "2023-10-16T09:00:00Z")
    failed = tn_run("r3", "2023-10-18T09:00:00Z", status="FAILED")
    other_pair = tn_run("r4", "2023-10-01T00:00:00Z", libraries=("L1", "L9"))
    umccrise = tn_run("r5", "2023-10-17T00:00:00Z", workflow="umccrise")
    runs = [first, rerun, failed, other_pair, umccrise]
    ids = lambda chosen: [run["portal_run_id"] for run in chosen]  # noqa: E731
    assert ids(choose(runs)) == ["r2", "r4", "r5"], "a re-run over the same libraries replaces the run it repeats"
    assert ids(choose(runs, types=["tumor-normal"])) == ["r2", "r4"]
    assert ids(choose(runs, include=["r1", "r3"])) == ["r1"], "named runs exactly, but never a failed one"
    assert ids(choose(runs, exclude=["r2"])) == ["r1", "r4", "r5"], "without the excluded re-run, the run before it"


def test_secondary_files_keep_their_path_under_the_runs_output_in_the_manifest_and_the_report() -> None:
    run = tn_run("20231016e5f6a7b8", "2023-10-16T11:40:00Z")
    key = "tumor-normal/20231016e5f6a7b8/SBJ1/L1__L3.somatic.vcf.gz"
    assert secondary_path(run, key) == "secondary-analysis/tumor-normal/20231016e5f6a7b8/SBJ1/L1__L3.somatic.vcf.gz"
    assert secondary_path(run, key, "") == "tumor-normal/20231016e5f6a7b8/SBJ1/L1__L3.somatic.vcf.gz"
    vcf = {"bucket": "analysis", "key": key, "size": 4096, "checksum": {"algorithm": "sha256", "value": "v=="}}
    fastq = {"bucket": "b", "key": "primary/L1_R1.fastq.gz", "size": 2048,
             "checksum": {"algorithm": "sha256", "value": "x=="}}  # fmt: skip
    request = {"instrumentRunIdList": [RUN], "dataTypeList": ["fastq", "secondaryAnalysis"],
               "primaryDataPathPrefix": "primary"}  # fmt: skip
    libraries = [LIBRARIES[0], LIBRARIES[1], LIBRARIES[2]]
    manifest = build_manifest("pkg.X", "tn", request, libraries, {f"{RUN}/L1": [fastq]}, "2026-12-02T00:00:00",
                              [run], {run["portal_run_id"]: [vcf]})  # fmt: skip
    assert [(row["data_type"], row["relative_path"]) for row in manifest["files"]] == [
        ("fastq", f"primary/{RUN}/L1/L1_R1.fastq.gz"),
        ("secondaryAnalysis", "secondary-analysis/tumor-normal/20231016e5f6a7b8/SBJ1/L1__L3.somatic.vcf.gz"),
    ]
    assert manifest["workflows"][0] | {"libraries": None} == {
        "portal_run_id": "20231016e5f6a7b8", "workflow_name": "tumor-normal", "workflow_version": "4.2.4",
        "timestamp": "2023-10-16T11:40:00Z", "output_uri": run["output_uri"], "libraries": None, "files": 1,
        "bytes": 4096}  # fmt: skip
    assert manifest["totals"] == {"libraries": 3, "workflows": 1, "files": 2, "bytes": 6144}
    assert manifest["missing"] == ["L2", "L3"] and manifest["missingSecondary"] == ["L2"]
    assert [row["relative_path"] for row in copy_list(manifest)][1].startswith("secondary-analysis/tumor-normal/")
    html = render_report(manifest)
    panel = html.split('id="panel-secondary"')[1]
    assert "L1 (tumor), L3 (normal)" in panel.split('id="workflows"')[1].split("</table>")[0]
    assert "secondary-analysis/tumor-normal/20231016e5f6a7b8/SBJ1/L1__L3.somatic.vcf.gz" in panel
    assert "somatic.vcf.gz" not in html.split('id="panel-fastq"')[1].split("</section>")[0], "FASTQ tab: FASTQs only"
    assert 'id="missing-secondary"' in html and "L2" in html.split('id="missing-secondary"')[1].split("</p>")[0]


def test_a_package_of_both_data_types_keeps_them_under_different_prefixes() -> None:
    both = {"instrumentRunIdList": [RUN], "dataTypeList": ["fastq", "secondaryAnalysis"]}
    check_package({"packageName": "p", "packageRequest": both})
    check_package({"packageName": "p", "packageRequest": {**both, "secondaryAnalysisTypeList": ["tumor-normal"]}})
    with pytest.raises(InvalidPackageRequest, match="both '': a package of fastq and secondaryAnalysis"):
        check_package({"packageName": "p", "packageRequest": {**both, "primaryDataPathPrefix": "",
                                                              "secondaryAnalysisPathPrefix": ""}})  # fmt: skip
    with pytest.raises(InvalidPackageRequest, match="secondaryAnalysisTypeList/0: 'somatic' is not one of"):
        check_package({"packageName": "p", "packageRequest": {**both, "secondaryAnalysisTypeList": ["somatic"]}})


def test_the_download_script_quotes_every_path_and_is_valid_bash(tmp_path: Path) -> None:
    files = [
        ("fastq/R/L1/it's here.fastq.gz", "https://h/b/k?X-Amz-Signature=a&b=c", 10),
        ("fastq/$(rm -rf ~)", "u", 1),
    ]
    text = script({"id": "pkg.X", "name": "pkg name"}, files, datetime(2026, 11, 29, tzinfo=UTC))
    assert "download 'fastq/R/L1/it'\"'\"'s here.fastq.gz' 'https://h/b/k?X-Amz-Signature=a&b=c'" in text
    assert "download 'fastq/$(rm -rf ~)' u" in text and "2026-11-29T00:00" in text
    path = tmp_path / "download.sh"
    path.write_text(text)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


def test_lims_manifests_give_runs_and_libraries_or_say_what_is_missing(tmp_path: Path) -> None:
    good = tmp_path / "lims.csv"
    good.write_text("\ufeffSequencing_Run_ID,Library_ID,project_id\nR2,L2,P\nR1,L1,P\nR1,L3,P\n", encoding="utf-8")
    assert read_lims_manifest(good) == {"instrumentRunIdList": ["R1", "R2"], "libraryIdList": ["L1", "L2", "L3"],
                                        "dataTypeList": ["fastq"]}  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text("library_id,project_id\nL1,P\n")
    with pytest.raises(ShareError, match="instrument_run_id"):
        read_lims_manifest(bad)
    holes = tmp_path / "holes.csv"
    holes.write_text("instrument_run_id,library_id\nR1,L1\nR1,\n")
    with pytest.raises(ShareError, match=r"line.* 3"):
        read_lims_manifest(holes)
    with pytest.raises(ShareError, match="no such file"):
        read_lims_manifest(tmp_path / "absent.csv")


def _evaluate(expression: str, states: dict[str, object]) -> object:
    text = expression.removeprefix("{%").removesuffix("%}").strip()
    # Step Functions' $parse, declared the way LocalStack declares it.
    prelude = f"$states := {json.dumps(states)}; $parse := function($v) {{ $eval($v) }};"
    return jsonata.Jsonata(f"({prelude} {text})").evaluate(None)


@pytest.mark.parametrize(
    ("destination", "bucket", "prefix"),
    [
        ("s3://target-bucket/path/", "target-bucket", "path/"),
        ("s3://target-bucket/path", "target-bucket", "path/"),
        ("s3://target-bucket/a/b/", "target-bucket", "a/b/"),
        ("s3://target-bucket", "target-bucket", ""),
        ("s3://target-bucket/", "target-bucket", ""),
    ],
)
def test_the_push_parses_its_destination(destination: str, bucket: str, prefix: str) -> None:
    assign = json.loads(machines.PUSH.to_json())["States"]["Register push"]["Assign"]
    states = {"input": {"shareDestination": destination}}
    assert (_evaluate(assign["dest_bucket"], states), _evaluate(assign["dest_prefix"], states)) == (bucket, prefix)


def test_errors_are_read_from_lambda_child_and_plain_causes() -> None:
    lambda_error = {"Error": "EmptyPackage", "Cause": json.dumps({"errorMessage": "nothing", "errorType": "E"})}
    child = {"Error": "States.TaskFailed", "Cause": json.dumps({"Status": "ABORTED", "Error": "PackageAborted",
                                                                 "Cause": "stopped"})}  # fmt: skip
    plain = {"Error": "S3.NoSuchKey", "Cause": "The specified key does not exist."}
    results = [_evaluate(CAUGHT, {"errorOutput": e}) for e in (lambda_error, child, plain)]
    assert results == [
        {"error": "EmptyPackage", "cause": "nothing"},
        {"error": "PackageAborted", "cause": "stopped", "status": "ABORTED"},
        {"error": "S3.NoSuchKey", "cause": "The specified key does not exist."},
    ]


def test_duplicate_job_names_are_counted_and_make_each_entry_invalid() -> None:
    job = json.loads((Path(__file__).resolve().parents[1] / "data/sharing/jobs.json").read_text())[0]
    jobs = [job, {**job}, {**job, "jobName": "other"}, {"no": "name"}]
    assert duplicate_names(jobs) == {job["jobName"]: 2}
    planned = plan(job, "RUN1", [], duplicates=duplicate_names(jobs))
    assert planned["action"] == "invalid" and "carried by 2 entries of jobs.json" in planned["reason"]
    assert plan({**job, "jobName": "other"}, "RUN1", [], duplicates={job["jobName"]: 2})["action"] == "skip"
    with pytest.raises(JobsFileUnreadable, match="must be a JSON array of jobs, not dict"):
        duplicate_names({"jobName": "x"})


@pytest.mark.skipif(browser.find_chromium() is None and not os.environ.get("CI"), reason="needs Chromium")
def test_the_report_has_the_seeds_tabs_and_fits_a_1400_px_window(tmp_path: Path) -> None:
    """Measured in Chromium: the report (with long paths, checksums and URIs) is no wider than its 1400 px window,
    and only the Metadata tab shows until another is chosen."""
    library = {**LIBRARIES[0]}
    long_key = "primary/" + "/".join(["a_very_long_directory_name_of_the_instrument_run"] * 4) + "/L1_R1.fastq.ora"
    files = {f"{RUN}/L1": [{"bucket": "sharing-fastq-bucket-of-the-stage", "key": long_key, "size": 12 * 1024**3,
                            "checksum": {"algorithm": "sha256", "value": "q" * 44}}] * 3}  # fmt: skip
    request = {"instrumentRunIdList": [RUN], "dataTypeList": ["fastq"]}
    html = render_report(build_manifest("pkg.X", "wide", request, [library], files, "2026-12-02T00:00:00"))
    measure = ("<script>document.body.dataset.overflow = String(document.documentElement.scrollWidth"
               " - window.innerWidth); document.body.dataset.shown = [...document.querySelectorAll('.panel')]"
               ".filter((p) => getComputedStyle(p).display !== 'none').map((p) => p.id).join(',');</script>")  # fmt: skip
    shown = {}
    for tab in ("metadata", "fastq"):  # the page as it opens, and with the files' tab chosen
        chosen = html.replace(" checked>", ">").replace(f'id="tab-{tab}">', f'id="tab-{tab}" checked>')
        page = tmp_path / f"report-{tab}.html"
        page.write_text(chosen.replace("</body>", measure + "</body>"))
        body = browser.parse(browser.dump_dom(page.as_uri(), size=(1400, 900), budget_ms=1000)).find_all("body")[0]
        assert int(body.attributes["data-overflow"]) <= 0, f"the {tab} tab is wider than its window"
        shown[tab] = body.attributes["data-shown"]
    assert shown == {"metadata": "panel-metadata", "fastq": "panel-fastq"}, "one tab's panel at a time"
    assert [label in html for label in ('for="tab-metadata">Metadata', 'for="tab-fastq">FASTQ',
                                        'for="tab-secondary">Secondary')] == [True, True, True]  # fmt: skip
    assert "holds no secondary analysis data: its data types are fastq" in html


def test_an_object_is_archived_until_its_restore_is_done() -> None:
    from tasks.sharing.packaging import archived

    assert archived("GLACIER", None) and archived("DEEP_ARCHIVE", 'ongoing-request="true"')
    assert not archived("GLACIER", 'ongoing-request="false", expiry-date="Fri, 11 Dec 2026 00:00:00 GMT"')
    assert not archived("STANDARD", None) and not archived("GLACIER_IR", None)  # Instant Retrieval reads at once

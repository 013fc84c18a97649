"""Crackling on LocalStack: jobs through the real HTTP API, genomes from an NCBI stand-in on loopback (byte ranges,
injected failures), multipart downloads, the single-flight genome cache, the index, scoring, storage, SNS, and the
page in headless Chromium."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from aslkit.local.deployer import Deployment
from aslkit.testing import browser
from aslkit.testing.harness import Harness
from tasks.crackling.index import OfftargetIndex
from workflows.crackling.local import GenomeSource, verify_sender

ROOT = Path(__file__).resolve().parents[2]
JOB = json.loads((Path(__file__).resolve().parents[1] / "data/crackling/default_job.json").read_text())
PART = 5 * 1024**2
#: the default job's three guides
GUIDES = ["ATCGATCGATCGATCGATCGAGG", "ATCGATCGATCGATCGATCGTGG", "CGATCGATCGATCGATCGATTGG"]


@pytest.fixture(scope="module")
def source() -> Iterator[GenomeSource]:
    with GenomeSource(level=0) as genomes:  # level 0: a 12 Mbp genome is a 3-part download
        yield genomes


@pytest.fixture
def crackling(harness: Harness, aws: Any, source: GenomeSource) -> Deployment:
    verify_sender(aws)
    return harness.deploy("crackling", prefix="crk_", parameters={
        "genome_source": source.url, "download_part_bytes": str(PART), "genome_poll_seconds": "1",
        "genome_poll_max_attempts": "120", "score_batch_size": "2"})  # fmt: skip


def call(method: str, url: str, body: Any = None, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def submit(deployment: Deployment, job: dict[str, Any]) -> str:
    status, answer = call("POST", deployment.apis["crackling_api"] + "/submit", job)
    assert status == 202, answer
    return str(answer["jobId"])


def finished(harness: Harness, deployment: Deployment, job_id: str, timeout: float = 120) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        status, job = call("GET", f"{deployment.apis['crackling_api']}/results/{job_id}")
        assert status == 200, job
        return job if job["status"] in ("COMPLETE", "FAILED") else None

    return harness.eventually(done, timeout=timeout, what=f"job {job_id} is COMPLETE or FAILED")


def execution_of(harness: Harness, deployment: Deployment, job_id: str) -> Any:
    for arn in harness.backend.executions(deployment, "crackling_pipeline"):
        result = harness.result(arn)
        if (result.input or {}).get("jobId") == job_id:
            return harness.wait(arn)
    raise AssertionError(f"no execution for job {job_id}")


def fresh_accession() -> str:
    return f"GCA_{uuid.uuid4().int % 10**9:09d}.1"


class Notifications:
    """The SNS topic's messages, through an SQS queue of the test's."""

    def __init__(self, harness: Harness, aws: Any, deployment: Deployment) -> None:
        self.harness, self.aws = harness, aws
        self.url = aws.sqs.create_queue(QueueName=f"crk-notes-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        arn = aws.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        aws.sns.subscribe(TopicArn=deployment.topics["crackling_notifications"], Protocol="sqs", Endpoint=arn,
                          Attributes={"RawMessageDelivery": "true"})  # fmt: skip

    def messages(self, wait: float = 5) -> list[tuple[str, dict[str, str]]]:
        """(body, message attributes) of what arrived."""
        found: list[tuple[str, dict[str, str]]] = []

        def arrived() -> bool:
            for message in self.aws.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                                        MessageAttributeNames=["All"]).get("Messages", []):  # fmt: skip
                attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
                found.append((message["Body"], attributes))
            return bool(found)

        self.harness.eventually(arrived, timeout=wait, what="a notification arrives")
        return found


@pytest.mark.localstack
def test_the_default_job_runs_end_to_end_through_the_api(harness: Harness, aws: Any, crackling: Deployment) -> None:
    notes = Notifications(harness, aws, crackling)
    job_id = submit(crackling, {**JOB, "email": "someone@example.org"})
    job = finished(harness, crackling, job_id)
    assert job["status"] == "COMPLETE", job
    guides = [(g["guide"], g["strand"], g["start"], g["end"], g["consensus"]) for g in job["guides"]]
    assert guides == [
        ("ATCGATCGATCGATCGATCGAGG", "+", 0, 23, 3),
        ("ATCGATCGATCGATCGATCGTGG", "+", 23, 46, 3),
        ("CGATCGATCGATCGATCGATTGG", "-", 46, 69, 1),
    ]
    first, second, third = job["guides"]
    assert first["mit"] == 100.0 and first["offtarget_sites"] == 0 and first["selected"]  # nothing within 4 mm
    assert second["doench2014"] == pytest.approx(0.117747, abs=1e-6) and second["selected"]
    assert second["sgrnascorer2"] == pytest.approx(2.597819, abs=1e-6) and third["sgrnascorer2"] < 0
    assert "mit" not in third and not third["efficient"]  # failed consensus: not scored for off-targets
    assert (job["candidates"], job["efficient"], job["selected"]) == (3, 2, 2)
    csv = aws.s3.get_object(Bucket=crackling.buckets["crackling_data"], Key=f"results/{job_id}/guides.csv")
    rows = csv["Body"].read().decode().splitlines()
    assert rows[0].startswith("guide,strand,start,end") and len(rows) == 4
    genome = aws.dynamodb.get_item(TableName=crackling.tables["crackling_genomes"],
                                   Key={"accession": {"S": JOB["genome"]}})["Item"]  # fmt: skip
    assert genome["status"]["S"] == "READY"
    index = OfftargetIndex.from_bytes(aws.s3.get_object(Bucket=crackling.buckets["crackling_data"],
                                                        Key=genome["index_key"]["S"])["Body"].read())  # fmt: skip
    assert index.bases == 200_000 and index.sites > 10_000
    [(body, attributes)] = notes.messages()
    assert f"Crackling job {job_id} on {JOB['genome']}: 3 candidate guides, 2 efficient" in body
    assert attributes == {"email": "someone@example.org"}  # for subscriptions that filter on the submitter


# In process only: the test above runs a job through the API on LocalStack too; a second job adds only time there.
def test_a_second_job_on_a_ready_genome_uses_the_cache(
    harness: Harness, crackling: Deployment, source: GenomeSource
) -> None:
    job = {**JOB, "genome": fresh_accession()}
    first = finished(harness, crackling, submit(crackling, job))
    assert first["status"] == "COMPLETE", first
    assert source.downloads(job["genome"]) == 1
    again = finished(harness, crackling, submit(crackling, job))
    assert again["status"] == "COMPLETE" and source.downloads(job["genome"]) == 1  # nothing downloaded again
    assert "Plan download" not in execution_of(harness, crackling, again["job_id"]).states


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"sequence": "ACGTN", "genome": "GCA_000482205.1"}, "'N' at position 5"),
        ({"sequence": "A" * 20_001, "genome": "GCA_000482205.1"}, "20,001 bases"),
        ({"sequence": "  \n ", "genome": "GCA_000482205.1"}, "empty"),
        ({"sequence": "ACGT", "genome": "hg38"}, "NCBI assembly accession"),
        ({"sequence": "ACGT", "genome": "GCA_000482205.1", "email": "nobody"}, "not an email address"),
        ({"sequence": "ACGT", "genome": "GCA_000482205.1", "colour": "red"}, "unknown field(s) colour"),
        ([1, 2], "JSON object"),
    ],
)
def test_invalid_submissions_get_400_naming_the_problem(crackling: Deployment, body: Any, message: str) -> None:
    status, answer = call("POST", crackling.apis["crackling_api"] + "/submit", body)
    assert status == 400 and answer["error"] == "InvalidSubmission" and message in answer["message"]


def headers_of(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_the_public_api_is_bounded_counts_a_daily_quota_and_allows_only_its_pages_origin(
    harness: Harness, source: GenomeSource
) -> None:
    bounded = harness.deploy("crackling", prefix="crq_", parameters={
        "genome_source": source.url, "daily_job_quota": "2", "max_request_bytes": "2000"})  # fmt: skip
    submit_url = bounded.apis["crackling_api"] + "/submit"
    status, answer = call("POST", submit_url, raw=json.dumps({**JOB, "sequence": "ACGT" * 600}).encode())
    assert (status, answer["error"]) == (413, "RequestTooLarge") and "larger than 2000 bytes" in answer["message"]
    assert call("POST", submit_url, {"sequence": "ACGTN", "genome": JOB["genome"]})[0] == 400, "refusals are free"
    accepted = [call("POST", submit_url, JOB) for _ in range(3)]
    assert [status for status, _ in accepted] == [202, 202, 429]
    assert accepted[2][1]["error"] == "DailyQuotaReached" and "accepts 2 jobs a day" in accepted[2][1]["message"]
    # CORS: the page's origin (where the site bucket serves it), not any origin
    origin = "/".join(bounded.sites["crackling_site"].split("/")[:3])
    for method, url in (("OPTIONS", submit_url), ("GET", bounded.apis["crackling_api"] + "/progress/nope")):
        status, headers = headers_of(method, url)
        assert headers["Access-Control-Allow-Origin"] == origin and headers["Vary"] == "Origin", (method, status)


def test_a_job_reports_its_progress_and_a_csv_link_when_complete(harness: Harness, aws: Any,
                                                               crackling: Deployment) -> None:  # fmt: skip
    base = crackling.apis["crackling_api"]
    job_id = submit(crackling, {**JOB, "genome": fresh_accession()})
    seen: list[tuple[str, int]] = []

    def done() -> bool:
        status, progress = call("GET", f"{base}/progress/{job_id}")
        assert status == 200 and progress["jobId"] == job_id
        seen.append((progress["step"], progress["percent"]))
        return progress["status"] == "COMPLETE"

    harness.eventually(done, timeout=120, what=f"job {job_id} completes")
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents) and seen[-1] == ("done", 100), seen
    job = finished(harness, crackling, job_id)
    link = urllib.parse.urlsplit(job["csv_url"])
    assert link.path.endswith(f"/results/{job_id}/guides.csv") and "Signature" in link.query  # presigned, 1 h
    assert dict(urllib.parse.parse_qsl(link.query))["response-content-disposition"] == (
        f'attachment; filename="crackling-{job_id}.csv"')  # fmt: skip
    if not harness.in_process:  # LocalStack serves the link itself
        with urllib.request.urlopen(job["csv_url"], timeout=30) as response:
            assert response.read().decode().splitlines()[0].startswith("guide,strand,start,end")
    run = execution_of(harness, crackling, job_id)
    assert run.states.count("Count batch") == 2, "2 batches of 2 guides: 3 candidates"
    assert call("GET", f"{base}/progress/{'0' * 32}")[0] == 404


def test_not_json_and_unknown_jobs(crackling: Deployment) -> None:
    assert call("POST", crackling.apis["crackling_api"] + "/submit", raw=b"{oops")[0] == 400
    status, answer = call("GET", crackling.apis["crackling_api"] + "/results/nope")
    assert (status, answer["error"]) == (404, "JobNotFound")


def test_two_concurrent_jobs_download_and_index_a_genome_once(
    harness: Harness, aws: Any, crackling: Deployment, source: GenomeSource
) -> None:
    accession = fresh_accession()
    with ThreadPoolExecutor(2) as pool:
        ids = list(pool.map(lambda _: submit(crackling, {**JOB, "genome": accession}), range(2)))
    jobs = [finished(harness, crackling, job_id) for job_id in ids]
    assert [job["status"] for job in jobs] == ["COMPLETE", "COMPLETE"]
    assert source.downloads(accession) == 1  # 200 kbp: one part
    runs = [execution_of(harness, crackling, job_id) for job_id in ids]
    assert sorted(run.states.count("Index (Lambda)") for run in runs) == [0, 1]
    assert sorted(run.states.count("Plan download") for run in runs) == [0, 1]


def test_a_multipart_download_retries_a_failing_part_then_names_one_that_keeps_failing(
    harness: Harness, aws: Any, crackling: Deployment, source: GenomeSource
) -> None:
    flaky, broken = fresh_accession(), fresh_accession()
    source.sizes[flaky] = source.sizes[broken] = 12_000_000  # about 12 MB at gzip level 0: 3 parts of 5 MiB
    source.failures[0] = 2  # the first part fails twice, then works
    source.cut_short[2 * PART] = 1  # the third is cut short once (IncompleteRead), then works
    job = finished(harness, crackling, submit(crackling, {**JOB, "genome": flaky}))
    assert job["status"] == "COMPLETE", job
    path = source.file_path(flaky)
    ranges = sorted(
        r for (method, p, r), n in source.requests.items() if p == path and method == "GET" for _ in range(n)
    )
    assert ranges.count(f"bytes=0-{PART - 1}") == 3 and len(set(ranges)) == 3
    assert len([r for r in ranges if r.startswith(f"bytes={2 * PART}-")]) == 2
    stored = aws.s3.get_object(Bucket=crackling.buckets["crackling_data"], Key=f"genomes/{flaky}/genomic.fna.gz")
    assert stored["Body"].read() == source.genome_file(flaky)  # no part lost or doubled

    source.failures[PART] = -1  # the second part never works
    failed = finished(harness, crackling, submit(crackling, {**JOB, "genome": broken}))
    assert failed["status"] == "FAILED" and failed["error"] == "PartDownloadFailed"
    assert failed["cause"].startswith(f"part 2 (bytes={PART}-{2 * PART - 1} of http")
    path = source.file_path(broken)
    assert source.requests[("GET", path, f"bytes={PART}-{2 * PART - 1}")] == 4  # the first try and 3 retries
    genome = aws.dynamodb.get_item(TableName=crackling.tables["crackling_genomes"],
                                   Key={"accession": {"S": broken}})["Item"]  # fmt: skip
    assert genome["status"]["S"] == "FAILED" and "part 2" in genome["failure"]["S"]
    uploads = aws.s3.list_multipart_uploads(Bucket=crackling.buckets["crackling_data"]).get("Uploads", [])
    assert [u for u in uploads if broken in u["Key"]] == []  # aborted
    source.failures.pop(PART)


def test_a_source_in_trouble_is_tried_again_and_named_when_it_stays_down(
    harness: Harness, crackling: Deployment, source: GenomeSource
) -> None:
    """NCBI answering 503 is not 'no such genome': the download plan is tried again (SourceUnavailable), and a
    source that stays down fails the job under that name, not GenomeNotFound."""
    source.outages = 2
    job = finished(harness, crackling, submit(crackling, {**JOB, "genome": fresh_accession()}))
    assert job["status"] == "COMPLETE" and source.outages <= 0, job
    source.outages = 100
    try:
        down = finished(harness, crackling, submit(crackling, {**JOB, "genome": fresh_accession()}))
    finally:
        source.outages = 0
    assert (down["status"], down["error"]) == ("FAILED", "SourceUnavailable"), down
    assert "HTTP 503" in down["cause"]


def test_an_unknown_accession_fails_the_job_with_a_named_error(
    harness: Harness, crackling: Deployment, source: GenomeSource
) -> None:
    accession = fresh_accession()
    source.missing.add(accession)
    job = finished(harness, crackling, submit(crackling, {**JOB, "genome": accession}))
    assert job["status"] == "FAILED" and job["error"] == "GenomeNotFound" and accession in job["cause"]


needs_chromium = pytest.mark.skipif(
    browser.find_chromium() is None and not os.environ.get("CI"), reason="needs Chromium (apt-get install chromium)"
)


@needs_chromium
@pytest.mark.usefixtures("localstack")  # the page loads from the site bucket over HTTP: LocalStack only
def test_the_page_shows_a_finished_jobs_guides(harness: Harness, crackling: Deployment) -> None:
    job_id = submit(crackling, JOB)
    assert finished(harness, crackling, job_id)["status"] == "COMPLETE"
    page = browser.parse(browser.dump_dom(f"{crackling.sites['crackling_site']}?job={job_id}&once", budget_ms=8000))
    body = page.find_all("body")[0]
    assert body.attributes.get("data-state") == "complete"
    status = page.by_id("status")
    assert status is not None and f"Job {job_id}: COMPLETE; 3 guide(s), 2 selected" in status.text
    table = page.by_id("guides")
    assert table is not None and "hidden" not in table.attributes
    rows = table.find_all("tr")[1:]
    cells = [[cell.text for cell in row.find_all("td")] for row in rows]
    assert [c[:4] for c in cells] == [["ATCGATCGATCGATCGATCGAGG", "+", "0", "23"],
                                      ["ATCGATCGATCGATCGATCGTGG", "+", "23", "46"],
                                      ["CGATCGATCGATCGATCGATTGG", "-", "46", "69"]]  # fmt: skip
    assert [row.classes for row in rows] == [{"selected"}, {"selected"}, set()]
    assert [c[9] for c in cells] == ["yes", "yes", "no"]
    assert [c[5] for c in cells] == ["2.597819", "2.597819", "-4.637011"], "sgRNAScorer2's decision"
    download, link = page.by_id("download"), page.by_id("csv")
    assert download is not None and "hidden" not in download.attributes and link is not None
    assert f"/results/{job_id}/guides.csv" in link.attributes["href"] and "Signature" in link.attributes["href"]
    progress_line = page.by_id("progress-line")
    assert progress_line is not None and "hidden" in progress_line.attributes, "a finished job shows no bar"
    shot = browser.screenshot(f"{crackling.sites['crackling_site']}?job={job_id}&once",
                              Path(__file__).resolve().parents[2] / "build" / "artifacts" / "crackling.png")  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_chromium
@pytest.mark.usefixtures("localstack")  # the page loads from the site bucket over HTTP: LocalStack only
def test_the_page_shows_a_running_jobs_progress(aws: Any, crackling: Deployment) -> None:
    job_id = uuid.uuid4().hex  # a job the pipeline is scoring: 1 of its 4 batches done
    aws.dynamodb.put_item(TableName=crackling.tables["crackling_jobs"], Item={
        "job_id": {"S": job_id}, "status": {"S": "RUNNING"}, "genome": {"S": JOB["genome"]},
        "batches_total": {"N": "4"}, "batches_done": {"N": "1"}})  # fmt: skip
    page = browser.parse(browser.dump_dom(f"{crackling.sites['crackling_site']}?job={job_id}", budget_ms=3000))
    line, bar = page.by_id("progress-line"), page.by_id("progress")
    assert line is not None and "hidden" not in line.attributes and bar is not None
    assert bar.attributes.get("value") == "38"  # 20 + 75 * 1/4
    step = page.by_id("step")
    assert step is not None and step.text == "38%: scoring candidate guides (1 of 4 batches)"


@needs_chromium
def test_the_page_opened_from_a_file_says_where_to_open_it() -> None:
    page = browser.parse(browser.dump_dom(f"{(ROOT / 'web/crackling/index.html').as_uri()}?job=abc&once"))
    error = page.by_id("error")
    assert error is not None and "open it from its site address" in error.text and "Failed to fetch" not in error.text


@needs_chromium
@pytest.mark.usefixtures("localstack")  # the page loads from the site bucket over HTTP: LocalStack only
def test_the_page_submits_a_job_and_shows_a_refusal(harness: Harness, crackling: Deployment) -> None:
    from urllib.parse import quote

    site = crackling.sites["crackling_site"]
    refused = browser.parse(browser.dump_dom(f"{site}?submit&sequence=ACGTX&genome=GCA_000482205.1"))
    error = refused.by_id("error")
    assert error is not None and "'X' at position 5" in error.text
    assert refused.find_all("body")[0].attributes.get("data-state") == "error"
    page = browser.parse(browser.dump_dom(f"{site}?submit&sequence={quote(JOB['sequence'])}&genome={JOB['genome']}",
                                          budget_ms=3000))  # fmt: skip
    status = page.by_id("status")
    assert status is not None and status.text.startswith("Job ")
    job_id = status.text.split()[1].rstrip(":")
    assert finished(harness, crackling, job_id)["status"] == "COMPLETE"  # the page's submission really ran


def _genome_item(aws: Any, deployment: Deployment, accession: str, status: str, expires: int, **extra: str) -> None:
    item = {"accession": {"S": accession}, "status": {"S": status}, "owner": {"S": "arn:a-builder-that-died"},
            "lock_expires": {"N": str(expires)}, **{k: {"S": v} for k, v in extra.items()}}  # fmt: skip
    aws.dynamodb.put_item(TableName=deployment.tables["crackling_genomes"], Item=item)


def test_a_stale_build_lock_is_taken_over(harness: Harness, aws: Any, crackling: Deployment) -> None:
    accession = fresh_accession()
    _genome_item(aws, crackling, accession, "BUILDING", int(harness.clock()) - 60)  # its builder died a minute ago
    job = finished(harness, crackling, submit(crackling, {**JOB, "genome": accession}))
    assert job["status"] == "COMPLETE"
    run = execution_of(harness, crackling, job["job_id"])
    assert "Wait for genome" not in run.states and "Index (Lambda)" in run.states


def test_a_job_waiting_for_a_build_that_fails_reports_it(harness: Harness, aws: Any, crackling: Deployment) -> None:
    accession = fresh_accession()
    _genome_item(aws, crackling, accession, "BUILDING", int(harness.clock()) + 3600)  # another job is building it
    job_id = submit(crackling, {**JOB, "genome": accession})

    def waiting_twice() -> bool:
        runs = [harness.result(arn) for arn in harness.backend.executions(crackling, "crackling_pipeline")]
        mine = [r for r in runs if (r.input or {}).get("jobId") == job_id]
        return bool(mine) and mine[0].states.count("Wait for genome") >= 2

    harness.eventually(waiting_twice, timeout=30, what="the job waits for the genome a second time")
    _genome_item(aws, crackling, accession, "FAILED", 0, failure="PartDownloadFailed: part 1 (...)")
    job = finished(harness, crackling, job_id)
    assert (job["status"], job["error"]) == ("FAILED", "GenomeUnavailable")
    assert accession in job["cause"] and "PartDownloadFailed" in job["cause"]


def test_deploy_and_run_say_where_the_api_and_the_page_are(crackling: Deployment) -> None:
    """`aslkit deploy` and `aslkit run` print these lines: a user opens the page or calls the API from them."""
    assert crackling.apis and crackling.sites
    lines = crackling.addresses()
    assert lines == [f"API {name}: {url}" for name, url in sorted(crackling.apis.items())] + [
        f"site {name}: {url}" for name, url in sorted(crackling.sites.items())]  # fmt: skip
    assert all(url.startswith("http") for url in [*crackling.apis.values(), *crackling.sites.values()])


def sent_emails(harness: Harness, aws: Any, to: str) -> list[dict[str, str]]:
    """The mails SES accepted for `to` (subject, body, source): moto's record in process, LocalStack's /_aws/ses."""
    if harness.in_process:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        backend = ses_backends[DEFAULT_ACCOUNT_ID][aws.region]
        return [{"subject": m.subject, "body": m.body, "source": m.source} for m in backend.sent_messages
                if to in m.destinations.get("ToAddresses", [])]  # fmt: skip
    with urllib.request.urlopen(f"{aws.endpoint_url}/_aws/ses", timeout=10) as response:
        messages = json.loads(response.read())["messages"]
    return [{"subject": m["Subject"], "body": m["Body"]["text_part"], "source": m["Source"]} for m in messages
            if to in m["Destination"]["ToAddresses"]]  # fmt: skip


def test_the_submitter_is_mailed_the_results_and_a_failure(
    harness: Harness, aws: Any, crackling: Deployment, source: GenomeSource
) -> None:
    address = f"submitter-{uuid.uuid4().hex[:6]}@example.org"
    done = finished(harness, crackling, submit(crackling, {**JOB, "email": address}))
    assert done["status"] == "COMPLETE"
    (mail,) = harness.eventually(lambda: sent_emails(harness, aws, address), what="the results are mailed")
    assert mail["source"] == "crackling@example.org"
    assert mail["subject"] == f"Crackling job {done['job_id']} complete: 2 guide(s) selected"
    assert f"{crackling.apis['crackling_api']}/results/{done['job_id']}" in mail["body"]
    failing = f"failing-{uuid.uuid4().hex[:6]}@example.org"
    missing = fresh_accession()
    source.missing.add(missing)
    failed = finished(harness, crackling, submit(crackling, {**JOB, "genome": missing, "email": failing}))
    assert failed["status"] == "FAILED"
    (note,) = harness.eventually(lambda: sent_emails(harness, aws, failing), what="the failure is mailed")
    assert note["subject"] == f"Crackling job {failed['job_id']} failed" and failed["error"] in note["body"]


def test_a_genome_above_the_lambda_limit_is_indexed_by_the_batch_job(
    harness: Harness, aws: Any, source: GenomeSource
) -> None:
    """The AWS Batch path (in process only: LocalStack has no Batch): the job `crackling_index` runs the indexer's
    entry point as its container would (`python -m tasks.crackling.indexer` with the job's Parameters), and the job
    goes on from the index it stored."""
    verify_sender(aws)
    deployment = harness.deploy("crackling", prefix="crkb_", parameters={
        "genome_source": source.url, "download_part_bytes": str(PART), "index_lambda_max_bytes": "1000",
        "score_batch_size": "2"})  # fmt: skip
    accession = fresh_accession()
    job = finished(harness, deployment, submit(deployment, {**JOB, "genome": accession}))
    assert job["status"] == "COMPLETE", job
    assert [g["guide"] for g in job["guides"]] == GUIDES
    run = execution_of(harness, deployment, job["job_id"])
    assert "Index (AWS Batch)" in run.states and "Index (Lambda)" not in run.states
    batch_job = harness.backend.engine.jobs.runs[-1]  # type: ignore[attr-defined]
    genome_key, index_key = f"genomes/{accession}/genomic.fna.gz", f"indexes/{accession}.crkidx"
    assert (
        batch_job["Status"] == "SUCCEEDED" and batch_job["JobName"] == f"crackling-index-{accession.replace('.', '_')}"
    )
    assert batch_job["Container"]["Command"] == ["python", "-m", "tasks.crackling.indexer", "--genome-key", genome_key,
                                                 "--index-key", index_key]  # fmt: skip
    stored = aws.s3.get_object(Bucket=deployment.buckets["crackling_data"], Key=index_key)["Body"].read()
    built = json.loads(harness.backend.engine.jobs.jobs["crkb_crackling_index"].log.lines[-1])  # type: ignore[attr-defined]
    assert OfftargetIndex.from_bytes(stored).bases == built["bases"] == 200_000 and built["protospacers"] > 0

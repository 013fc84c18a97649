"""The Crackling pipeline: one STANDARD execution per job.

JobSubmitted ─rule─▶ crackling_pipeline
  Mark running (once per job) ─▶ genome cache, single flight (crackling_genomes):
    READY ─────────────────────────────────────────────────────────────────────────────┐
    BUILDING by another job ─▶ wait genome_poll_seconds, re-check (bounded) ─▶ READY ──┤
    absent / FAILED / stale lock ─▶ take the lock (conditional write) ─▶ build:        │
      plan (HEAD, byte ranges) ─▶ S3 multipart upload: a Map of parts (each retried, a │
      part that keeps failing is named, the upload aborted) ─▶ complete ─▶ check size  │
      ─▶ index: Lambda up to index_lambda_max_bytes, AWS Batch (.sync) above ─▶ READY ─┤
  Scan ─▶ Score (a Map over batches) ─▶ Store (DynamoDB + CSV) ─▶ Mark complete ─▶ SNS ◀┘
  any failure: the job is marked FAILED with the error, SNS says so, the execution fails with it
"""

from __future__ import annotations

from typing import Any

from aslkit.asl import (
    Catch,
    Choice,
    Map,
    Pass,
    Retry,
    StateMachine,
    Succeed,
    Wait,
    aws_sdk,
    batch_submit_job,
    caught,
    dynamodb,
    dynamodb_set,
    jsonata,
    lambda_invoke,
    number_parameter,
    reraise,
    sns_publish,
)
from aslkit.asl.values import Placeholder

from .resources import (
    api,
    data,
    fetcher,
    genomes,
    index_job,
    indexer,
    jobs,
    notifications,
    planner,
    scanner,
    scorer,
    store,
)

LAMBDA_RETRY = Retry.lambda_transient()
CONDITIONAL = "DynamoDB.ConditionalCheckFailedException"
PART_RETRY = Retry(["PartDownloadFailed"], interval_seconds=1, max_attempts=3, backoff_rate=2, jitter_strategy="FULL")
#: the genome source (NCBI) answering 5xx or 429, or not at all: about a minute of tries before the job fails
SOURCE_RETRY = Retry(["SourceUnavailable"], interval_seconds=2, max_attempts=5, backoff_rate=2,
                     jitter_strategy="FULL")  # fmt: skip
#: a lock write that failed for any other reason than its condition (throttled, or its answer lost) is tried again
#: SES throttles per second (the account's sending rate): a mail is tried for about half a minute, whatever the
#: error (the mail is not worth failing the job for; what still fails is noted on the job as email_error)
EMAIL_RETRY = Retry(["States.ALL"], interval_seconds=2, max_attempts=4, backoff_rate=2, jitter_strategy="FULL")
LOCK_RETRY = Retry(["States.TaskFailed"], interval_seconds=1, max_attempts=3, backoff_rate=2, jitter_strategy="FULL")
ERROR = caught()
EMAIL_ATTRIBUTE = jsonata(
    "$exists($job.email) ? {'email': {'DataType': 'String', 'StringValue': $job.email}} : {}"
)  # subscriptions filter on the submitter's address
NOW_S = "$string($floor($millis() / 1000))"


def email(name: str, subject: str, text: str, then: Any) -> Any:
    """Mail the submitter (when the job names an address) through SES from the stage's `email_sender`, then go on
    to `then`: a mail that cannot be sent after its retries is noted on the job, never fails it."""
    unsent = dynamodb_set(
        f"{name}: not sent",
        table=jobs.name_ref,
        key={"job_id": {"S": jsonata("$job.jobId")}},
        values={"email_error": {"S": jsonata("$states.input.error & ': ' & $string($states.input.cause)")}},
        output=jsonata("$states.input"),
        catch=[Catch(["States.ALL"], then, output=jsonata("$states.input"))],
    )
    unsent >> then
    # SES's SendEmail (v1: LocalStack's community edition does not emulate SESv2; AWS serves both)
    send = aws_sdk(
        name,
        "ses",
        "sendEmail",
        {
            "Source": Placeholder("email_sender"),
            "Destination": {"ToAddresses": [jsonata("$job.email")]},
            "Message": {"Subject": {"Data": jsonata(subject)}, "Body": {"Text": {"Data": jsonata(text)}}},
        },
        retry=[EMAIL_RETRY],
        output=jsonata("$states.input"),
        catch=[Catch(["States.ALL"], unsent, output=ERROR)],
    )
    send >> then
    return Choice(f"{name}?").when("$exists($job.email)", send).otherwise(then)


def fail_job() -> Any:
    """Mark the job FAILED with `{error, cause}`, say so on SNS and by mail, fail the execution with that error."""
    failed = reraise("Job failed", "CracklingJobFailed")
    mail = email(
        "Email failure",
        "'Crackling job ' & $job.jobId & ' failed'",
        "'Your Crackling job ' & $job.jobId & ' on ' & $job.genome & ' failed: ' & $states.input.error & ': '"
        " & $string($states.input.cause) & '. Submit it again, or reply to this address if it keeps failing.'",
        failed,
    )
    notify = sns_publish(
        "Notify failure",
        topic_arn=notifications.arn,
        subject=jsonata("'Crackling job ' & $job.jobId & ' failed'"),
        message_attributes=EMAIL_ATTRIBUTE,
        message=jsonata(
            "'Crackling job ' & $job.jobId & ' (' & $job.genome & ') failed: ' & $states.input.error"
            " & ': ' & $string($states.input.cause)"
        ),
        output=jsonata("$states.input"),
        catch=[Catch(["States.ALL"], mail, output=jsonata("$states.input"))],
    )
    mark = dynamodb_set(
        "Mark failed",
        table=jobs.name_ref,
        key={"job_id": {"S": jsonata("$job.jobId")}},
        values={
            "status": {"S": "FAILED"},
            "error": {"S": jsonata("$states.input.error")},
            "cause": {"S": jsonata("$string($states.input.cause)")},
            "completed_at": {"N": jsonata(NOW_S)},
        },
        output=jsonata("$states.input"),
        catch=[Catch(["States.ALL"], notify, output=jsonata("$states.input"))],
    )
    mark >> notify >> mail
    return mark


def genome_status(name: str, status: str, *, extra: dict[str, Any] | None = None, **state: Any) -> Any:
    """Move the genome item to `status`, only while this execution holds its lock."""
    return dynamodb_set(
        name,
        table=genomes.name_ref,
        key={"accession": {"S": jsonata("$job.genome")}},
        values={"status": {"S": status}, "updated_at": {"N": jsonata(NOW_S)}, **(extra or {})},
        condition="#owner = :me",
        condition_names=("owner",),
        condition_values={":me": {"S": jsonata("$states.context.Execution.Id")}},
        **state,
    )


def release_genome(failure: Any) -> Any:
    """Mark the genome FAILED (if this execution holds its lock), then fail the job."""
    release = genome_status(
        "Genome build failed",
        "FAILED",
        extra={"failure": {"S": jsonata("$states.input.error & ': ' & $string($states.input.cause)")}},
        output=jsonata("$states.input"),
        catch=[Catch(["States.ALL"], failure, output=jsonata("$states.input"))],
        comment="not this execution's lock (it never took it): the condition fails and the job fails alone",
    )
    release >> failure
    return release


def build_genome(release: Any, ready_next: Any) -> Any:
    """Download (multipart, parts in a Map) and index the genome; on any failure `release` it."""
    on_error = [Catch(["States.ALL"], release, output=ERROR)]
    plan = lambda_invoke(
        "Plan download",
        function=planner.arn,
        payload={"accession": jsonata("$job.genome"), "partBytes": number_parameter("download_part_bytes")},
        retry=[SOURCE_RETRY, LAMBDA_RETRY],
        assign={"plan": jsonata("$states.result.Payload")},
        catch=on_error,
    )
    start = aws_sdk(
        "Start upload",
        "s3",
        "createMultipartUpload",
        {"Bucket": data.name_ref, "Key": jsonata("$genome_key"), "ContentType": "application/gzip"},
        assign={"upload": jsonata("$states.result.UploadId")},
        catch=on_error,
    )
    abort = aws_sdk(
        "Abort upload",
        "s3",
        "abortMultipartUpload",
        {"Bucket": data.name_ref, "Key": jsonata("$genome_key"), "UploadId": jsonata("$upload")},
        output=jsonata("$states.input"),
        catch=[Catch(["States.ALL"], release, output=jsonata("$states.input"))],
    )
    abort >> release
    part = lambda_invoke(
        "Download part",
        function=fetcher.arn,
        payload=jsonata("$states.input"),
        retry=[PART_RETRY, LAMBDA_RETRY],
        output=jsonata("$states.result.Payload"),
    )
    value = "$states.context.Map.Item.Value"
    parts = Map(
        "Download parts",
        items=jsonata("$plan.parts"),
        item_selector={
            "url": jsonata("$plan.url"),
            "Range": jsonata(f"{value}.Range"),
            "PartNumber": jsonata(f"{value}.PartNumber"),
            "bucket": data.name_ref,
            "key": jsonata("$genome_key"),
            "uploadId": jsonata("$upload"),
        },
        max_concurrency=number_parameter("download_max_concurrency"),
        processor=part,
        catch=[Catch(["States.ALL"], abort, output=ERROR)],
    )
    complete = aws_sdk(
        "Complete upload",
        "s3",
        "completeMultipartUpload",
        {
            "Bucket": data.name_ref,
            "Key": jsonata("$genome_key"),
            "UploadId": jsonata("$upload"),
            "MultipartUpload": {"Parts": jsonata("$states.input")},
        },
        catch=[Catch(["States.ALL"], abort, output=ERROR)],
    )
    check = aws_sdk(
        "Check size",
        "s3",
        "headObject",
        {"Bucket": data.name_ref, "Key": jsonata("$genome_key")},
        output=jsonata("{'size': $states.result.ContentLength}"),
        catch=on_error,
    )
    mismatch = Pass(
        "Size mismatch",
        output=jsonata(
            "{'error': 'GenomeSizeMismatch', 'cause': 'the genome in S3 has ' & $string($states.input.size)"
            " & ' bytes, the source ' & $string($plan.size) & ': parts were lost or doubled'}"
        ),
    )
    mismatch >> release
    index_request = {"genomeKey": jsonata("$genome_key"), "indexKey": jsonata("$index_key")}
    by_lambda = lambda_invoke(
        "Index (Lambda)",
        function=indexer.arn,
        payload=index_request,
        retry=[LAMBDA_RETRY],
        output=jsonata("$states.result.Payload"),
        catch=on_error,
    )
    by_batch = batch_submit_job(
        "Index (AWS Batch)",
        job_name=jsonata("'crackling-index-' & $replace($job.genome, '.', '_')"),
        job_queue=index_job.queue_arn,
        job_definition=index_job.definition_arn,
        extra={"Parameters": index_request},
        output=jsonata("{'indexKey': $index_key, 'batchJob': $states.result.JobId}"),
        catch=on_error,
        comment="the same indexer in a container (index_job), for genomes too large for a Lambda",
    )
    ready = genome_status(
        "Genome ready",
        "READY",
        extra={
            "genome_key": {"S": jsonata("$genome_key")},
            "index_key": {"S": jsonata("$index_key")},
            "genome_bytes": {"N": jsonata("$string($plan.size)")},
        },
        catch=on_error,
    )
    route = (
        Choice("Index where?")
        .when(f"$plan.size <= {number_parameter('index_lambda_max_bytes').expression}", by_lambda)
        .otherwise(by_batch)
    )
    sized = Choice("Size as planned?").when("$states.input.size = $plan.size", route).otherwise(mismatch)
    by_lambda >> ready
    by_batch >> ready
    ready >> ready_next
    plan >> start >> parts >> complete >> check >> sized
    return plan


def pipeline_machine() -> StateMachine:
    failure = fail_job()
    release = release_genome(failure)
    on_error = [Catch(["States.ALL"], failure, output=ERROR)]
    start = Pass(
        "Start",
        assign={
            "job": jsonata(
                "$merge([$states.input, {'jobId': $exists($states.input.jobId) ? $states.input.jobId"
                " : $states.context.Execution.Name}])"
            ),
            "genome_key": jsonata("'genomes/' & $states.input.genome & '/genomic.fna.gz'"),
            "index_key": jsonata("'indexes/' & $states.input.genome & '.crkidx'"),
            "polls": 0,
            "waited": False,
        },
    )
    running = dynamodb_set(
        "Mark running",
        table=jobs.name_ref,
        key={"job_id": {"S": jsonata("$job.jobId")}},
        values={
            "status": {"S": "RUNNING"},
            "started_at": {"N": jsonata(NOW_S)},
            "genome": {"S": jsonata("$job.genome")},
            "execution_arn": {"S": jsonata("$states.context.Execution.Id")},
        },
        condition="attribute_not_exists(job_id) OR #status = :submitted",
        condition_values={":submitted": {"S": "SUBMITTED"}},
        catch=[
            Catch([CONDITIONAL], Succeed("Already started", comment="this job's other execution is running it")),
            Catch(["States.ALL"], failure, output=ERROR),
        ],
    )
    check = dynamodb(
        "Check genome",
        "getItem",
        {"TableName": genomes.name_ref, "Key": {"accession": {"S": jsonata("$job.genome")}}, "ConsistentRead": True},
        assign={"genome": jsonata("$exists($states.result.Item) ? $states.result.Item : null")},
        catch=on_error,
    )
    lock = dynamodb_set(
        "Take genome lock",
        table=genomes.name_ref,
        key={"accession": {"S": jsonata("$job.genome")}},
        values={
            "status": {"S": "BUILDING"},
            "owner": {"S": jsonata("$states.context.Execution.Id")},
            "lock_expires": {
                "N": jsonata(
                    f"$string($floor($millis() / 1000) + {number_parameter('genome_lock_seconds').expression})"
                )
            },
            "updated_at": {"N": jsonata(NOW_S)},
        },
        # `#owner = :me`: the same execution trying again after a write whose answer it never got (the lock is
        # its own already); without it, that retry fails the condition and the lock is left to expire
        condition="attribute_not_exists(accession) OR #status = :failed"
        " OR (#status = :building AND #lock_expires < :now) OR #owner = :me",
        condition_values={
            ":failed": {"S": "FAILED"},
            ":building": {"S": "BUILDING"},
            ":now": {"N": jsonata(NOW_S)},
            ":me": {"S": jsonata("$states.context.Execution.Id")},
        },
        retry=[Retry([CONDITIONAL], max_attempts=0), LOCK_RETRY],
        catch=[
            Catch([CONDITIONAL], check, comment="another job took it first: wait for its build"),
            Catch(["States.ALL"], release, output=ERROR, comment="the write may have taken effect: release it"),
        ],
    )
    wait = Wait("Wait for genome", seconds=number_parameter("genome_poll_seconds"),
                assign={"polls": jsonata("$polls + 1"), "waited": True})  # fmt: skip
    wait >> check
    unavailable = Pass(
        "Genome unavailable",
        output=jsonata(
            "{'error': 'GenomeUnavailable', 'cause': 'the build of ' & $job.genome"
            " & ' this job waited for failed: ' & $string($genome.failure.S)}"
        ),
    )
    timed_out = Pass(
        "Genome wait timed out",
        output=jsonata(
            "{'error': 'GenomeWaitTimedOut', 'cause': $job.genome & ' was still being built after '"
            " & $string($polls) & ' checks'}"
        ),
    )
    unavailable >> failure
    timed_out >> failure
    index_key = jsonata("$index_key")
    scan = lambda_invoke(
        "Scan",
        function=scanner.arn,
        payload={
            "jobId": jsonata("$job.jobId"),
            "sequence": jsonata("$job.sequence"),
            "batchSize": number_parameter("score_batch_size"),
        },
        retry=[LAMBDA_RETRY],
        assign={"scan": jsonata("$states.result.Payload")},
        catch=on_error,
    )
    # progress, for GET /progress/{jobId} and the page's bar: the batches to score, then one more per batch scored
    scoring = dynamodb_set(
        "Record scoring",
        table=jobs.name_ref,
        key={"job_id": {"S": jsonata("$job.jobId")}},
        values={"batches_total": {"N": jsonata("$string($count($scan.batches))")}, "batches_done": {"N": "0"}},
        catch=on_error,
    )
    scored = dynamodb(
        "Count batch",
        "updateItem",
        {
            "TableName": jobs.name_ref,
            "Key": {"job_id": {"S": jsonata("$states.input.jobId")}},
            "UpdateExpression": "ADD batches_done :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        },
        output=jsonata("$states.input.scored"),
        comment="a retry after a lost answer may count a batch twice: progress only, shown at most the total",
    )
    score = Map(
        "Score",
        items=jsonata("$scan.batches"),
        item_selector={
            "jobId": jsonata("$job.jobId"),
            "batchKey": jsonata("$states.context.Map.Item.Value"),
            "indexKey": index_key,
        },
        max_concurrency=number_parameter("score_max_concurrency"),
        processor=lambda_invoke(
            "Score batch",
            function=scorer.arn,
            payload=jsonata("$states.input"),
            retry=[LAMBDA_RETRY],
            output=jsonata("{'jobId': $states.input.jobId, 'scored': $states.result.Payload}"),
        )
        >> scored,
        catch=on_error,
    )
    stored = lambda_invoke(
        "Store guides",
        function=store.arn,
        payload={"jobId": jsonata("$job.jobId"), "scoredKeys": jsonata("[$states.input.scoredKey]")},
        retry=[LAMBDA_RETRY],
        assign={"stored": jsonata("$states.result.Payload")},
        catch=on_error,
    )
    complete = dynamodb_set(
        "Mark complete",
        table=jobs.name_ref,
        key={"job_id": {"S": jsonata("$job.jobId")}},
        values={
            "status": {"S": "COMPLETE"},
            "completed_at": {"N": jsonata(NOW_S)},
            "candidates": {"N": jsonata("$string($scan.candidates)")},
            "efficient": {"N": jsonata("$string($stored.efficient)")},
            "selected": {"N": jsonata("$string($stored.selected)")},
            "csv": {"S": jsonata("$stored.csv")},
        },
        catch=on_error,
    )
    notify = sns_publish(
        "Notify",
        topic_arn=notifications.arn,
        subject=jsonata("'Crackling job ' & $job.jobId & ' complete'"),
        message_attributes=EMAIL_ATTRIBUTE,
        message=jsonata("'Crackling job ' & $job.jobId & ' on ' & $job.genome & ': ' & $string($scan.candidates)"
                        " & ' candidate guides, ' & $string($stored.efficient) & ' efficient, '"
                        " & $string($stored.selected) & ' efficient and specific. Results: ' & $stored.csv"),
        output=jsonata("{'jobId': $job.jobId, 'genome': $job.genome, 'candidates': $scan.candidates,"
                       " 'efficient': $stored.efficient, 'selected': $stored.selected, 'csv': $stored.csv}"),
        catch=on_error,
    )  # fmt: skip
    results = f"'{api.url}/results/' & $job.jobId"
    mail = email(
        "Email results",
        "'Crackling job ' & $job.jobId & ' complete: ' & $string($stored.selected) & ' guide(s) selected'",
        "'Your Crackling job ' & $job.jobId & ' on ' & $job.genome & ' is complete: ' & $string($scan.candidates)"
        f" & ' candidate guides, ' & $string($stored.selected) & ' efficient and specific. Results: ' & {results}"
        " & ' (the CSV link there is valid for an hour each time you open it).'",
        Succeed("Complete"),
    )
    scan >> scoring >> score >> stored >> complete >> notify >> mail
    ready = (
        Choice("Genome ready?")
        .when("$genome.status.S = 'READY'", scan)
        .when("$genome.status.S = 'FAILED' and $waited", unavailable)
        .when(
            "$genome.status.S = 'BUILDING' and $number($genome.lock_expires.N) > $floor($millis() / 1000)",
            Choice("Wait again?")
            .when(f"$polls < {number_parameter('genome_poll_max_attempts').expression}", wait)
            .otherwise(timed_out),
        )
        .otherwise(lock)
    )
    lock >> build_genome(release, scan)
    start >> running >> check >> ready
    return StateMachine(
        "crackling_pipeline",
        start,
        query_language="JSONata",
        placeholders=(
            "index_lambda_max_bytes",
            "genome_poll_max_attempts",
            "genome_lock_seconds",
            data.name_ref.name,
            api.url.name,
        ),
        timeout_seconds=24 * 3600,
        comment="One Crackling job: genome (cached, single flight) -> index -> scan -> score -> store -> notify",
    )


PIPELINE = pipeline_machine()

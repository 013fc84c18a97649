"""The five state machines of automatic data sharing.

    ReadSetsAdded ─rule─▶ sharing_controller: Distributed Map over jobs.json; per job, plan it, then run
                           sharing_package_push (.sync:2) named after run + job, so the same trigger twice shares once
    sharing_package_push:  sharing_packaging (.sync:2), then sharing_push (.sync:2) when the job has a destination
    sharing_packaging:     pkg.<ULID> record; collect libraries and FASTQ files; manifest and HTML report to S3
    sharing_push:          psh.<ULID> record; wait (bounded) for the package; a Distributed Map of S3 copies
                           (multipart UploadPartCopy for large objects)
    sharing_presign:       a download script of 7-day URLs, itself returned as a 24-hour URL

The packaging and push machines are also started by hand (console, `aslkit share ...`). No fixed 300 s polling
remains: a parent waits on its child with `.sync:2`. The one wait left is a push started for a package that is still
being built: a loop bounded by `package_poll_max_attempts`, every `package_poll_seconds`, ended at once by ABORTED.
"""

from __future__ import annotations

from typing import Any

from aslkit.asl import (
    Catch,
    Chain,
    Choice,
    Fail,
    ItemReader,
    Map,
    Pass,
    ReaderConfig,
    Retry,
    StateMachine,
    Succeed,
    Wait,
    aws_sdk,
    caught,
    dynamodb,
    dynamodb_set,
    jsonata,
    lambda_invoke,
    number_parameter,
    put_events,
    reraise,
    start_execution,
)
from aslkit.asl.values import Jsonata, Placeholder
from aslkit.spec import machine_arn
from tasks.sharing.operations import SOURCE

from .resources import (
    CONDITIONAL,
    LAMBDA_RETRY,
    bus,
    collector,
    data,
    icav2_uploader,
    jobs,
    names_check,
    planner,
    pushed_files,
    registrar,
    reporter,
    url_signer,
)

ERROR = caught()
ICAV2_RETRY = Retry(["Icav2RequestFailed"], interval_seconds=5, max_attempts=3, backoff_rate=2, jitter_strategy="FULL")
S3_RETRY = Retry(["S3.SdkClientException", "S3.S3Exception", "States.Timeout"], interval_seconds=2, max_attempts=4,
                 backoff_rate=2, jitter_strategy="FULL")  # fmt: skip
SFN_RETRY = Retry(["StepFunctions.SdkClientException", "StepFunctions.StepFunctionsException"], interval_seconds=2,
                  max_attempts=3, backoff_rate=2, jitter_strategy="FULL")  # fmt: skip
EXECUTION = (
    "{'execution': $states.context.Execution.Id, 'executionName': $states.context.Execution.Name,"
    " 'startTime': $states.context.Execution.StartTime}"
)


def s3_uri_text(key: str) -> str:
    return f"'s3://{data.name_ref}/' & {key}"


def s3_uri(key: str) -> Jsonata:
    return Jsonata(s3_uri_text(key), placeholders=(data.name_ref.name,))


#: What a package's and a push's state-change events carry besides the status (JSONata over the machines' variables).
PACKAGE_DETAIL = "'packageId': $pkg, 'packageName': $name"
PUSH_DETAIL = "'pushId': $psh, 'packageId': $pkg, 'destination': $destination"
STATE_CHANGES = {"$pkg": ("PackageStateChange", PACKAGE_DETAIL), "$psh": ("PushStateChange", PUSH_DETAIL)}
EVENTS_RETRY = Retry(["States.ALL"], interval_seconds=1, max_attempts=6, backoff_rate=2, jitter_strategy="FULL")


def set_status(name: str, record: str, status: str, *, require: tuple[str, ...], extra: dict[str, Any] | None = None,
               **state: Any) -> Chain:  # fmt: skip
    """Move a record to `status` if it is in one of `require` (a conditional write: an ABORTED record stays so), then
    announce it on the bus (`PackageStateChange` / `PushStateChange`, schemas in tasks/sharing/schemas/): a refused
    write (the record was aborted) announces nothing."""
    allowed = {f":was{i}": {"S": s} for i, s in enumerate(require)}
    write = dynamodb_set(
        name,
        table=jobs.name_ref,
        key={"id": {"S": jsonata(record)}},
        values={"status": {"S": status}, "updated_at": {"S": jsonata("$now()")}, **(extra or {})},
        condition=f"#status IN ({', '.join(allowed)})",
        condition_values=allowed,
        **state,
    )
    detail_type, fields = STATE_CHANGES[record]
    failure = ", 'error': $states.input.error, 'cause': $string($states.input.cause)" if status == "FAILED" else ""
    announce = put_events(
        f"{name}: announce",
        entries=[{"Source": SOURCE, "DetailType": detail_type, "EventBusName": bus.name_ref, "Detail": jsonata(
            f"{{{fields}, 'status': '{status}', 'execution_arn': $states.context.Execution.Id,"
            f" 'timestamp': $states.context.State.EnteredTime{failure}}}")}],
        retry=[EVENTS_RETRY],
        output=jsonata("$states.input"),
    )  # fmt: skip
    return write >> announce


def destination_check(label: str, then: Any) -> Choice:
    """s3:// and icav2:// (or none) go on; any other destination is invalid."""
    invalid = Fail(
        f"{label}: invalid destination",
        error="InvalidShareDestination",
        cause="{% 'shareDestination must be s3://bucket/prefix/ or icav2://project-id/folder/, not ' &"
        " $string($states.input.shareDestination) %}",
    )
    destination = "$states.input.shareDestination"
    return (
        Choice(f"{label}: destination?")
        .when(f"$not($exists({destination}))", then)
        .when(f"$type({destination}) = 'string' and $substring({destination}, 0, 8) = 'icav2://'", then)
        .when(f"$type({destination}) = 'string' and $substring({destination}, 0, 5) = 's3://'", then)
        .otherwise(invalid)
    )


# -- restoring archived files ---------------------------------------------------------------------------------------
def restore_archived(then: Any, failure: Any, on_error: list[Catch]) -> Choice:
    """Archived files (`$collected.archived`) are restored before the package is ready: each is asked for once
    (a restore already requested or done is not asked again), then checked every `restore_poll_seconds`, at most
    `restore_poll_max_attempts` times; what is still archived then fails the package, named."""
    item = "$states.input"
    head = {"Bucket": jsonata(f"{item}.bucket"), "Key": jsonata(f"{item}.key")}
    restored = Pass("Restored", output={"restored": True})
    pending = Pass("Restoring", output=jsonata("{'restored': false, 'key': $states.input.key}"))
    ask = aws_sdk(
        "Request restore", "s3", "restoreObject",
        {**head, "RestoreRequest": {"Days": number_parameter("restore_days"),
                                    "GlacierJobParameters": {"Tier": Placeholder("restore_tier")}}},
        retry=[S3_RETRY], output=jsonata("{'key': $states.input.key}"),
    )  # fmt: skip
    ask >> pending
    status = "$states.input.Restore"  # absent until a restore is asked for
    state_of = (
        Choice("Restore state?")
        .when(f"$exists({status}) and $contains({status}, 'ongoing-request=\"false\"')", restored)
        .when(f"$exists({status}) and $contains({status}, 'ongoing-request=\"true\"')", pending)
        .otherwise(ask)
    )
    look = aws_sdk("Look at archived file", "s3", "headObject", head, retry=[S3_RETRY],
                   output=jsonata("{'key': $states.input.key, 'bucket': $states.input.bucket,"
                                  " 'Restore': $states.result.Restore}"))  # fmt: skip
    look >> state_of
    each = Map("Restore archived files", items=jsonata("$collected.archived"), max_concurrency=20, processor=look,
               assign={"restore_polls": jsonata("$restore_polls + 1"),
                       "still_archived": jsonata("[$states.result[restored = false].key]")},
               output=jsonata("$states.input"), catch=on_error)  # fmt: skip
    wait = Wait("Wait for restores", seconds=number_parameter("restore_poll_seconds"))
    wait >> each
    timed_out = Pass("Restores too slow", output=jsonata(
        "{'error': 'ArchiveRestoreTimedOut', 'cause': $string($count($still_archived)) & ' archived file(s) were"
        " still being restored after ' & $string($restore_polls) & ' looks, ' & $join($still_archived[[0..4]], ', ')"
        " & ': package again once they are (or raise restore_poll_max_attempts)'}"))  # fmt: skip
    timed_out >> failure
    done = (
        Choice("All restored?")
        .when("$count($still_archived) = 0", then)
        .when(f"$restore_polls < {number_parameter('restore_poll_max_attempts').expression}", wait)
        .otherwise(timed_out)
    )
    each >> done
    return (
        Choice("Archived files?")
        .when("$count($collected.archived) > 0", Pass("Start restores", assign={"restore_polls": 0}) >> each)
        .otherwise(then)
    )


# -- packaging ------------------------------------------------------------------------------------------------------
def packaging_machine() -> StateMachine:
    invalid = Fail("Invalid package request", error="InvalidPackageRequest", cause="{% $states.input.cause %}")
    conflict = Fail("Id taken", error="RecordConflict", cause="{% $states.input.cause %}")
    register = lambda_invoke(
        "Register package",
        function=registrar.arn,
        payload=jsonata(f"$merge([$states.input, {{'kind': 'package'}}, {EXECUTION}])"),
        retry=[LAMBDA_RETRY],
        assign={
            "pkg": jsonata("$states.result.Payload.id"),
            "name": jsonata("$states.input.packageName"),
            "request": jsonata("$states.input.packageRequest"),
        },
        catch=[
            Catch(["InvalidPackageRequest"], invalid, output=ERROR),
            Catch(["RecordConflict"], conflict, output=ERROR),
        ],
    )
    aborted = Fail(
        "Package aborted",
        error="PackageAborted",
        cause="{% 'package ' & $name & ' (' & $pkg & ') was aborted while it was being built' %}",
    )
    failed = reraise("Packaging failed", "PackagingFailed")
    record_failure = set_status(
        "Record failure",
        "$pkg",
        "FAILED",
        require=("PENDING", "RUNNING"),
        extra={
            "failure_error": {"S": jsonata("$states.input.error")},
            "failure_cause": {"S": jsonata("$string($states.input.cause)")},
        },
        output=jsonata("$states.input"),
        catch=[Catch([CONDITIONAL], aborted)],
    )
    record_failure >> failed
    on_error = [Catch([CONDITIONAL], aborted), Catch(["States.ALL"], record_failure, output=ERROR)]
    start = set_status("Start packaging", "$pkg", "RUNNING", require=("PENDING",), catch=on_error)
    collect = lambda_invoke(
        "Collect libraries and files",
        function=collector.arn,
        payload=jsonata("{'packageId': $pkg, 'packageName': $name, 'packageRequest': $request}"),
        retry=[LAMBDA_RETRY],
        assign={"collected": jsonata("$states.result.Payload")},
        catch=on_error,
    )
    report = lambda_invoke(
        "Write report",
        function=reporter.arn,
        payload=jsonata("{'manifestKey': $collected.manifestKey}"),
        retry=[LAMBDA_RETRY],
        assign={"report_key": jsonata("$states.result.Payload.reportKey")},
        catch=on_error,
    )
    done = set_status(
        "Mark package succeeded",
        "$pkg",
        "SUCCEEDED",
        require=("RUNNING",),
        extra={
            "manifest_uri": {"S": s3_uri("$collected.manifestKey")},
            "files_key": {"S": jsonata("$collected.filesKey")},
            "report_uri": {"S": s3_uri("$report_key")},
            "library_count": {"N": jsonata("$string($collected.libraries)")},
            "workflow_count": {"N": jsonata("$string($collected.workflows)")},
            "file_count": {"N": jsonata("$string($collected.files)")},
            "total_bytes": {"N": jsonata("$string($collected.bytes)")},
        },
        catch=on_error,
    )
    packaged = Succeed(
        "Packaged",
        output=Jsonata(
            "{'packageId': $pkg, 'packageName': $name, 'status': 'SUCCEEDED', 'libraries': $collected.libraries,"
            " 'workflows': $collected.workflows, 'files': $collected.files, 'bytes': $collected.bytes,"
            " 'missing': $collected.missing, 'missingSecondary': $collected.missingSecondary,"
            f" 'manifest': {s3_uri_text('$collected.manifestKey')}, 'report': {s3_uri_text('$report_key')}}}",
            placeholders=(data.name_ref.name,),
        ),
    )
    register >> start >> collect >> restore_archived(report, record_failure, on_error)
    report >> done >> packaged
    return StateMachine(
        "sharing_packaging",
        register,
        query_language="JSONata",
        placeholders=("restore_poll_max_attempts",),
        timeout_seconds=30 * 3600,  # a day of restores at most (restore_poll_seconds x restore_poll_max_attempts)
        comment="Input {packageName, packageRequest{instrumentRunIdList, projectIdList?, libraryIdList?, "
        "dataTypeList (fastq, secondaryAnalysis), secondaryAnalysisTypeList?, portalRunIdList?}}: a package record, "
        "its manifest and its HTML report",
    )


# -- push -----------------------------------------------------------------------------------------------------------
def copy_processor() -> Any:
    """One file: to S3, CopyObject, or for a large object a multipart copy (UploadPartCopy per part, in parallel); to
    ICAv2, an upload through its project data API."""
    item = "$states.input"
    target = {"Bucket": jsonata(f"{item}.dest_bucket"), "Key": jsonata(f"{item}.dest_key")}
    source = jsonata(f"{item}.source_bucket & '/' & {item}.source_key")
    failed = Pass("Copy failed", output=jsonata(
        "{'ok': false, 'file': $file, 'error': $states.input.error, 'cause': $substring($string($states.input.cause),"
        " 0, 300)}"))  # fmt: skip
    on_error = [Catch(["States.ALL"], failed, output=ERROR)]
    # the registry of every file pushed: what went where, for whom (the package), when
    register = dynamodb(
        "Register file",
        "putItem",
        {"TableName": pushed_files.name_ref, "Item": {
            "push_id": {"S": jsonata("$copy.push_id")}, "relative_path": {"S": jsonata("$copy.relative_path")},
            "package_id": {"S": jsonata("$copy.package_id")},
            "source": {"S": jsonata("'s3://' & $copy.source_bucket & '/' & $copy.source_key")},
            "destination": {"S": jsonata("$copy.scheme & '://' & $copy.dest_bucket & '/' & $copy.dest_key")},
            "size": {"N": jsonata("$string($copy.size)")}, "copied_at": {"S": jsonata("$now()")}}},
        output=jsonata("{'ok': true, 'bytes': $copy.size}"),
        catch=on_error,
    )  # fmt: skip
    small = aws_sdk("Copy object", "s3", "copyObject", {**target, "CopySource": source}, retry=[S3_RETRY],
                    catch=on_error)  # fmt: skip
    small >> register
    abort = aws_sdk(
        "Abort multipart copy", "s3", "abortMultipartUpload",
        {"Bucket": jsonata("$upload.Bucket"), "Key": jsonata("$upload.Key"), "UploadId": jsonata("$upload.UploadId")},
        retry=[S3_RETRY], output=jsonata("$states.input"), catch=[Catch(["States.ALL"], failed, output=ERROR)],
    )  # fmt: skip
    abort >> failed
    on_part_error = [Catch(["States.ALL"], abort, output=ERROR)]
    create = aws_sdk("Start multipart copy", "s3", "createMultipartUpload", target, retry=[S3_RETRY],
                     assign={"upload": jsonata("{'Bucket': $states.result.Bucket, 'Key': $states.result.Key,"
                                               " 'UploadId': $states.result.UploadId}"),
                             "parts": jsonata(
                                 f"($n := $ceil({item}.size / {item}.part_bytes);"
                                 f" $map([1..$n], function($i) {{{{'PartNumber': $i, 'CopySourceRange': 'bytes=' &"
                                 f" $string(($i - 1) * {item}.part_bytes) & '-' &"
                                 f" $string($min([{item}.size, $i * {item}.part_bytes]) - 1)}}}}))"),
                             "source": source, "size": jsonata(f"{item}.size")},
                     catch=on_error)  # fmt: skip
    part = aws_sdk(
        "Copy part", "s3", "uploadPartCopy",
        {"Bucket": jsonata("$upload.Bucket"), "Key": jsonata("$upload.Key"), "UploadId": jsonata("$upload.UploadId"),
         "PartNumber": jsonata("$states.input.PartNumber"), "CopySource": jsonata("$source"),
         "CopySourceRange": jsonata("$states.input.CopySourceRange")},
        retry=[S3_RETRY],
        output=jsonata("{'ETag': $states.result.CopyPartResult.ETag, 'PartNumber': $states.input.PartNumber}"),
    )  # fmt: skip
    parts = Map("Copy parts", items=jsonata("$parts"), max_concurrency=8, processor=part, catch=on_part_error)
    complete = aws_sdk(
        "Complete multipart copy", "s3", "completeMultipartUpload",
        {"Bucket": jsonata("$upload.Bucket"), "Key": jsonata("$upload.Key"), "UploadId": jsonata("$upload.UploadId"),
         "MultipartUpload": {"Parts": jsonata("$states.input")}},
        retry=[S3_RETRY], catch=on_part_error,
    )  # fmt: skip
    create >> parts >> complete >> register
    to_icav2 = lambda_invoke(
        "Upload to ICAv2",
        function=icav2_uploader.arn,
        payload=jsonata("$copy"),
        retry=[LAMBDA_RETRY, ICAV2_RETRY],
        catch=on_error,
    )
    to_icav2 >> register
    start = Pass("Copy file", assign={"file": jsonata(f"{item}.relative_path"), "copy": jsonata(item)})
    start >> (
        Choice("How to copy?")
        .when(f"{item}.scheme = 'icav2'", to_icav2)
        .when(f"{item}.size >= {item}.multipart_bytes", create)
        .otherwise(small)
    )
    return start


def push_machine() -> StateMachine:
    invalid = Fail("Invalid push request", error="InvalidPushRequest", cause="{% $states.input.cause %}")
    conflict = Fail("Push id taken", error="RecordConflict", cause="{% $states.input.cause %}")
    register = lambda_invoke(
        "Register push",
        function=registrar.arn,
        payload=jsonata(f"$merge([$states.input, {{'kind': 'push'}}, {EXECUTION}])"),
        retry=[LAMBDA_RETRY],
        assign={
            "psh": jsonata("$states.result.Payload.id"),
            "pkg": jsonata("$states.input.packageId"),
            "destination": jsonata("$states.input.shareDestination"),
            # s3://bucket/prefix/ or icav2://project/folder/: the bucket or project, and the prefix or folder
            "scheme": jsonata("$substringBefore($states.input.shareDestination, '://')"),
            "dest_bucket": jsonata("$substringBefore($substringAfter($states.input.shareDestination, '://'), '/')"),
            "dest_prefix": jsonata(
                "($rest := $substringAfter($states.input.shareDestination, '://');"
                " $p := $contains($rest, '/') ? $substringAfter($rest, '/') : '';"
                " ($p = '' or $substring($p, -1) = '/') ? $p : $p & '/')"
            ),
            "polls": 0,
            "max_polls": number_parameter("package_poll_max_attempts"),
        },
        catch=[Catch(["InvalidPushRequest"], invalid, output=ERROR), Catch(["RecordConflict"], conflict, output=ERROR)],
    )
    failed = reraise("Push failed", "PushFailed")
    record_failure = set_status(
        "Record push failure", "$psh", "FAILED", require=("PENDING", "RUNNING"),
        extra={"failure_error": {"S": jsonata("$states.input.error")},
               "failure_cause": {"S": jsonata("$string($states.input.cause)")}},
        output=jsonata("$states.input"), catch=[Catch([CONDITIONAL], failed, output=jsonata("$states.input"))],
    )  # fmt: skip
    record_failure >> failed

    def refuse(name: str, error: str, cause: str) -> Pass:
        state = Pass(name, output=jsonata(f"{{'error': '{error}', 'cause': {cause}}}"))
        state >> record_failure
        return state

    read = dynamodb(
        "Read package",
        "getItem",
        {"TableName": jobs.name_ref, "Key": {"id": {"S": jsonata("$pkg")}}, "ConsistentRead": True},
        retry=[Retry(["DynamoDB.AmazonDynamoDBException", "States.Timeout"], interval_seconds=1, max_attempts=4,
                     backoff_rate=2, jitter_strategy="FULL")],
        assign={
            "package": jsonata("$exists($states.result.Item) ? $states.result.Item : null"),
            "polls": jsonata("$polls + 1"),
        },
        catch=[Catch(["States.ALL"], record_failure, output=ERROR)],
    )  # fmt: skip
    wait = Wait("Wait for package", seconds=number_parameter("package_poll_seconds"))
    wait >> read
    package = "$package.package_name.S & ' (' & $pkg & ')'"
    start = set_status("Start push", "$psh", "RUNNING", require=("PENDING",),
                       extra={"package_name": {"S": jsonata("$package.package_name.S")}},
                       catch=[Catch(["States.ALL"], record_failure, output=ERROR)])  # fmt: skip
    ready = (
        Choice("Package ready?")
        .when("$package = null",
              refuse("No such package", "PackageNotFound", "'no package ' & $pkg & ': check the id (aslkit share "
                     "generate-package prints it)'"))
        .when("$package.status.S = 'SUCCEEDED'", start)
        .when("$package.status.S = 'ABORTED'",
              refuse("Package was aborted", "PackageAborted", f"'package ' & {package} & ' was aborted: nothing was "
                     "pushed'"))
        .when("$package.status.S = 'FAILED'",
              refuse("Package failed", "PackageFailed", f"'package ' & {package} & ' failed: ' &"
                     " $string($package.failure_cause.S) & '. Nothing was pushed'"))
        .when("$polls >= $max_polls",
              refuse("Package not ready", "PackageNotReady", f"'package ' & {package} & ' is still ' &"
                     " $package.status.S & ' after ' & $string($polls) & ' checks: push it again once it is done'"))
        .otherwise(wait)
    )  # fmt: skip
    read >> ready
    value = "$states.context.Map.Item.Value"
    copy = Map(
        "Copy files",
        mode="DISTRIBUTED",
        execution_type="STANDARD",
        item_reader=ItemReader(
            "arn:aws:states:::s3:getObject",
            {"Bucket": data.name_ref, "Key": jsonata("$package.files_key.S")},
            ReaderConfig(input_type="JSON"),
        ),
        item_selector={
            "source_bucket": jsonata(f"{value}.source_bucket"),
            "source_key": jsonata(f"{value}.source_key"),
            "relative_path": jsonata(f"{value}.relative_path"),
            "size": jsonata(f"{value}.size"),
            "scheme": jsonata("$scheme"),
            "dest_bucket": jsonata("$dest_bucket"),
            "dest_key": jsonata(f"$dest_prefix & {value}.relative_path"),
            "multipart_bytes": number_parameter("multipart_copy_bytes"),
            "part_bytes": number_parameter("copy_part_bytes"),
            "push_id": jsonata("$psh"),
            "package_id": jsonata("$pkg"),
        },
        max_concurrency=number_parameter("copy_max_concurrency"),
        processor=copy_processor(),
        label="CopyFiles",
        output=jsonata(
            "{'copied': $count($states.result[ok]), 'bytes': $sum($states.result[ok].bytes),"
            " 'failed': [$states.result[$not(ok)]]}"
        ),
        catch=[Catch(["States.ALL"], record_failure, output=ERROR)],
    )
    copies_failed = refuse(
        "Copies failed",
        "PushFailed",
        "$string($count($states.input.failed)) & ' file(s) could not be copied to ' & $destination & ': ' &"
        " $join($states.input.failed[[0..4]].(file & ' (' & error & ': ' & cause & ')'), '; ')",
    )
    done = set_status(
        "Mark push succeeded", "$psh", "SUCCEEDED", require=("RUNNING",),
        extra={"file_count": {"N": jsonata("$string($states.input.copied)")},
               "total_bytes": {"N": jsonata("$string($states.input.bytes)")}},
        output=jsonata("$states.input"), catch=[Catch(["States.ALL"], record_failure, output=ERROR)],
    )  # fmt: skip
    pushed = Succeed(
        "Pushed",
        output=jsonata(
            "{'pushId': $psh, 'packageId': $pkg, 'packageName': $package.package_name.S, 'status': 'SUCCEEDED',"
            " 'destination': $destination, 'files': $states.input.copied, 'bytes': $states.input.bytes}"
        ),
    )
    all_copied = Choice("All copied?").when("$count($states.input.failed) > 0", copies_failed).otherwise(done)
    start >> copy >> all_copied
    done >> pushed
    register >> read
    return StateMachine(
        "sharing_push",
        destination_check("Push", register),
        query_language="JSONata",
        timeout_seconds=24 * 3600,
        comment="Input {packageId, shareDestination: s3://bucket/prefix/ or icav2://project-id/folder/}: copy every "
        "file of the package there",
    )


# -- presign --------------------------------------------------------------------------------------------------------
def presign_machine() -> StateMachine:
    read = dynamodb(
        "Read package",
        "getItem",
        {"TableName": jobs.name_ref, "Key": {"id": {"S": jsonata("$states.input.packageId")}}, "ConsistentRead": True},
        assign={
            "package": jsonata("$exists($states.result.Item) ? $states.result.Item : null"),
            "pkg": jsonata("$states.input.packageId"),
        },
    )
    missing = Fail(
        "No such package",
        error="PackageNotFound",
        cause="{% 'no package ' & $string($pkg) & ': check the id (aslkit share generate-package prints it)' %}",
    )
    not_ready = Fail(
        "Package not ready",
        error="PackageNotReady",
        cause="{% 'package ' & $pkg & ' is ' & $package.status.S & ': presign it once it has SUCCEEDED' %}",
    )
    sign = lambda_invoke(
        "Presign files",
        function=url_signer.arn,
        payload=jsonata(
            "{'packageId': $pkg, 'packageName': $package.package_name.S, 'filesKey': $package.files_key.S}"
        ),
        retry=[LAMBDA_RETRY],
        output=jsonata("$states.result.Payload"),
    )
    ready = (
        Choice("Package ready?")
        .when("$package = null", missing)
        .when("$package.status.S = 'SUCCEEDED'", sign)
        .otherwise(not_ready)
    )
    read >> ready
    return StateMachine(
        "sharing_presign",
        read,
        query_language="JSONata",
        comment="Input {packageId}: a download script of presigned URLs (7 days), returned as a 24-hour URL",
    )


# -- package and push -----------------------------------------------------------------------------------------------
def child_failure(label: str, what: str) -> Choice:
    """A child execution that failed: ABORTED becomes PackageAborted naming the package; otherwise the child's own
    error goes up unchanged."""
    aborted = Fail(
        f"{label} aborted",
        error="PackageAborted",
        cause=f"{{% '{what} ' & $request.packageName & ' was aborted: nothing more was done' %}}",
    )
    failed = reraise(f"{label} failed", f"{label}Failed")
    return Choice(f"{label}: why?").when("$states.input.status = 'ABORTED'", aborted).otherwise(failed)


def package_push_machine(packaging: StateMachine, push: StateMachine) -> StateMachine:
    name = jsonata("$states.context.Execution.Name")
    package = start_execution(
        "Package",
        state_machine=machine_arn(packaging),
        execution_name=name,
        input={"packageName": jsonata("$request.packageName"), "packageRequest": jsonata("$request.packageRequest")},
        retry=[SFN_RETRY],
        assign={"packaged": jsonata("$states.result.Output")},
        catch=[Catch(["States.ALL"], child_failure("Packaging", "package"), output=ERROR)],
    )
    push_it = start_execution(
        "Push",
        state_machine=machine_arn(push),
        execution_name=name,
        input={"packageId": jsonata("$packaged.packageId"), "shareDestination": jsonata("$request.shareDestination")},
        retry=[SFN_RETRY],
        output=jsonata(
            "{'status': 'pushed', 'packageId': $packaged.packageId, 'packageName': $packaged.packageName,"
            " 'pushId': $states.result.Output.pushId, 'destination': $request.shareDestination,"
            " 'files': $states.result.Output.files, 'bytes': $states.result.Output.bytes, 'report': $packaged.report}"
        ),
        catch=[Catch(["States.ALL"], child_failure("Pushing", "push of"), output=ERROR)],
    )
    packaged_only = Succeed(
        "Packaged only",
        output=jsonata(
            "{'status': 'packaged', 'packageId': $packaged.packageId, 'packageName': $packaged.packageName,"
            " 'files': $packaged.files, 'bytes': $packaged.bytes, 'report': $packaged.report}"
        ),
    )
    push_or_not = (
        Choice("Destination given?").when("$exists($request.shareDestination)", push_it).otherwise(packaged_only)
    )
    package >> push_or_not
    push_it >> Succeed("Shared")
    start = Pass("Start", assign={"request": jsonata("$states.input")})
    start >> destination_check("Request", package)
    return StateMachine(
        "sharing_package_push",
        start,
        query_language="JSONata",
        timeout_seconds=36 * 3600,  # its packaging's 30 hours, then the push
        comment="Input {packageName, packageRequest, shareDestination?}: package, then push if a destination is given",
    )


# -- controller -----------------------------------------------------------------------------------------------------
def controller_machine(package_push: StateMachine) -> StateMachine:
    unreadable = Fail("Jobs file unreadable", error="JobsFileUnreadable",
                      cause=f"{{% 's3://{data.name_ref}/{Placeholder('jobs_key')} must be a JSON array of jobs: ' &"
                      " $string($states.input.cause) %}")  # fmt: skip
    plan = lambda_invoke(
        "Plan job",
        function=planner.arn,
        payload=jsonata("$states.input"),
        retry=[LAMBDA_RETRY],
        output=jsonata("$states.result.Payload"),
        catch=[Catch(["States.ALL"], Pass("Planning failed", output=jsonata(
            "{'job': $states.input.job, 'outcome': 'failed', 'error': $states.input.error,"
            " 'reason': $string($states.input.cause)}")),
            output=caught("{'job': $states.input.job.jobName}"))],
    )  # fmt: skip
    job = "$states.input.job"
    invalid = Pass(
        "Invalid job", output=jsonata(f"{{'job': {job}, 'outcome': 'invalid', 'reason': $states.input.reason}}")
    )
    skip = Pass("Skip job", output=jsonata(f"{{'job': {job}, 'outcome': 'skipped', 'reason': $states.input.reason}}"))
    duplicate = Pass(
        "Already shared",
        output=jsonata(f"{{'job': {job}, 'outcome': 'duplicate', 'execution': $states.input.executionName,"
                       " 'reason': 'this run was already shared for this job (execution ' & $states.input.executionName"
                       " & ')'}"),
    )  # fmt: skip
    failed = Pass(
        "Sharing failed",
        output=jsonata("{'job': $states.input.job, 'outcome': 'failed', 'error': $states.input.error,"
                       " 'reason': $string($states.input.cause)}"),
    )  # fmt: skip
    share = start_execution(
        "Package and push",
        state_machine=machine_arn(package_push),
        execution_name=jsonata("$states.input.executionName"),
        input=jsonata("$states.input.request"),
        retry=[SFN_RETRY],
        output=jsonata(
            f"{{'job': {job}, 'outcome': $states.result.Output.status, 'packageId': $states.result.Output.packageId,"
            " 'pushId': $states.result.Output.pushId, 'destination': $states.result.Output.destination,"
            " 'execution': $states.result.ExecutionArn}"
        ),
        catch=[
            Catch(["StepFunctions.ExecutionAlreadyExistsException"], duplicate, output=jsonata("$states.input")),
            Catch(["States.ALL"], failed, output=caught(f"{{'job': {job}}}")),
        ],
    )
    decide = (
        Choice("Share?")
        .when("$states.input.action = 'invalid'", invalid)
        .when("$states.input.action = 'skip'", skip)
        .otherwise(share)
    )
    plan >> decide
    value = "$states.context.Map.Item.Value"
    each = Map(
        "For each job",
        mode="DISTRIBUTED",
        execution_type="STANDARD",
        item_reader=ItemReader(
            "arn:aws:states:::s3:getObject",
            {"Bucket": data.name_ref, "Key": Placeholder("jobs_key")},
            ReaderConfig(input_type="JSON"),
        ),
        item_selector={"job": jsonata(value), "instrumentRunId": jsonata("$states.input.instrumentRunId"),
                       "duplicates": jsonata("$duplicates")},
        max_concurrency=number_parameter("jobs_max_concurrency"),
        processor=plan,
        label="ForEachJob",
        output=jsonata(
            "($r := $states.result;"
            " {'instrumentRunId': $states.input.instrumentRunId, 'jobs': $r,"
            "  'counts': {'pushed': $count($r[outcome = 'pushed']), 'packaged': $count($r[outcome = 'packaged']),"
            "   'skipped': $count($r[outcome = 'skipped']), 'duplicate': $count($r[outcome = 'duplicate']),"
            "   'invalid': $count($r[outcome = 'invalid']), 'failed': $count($r[outcome = 'failed'])}})"
        ),
        catch=[
            Catch(
                # AWS reports an unreadable file as States.ItemReaderFailed; LocalStack a parse error as States.Runtime.
                ["States.ItemReaderFailed", "States.Runtime"], unreadable, output=ERROR,
            ),
            Catch(["States.ALL"], reraise("Controller failed", "ControllerFailed"), output=ERROR),
        ],
    )  # fmt: skip
    # Executions are named after the job: a name two entries carry could share once, for one of them by chance.
    # One read of jobs.json names them; the Map's planner refuses each such entry (the others go on).
    names = lambda_invoke(
        "Check job names",
        function=names_check.arn,
        payload={"bucket": data.name_ref, "key": Placeholder("jobs_key")},
        retry=[LAMBDA_RETRY],
        assign={"duplicates": jsonata("$states.result.Payload.duplicates")},
        output=jsonata("$states.input"),
        catch=[Catch(["JobsFileUnreadable"], unreadable, output=ERROR)],
    )
    names >> each
    invalid_trigger = Fail(
        "Invalid trigger",
        error="InvalidTrigger",
        cause="{% 'a ReadSetsAdded (or FastqListRowsAdded) detail needs instrumentRunId (a non-empty string), got '"
        " & $string($states.input) %}",
    )
    check = (
        Choice("Valid trigger?")
        .when("$type($states.input.instrumentRunId) = 'string' and $length($states.input.instrumentRunId) > 0", names)
        .otherwise(invalid_trigger)
    )
    return StateMachine(
        "sharing_controller",
        check,
        query_language="JSONata",
        placeholders=(data.name_ref.name, "jobs_key"),
        comment="ReadSetsAdded detail in: every enabled job with a project in the run is packaged and pushed, once",
    )


PACKAGING = packaging_machine()
PUSH = push_machine()
PRESIGN = presign_machine()
PACKAGE_PUSH = package_push_machine(PACKAGING, PUSH)
CONTROLLER = controller_machine(PACKAGE_PUSH)
MACHINES = [CONTROLLER, PACKAGE_PUSH, PACKAGING, PUSH, PRESIGN]

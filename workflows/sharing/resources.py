"""What automatic data sharing declares besides its state machines: stores, functions, the trigger's bus."""

from __future__ import annotations

import json

from aslkit.asl import Placeholder, Retry
from aslkit.events import EventBus
from aslkit.resources import Api, Bucket, Function, Route, Secret, Table, operates, publishes_to, reads, writes
from aslkit.spec import Required, machine_arn

#: The library metadata the LIMS sync writes (one item per instrument run and library; see tasks/sharing/libraries).
libraries = Table("sharing_libraries", partition_key=("instrument_run_id", "S"), sort_key=("library_id", "S"))
#: The workflow manager's runs (one item per library and workflow run; see tasks/sharing/workflow_runs): the
#: secondary analysis a package of the `secondaryAnalysis` data type shares.
workflow_runs = Table("sharing_workflow_runs", partition_key=("library_id", "S"), sort_key=("portal_run_id", "S"))
#: Package and push job records: `pkg.<ULID>`, `psh.<ULID>`.
jobs = Table("sharing_jobs", partition_key=("id", "S"))
#: Every file a push copied: push id + the file's path in the package -> where it came from and went, when, how big.
pushed_files = Table("sharing_pushed_files", partition_key=("push_id", "S"), sort_key=("relative_path", "S"))
#: Job definitions (`auto_package_push_jobs/jobs.json`), manifests, reports and download scripts.
data = Bucket("sharing_data")
#: The primary data (FASTQ) the libraries' `fastq_uri` point into.
fastq = Bucket("sharing_fastq")
#: The secondary analysis outputs the workflow runs' `output_uri` point into.
analysis = Bucket("sharing_analysis")
bus = EventBus("sharing_bus")
presign_keys = Secret(
    "sharing_presign_keys",
    local_value=json.dumps({"aws_access_key_id": "test", "aws_secret_access_key": "test"}),
    description="Long-term keys of the IAM user that signs package URLs (7-day links outlive role sessions)",
    rotation="access keys of the IAM user that signs 7-day download links: an operator rotates them (a second key "
    "put here, the old one deleted once the last link it signed has expired, after 7 days); a rotation Lambda that "
    "deleted the old key at once would break every link still in use",
)

icav2_key = Secret(
    "sharing_icav2_api_key",
    local_value="icav2-local-key",
    description="ICAv2 API key of the user that pushes packages to ICAv2 projects (icav2:// destinations)",
    rotation="an Illumina Connected Analytics (ICAv2) API key, issued in ICA's console: an operator creates a new key "
    "there and puts it here (aws secretsmanager put-secret-value); no rotation Lambda can create ICA keys",
)

planner = Function(
    "sharing_job_planner",
    handler="tasks.sharing.jobs.handler",
    timeout=30,
    environment={"LIBRARY_TABLE": libraries.name_ref},
    access=[reads(libraries)],
    description="Validate one jobs.json entry and match its projects against the run's libraries",
)
names_check = Function(
    "sharing_job_names",
    handler="tasks.sharing.jobs.names_handler",
    timeout=30,
    access=[reads(data)],
    description="Read jobs.json once per run and name the job names it holds more than once",
)
registrar = Function(
    "sharing_registrar",
    handler="tasks.sharing.records.handler",
    timeout=10,
    environment={"JOBS_TABLE": jobs.name_ref},
    access=[writes(jobs)],
    description="Validate a package or push request and record it (pkg.<ULID> / psh.<ULID>, PENDING)",
)
collector = Function(
    "sharing_collector",
    handler="tasks.sharing.packaging.collect_handler",
    metrics=("FilesPackaged", "BytesPackaged"),
    timeout=900,
    memory=1024,
    environment={
        "LIBRARY_TABLE": libraries.name_ref,
        "SHARING_BUCKET": data.name_ref,
        "WORKFLOW_RUN_TABLE": workflow_runs.name_ref,
    },
    access=[reads(libraries), reads(workflow_runs), reads(fastq), reads(analysis), writes(data)],
    description="Collect a package's libraries, FASTQ files and workflow runs' outputs (sizes, checksums) into its "
    "manifest",
)
reporter = Function(
    "sharing_reporter",
    handler="tasks.sharing.packaging.report_handler",
    timeout=120,
    memory=512,
    environment={"SHARING_BUCKET": data.name_ref},
    access=[writes(data)],
    description="Render a package's HTML report from its manifest",
)
url_signer = Function(
    "sharing_url_signer",
    handler="tasks.sharing.presign.handler",
    timeout=300,
    environment={"SHARING_BUCKET": data.name_ref, "PRESIGN_SECRET_ID": presign_keys.arn},
    access=[writes(data), reads(presign_keys)],
    description="Presign every file of a package into a download script, and presign the script",
)
icav2_uploader = Function(
    "sharing_icav2_uploader",
    handler="tasks.sharing.icav2.handler",
    timeout=900,
    memory=1024,
    environment={"ICAV2_BASE_URL": Placeholder("icav2_base_url"), "ICAV2_SECRET_ID": icav2_key.arn},
    access=[reads(fastq), reads(analysis), reads(icav2_key)],
    description="Upload one file of a package to an ICAv2 project (project data API, temporary credentials)",
)
API_FUNCTION = "sharing_api_handler"
#: The sharing manager's REST API (tasks/sharing/api.py): IAM on every operation; its OpenAPI at /openapi.json.
api = Api(
    "sharing_api",
    routes=[
        Route("GET" if method == "GET" else "POST", path, API_FUNCTION)
        for method, path in [
            ("POST", "/packages"),
            ("GET", "/packages/{packageId}"),
            ("GET", "/packages/{packageId}/report"),
            ("POST", "/packages/{packageId}/push"),
            ("POST", "/packages/{packageId}/presign"),
            ("POST", "/packages/{packageId}/abort"),
            ("GET", "/pushes/{pushId}"),
            ("POST", "/pushes/{pushId}/abort"),
            ("GET", "/openapi.json"),
            ("GET", "/swagger"),
        ]
    ],
    description="Data sharing: generate, view, push, presign and abort packages (IAM-authorised)",
    auth="iam",
)
api_handler = Function(
    API_FUNCTION,
    handler="tasks.sharing.api.handler",
    timeout=29,
    environment={
        "PACKAGING_MACHINE": machine_arn("sharing_packaging"),
        "PUSH_MACHINE": machine_arn("sharing_push"),
        "PRESIGN_MACHINE": machine_arn("sharing_presign"),
        "JOBS_TABLE": jobs.name_ref,
        "EVENT_BUS_NAME": bus.name_ref,
    },
    access=[
        writes(jobs),
        reads(data),
        publishes_to(bus),
        *(operates(name) for name in ("sharing_packaging", "sharing_push", "sharing_presign")),
    ],
    description="The sharing manager's REST API: start, read and abort packages and pushes for IAM callers",
)
FUNCTIONS = [planner, names_check, registrar, collector, reporter, url_signer, icav2_uploader, api_handler]

LAMBDA_RETRY = Retry.lambda_transient()
CONDITIONAL = "DynamoDB.ConditionalCheckFailedException"
JOBS_KEY = "auto_package_push_jobs/jobs.json"

PARAMETERS: dict[str, str | Required] = {
    "jobs_key": JOBS_KEY,
    "jobs_max_concurrency": "5",
    # A push waits for its package when packaging is still running (a push started by hand right after
    # generate-package): every package_poll_seconds, at most package_poll_max_attempts times.
    "package_poll_seconds": "60",
    "package_poll_max_attempts": "180",
    "copy_max_concurrency": "20",
    # Archived FASTQs (Glacier Flexible Retrieval, Deep Archive) are restored for restore_days before the package is
    # ready: the packaging looks every restore_poll_seconds, at most restore_poll_max_attempts times (Standard
    # retrievals take 3-5 hours, Deep Archive's up to 12: 30 min x 48 is a day).
    "restore_tier": "Standard",
    "restore_days": "7",
    "restore_poll_seconds": "1800",
    "restore_poll_max_attempts": "48",
    # Objects of at least this size are copied in parts (UploadPartCopy) of copy_part_bytes each; CopyObject
    # takes at most 5 GiB.
    "multipart_copy_bytes": str(1024**3),
    "copy_part_bytes": str(256 * 1024**2),
    # ICAv2's REST API (icav2:// destinations); a stage in another region names its own
    "icav2_base_url": "https://ica.illumina.com/ica/rest",
    # Where pushes may write, for the push machine's role: an S3 object ARN pattern the stage names.
    "share_destination_objects": Required(
        "the S3 objects pushes may write (an ARN pattern such as arn:aws:s3:::partner-shares/*)",
        local="arn:aws:s3:::*/*",
    ),
}

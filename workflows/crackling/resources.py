"""What Crackling declares besides its state machine: the API, stores, functions, the bus and the topic."""

from __future__ import annotations

from aslkit.asl.values import Placeholder
from aslkit.events import EventBus
from aslkit.resources import Api, Bucket, ContainerJob, Function, Route, Table, Topic, publishes_to, reads, writes
from aslkit.spec import Required

jobs = Table("crackling_jobs", partition_key=("job_id", "S"))
guides = Table("crackling_guides", partition_key=("job_id", "S"), sort_key=("guide", "S"))
#: One item per accession: the genome cache's single-flight lock and state (BUILDING, READY, FAILED).
genomes = Table("crackling_genomes", partition_key=("accession", "S"))
#: Genomes (genomes/<accession>/genomic.fna.gz), indexes (indexes/<accession>.crkidx), jobs' batches, results.
data = Bucket("crackling_data")
bus = EventBus("crackling_bus")
notifications = Topic("crackling_notifications")

#: Jobs accepted per UTC day, counted atomically (the public API's daily quota); each day's item expires after a week.
quota = Table("crackling_quota", partition_key=("day", "S"), ttl_attribute="expires")

common = {"DATA_BUCKET": data.name_ref}
HTTP = "crackling_http"
api = Api(
    "crackling_api",
    routes=[
        Route(method, path, HTTP)
        for path in ("/submit", "/results/{jobId}", "/progress/{jobId}")
        for method in ("POST" if path == "/submit" else "GET", "OPTIONS")
    ],
    description="Crackling: submit a guide design job, follow its progress, read its results",
    # a public API: every stage throttles it (and the handler bounds requests and counts a daily quota)
    rate_limit=Placeholder("api_rate_limit"),
    burst_limit=Placeholder("api_burst_limit"),
)
#: The page that submits a job and shows its guides (web/crackling), with the API's URL in config.json.
site = Bucket("crackling_site", site="web/crackling", site_config={"api": api.url})
http = Function(
    HTTP,
    handler="tasks.crackling.api.handler",
    timeout=15,
    environment={
        "JOBS_TABLE": jobs.name_ref,
        "GUIDES_TABLE": guides.name_ref,
        "QUOTA_TABLE": quota.name_ref,
        "EVENT_BUS": bus.name_ref,
        "DATA_BUCKET": data.name_ref,
        "ALLOWED_ORIGIN": site.origin,  # CORS: the page's own origin only
        "DAILY_JOB_QUOTA": Placeholder("daily_job_quota"),
        "MAX_REQUEST_BYTES": Placeholder("max_request_bytes"),
    },
    access=[writes(jobs), reads(guides), writes(quota), reads(data), publishes_to(bus)],
    description="POST /submit (bounded, counted, validated, recorded, JobSubmitted), GET /progress and /results",
)

planner = Function(
    "crackling_download_planner",
    handler="tasks.crackling.source.plan_handler",
    timeout=60,
    environment={"GENOME_SOURCE": Placeholder("genome_source")},
    description="Find an assembly's genomic FASTA at the source and plan its download in byte ranges",
)
fetcher = Function(
    "crackling_part_fetcher",
    handler="tasks.crackling.source.part_handler",
    timeout=300,
    memory=1024,
    access=[writes(data)],
    description="Fetch one byte range of a genome and upload it as a part of the S3 multipart upload",
)
indexer = Function(
    "crackling_indexer",
    handler="tasks.crackling.indexer.handler",
    timeout=900,
    memory=4096,
    environment=common,
    access=[writes(data)],
    description="Build a genome's off-target index (every NGG protospacer, both strands, 2-bit packed, counted)",
)
scanner = Function(
    "crackling_scanner",
    handler="tasks.crackling.guides.scan_handler",
    timeout=60,
    environment=common,
    access=[writes(data)],
    description="Find a job's candidate guides and write them in batches",
)
scorer = Function(
    "crackling_scorer",
    handler="tasks.crackling.guides.score_handler",
    metrics=("GuidesScored", "GuidesSelected"),
    timeout=300,
    # the index is mapped from /tmp, not loaded: a human-sized one (about 4 GB) fits the disk, not the memory
    memory=2048,
    ephemeral_storage=10240,
    environment=common,
    access=[writes(data)],
    description="Score a batch of guides: on-target consensus, then MIT specificity against the mapped index",
)
store = Function(
    "crackling_guide_store",
    handler="tasks.crackling.guides.store_handler",
    timeout=300,
    environment={**common, "GUIDES_TABLE": guides.name_ref},
    access=[writes(data), writes(guides)],
    description="Write a job's scored guides to DynamoDB and to a CSV",
)
FUNCTIONS = [http, planner, fetcher, indexer, scanner, scorer, store]
#: The same indexer for genomes the Lambda cannot hold (human: about 3 GB of sequence, a 4 GB index), on AWS Batch
#: (Fargate) in the image tasks/Dockerfile builds; the stage may name its own job queue (adopt) instead.
index_job = ContainerJob(
    "crackling_index",
    module="tasks.crackling.indexer",
    arguments=("--genome-key", "Ref::genomeKey", "--index-key", "Ref::indexKey"),
    vcpus=4,
    memory=30720,
    ephemeral_storage=50,
    timeout=4 * 3600,
    attempts=2,
    max_vcpus=16,
    environment=common,
    access=[writes(data)],
    description="Build the off-target index of a genome too large for the indexer Lambda",
)

PARAMETERS: dict[str, str | Required] = {
    "genome_source": "https://ftp.ncbi.nlm.nih.gov/genomes/all",
    "download_part_bytes": str(64 * 1024**2),
    "download_max_concurrency": "8",
    # Genomes whose gzipped FASTA is larger are indexed by the AWS Batch job (index_job) instead of the Lambda.
    "index_lambda_max_bytes": str(200 * 1024**2),
    # A job waiting for another job's genome build checks every genome_poll_seconds, at most this many times; a
    # build lock older than genome_lock_seconds is taken over (its builder died).
    "genome_poll_seconds": "30",
    "genome_poll_max_attempts": "240",
    "genome_lock_seconds": "7200",
    "score_batch_size": "100",
    "score_max_concurrency": "10",
    # the public API's bounds, per stage: API Gateway's throttling (requests per second, burst), the jobs it accepts
    # a UTC day (each job is a genome download and an execution at the account's cost), a request's size
    # the SES identity (an address or a domain's address) the submitters' mails come from: the stage verifies it
    "email_sender": Required(
        "the SES-verified address Crackling mails its submitters from (crackling@your.domain)",
        local="crackling@example.org",
    ),
    "api_rate_limit": "5",
    "api_burst_limit": "10",
    "daily_job_quota": "500",
    "max_request_bytes": "65536",
}

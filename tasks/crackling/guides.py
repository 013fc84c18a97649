"""A job's guides: scanned into batches, scored batch by batch, stored as items and as a CSV.

S3 layout per job: `jobs/<id>/batches/<n>.json` (candidates), `jobs/<id>/scored/<n>.json` (scored guides),
`results/<id>/guides.csv`. State stays small whatever the number of candidates: only keys travel in the execution.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.crackling.index import OfftargetIndex
from tasks.crackling.offtarget import THRESHOLD, mit_specificity
from tasks.crackling.ontarget import assess
from tasks.crackling.scan import Candidate, candidates, clean

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "aslkit"))
CSV_FIELDS = ("guide", "strand", "start", "end", "consensus", "chopchop_g20", "mm10db", "sgrnascorer2", "doench2014",
              "mit", "offtarget_sites", "efficient", "specific", "selected")  # fmt: skip


def score(candidate: dict[str, Any], index: OfftargetIndex) -> dict[str, Any]:
    """One guide's scores. Guides that fail the consensus are not scored for off-targets (Crackling's default)."""
    on = assess(candidate["seq"], candidate["context"])
    mit, sites = mit_specificity(candidate["seq"][:20], index) if on.accepted else (None, None)
    return {
        "guide": candidate["seq"], "strand": candidate["strand"], "start": candidate["start"],
        "end": candidate["end"], "consensus": on.consensus, "chopchop_g20": on.chopchop_g20, "mm10db": on.mm10db,
        "sgrnascorer2": on.sgrnascorer2, "doench2014": on.doench2014, "mit": None if mit is None else round(mit, 4),
        "offtarget_sites": sites,
        "efficient": on.accepted, "specific": mit is not None and mit >= THRESHOLD,
        "selected": on.accepted and mit is not None and mit >= THRESHOLD, "ontarget": on.to_json(),
    }  # fmt: skip


def split(found: list[Candidate], size: int) -> list[list[dict[str, Any]]]:
    rows = [asdict(c) for c in found]
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def csv_text(guides: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for guide in guides:
        writer.writerow({k: "" if guide.get(k) is None else guide[k] for k in CSV_FIELDS})
    return out.getvalue()


#: Where the scorer keeps the indexes it maps (Lambda's ephemeral storage)
INDEX_DIR = Path(tempfile.gettempdir())


@lru_cache(maxsize=2)
def _index(bucket: str, key: str, etag: str) -> OfftargetIndex:
    """The genome's index, downloaded (streamed to /tmp) once per warm environment and version, then mapped: its
    size is the disk's to hold, not the memory's. Only the newest other index is kept beside it."""
    name = hashlib.sha256(f"{bucket}/{key}/{etag}".encode()).hexdigest()[:16]
    path = INDEX_DIR / f"crackling-index-{name}.crkidx"
    if not path.exists():
        older = sorted(INDEX_DIR.glob("crackling-index-*.crkidx"), key=lambda p: p.stat().st_mtime)
        for stale in older[:-1]:
            stale.unlink(missing_ok=True)  # a mapping of it stays valid until it is dropped
        partial = path.with_suffix(".part")
        boto3.client("s3").download_file(bucket, key, str(partial))
        partial.replace(path)
    return OfftargetIndex.open(path)


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def scan_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    s3, bucket, job = boto3.client("s3"), os.environ["DATA_BUCKET"], event["jobId"]
    found = candidates(clean(event["sequence"]))
    keys = []
    for n, batch in enumerate(split(found, int(event["batchSize"]))):
        key = f"jobs/{job}/batches/{n:05d}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(batch).encode())
        keys.append(key)
    return {"candidates": len(found), "batches": keys}


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def score_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    s3, bucket = boto3.client("s3"), os.environ["DATA_BUCKET"]
    etag = s3.head_object(Bucket=bucket, Key=event["indexKey"])["ETag"]
    index = _index(bucket, event["indexKey"], etag)  # warm containers keep the genome's index
    batch = json.loads(s3.get_object(Bucket=bucket, Key=event["batchKey"])["Body"].read())
    scored = [score(candidate, index) for candidate in batch]
    key = event["batchKey"].replace("/batches/", "/scored/")
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(scored).encode())
    result = {"scoredKey": key, "guides": len(scored), "efficient": sum(g["efficient"] for g in scored),
              "selected": sum(g["selected"] for g in scored)}  # fmt: skip
    metrics.add_metric(name="GuidesScored", unit=MetricUnit.Count, value=result["guides"])
    metrics.add_metric(name="GuidesSelected", unit=MetricUnit.Count, value=result["selected"])
    return result


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def store_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    s3, bucket, job = boto3.client("s3"), os.environ["DATA_BUCKET"], event["jobId"]
    guides: list[dict[str, Any]] = []
    for key in event["scoredKeys"]:
        guides += json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    guides.sort(key=lambda g: (g["start"], g["strand"]))
    table = boto3.resource("dynamodb").Table(os.environ["GUIDES_TABLE"])
    with table.batch_writer(overwrite_by_pkeys=["job_id", "guide"]) as writer:
        for guide in guides:
            item = json.loads(json.dumps({**guide, "job_id": job}), parse_float=Decimal)
            writer.put_item(Item={k: v for k, v in item.items() if v is not None})
    key = f"results/{job}/guides.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=csv_text(guides).encode(), ContentType="text/csv")
    return {"guides": len(guides), "efficient": sum(g["efficient"] for g in guides),
            "selected": sum(g["selected"] for g in guides), "csv": f"s3://{bucket}/{key}"}  # fmt: skip

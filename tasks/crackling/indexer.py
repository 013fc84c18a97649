"""Build a genome's off-target index from its FASTA in S3 and store it beside it.

The same code runs as a Lambda (genomes up to the `index_lambda_max_bytes` parameter) and, above it, as the AWS
Batch job `crackling_index`: `python -m tasks.crackling.indexer --genome-key K --index-key K2` (the bucket from
DATA_BUCKET, as the Lambda's), which prints what it built as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.crackling.index import build_from_fasta_gz

logger = Logger()
tracer = Tracer()


def index_genome(s3: Any, bucket: str, genome_key: str, index_key: str) -> dict[str, Any]:
    started = time.perf_counter()
    data = s3.get_object(Bucket=bucket, Key=genome_key)["Body"].read()
    index = build_from_fasta_gz(data)
    s3.put_object(Bucket=bucket, Key=index_key, Body=index.to_bytes(), ContentType="application/octet-stream")
    return {"indexKey": index_key, "bases": index.bases, "sites": index.sites,
            "protospacers": len(index.signatures), "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = index_genome(boto3.client("s3"), os.environ["DATA_BUCKET"], event["genomeKey"], event["indexKey"])
    logger.info("index built", extra=result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="build a Crackling off-target index (the AWS Batch job)")
    parser.add_argument("--bucket", default=os.environ.get("DATA_BUCKET"), help="default: $DATA_BUCKET")
    parser.add_argument("--genome-key", required=True)
    parser.add_argument("--index-key", required=True)
    args = parser.parse_args(argv)
    if not args.bucket:
        parser.error("no bucket: give --bucket or set DATA_BUCKET")
    # an error ends the process with its traceback in the job's log and exit status 1, which Batch records
    print(json.dumps(index_genome(boto3.client("s3"), args.bucket, args.genome_key, args.index_key)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Where a genome comes from, and how it is fetched in parts.

NCBI's layout (`https://ftp.ncbi.nlm.nih.gov/genomes/all`, mirrored by the local stand-in): the assembly
GCA_000482205.1 lives in `GCA/000/482/205/<accession>_<assembly name>/`, whose FASTA is
`<accession>_<assembly name>_genomic.fna.gz`. The assembly name is read from the directory's listing.
The download is planned as byte ranges of `part_bytes` (S3 takes parts of 5 MiB or more, except the last); each
part is fetched with an HTTP Range request and uploaded as one part of an S3 multipart upload.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.crackling.genome import ACCESSION

logger = Logger()
tracer = Tracer()
TIMEOUT = 60


class GenomeNotFound(LookupError):
    """The source has no assembly of that accession."""


class SourceUnavailable(RuntimeError):
    """The source could not answer now (HTTP 5xx or 429, or no connection): the state machine tries again."""


class PartDownloadFailed(RuntimeError):
    """One byte range of the genome could not be fetched (the state machine retries, then names the part)."""


def assembly_directory(base: str, accession: str) -> str:
    if not ACCESSION.match(accession):
        raise GenomeNotFound(f"{accession!r} is not an NCBI assembly accession such as GCA_000482205.1")
    digits = accession[4:13]
    return f"{base.rstrip('/')}/{accession[:3]}/{digits[0:3]}/{digits[3:6]}/{digits[6:9]}/"


def _open(request: urllib.request.Request) -> Any:
    return urllib.request.urlopen(request, timeout=TIMEOUT)


@contextlib.contextmanager
def _answered(request: urllib.request.Request, what: str, missing: str) -> Iterator[Any]:
    """The source's response to `request`. A 404 (or another 4xx) means the assembly is not there
    (`GenomeNotFound`); a 5xx, a 429, no answer at all or one cut short, that the source cannot answer now
    (`SourceUnavailable`)."""
    try:
        with _open(request) as response:
            yield response
    except urllib.error.HTTPError as error:
        if error.code < 500 and error.code != 429:
            raise GenomeNotFound(f"{missing} (HTTP {error.code})") from None
        raise SourceUnavailable(f"{what}: HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise SourceUnavailable(f"{what}: {getattr(error, 'reason', error)}") from None


def resolve(base: str, accession: str) -> str:
    """The URL of the assembly's genomic FASTA (gzipped)."""
    directory = assembly_directory(base, accession)
    with _answered(urllib.request.Request(directory), f"the listing of {directory}",
                   f"no assembly directory for {accession} at {directory}") as response:  # fmt: skip
        listing = response.read().decode(errors="replace")
    names = sorted(set(re.findall(rf'href="({re.escape(accession)}_[^"/]+)/?"', listing)))
    if not names:
        raise GenomeNotFound(f"the listing of {directory} has no assembly {accession}")
    name = names[-1]  # a replaced assembly name sorts last
    return f"{directory}{name}/{name}_genomic.fna.gz"


def plan(url: str, part_bytes: int) -> dict[str, Any]:
    """The size of the file and its parts (1-based PartNumber, an HTTP Range each)."""
    with _answered(urllib.request.Request(url, method="HEAD"), url, url) as response:
        size = int(response.headers["Content-Length"])
        ranges = response.headers.get("Accept-Ranges", "")
    if ranges != "bytes":
        raise GenomeNotFound(f"{url} does not serve byte ranges (Accept-Ranges: {ranges or 'absent'})")
    parts = [
        {"PartNumber": n + 1, "Range": f"bytes={start}-{min(start + part_bytes, size) - 1}"}
        for n, start in enumerate(range(0, size, part_bytes))
    ]
    return {"url": url, "size": size, "parts": parts}


def fetch_part(url: str, byte_range: str) -> bytes:
    start, end = (int(x) for x in byte_range.removeprefix("bytes=").split("-"))
    try:
        with _open(urllib.request.Request(url, headers={"Range": byte_range})) as response:
            body: bytes = response.read()
            status = response.status
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
        # HTTPException: an answer cut short (IncompleteRead) or garbled
        raise PartDownloadFailed(f"{byte_range} of {url}: {error}") from None
    if status != 206 or len(body) != end - start + 1:
        raise PartDownloadFailed(
            f"{byte_range} of {url}: HTTP {status}, {len(body)} bytes instead of {end - start + 1}"
        )
    return body


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def plan_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    url = resolve(os.environ["GENOME_SOURCE"], event["accession"])
    planned = plan(url, int(event["partBytes"]))
    logger.info("download planned", extra={"url": url, "size": planned["size"], "parts": len(planned["parts"])})
    return planned


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def part_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        body = fetch_part(event["url"], event["Range"])
    except PartDownloadFailed as error:
        raise PartDownloadFailed(f"part {event['PartNumber']} ({error})") from None
    etag = boto3.client("s3").upload_part(Bucket=event["bucket"], Key=event["key"], UploadId=event["uploadId"],
                                          PartNumber=event["PartNumber"], Body=body)["ETag"]  # fmt: skip
    return {"PartNumber": event["PartNumber"], "ETag": etag}

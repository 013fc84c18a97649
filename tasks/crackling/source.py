"""Where a genome comes from, and how it is fetched in parts.

NCBI's layout (`https://ftp.ncbi.nlm.nih.gov/genomes/all`, mirrored by the local stand-in): the assembly
GCA_000482205.1 lives in `GCA/000/482/205/<accession>_<assembly name>/`, whose FASTA is
`<accession>_<assembly name>_genomic.fna.gz`. The assembly name is read from the directory's listing.
The download is planned as byte ranges of `part_bytes` (S3 takes parts of 5 MiB or more, except the last); each
part is fetched with an HTTP Range request and uploaded as one part of an S3 multipart upload.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.crackling.genome import ACCESSION

logger = Logger()
TIMEOUT = 60


class GenomeNotFound(LookupError):
    """The source has no assembly of that accession."""


class PartDownloadFailed(RuntimeError):
    """One byte range of the genome could not be fetched (the state machine retries, then names the part)."""


def assembly_directory(base: str, accession: str) -> str:
    if not ACCESSION.match(accession):
        raise GenomeNotFound(f"{accession!r} is not an NCBI assembly accession such as GCA_000482205.1")
    digits = accession[4:13]
    return f"{base.rstrip('/')}/{accession[:3]}/{digits[0:3]}/{digits[3:6]}/{digits[6:9]}/"


def _open(request: urllib.request.Request) -> Any:
    return urllib.request.urlopen(request, timeout=TIMEOUT)


def resolve(base: str, accession: str) -> str:
    """The URL of the assembly's genomic FASTA (gzipped)."""
    directory = assembly_directory(base, accession)
    try:
        with _open(urllib.request.Request(directory)) as response:
            listing = response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        raise GenomeNotFound(f"no assembly directory for {accession} at {directory} (HTTP {error.code})") from None
    names = sorted(set(re.findall(rf'href="({re.escape(accession)}_[^"/]+)/?"', listing)))
    if not names:
        raise GenomeNotFound(f"the listing of {directory} has no assembly {accession}")
    name = names[-1]  # a replaced assembly name sorts last
    return f"{directory}{name}/{name}_genomic.fna.gz"


def plan(url: str, part_bytes: int) -> dict[str, Any]:
    """The size of the file and its parts (1-based PartNumber, an HTTP Range each)."""
    try:
        with _open(urllib.request.Request(url, method="HEAD")) as response:
            size = int(response.headers["Content-Length"])
            ranges = response.headers.get("Accept-Ranges", "")
    except urllib.error.HTTPError as error:
        raise GenomeNotFound(f"{url}: HTTP {error.code}") from None
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
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise PartDownloadFailed(f"{byte_range} of {url}: {error}") from None
    if status != 206 or len(body) != end - start + 1:
        raise PartDownloadFailed(
            f"{byte_range} of {url}: HTTP {status}, {len(body)} bytes instead of {end - start + 1}"
        )
    return body


@logger.inject_lambda_context
def plan_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    url = resolve(os.environ["GENOME_SOURCE"], event["accession"])
    planned = plan(url, int(event["partBytes"]))
    logger.info("download planned", extra={"url": url, "size": planned["size"], "parts": len(planned["parts"])})
    return planned


@logger.inject_lambda_context
def part_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        body = fetch_part(event["url"], event["Range"])
    except PartDownloadFailed as error:
        raise PartDownloadFailed(f"part {event['PartNumber']} ({error})") from None
    etag = boto3.client("s3").upload_part(Bucket=event["bucket"], Key=event["key"], UploadId=event["uploadId"],
                                          PartNumber=event["PartNumber"], Body=body)["ETag"]  # fmt: skip
    return {"PartNumber": event["PartNumber"], "ETag": etag}

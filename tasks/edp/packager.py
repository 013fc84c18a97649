"""Build a Quilt package of a flushed prefix and push it (quilt3, the real Quilt client).

The package holds every object under the prefix (logical keys relative to it), plus `README.md`,
`quilt_summarize.json` and `.quiltignore` when the prefix has none. Its user metadata is what EDP knows about the
batch (`edp`: bucket, prefix, objects, epoch, window) merged with the producer's `metadata.json` from the prefix, if
any; it is validated against `schemas/package_metadata.schema.json`. A valid package goes to the registry bucket, an
invalid one to the quarantine bucket (the state machine then notifies and fails with PackageMetadataInvalid).
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from jsonschema import Draft202012Validator

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "aslkit"))
SCHEMA = Path(__file__).with_name("schemas") / "package_metadata.schema.json"
METADATA_FILE = "metadata.json"
IGNORE = "# Files quilt3 leaves out of the package when it is re-built from a folder\n.DS_Store\n*.tmp\n*.part\n"


class InvalidBatchEvent(ValueError):
    """The event is not package-objects-ready with a bucket and a prefix."""


def package_name(prefix: str) -> str:
    """Quilt names are `namespace/name`: the prefix's first segment and the rest joined with `_`
    (`run1/lane1/` -> `run1/lane1`, `run1/` -> `edp/run1`, `a/b/c/` -> `a/b_c`)."""
    parts = [part for part in prefix.strip("/").split("/") if part]
    if not parts:
        raise InvalidBatchEvent("the prefix is empty: a package needs one")
    safe = ["".join(c if c.isalnum() or c in "-_." else "_" for c in part) for part in parts]
    return f"edp/{safe[0]}" if len(safe) == 1 else f"{safe[0]}/{'_'.join(safe[1:])}"


def readme(name: str, bucket: str, prefix: str, keys: list[str], errors: list[str] | None = None) -> str:
    """The package's README.md: where it came from and what it holds; for a quarantined package, first, why."""
    listing = "\n".join(f"- `{key}`" for key in keys[:50]) + (f"\n- … {len(keys) - 50} more" if len(keys) > 50 else "")
    why = ""
    if errors:
        fix = f"Fix `{METADATA_FILE}` under the prefix and upload again: the next flush packages it anew."
        why = (
            "## Quarantined: its metadata failed validation\n\n" + "".join(f"- {e}\n" for e in errors) + f"\n{fix}\n\n"
        )
    return (
        f"# {name}\n\nPackaged by event-driven packaging from `s3://{bucket}/{prefix}` ({len(keys)} objects).\n\n"
        f"{why}{listing}\n"
    )


def catalog_url(catalog: str, registry: str, name: str) -> str | None:
    """The package's page in a Quilt catalog (the original's QUILT_URL), when the deployment names one."""
    return f"{catalog.rstrip('/')}/b/{registry}/packages/{name}" if catalog else None


def summarize(keys: list[str]) -> list[str]:
    """quilt_summarize.json: what the catalog previews first (the README, then tables and reports)."""
    shown = [key for key in keys if key.rsplit(".", 1)[-1].lower() in ("csv", "tsv", "html", "md", "json", "txt")]
    return ["README.md", *[key for key in shown if key != "README.md"][:9]]


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA.read_text()))


def validate(metadata: dict[str, Any]) -> list[str]:
    """Every validation error, as `path: message` (an empty list when the metadata is valid)."""
    errors = sorted(_validator().iter_errors(metadata), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {_message(error)}" for error in errors]


def _message(error: Any) -> str:
    if list(error.absolute_path) == ["producer_metadata"]:
        return f"{METADATA_FILE} must hold a JSON object, not {error.instance!r}"
    return str(error.message)


def metadata(detail: dict[str, Any], keys: list[str], producer: Any) -> dict[str, Any]:
    edp = {"bucket": detail["bucket"], "prefix": detail["prefix"], "objects": len(keys)}
    for field in ("epoch", "window"):
        if field in detail:
            edp[field] = detail[field]
    if producer is None:
        return {"edp": edp}
    if not isinstance(producer, dict):
        return {"edp": edp, "producer_metadata": producer}  # reported invalid below, kept for the record
    return {**producer, "edp": edp}


def _list(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"][len(prefix) :] for item in page.get("Contents", []) if not item["Key"].endswith("/")]
    return sorted(keys)


def _producer_metadata(s3: Any, bucket: str, prefix: str, keys: list[str]) -> tuple[Any, list[str]]:
    if METADATA_FILE not in keys:
        return None, []
    body = s3.get_object(Bucket=bucket, Key=prefix + METADATA_FILE)["Body"].read()
    try:
        return json.loads(body), []
    except ValueError as error:
        return None, [f"{METADATA_FILE}: not JSON ({error})"]


def build_and_push(detail: dict[str, Any], registry: str, quarantine: str) -> dict[str, Any]:
    import quilt3  # imported late: about a second, and only this function needs it

    if not isinstance(detail, dict) or not detail.get("bucket") or not detail.get("prefix"):
        raise InvalidBatchEvent(f"package-objects-ready needs detail.bucket and detail.prefix, got {detail!r}")
    bucket, prefix = detail["bucket"], detail["prefix"]
    s3 = boto3.client("s3")
    keys = _list(s3, bucket, prefix)
    name = package_name(prefix)
    producer, errors = _producer_metadata(s3, bucket, prefix, keys)
    meta = metadata(detail, keys, producer)
    errors += validate(meta)
    package = quilt3.Package()
    for key in keys:
        package.set(key, f"s3://{bucket}/{prefix}{key}")
    added = []
    with tempfile.TemporaryDirectory(prefix="edp-") as scratch:
        generated = {
            "README.md": readme(name, bucket, prefix, keys, errors),
            "quilt_summarize.json": json.dumps(summarize(keys), indent=2),
            ".quiltignore": IGNORE,
        }
        for logical_key, text in generated.items():
            if logical_key not in keys:
                path = Path(scratch) / logical_key
                path.write_text(text)
                package.set(logical_key, str(path))
                added.append(logical_key)
        package.set_meta(meta)
        target = quarantine if errors else registry
        message = f"EDP epoch {detail.get('epoch', '?')} of s3://{bucket}/{prefix}"
        pushed = package.push(name, registry=f"s3://{target}", message=message, force=True)
    result = {
        "status": "quarantined" if errors else "pushed",
        "package": name,
        "registry": target,
        "top_hash": pushed.top_hash,
        "objects": len(keys),
        "added": added,
        "errors": errors,
        "source": {"bucket": bucket, "prefix": prefix},
        "catalog_url": catalog_url(os.environ.get("QUILT_URL", ""), target, name),
    }
    logger.info("package built", extra=result)
    return result


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = build_and_push(event.get("detail", {}), os.environ["REGISTRY_BUCKET"], os.environ["QUARANTINE_BUCKET"])
    metrics.add_metric(name="PackagesQuarantined" if result["errors"] else "PackagesPushed", unit=MetricUnit.Count,
                       value=1)  # fmt: skip
    metrics.add_metric(name="ObjectsPackaged", unit=MetricUnit.Count, value=result["objects"])
    return result

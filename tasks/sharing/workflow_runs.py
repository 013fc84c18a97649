"""The secondary analysis runs the sharing service reads: the platform's workflow manager records each run of a
workflow (tumor-normal, wts, cttsov2, ...) with the libraries it analysed and the S3 prefix of its outputs.

Item, one per (library, workflow run), so that a tumor/normal run is found from either library:
`library_id` (partition key), `portal_run_id` (sort key), `workflow_name`, `workflow_version`, `status`
(SUCCEEDED, FAILED, ...), `timestamp` (ISO 8601, when the run ended), `output_uri` (`s3://bucket/prefix/`) and
`libraries` (every library of the run: `[{"library_id", "phenotype"}]`). The workflow names a request may
choose from are the package request schema's `secondaryAnalysisTypeList` (the seed's).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tasks.sharing.libraries import items_with


def runs_of_library(dynamodb: Any, table: str, library_id: str) -> list[dict[str, Any]]:
    """Every workflow run item of a library."""
    return items_with(dynamodb, table, "library_id", library_id)


def choose(
    runs: Iterable[dict[str, Any]],
    *,
    types: Iterable[str] = (),
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """The workflow runs a package shares, one per portal run id, sorted by it. Pure.

    Only SUCCEEDED runs, of the `types` named (all when none), never one in `exclude`. When `include` names portal
    run ids, exactly those; otherwise, as the seed's workflow filters do, the latest run of each workflow over the
    same libraries (a re-run replaces the run it repeats)."""
    wanted_types, wanted, unwanted = set(types), set(include), set(exclude)
    chosen: dict[Any, dict[str, Any]] = {}
    for run in runs:
        if run.get("status") != "SUCCEEDED" or run["portal_run_id"] in unwanted:
            continue
        if wanted_types and run.get("workflow_name") not in wanted_types:
            continue
        if wanted:
            if run["portal_run_id"] in wanted:
                chosen[run["portal_run_id"]] = run
            continue
        over = (run.get("workflow_name"), tuple(sorted(lib["library_id"] for lib in run.get("libraries", []))))
        if over not in chosen or str(run.get("timestamp", "")) > str(chosen[over].get("timestamp", "")):
            chosen[over] = run
    return sorted(chosen.values(), key=lambda run: str(run["portal_run_id"]))

"""The HTML report of a package: what a data manager checks before sharing it. Self-contained (no scripts, no
network), rendered from the manifest alone. Pure.

Three tabs, as the seed's report has (CSS only: radio buttons and labels): Metadata (the package, its libraries, what
is missing), FASTQ (every FASTQ file), Secondary (the workflow runs whose outputs it shares, and their files).
Tables take the page's width and wrap long paths, checksums and URIs, so nothing runs off a 1400 px window."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%;table-layout:fixed}
th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;overflow-wrap:anywhere;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
#files td,#secondary-files td{font-size:12px}
.warning{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem 1rem}code{font-size:12px}
.tabs>input{position:absolute;opacity:0}
.tabs>label{display:inline-block;padding:.4rem 1rem;border:1px solid #d0d7de;border-bottom:none;cursor:pointer;
  background:#f6f8fa;margin-right:.25rem}
.tabs>input:checked+label{background:#fff;font-weight:600}
.panel{display:none;border-top:1px solid #d0d7de;padding-top:.5rem}
#tab-metadata:checked~#panel-metadata,#tab-fastq:checked~#panel-fastq,#tab-secondary:checked~#panel-secondary{
  display:block}
"""
TABS = (("metadata", "Metadata"), ("fastq", "FASTQ"), ("secondary", "Secondary"))


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _table(headers: list[str], rows: list[list[tuple[str, bool]]], table_id: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{escape(v)}</td>' if num else f"<td>{escape(v)}</td>" for v, num in row)
        + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _files(files: list[dict[str, Any]], table_id: str) -> str:
    return _table(
        ["path in package", "size", "bytes", "checksum", "source"],
        [[(f["relative_path"], False), (human_bytes(f["size"]), True), (str(f["size"]), True),
          (f"{f['checksum']['algorithm']}:{f['checksum']['value']}", False), (f["uri"], False)] for f in files],
        table_id,
    )  # fmt: skip


def render_report(manifest: dict[str, Any]) -> str:
    totals = manifest["totals"]
    request = manifest["request"]
    summary = _table(
        ["package", "id", "created", "runs", "projects", "data types", "libraries", "files", "size"],
        [[(manifest["packageName"], False), (manifest["packageId"], False), (manifest["createdAt"], False),
          (", ".join(request["instrumentRunIdList"]), False),
          (", ".join(request.get("projectIdList") or ["any"]), False),
          (", ".join(request["dataTypeList"]), False), (str(totals["libraries"]), True), (str(totals["files"]), True),
          (human_bytes(totals["bytes"]), True)]],
        "summary",
    )  # fmt: skip
    libraries = _table(
        ["instrument run", "library", "project", "subject", "sample", "files", "size"],
        [[(lib["instrument_run_id"], False), (lib["library_id"], False), (lib.get("project_id", ""), False),
          (lib.get("subject_id", ""), False), (lib.get("sample_id", ""), False), (str(lib["files"]), True),
          (human_bytes(lib["bytes"]), True)] for lib in manifest["libraries"]],
        "libraries",
    )  # fmt: skip
    fastq = [f for f in manifest["files"] if f.get("data_type", "fastq") == "fastq"]
    secondary_files = [f for f in manifest["files"] if f.get("data_type") == "secondaryAnalysis"]
    warning = ""
    if manifest["missing"]:
        warning = (
            f'<p class="warning" id="missing">No FASTQ file was found for {len(manifest["missing"])} library(ies): '
            f"{escape(', '.join(manifest['missing']))}. Check the library's fastq_uri before sharing.</p>"
        )
    if manifest.get("missingSecondary"):
        warning += (
            f'<p class="warning" id="missing-secondary">No succeeded workflow run was found for '
            f"{len(manifest['missingSecondary'])} library(ies): {escape(', '.join(manifest['missingSecondary']))}."
            " Check the workflow manager's records before sharing.</p>"
        )
    if "secondaryAnalysis" in request["dataTypeList"]:
        runs = _table(
            ["portal run", "workflow", "version", "ended", "libraries", "files", "size"],
            [[(run["portal_run_id"], False), (run["workflow_name"], False), (run.get("workflow_version", ""), False),
              (run.get("timestamp", ""), False),
              (", ".join(f"{lib['library_id']} ({lib.get('phenotype', '?')})" for lib in run["libraries"]), False),
              (str(run["files"]), True), (human_bytes(run["bytes"]), True)] for run in manifest.get("workflows", [])],
            "workflows",
        )  # fmt: skip
        secondary = f"<h2>Workflow runs</h2>{runs}<h2>Files</h2>{_files(secondary_files, 'secondary-files')}"
    else:
        secondary = ('<p id="no-secondary">This package holds no secondary analysis data: its data types are '
                     f"{escape(', '.join(request['dataTypeList']))}.</p>")  # fmt: skip
    panels = {"metadata": f"{summary}{warning}<h2>Libraries</h2>{libraries}",
              "fastq": f"<h2>Files</h2>{_files(fastq, 'files')}", "secondary": secondary}  # fmt: skip
    tabs = "".join(
        f'<input type="radio" name="tab" id="tab-{key}"{" checked" if key == "metadata" else ""}>'
        f'<label for="tab-{key}">{label}</label>'
        for key, label in TABS
    ) + "".join(f'<section class="panel" id="panel-{key}">{panels[key]}</section>' for key, _ in TABS)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Package {escape(manifest['packageName'])} ({escape(manifest['packageId'])})</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<h1>Package {escape(manifest["packageName"])}</h1><div class="tabs">{tabs}</div></body></html>\n'
    )

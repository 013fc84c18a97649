"""The HTML report of a package: what a data manager checks before sharing it. Self-contained (no scripts, no
network), rendered from the manifest alone. Pure."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.warning{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem 1rem}code{font-size:12px}
"""


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
    files = _table(
        ["path in package", "size", "bytes", "checksum", "source"],
        [[(f["relative_path"], False), (human_bytes(f["size"]), True), (str(f["size"]), True),
          (f"{f['checksum']['algorithm']}:{f['checksum']['value']}", False), (f["uri"], False)]
         for f in manifest["files"]],
        "files",
    )  # fmt: skip
    warning = ""
    if manifest["missing"]:
        warning = (
            f'<p class="warning" id="missing">No FASTQ file was found for {len(manifest["missing"])} library(ies): '
            f"{escape(', '.join(manifest['missing']))}. Check the library's fastq_uri before sharing.</p>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Package {escape(manifest['packageName'])} ({escape(manifest['packageId'])})</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Package {escape(manifest['packageName'])}</h1>{summary}{warning}"
        f"<h2>Libraries</h2>{libraries}<h2>Files</h2>{files}</body></html>\n"
    )

"""Tumor/normal pairing per subject, and the libraries that cannot be paired, each with its reason."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def pair(
    libraries: list[dict[str, Any]],
    qc: list[dict[str, Any]] | None = None,
    *,
    rows: list[dict[str, Any]] | None = None,
    earlier: list[Any] | None = None,
    skip: list[str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Pair the WGS tumor libraries of each subject with its one normal.

    Rules: exactly one normal (whose QC succeeded) per subject; a subject without one in this run pairs with the
    normal QC'd in an earlier run (`earlier`: the subjects' remembered libraries, a list per subject), again exactly
    one; a research tumor may pair with a clinical normal, a clinical tumor may not pair with a research normal. A
    library whose QC failed, that the run controls skip, or for which BCL Convert gave no FASTQ list rows (when
    `rows` is given) is not paired. Every library that ends up in no pair is listed in `unpaired` with the reason.
    Each side of a pair carries its FASTQ list rows (this run's, or the earlier run's for an earlier normal).
    """
    failed_qc = {r["library_id"]: r for r in qc or [] if r.get("status") != "SUCCEEDED"}
    skipped = set(skip or [])
    rows_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows or []:
        rows_of[str(row.get("rglb"))].append(row)
    here = {library["library_id"] for library in libraries}
    earlier_normals: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for remembered in _flat(earlier):
        if remembered.get("library_id") not in here and remembered.get("phenotype") == "normal":
            earlier_normals[str(remembered.get("subject_id"))].append(remembered)

    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unpaired: list[dict[str, Any]] = []
    for library in libraries:
        reason = _not_pairable(library, failed_qc, skipped, rows_of if rows is not None else None)
        if reason:
            unpaired.append(_reason(library, reason))
        elif library.get("type") == "WGS":
            by_subject[library["subject_id"]].append({**library, "fastq_list_rows": rows_of.get(library["library_id"],
                                                                                                 [])})  # fmt: skip

    pairs: list[dict[str, Any]] = []
    for subject, members in sorted(by_subject.items()):
        normals = [m for m in members if m.get("phenotype") == "normal"]
        tumors = [m for m in members if m.get("phenotype") == "tumor"]
        others = [m for m in members if m.get("phenotype") not in ("normal", "tumor")]
        unpaired += [_reason(m, f"phenotype {m.get('phenotype')!r} is neither tumor nor normal") for m in others]
        if not normals and tumors and earlier_normals.get(subject):
            normals = earlier_normals[subject]  # sequenced before: its QC'd record from that run
            if len(normals) != 1:
                ids = ", ".join(sorted(n["library_id"] for n in normals))
                unpaired += [_reason(t, f"subject {subject}: {len(normals)} normal libraries in earlier runs ({ids}); "
                                        "exactly one needed") for t in tumors]  # fmt: skip
                continue
        if len(normals) != 1:
            why = "no normal library" if not normals else f"{len(normals)} normal libraries (exactly one needed)"
            unpaired += [_reason(m, f"subject {subject}: {why}") for m in tumors + normals]
            continue
        normal = normals[0]
        used_normal = False
        for tumor in tumors:
            if tumor.get("workflow") == "clinical" and normal.get("workflow") == "research":
                unpaired.append(
                    _reason(tumor, f"a clinical tumor may not pair with research normal {normal['library_id']}")
                )
                continue
            pairs.append({"subject_id": subject, "tumor": _brief(tumor), "normal": _brief(normal)})
            used_normal = True
        if normal["library_id"] not in here:
            continue  # an earlier run's normal is not this run's to report
        if not tumors:
            unpaired.append(_reason(normal, f"subject {subject}: no tumor library"))
        elif not used_normal:
            unpaired.append(_reason(normal, f"subject {subject}: no tumor could pair with it"))
    return {"pairs": pairs, "unpaired": unpaired}


def _not_pairable(library: dict[str, Any], failed_qc: dict[str, dict[str, Any]], skipped: set[str],
                  rows_of: dict[str, list[dict[str, Any]]] | None) -> str | None:  # fmt: skip
    """Why a library of this run cannot be paired (None: it can, or it is not WGS and so is never paired)."""
    if library.get("type") is None:
        return "no library metadata (type, subject, phenotype unknown)"
    if library.get("type") != "WGS":
        return None
    if library["library_id"] in skipped:
        return "skipped by the run controls (skip_libraries)"
    if rows_of is not None and library["library_id"] not in rows_of:
        return "BCL Convert gave no FASTQ list rows for it"
    if library["library_id"] in failed_qc:
        return f"QC failed: {failed_qc[library['library_id']].get('error') or 'QC did not succeed'}"
    if not library.get("subject_id"):
        return "no subject in the library metadata"
    return None


def _flat(earlier: list[Any] | None) -> list[dict[str, Any]]:
    """The remembered libraries: one list per subject (a Map's result), or already one list."""
    out: list[dict[str, Any]] = []
    for entry in earlier or []:
        out.extend(entry if isinstance(entry, list) else [entry])
    return out


def _brief(library: dict[str, Any]) -> dict[str, Any]:
    keys = ("library_id", "library_name", "workflow", "fastq_list_rows", "sequence_run_name")
    return {key: library[key] for key in keys if key in library}


def _reason(library: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"library_id": library["library_id"], "reason": reason}

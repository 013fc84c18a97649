"""Tumor/normal pairing per subject, and the libraries that cannot be paired, each with its reason."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def pair(libraries: list[dict[str, Any]], qc: list[dict[str, Any]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Pair the WGS tumor libraries of each subject with its one normal.

    Rules: exactly one normal (whose QC succeeded) per subject; a research tumor may pair with a clinical normal,
    a clinical tumor may not pair with a research normal. A library whose QC failed is not paired. Every library
    that ends up in no pair is listed in `unpaired` with the reason.
    """
    failed_qc = {r["library_id"]: r for r in qc or [] if r.get("status") != "SUCCEEDED"}
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unpaired: list[dict[str, Any]] = []
    for library in libraries:
        if library.get("type") is None:
            unpaired.append(_reason(library, "no library metadata (type, subject, phenotype unknown)"))
            continue
        if library.get("type") != "WGS":
            continue
        if library["library_id"] in failed_qc:
            error = failed_qc[library["library_id"]].get("error") or "QC did not succeed"
            unpaired.append(_reason(library, f"QC failed: {error}"))
            continue
        if not library.get("subject_id"):
            unpaired.append(_reason(library, "no subject in the library metadata"))
            continue
        by_subject[library["subject_id"]].append(library)

    pairs: list[dict[str, Any]] = []
    for subject, members in sorted(by_subject.items()):
        normals = [m for m in members if m.get("phenotype") == "normal"]
        tumors = [m for m in members if m.get("phenotype") == "tumor"]
        others = [m for m in members if m.get("phenotype") not in ("normal", "tumor")]
        unpaired += [_reason(m, f"phenotype {m.get('phenotype')!r} is neither tumor nor normal") for m in others]
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
        if not tumors:
            unpaired.append(_reason(normal, f"subject {subject}: no tumor library"))
        elif not used_normal:
            unpaired.append(_reason(normal, f"subject {subject}: no tumor could pair with it"))
    return {"pairs": pairs, "unpaired": unpaired}


def _brief(library: dict[str, Any]) -> dict[str, Any]:
    keys = ("library_id", "library_name", "workflow", "fastq")
    return {key: library[key] for key in keys if key in library}


def _reason(library: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"library_id": library["library_id"], "reason": reason}

"""Crackling's speed targets: a 5 Mbp genome indexed in <= 60 s, 1,000 guides scored in <= 60 s (2 cores).

    .venv/bin/python benchmarks/crackling_speed.py

The genome is the deterministic stand-in (5 records, gzipped FASTA, as the download stores it); indexing counts
decompressing, parsing, both strands' NGG sites, packing, counting and serialising. Scoring is what a scorer Lambda
does per guide: the on-target consensus (RNAfold included) for every guide, MIT specificity against the index for
the guides the consensus accepts. Guides come from a 20 kbp stretch of the genome (the largest job), so each has its
own site in the genome. One process, as in a Lambda.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.crackling.genome import fasta_gz, stand_in  # noqa: E402
from tasks.crackling.guides import score  # noqa: E402
from tasks.crackling.index import OfftargetIndex, build_from_fasta_gz  # noqa: E402
from tasks.crackling.offtarget import mit_specificity  # noqa: E402
from tasks.crackling.scan import candidates  # noqa: E402

BASES = 5_000_000
GUIDES = 1_000


def main() -> int:
    genome = stand_in("GCA_000482205.1", size=BASES, contigs=5)
    data = fasta_gz(genome)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        index = build_from_fasta_gz(data)
        blob = index.to_bytes()
        runs.append(time.perf_counter() - started)
    load = time.perf_counter()
    OfftargetIndex.from_bytes(blob)
    load = time.perf_counter() - load
    found = []
    offset = 0
    while len(found) < GUIDES:
        found += candidates(genome[0][1][offset : offset + 20_000])
        offset += 20_000
    batch = [asdict(c) for c in found[:GUIDES]]
    started = time.perf_counter()
    scored = [score(candidate, index) for candidate in batch]
    took = time.perf_counter() - started
    efficient = sum(g["efficient"] for g in scored)
    started = time.perf_counter()
    for candidate in batch:
        mit_specificity(candidate["seq"][:20], index)
    every_mit = time.perf_counter() - started
    print(f"Crackling on one core ({BASES / 1e6:.0f} Mbp stand-in genome, {len(data) / 1e6:.1f} MB gzipped)")
    print(f"  index build: {statistics.median(runs):.2f} s median of 3 (target <= 60 s); "
          f"{len(index.signatures):,} protospacers, {index.sites:,} sites, {len(blob) / 1e6:.1f} MB; "
          f"load {load:.3f} s")  # fmt: skip
    print(f"  scoring: {GUIDES:,} guides in {took:.1f} s = {GUIDES / took:.0f} guides/s (target 1,000 in <= 60 s); "
          f"{efficient} passed the consensus and were scored for off-targets")  # fmt: skip
    print(f"  worst case, MIT for all {GUIDES:,} guides: {every_mit:.1f} s more")
    return 0


if __name__ == "__main__":
    sys.exit(main())

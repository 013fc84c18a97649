"""Genomes as FASTA: reading them, and the deterministic stand-in genome served locally for an accession.

Locally (`aslkit run`, the demo, tests) there is no NCBI: the genome source serves a genome the project generates
from the accession alone (a seeded random sequence, in a few records), so the default job runs offline and every
run sees the same genome.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterator

import numpy as np

ACCESSION = re.compile(r"^GC[AF]_\d{9}\.\d+$")


def records(text: bytes) -> Iterator[tuple[str, bytes]]:
    """(header, sequence) of each FASTA record; sequences upper-cased, line breaks removed."""
    header, parts = "", []  # type: str, list[bytes]
    for line in text.splitlines():
        if line.startswith(b">"):
            if parts or header:
                yield header, b"".join(parts).upper()
            header, parts = line[1:].decode().strip(), []
        elif line.strip():
            parts.append(line.strip())
    if parts or header:
        yield header, b"".join(parts).upper()


def stand_in(accession: str, size: int = 200_000, contigs: int = 3) -> list[tuple[str, str]]:
    """A deterministic genome for `accession`: `contigs` records of random A/C/G/T totalling `size` bases."""
    seed = int.from_bytes(hashlib.sha256(accession.encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=size)].tobytes().decode()
    cut = [round(size * i / contigs) for i in range(contigs + 1)]
    return [(f"{accession}_contig{i + 1} stand-in for {accession}", bases[cut[i] : cut[i + 1]]) for i in range(contigs)]


def fasta_gz(genome: list[tuple[str, str]], width: int = 80, level: int = 6) -> bytes:
    lines = []
    for header, sequence in genome:
        lines.append(f">{header}")
        lines += [sequence[i : i + width] for i in range(0, len(sequence), width)]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0, compresslevel=level)

"""The off-target index: every 20-mer protospacer followed by NGG in a genome, on both strands, 2-bit packed, with
its number of occurrences.

Format (`CRKIDX01`, little-endian), one file per genome:

    offset  size        field
    0       8           magic b"CRKIDX01"
    8       4           k, the protospacer length (20)
    12      4           flags (0; reserved)
    16      8           n, the number of distinct protospacers
    24      8           sites, the number of sites (the sum of the counts)
    32      8           bases, the genome's length in A/C/G/T/N
    40      8 * n       signatures, ascending: 2 bits per base (A=0 C=1 G=2 T=3), the 5' base most significant
    40+8n   4 * n       counts: how many times each protospacer occurs (both strands)

A site is read 5'->3' on its own strand: `[ACGT]{20}` then `[ACGT]GG` on the forward strand, and the reverse
complement of `CC[ACGT]` + `[ACGT]{20}` on the reverse strand. A window with any other character (N, IUPAC) is
skipped. Sorted signatures make the file deterministic and let a reader search it with a binary search.

A scorer need not hold the index in memory: `OfftargetIndex.open(path)` maps the file (signatures and counts are
views of it, paged in by the OS and dropped again under pressure), and `chunks()` walks it a bounded slice at a time,
so a mouse- or human-sized index (several GB) is scored in a function whose memory is a fraction of it.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tasks.crackling.dna import codes_of, pack
from tasks.crackling.genome import records

MAGIC = b"CRKIDX01"
HEADER = struct.Struct("<8sIIQQQ")
K = 20
#: Protospacers per slice when an index is walked (`chunks`): 4 Mi, 32 MiB of signatures
CHUNK = 4 * 1024 * 1024


class InvalidIndex(ValueError):
    """A file that is not a CRKIDX01 index, or is truncated."""


@dataclass(frozen=True)
class OfftargetIndex:
    signatures: NDArray[np.uint64]
    counts: NDArray[np.uint32]
    bases: int
    k: int = K

    @property
    def sites(self) -> int:
        return sum(int(counts.sum(dtype=np.uint64)) for _, counts in self.chunks())

    def count(self, signature: int) -> int:
        at = int(np.searchsorted(self.signatures, np.uint64(signature)))
        return int(self.counts[at]) if at < len(self.signatures) and self.signatures[at] == signature else 0

    def to_bytes(self) -> bytes:
        header = HEADER.pack(MAGIC, self.k, 0, len(self.signatures), self.sites, self.bases)
        return header + self.signatures.astype("<u8").tobytes() + self.counts.astype("<u4").tobytes()

    def chunks(self, size: int = CHUNK) -> Iterator[tuple[NDArray[np.uint64], NDArray[np.uint32]]]:
        """(signatures, counts) a slice of at most `size` protospacers at a time, in order (views, not copies)."""
        for start in range(0, len(self.signatures), size):
            yield self.signatures[start : start + size], self.counts[start : start + size]

    @classmethod
    def from_bytes(cls, data: bytes) -> OfftargetIndex:
        """The index in `data` (its arrays are views of it)."""
        n, sites, bases, k = _check(data[: HEADER.size], len(data))
        signatures = np.frombuffer(data, dtype="<u8", count=n, offset=HEADER.size)
        counts = np.frombuffer(data, dtype="<u4", count=n, offset=HEADER.size + 8 * n)
        return cls._checked(signatures, counts, bases, k, sites)

    @classmethod
    def open(cls, path: Path) -> OfftargetIndex:
        """The index in the file at `path`, memory-mapped read-only: nothing is read until it is used."""
        with path.open("rb") as handle:
            n, sites, bases, k = _check(handle.read(HEADER.size), path.stat().st_size)
        if n == 0:
            return cls(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32), bases, k)
        signatures = np.memmap(path, dtype="<u8", mode="r", offset=HEADER.size, shape=(n,))
        counts = np.memmap(path, dtype="<u4", mode="r", offset=HEADER.size + 8 * n, shape=(n,))
        return cls._checked(signatures, counts, bases, k, sites)

    @classmethod
    def _checked(cls, signatures: Any, counts: Any, bases: int, k: int, sites: int) -> OfftargetIndex:
        index = cls(signatures, counts, bases, k)
        total = sum(int(part.sum(dtype=np.uint64)) for _, part in index.chunks())  # a slice at a time
        if total != sites:
            raise InvalidIndex(f"the counts add up to {total}, the header says {sites}")
        return index


def _check(header: bytes, size: int) -> tuple[int, int, int, int]:
    """(n, sites, bases, k) of a CRKIDX01 header, checked against the file's size."""
    if len(header) < HEADER.size:
        raise InvalidIndex("the file is shorter than a CRKIDX01 header")
    magic, k, _flags, n, sites, bases = HEADER.unpack_from(header)
    if magic != MAGIC:
        raise InvalidIndex(f"not a CRKIDX01 index (magic {magic!r})")
    if size != HEADER.size + 12 * n:
        raise InvalidIndex(f"truncated index: {size} bytes for {n} protospacers")
    return n, sites, bases, k


def sites_of(sequence: bytes) -> NDArray[np.uint64]:
    """Signatures of every protospacer site of one sequence, both strands (with repeats)."""
    codes = codes_of(sequence)
    n = len(codes)
    if n < K + 3:
        return np.zeros(0, dtype=np.uint64)
    offsets = np.arange(K, dtype=np.int64)
    found = []
    # forward: protospacer at i..i+19, PAM at i+20..i+22 = NGG
    starts = np.nonzero((codes[K + 1 : n - 1] == 2) & (codes[K + 2 : n] == 2))[0]
    if len(starts):
        windows = codes[starts[:, None] + offsets]
        pam = codes[starts + K]
        keep = (windows < 4).all(axis=1) & (pam < 4)
        found.append(pack(windows[keep]))
    # reverse: CCN at j..j+2, protospacer (reverse complemented) at j+3..j+22
    starts = np.nonzero((codes[: n - 1] == 1) & (codes[1:] == 1))[0]
    starts = starts[starts + K + 3 <= n]
    if len(starts):
        windows = codes[starts[:, None] + 3 + offsets[::-1]]  # read backwards ...
        pam = codes[starts + 2]
        keep = (windows < 4).all(axis=1) & (pam < 4)
        found.append(pack((3 - windows[keep]).astype(np.uint8)))  # ... and complement
    return np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)


def build(sequences: Iterable[bytes]) -> OfftargetIndex:
    parts, bases = [], 0
    for sequence in sequences:
        bases += len(sequence)
        parts.append(sites_of(sequence))
    every = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    signatures, counts = np.unique(every, return_counts=True)
    return OfftargetIndex(signatures.astype(np.uint64), counts.astype(np.uint32), bases)


def build_from_fasta_gz(data: bytes) -> OfftargetIndex:
    return build(sequence for _, sequence in records(gzip.decompress(data)))

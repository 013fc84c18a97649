"""DNA helpers shared by the index, the scan and the scores. Pure.

2-bit codes: A=0, C=1, G=2, T=3 (a base's complement is 3 - code). A k-mer's signature packs its first base into
the most significant pair, so sorting signatures sorts k-mers alphabetically.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

CODES = {"A": 0, "C": 1, "G": 2, "T": 3}
BASES = "ACGT"
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
#: ASCII byte -> 2-bit code; 4 for anything that is not A, C, G or T (N, IUPAC codes): such k-mers are skipped.
LOOKUP = np.full(256, 4, dtype=np.uint8)
for _base, _code in CODES.items():
    LOOKUP[ord(_base)] = _code
    LOOKUP[ord(_base.lower())] = _code


def revcomp(sequence: str) -> str:
    return sequence.translate(_COMPLEMENT)[::-1]


def encode(kmer: str) -> int:
    """The signature of a k-mer of A, C, G, T."""
    value = 0
    for base in kmer:
        value = (value << 2) | CODES[base]
    return value


def decode(signature: int, k: int) -> str:
    return "".join(BASES[(signature >> (2 * (k - 1 - i))) & 3] for i in range(k))


def codes_of(sequence: bytes | str) -> NDArray[np.uint8]:
    """The 2-bit codes of a sequence (4 where a base is not A/C/G/T)."""
    raw = sequence.encode() if isinstance(sequence, str) else sequence
    return LOOKUP[np.frombuffer(raw, dtype=np.uint8)]


def pack(windows: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """Signatures of the k-mers given as rows of codes (all codes < 4)."""
    k = windows.shape[1]
    weights = (np.uint64(4) ** np.arange(k - 1, -1, -1, dtype=np.uint64)).astype(np.uint64)
    return (windows.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)

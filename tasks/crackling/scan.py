"""Candidate guides of a job's sequence. Pure.

A candidate is a 23-mer `[ACGT]{21}GG` on the forward strand, or `CC[ACGT]{21}` on the reverse strand (reported
reverse complemented, so every guide reads 5' protospacer then PAM). Overlapping matches count. A 23-mer found
more than once (on either strand) is dropped: a guide must target one place of the sequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.crackling.dna import revcomp

FORWARD = re.compile(r"(?=([ACGT]{21}GG))")
REVERSE = re.compile(r"(?=(CC[ACGT]{21}))")
MAX_BASES = 20_000


class InvalidSequence(ValueError):
    """A sequence that is not 1..20,000 bases of A, C, G, T once whitespace is removed."""


@dataclass(frozen=True)
class Candidate:
    seq: str  # the 23-mer, 5'->3' on its strand: 20-mer protospacer + PAM
    start: int  # 0-based, on the job's sequence (forward coordinates), half-open
    end: int
    strand: str  # "+" or "-"
    context: str | None  # the 30-mer (4 + 23 + 3) on the guide's strand, when the sequence has the flanks


def clean(sequence: str) -> str:
    """The sequence without whitespace, upper-cased; InvalidSequence names the first problem."""
    if not isinstance(sequence, str):
        raise InvalidSequence("sequence must be a string of A, C, G and T")
    text = re.sub(r"\s+", "", sequence).upper()
    if not text:
        raise InvalidSequence("sequence is empty: give 1 to 20,000 bases of A, C, G and T")
    if len(text) > MAX_BASES:
        raise InvalidSequence(f"sequence has {len(text):,} bases: at most {MAX_BASES:,} are accepted")
    bad = re.search(r"[^ACGT]", text)
    if bad:
        raise InvalidSequence(
            f"sequence has {bad.group()!r} at position {bad.start() + 1}: only A, C, G and T are accepted"
        )
    return text


def candidates(sequence: str) -> list[Candidate]:
    found: list[Candidate] = []
    for match in FORWARD.finditer(sequence):
        start = match.start()
        context = sequence[start - 4 : start + 26] if start >= 4 and start + 26 <= len(sequence) else None
        found.append(Candidate(match.group(1), start, start + 23, "+", context))
    for match in REVERSE.finditer(sequence):
        start = match.start()
        flank = sequence[start - 3 : start + 27] if start >= 3 and start + 27 <= len(sequence) else None
        found.append(Candidate(revcomp(match.group(1)), start, start + 23, "-", revcomp(flank) if flank else None))
    seen: dict[str, int] = {}
    for candidate in found:
        seen[candidate.seq] = seen.get(candidate.seq, 0) + 1
    return sorted((c for c in found if seen[c.seq] == 1), key=lambda c: (c.start, c.strand))

"""Off-target specificity: the MIT score (Hsu et al. 2013) aggregated over every site of the index within 4
mismatches of a guide's protospacer. Pure (numpy).

Per site with m mismatches (1 <= m <= 4) at positions p (0 = the protospacer's 5' base):
    S = prod(1 - W[p]) * 1 / (((19 - d) / 19) * 4 + 1) * 1 / m^2
with W Hsu's position weights and d the mean distance between consecutive mismatches (the middle term is 1 for a
single mismatch). The guide's score is 10000 / (100 + sum(100 * S * occurrences)), in (0, 100]: 100 when nothing
in the genome is within 4 mismatches. Exact matches (the target itself, and repeats) are not off-targets here, as
in Crackling's ISSL scorer. A guide passes at 75 or more.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tasks.crackling.dna import encode
from tasks.crackling.index import CHUNK, OfftargetIndex

HSU_WEIGHTS = (0.0, 0.0, 0.014, 0.0, 0.0, 0.395, 0.317, 0.0, 0.389, 0.079,
               0.445, 0.508, 0.613, 0.851, 0.732, 0.828, 0.615, 0.804, 0.685, 0.583)  # fmt: skip
MAX_MISMATCHES = 4
THRESHOLD = 75.0
_LOW_BITS = np.uint64(0x5555555555)  # the low bit of each of 20 base pairs


def site_score(positions: list[int]) -> float:
    """Hsu's local score (x100) for mismatches at `positions` (0-based from the protospacer's 5' end)."""
    if not positions:
        return 100.0
    t1 = 1.0
    for position in positions:
        t1 *= 1.0 - HSU_WEIGHTS[position]
    if len(positions) > 1:
        mean_gap = (positions[-1] - positions[0]) / (len(positions) - 1)
        t2 = 1.0 / (((19 - mean_gap) / 19) * 4 + 1)
    else:
        t2 = 1.0
    return 100.0 * t1 * t2 / len(positions) ** 2


def mismatch_positions(mask: int, k: int = 20) -> list[int]:
    return [p for p in range(k) if (mask >> (2 * (k - 1 - p))) & 1]


def mit_specificity(protospacer: str, index: OfftargetIndex, chunk: int = CHUNK) -> tuple[float, int]:
    """(MIT specificity score, number of off-target sites within 4 mismatches, repeats counted). The index is
    walked `chunk` protospacers at a time: the arrays this makes are a few times that, whatever the genome's size."""
    target = np.uint64(encode(protospacer))
    total, sites = 0.0, 0
    for signatures, counts in index.chunks(chunk):
        xored = signatures ^ target
        mismatches = ((xored >> np.uint64(1)) | xored) & _LOW_BITS
        distance: NDArray[np.uint8] = np.bitwise_count(mismatches)
        for at in np.nonzero((distance > 0) & (distance <= MAX_MISMATCHES))[0]:
            occurrences = int(counts[at])
            total += site_score(mismatch_positions(int(mismatches[at]))) * occurrences
            sites += occurrences
    return 10000.0 / (100.0 + total), sites

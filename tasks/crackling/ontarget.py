"""On-target efficiency: Crackling's consensus of three tests, a guide accepted when at least `n` (2) pass. Pure.

- CHOPCHOP: a G at position 20 (the protospacer's last base).
- mm10db (as Crackling runs it): no leading T, AT content of the protospacer within 20-65 %,
  no TTTT in the 23-mer, and a secondary structure that does not fold the guide onto itself: ViennaRNA's RNAfold on
  `G` + protospacer[1:20] + the sgRNA scaffold; when the fold keeps the scaffold's structure, it fails below
  -30 kcal/mol, otherwise at or below -18 kcal/mol.
- sgRNAScorer 2.0 as Crackling runs it: a linear SVM over the protospacer's 20 bases, one-hot encoded, trained
  on sgRNAScorer 2.0's public high- and low-activity guides (`data/sgrnascorer2/`, with their source and licence;
  `scripts/train_sgrnascorer2.py` trains it as Crackling's trainModel.py does). Passes when the decision function
  is at least 0, Crackling's threshold.

Doench 2014 Rule Set 1 is reported beside them (not voted), as a second opinion a user may sort by: logistic
regression over the 30-mer context (4 bases 5', the 23-mer, 3 bases 3'). Source: Doench JG et al., "Rational design
of highly active sgRNAs for CRISPR-Cas9-mediated gene inactivation", Nat Biotechnol 32:1262-1267 (2014),
doi:10.1038/nbt.3026, supplementary table of the model's features and weights. A guide at the edge of the sequence
(no 30-mer context) has no Rule Set 1 score.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

#: Crackling's sgRNA scaffold (RNA), folded after the guide.
SCAFFOLD = "GUUUUAGAGCUAGAAAUAGCAAGUUAAAAUAAGGCUAGUCCGUUAUCAACUUGAAAAAGUGGCACCGAGUCGGUGCUUUU"
#: The fold in which the scaffold keeps its own structure (Crackling's pattern, over guide + scaffold).
SCAFFOLD_FOLD = re.compile(r".{28}\({4}\.{4}\){4}\.{3}\){4}.{21}\({4}\.{4}\){4}\({7}\.{3}\){7}\.{3}")
LOW_ENERGY = -30.0
HIGH_ENERGY = -18.0
DOENCH_THRESHOLD = 0.5
CONSENSUS_N = 2
SGRNASCORER2_DATA = Path(__file__).with_name("data") / "sgrnascorer2"
SGRNASCORER2_THRESHOLD = 0.0
#: sgRNAScorer 2.0's one-hot encoding, bit by bit (Crackling's `encoding`)
ONE_HOT = {"A": (0, 0, 0, 1), "C": (0, 0, 1, 0), "T": (0, 1, 0, 0), "G": (1, 0, 0, 0)}

DOENCH_INTERCEPT = 0.59763615
DOENCH_GC_LOW = -0.2026259  # per G/C below 10 in the protospacer
DOENCH_GC_HIGH = -0.1665878  # per G/C above 10
#: (position in the 30-mer, 0-based; nucleotide(s); weight)
DOENCH_FEATURES: tuple[tuple[int, str, float], ...] = (
    (1, "G", -0.2753771), (2, "A", -0.3238875), (2, "C", 0.17212887), (3, "C", -0.1006662),
    (4, "C", -0.2018029), (4, "G", 0.24595663), (5, "A", 0.03644004), (5, "C", 0.09837684),
    (6, "C", -0.7411813), (6, "G", -0.3932644), (11, "A", -0.466099), (14, "A", 0.08537695),
    (14, "C", -0.013814), (15, "A", 0.27262051), (15, "C", -0.1190226), (15, "T", -0.2859442),
    (16, "A", 0.09745459), (16, "G", -0.1755462), (17, "C", -0.3457955), (17, "G", -0.6780964),
    (18, "A", 0.22508903), (18, "C", -0.5077941), (19, "G", -0.4173736), (19, "T", -0.054307),
    (20, "G", 0.37989937), (20, "T", -0.0907126), (21, "C", 0.05782332), (21, "T", -0.5305673),
    (22, "T", -0.8770074), (23, "C", -0.8762358), (23, "G", 0.27891626), (23, "T", -0.4031022),
    (24, "A", -0.0773007), (24, "C", 0.28793562), (24, "T", -0.2216372), (27, "G", -0.6890167),
    (27, "T", 0.11787758), (28, "C", -0.1604453), (29, "G", 0.38634258), (1, "GT", -0.6257787),
    (4, "GC", 0.30004332), (5, "AA", -0.8348362), (5, "TA", 0.76062777), (6, "GG", -0.4908167),
    (11, "GG", -1.5169074), (11, "TA", 0.7092612), (11, "TC", 0.49629861), (11, "TT", -0.5868739),
    (12, "GG", -0.3345637), (13, "GA", 0.76384993), (13, "GC", -0.5370252), (16, "TG", -0.7981461),
    (18, "GG", -0.6668087), (18, "TC", 0.35318325), (19, "CC", 0.74807209), (19, "TG", -0.3672668),
    (20, "AC", 0.56820913), (20, "CG", 0.32907207), (20, "GA", -0.8364568), (20, "GG", -0.7822076),
    (21, "TC", -1.029693), (22, "CG", 0.85619782), (22, "CT", -0.4632077), (23, "AA", -0.5794924),
    (23, "AG", 0.64907554), (24, "AG", -0.0773007), (24, "CG", 0.28793562), (24, "TG", -0.2216372),
    (26, "GT", 0.11787758), (28, "GG", -0.69774),
)  # fmt: skip


@dataclass(frozen=True)
class OnTarget:
    chopchop_g20: bool
    mm10db_leading_t: bool
    mm10db_at_percent: float
    mm10db_at: bool
    mm10db_tttt: bool
    mm10db_structure: str
    mm10db_energy: float
    mm10db_secondary_structure: bool
    mm10db: bool
    sgrnascorer2: float
    sgrnascorer2_pass: bool
    doench2014: float | None
    doench2014_pass: bool
    consensus: int

    @property
    def accepted(self) -> bool:
        return self.consensus >= CONSENSUS_N

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "accepted": self.accepted}


def doench2014(context: str) -> float:
    """Rule Set 1 on a 30-mer: 4 bases 5', 20-mer protospacer, NGG, 3 bases 3'."""
    if len(context) != 30:
        raise ValueError(f"Rule Set 1 scores a 30-mer, not {len(context)} bases")
    protospacer = context[4:24]
    gc = protospacer.count("G") + protospacer.count("C")
    score = DOENCH_INTERCEPT + abs(10 - gc) * (DOENCH_GC_LOW if gc <= 10 else DOENCH_GC_HIGH)
    for position, nucleotides, weight in DOENCH_FEATURES:
        if context[position : position + len(nucleotides)] == nucleotides:
            score += weight
    return 1.0 / (1.0 + math.exp(-score))


def sgrnascorer2_features(guide: str) -> list[int]:
    """The 80 inputs of sgRNAScorer 2.0: the first 20 bases, 4 bits each."""
    return [bit for base in guide[:20].upper() for bit in ONE_HOT[base]]


@cache
def _sgrnascorer2_model() -> tuple[tuple[float, ...], float]:
    model = json.loads((SGRNASCORER2_DATA / "model.json").read_text())
    return tuple(model["weights"]), float(model["bias"])


def sgrnascorer2(target23: str) -> float:
    """The linear SVM's decision function on the guide's protospacer (at least 0: accepted)."""
    weights, bias = _sgrnascorer2_model()
    return sum(w * x for w, x in zip(weights, sgrnascorer2_features(target23), strict=True)) + bias


def fold(target23: str) -> tuple[str, float]:
    """RNAfold (minimum free energy) of the guide as expressed, `G` + protospacer[1:20], with the scaffold."""
    import RNA  # ViennaRNA: imported late, only the scorer needs it

    structure, energy = RNA.fold("G" + target23[1:20].replace("T", "U") + SCAFFOLD)
    return str(structure), round(float(energy), 2)


def assess(target23: str, context: str | None) -> OnTarget:
    protospacer = target23[:20]
    leading_t = target23[0] != "T"  # every candidate reads protospacer then PAM, whatever its strand
    at = round(100.0 * (protospacer.count("A") + protospacer.count("T")) / 20, 2)
    at_ok = 20.0 <= at <= 65.0
    tttt = "TTTT" not in target23
    structure, energy = fold(target23)
    keeps_scaffold = SCAFFOLD_FOLD.fullmatch(structure) is not None
    secondary = energy >= LOW_ENERGY if keeps_scaffold else energy > HIGH_ENERGY
    mm10db = leading_t and at_ok and tttt and secondary
    g20 = target23[19] == "G"
    scorer2 = round(sgrnascorer2(target23), 6)
    scorer2_ok = scorer2 >= SGRNASCORER2_THRESHOLD
    doench = round(doench2014(context), 6) if context else None
    doench_ok = doench is not None and doench >= DOENCH_THRESHOLD
    return OnTarget(g20, leading_t, at, at_ok, tttt, structure, energy, secondary, mm10db, scorer2, scorer2_ok,
                    doench, doench_ok, int(g20) + int(mm10db) + int(scorer2_ok))  # fmt: skip

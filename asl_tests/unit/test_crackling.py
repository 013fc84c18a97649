"""Crackling's pure parts: the candidate scan on the default job, the on-target consensus on hand-checked cases,
Rule Set 1 against its published examples, the index format, and MIT specificity against a brute-force reference
on a synthetic genome with off-targets planted at 0 to 5 mismatches."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tasks.crackling.dna import decode, encode, revcomp
from tasks.crackling.genome import fasta_gz, records, stand_in
from tasks.crackling.index import InvalidIndex, OfftargetIndex, build, build_from_fasta_gz
from tasks.crackling.offtarget import THRESHOLD, mit_specificity
from tasks.crackling.ontarget import assess, doench2014
from tasks.crackling.scan import InvalidSequence, candidates, clean

JOB = json.loads((Path(__file__).resolve().parents[1] / "data/crackling/default_job.json").read_text())


def test_the_default_job_yields_its_three_guides() -> None:
    found = [(c.seq, c.strand, c.start, c.end) for c in candidates(clean(JOB["sequence"]))]
    assert found == [
        ("ATCGATCGATCGATCGATCGAGG", "+", 0, 23),
        ("ATCGATCGATCGATCGATCGTGG", "+", 23, 46),
        ("CGATCGATCGATCGATCGATTGG", "-", 46, 69),
    ]


def test_the_scan_counts_overlaps_and_drops_repeats() -> None:
    overlapping = "A" * 21 + "GGG"  # two forward 23-mers ending in GG, overlapping
    assert [c.start for c in candidates(overlapping)] == [0, 1]
    repeated = "ACGTACGTACGTACGTACGTAGG" + "TTT" + "ACGTACGTACGTACGTACGTAGG"
    assert candidates(repeated) == []  # the same 23-mer twice: neither is kept
    both = "CCT" + "A" * 20  # a reverse candidate, read as the reverse complement
    [reverse] = candidates(both)
    assert (reverse.seq, reverse.strand) == ("T" * 20 + "AGG", "-")


@pytest.mark.parametrize(
    ("sequence", "message"),
    [("", "empty"), ("ACGN", "'N' at position 4"), ("A" * 20_001, "20,001 bases"), ("acgu", "'U' at position 4")],
)
def test_invalid_sequences_are_named(sequence: str, message: str) -> None:
    with pytest.raises(InvalidSequence, match=re.escape(message)):
        clean(sequence)


def test_whitespace_and_case_are_cleaned() -> None:
    assert clean(" acgt\nACGT\r\n\tA ") == "ACGTACGTA"


def test_rule_set_1_reproduces_its_published_examples() -> None:
    assert doench2014("TATAGCTGCGATCTGAGGTAGGGAGGGACC") == pytest.approx(0.713089368437, abs=1e-7)
    assert doench2014("TCCGCACCTGTCACGGTCGGGGCTTGGCGC") == pytest.approx(0.0189838463593, abs=1e-7)


def test_consensus_on_hand_checked_guides() -> None:
    first, second, third = candidates(clean(JOB["sequence"]))
    one = assess(first.seq, first.context)
    # G at 20: yes; mm10db: AT 50 %, no TTTT, no leading T, fold keeps the scaffold above -30; sgRNAScorer2 accepts;
    # no 30-mer context for Rule Set 1 (reported, not voted).
    assert (one.chopchop_g20, one.mm10db_at_percent, one.mm10db, one.sgrnascorer2_pass, one.doench2014,
            one.consensus) == (True, 50.0, True, True, None, 3)  # fmt: skip
    two = assess(second.seq, second.context)
    assert two.doench2014 == pytest.approx(0.117747, abs=1e-6) and not two.doench2014_pass
    assert two.sgrnascorer2 == pytest.approx(2.597819, abs=1e-6)
    assert (two.chopchop_g20, two.mm10db, two.consensus, two.accepted) == (True, True, 3, True)
    three = assess(third.seq, third.context)
    assert third.seq[19] == "T" and not three.chopchop_g20  # ...GAT|TGG
    assert three.sgrnascorer2 == pytest.approx(-4.637011, abs=1e-6) and not three.sgrnascorer2_pass
    assert (three.mm10db, three.consensus, three.accepted) == (True, 1, False)
    tttt = assess("GACTTTTGACGCAGTCAGCGAGG", None)  # fails mm10db (TTTT), passes G20 and sgRNAScorer2: 2 of 3
    assert not tttt.mm10db_tttt and not tttt.mm10db and tttt.chopchop_g20 and tttt.consensus == 2
    at_rich = assess("ATATTATAAGCTATAAATAGAGG", None)  # 17 of 20 A/T: 85 %
    assert at_rich.mm10db_at_percent == 85.0 and not at_rich.mm10db_at and not at_rich.mm10db
    leading = assess("TCAGCGATGCATGCACAGCGCGG", None)
    assert not leading.mm10db_leading_t and not leading.mm10db
    rich = "GGCGGCGGCGGCGGCGGCGGCGG"  # 100 % GC: fails AT content
    assert assess(rich, None).mm10db_at_percent == 0.0 and not assess(rich, None).mm10db


def test_index_format_round_trips_and_refuses_other_files() -> None:
    genome = stand_in("GCA_000001405.15", size=30_000, contigs=2)
    index = build_from_fasta_gz(fasta_gz(genome))
    assert index.bases == 30_000 and index.sites > 0
    again = OfftargetIndex.from_bytes(index.to_bytes())
    assert np.array_equal(again.signatures, index.signatures) and np.array_equal(again.counts, index.counts)
    assert list(index.signatures) == sorted(index.signatures)
    with pytest.raises(InvalidIndex, match="magic"):
        OfftargetIndex.from_bytes(b"NOTANIDX" + bytes(32))
    with pytest.raises(InvalidIndex, match="truncated"):
        OfftargetIndex.from_bytes(index.to_bytes()[:-4])


def test_a_mapped_index_scores_as_the_loaded_one_a_slice_at_a_time(tmp_path: Path) -> None:
    """`open` maps the file (memmap views, nothing loaded) and scoring walks it in slices: the same scores whatever
    the slice, boundaries between slices included."""
    genome = stand_in("GCA_000001635.9", size=60_000, contigs=2)
    index = build_from_fasta_gz(fasta_gz(genome))
    path = tmp_path / "mouse.crkidx"
    path.write_bytes(index.to_bytes())
    mapped = OfftargetIndex.open(path)
    assert isinstance(mapped.signatures, np.memmap) and mapped.sites == index.sites and mapped.bases == 60_000
    assert np.array_equal(mapped.signatures, index.signatures) and np.array_equal(mapped.counts, index.counts)
    guides = [decode(int(signature), 20) for signature in index.signatures[:: max(1, len(index.signatures) // 12)]]
    for guide in guides:
        whole = mit_specificity(guide, index, chunk=len(index.signatures))
        assert mit_specificity(guide, mapped, chunk=7) == mit_specificity(guide, mapped) == whole
    path.write_bytes(index.to_bytes()[:-4])
    with pytest.raises(InvalidIndex, match="truncated"):
        OfftargetIndex.open(path)


def _reference_sites(genome: str) -> list[str]:
    """Every protospacer followed by NGG, both strands, by regular expressions on strings (independent of numpy)."""
    forward = [m.group(1) for m in re.finditer(r"(?=([ACGT]{20})[ACGT]GG)", genome)]
    reverse = [revcomp(m.group(1)) for m in re.finditer(r"(?=CC[ACGT]([ACGT]{20}))", genome)]
    return forward + reverse


def _reference_mit(protospacer: str, sites: list[str]) -> tuple[float, int]:
    weights = [0, 0, 0.014, 0, 0, 0.395, 0.317, 0, 0.389, 0.079, 0.445, 0.508, 0.613, 0.851, 0.732, 0.828, 0.615,
               0.804, 0.685, 0.583]  # fmt: skip
    total, count = 0.0, 0
    for site in sites:
        diffs = [i for i in range(20) if site[i] != protospacer[i]]
        if not 1 <= len(diffs) <= 4:
            continue
        score = 1.0
        for i in diffs:
            score *= 1 - weights[i]
        if len(diffs) > 1:
            gaps = [b - a for a, b in itertools.pairwise(diffs)]
            score *= 1 / ((19 - sum(gaps) / len(gaps)) / 19 * 4 + 1)
        total += 100 * score / len(diffs) ** 2
        count += 1
    return 10000 / (100 + total), count


def _mutate(sequence: str, positions: list[int]) -> str:
    swap = {"A": "C", "C": "G", "G": "T", "T": "A"}
    return "".join(swap[b] if i in positions else b for i, b in enumerate(sequence))


def test_mit_specificity_matches_a_brute_force_reference_on_planted_off_targets() -> None:
    background = stand_in("GCA_999999999.1", size=120_000, contigs=1)[0][1]
    guide = "GACGCATAAAGATGAGACGC"
    plants = {0: [], 1: [17], 2: [3, 12], 3: [5, 9, 18], 4: [0, 7, 13, 19], 5: [1, 4, 8, 11, 15]}
    pieces, cursor = [], 0
    for n, (_mm, positions) in enumerate(plants.items()):
        site = _mutate(guide, positions) + "TGG"
        if n % 2:  # every other plant on the reverse strand
            site = revcomp(site)
        pieces += [background[cursor : cursor + 10_000], "A" + site + "A"]
        cursor += 10_000
    pieces.append(background[cursor:])
    genome = "".join(pieces)
    index = build([genome.encode()])
    expected, near = _reference_mit(guide, _reference_sites(genome))
    score, sites = mit_specificity(guide, index)
    assert sites == near >= 4  # the 1-4 mismatch plants (and any background site that close); not 0, not 5
    assert score == pytest.approx(expected, rel=1e-12)
    assert score > THRESHOLD  # mismatches far from the PAM weigh little ...
    distal = build([("A" + _mutate(guide, [0]) + "TGG" + "A" * 5 + guide + "AGGA").encode()])
    assert mit_specificity(guide, distal) == (50.0, 1)  # ... yet one 1-mismatch site: 10000 / (100 + 100)
    alone = build([background.encode()])
    assert mit_specificity(guide, alone)[0] == pytest.approx(_reference_mit(guide, _reference_sites(background))[0])


def test_stand_in_genomes_are_deterministic_fasta() -> None:
    data = fasta_gz(stand_in("GCA_000482205.1", size=10_000, contigs=2))
    assert data == fasta_gz(stand_in("GCA_000482205.1", size=10_000, contigs=2))
    parsed = list(records(__import__("gzip").decompress(data)))
    assert [len(s) for _, s in parsed] == [5_000, 5_000] and parsed[0][0].startswith("GCA_000482205.1_contig1")
    assert decode(encode("ACGTTGCA"), 8) == "ACGTTGCA"


def test_repeated_sites_are_counted_once_each_and_weigh_by_their_count() -> None:
    guide = "GACGCATAAAGATGAGACGC"
    near = _mutate(guide, [0]) + "TGG"  # one mismatch at the 5' end: S = 1, 100 in the sum
    once = build([("A" + near + "A").encode()])
    twice = build([("A" + near + "A" + near + "A" + revcomp(near) + "A").encode()])  # three copies, both strands
    assert once.count(encode(near[:20])) == 1 and twice.count(encode(near[:20])) == 3
    assert len(twice.signatures) == len(once.signatures) == 1
    assert mit_specificity(guide, once) == (50.0, 1)
    assert mit_specificity(guide, twice) == (25.0, 3)  # 10000 / (100 + 3 * 100)


@pytest.mark.parametrize(
    ("job", "step", "percent"),
    [
        ({"job_id": "j", "status": "SUBMITTED"}, "queued", 0),
        ({"job_id": "j", "status": "RUNNING"}, "genome", 10),
        ({"job_id": "j", "status": "RUNNING", "batches_total": 4, "batches_done": 0}, "scoring", 20),
        ({"job_id": "j", "status": "RUNNING", "batches_total": 4, "batches_done": 3}, "scoring", 76),
        ({"job_id": "j", "status": "RUNNING", "batches_total": 4, "batches_done": 5}, "scoring", 95),  # a recount
        ({"job_id": "j", "status": "COMPLETE", "batches_total": 4, "batches_done": 4}, "done", 100),
        ({"job_id": "j", "status": "FAILED"}, "failed", 100),
    ],
)
def test_progress_is_the_step_and_a_percentage_never_past_the_batches(job: dict, step: str, percent: int) -> None:
    from tasks.crackling.api import progress

    shown = progress(job)
    assert (shown["step"], shown["percent"]) == (step, percent)
    assert shown.get("batches_done", 0) <= shown.get("batches_total", 0)


def test_sgrnascorer2_is_crackling_s_linear_svm_on_its_public_training_data() -> None:
    from tasks.crackling.ontarget import SGRNASCORER2_DATA, sgrnascorer2, sgrnascorer2_features

    model = json.loads((SGRNASCORER2_DATA / "model.json").read_text())
    assert len(model["weights"]) == 80 and model["trained_on"] == {"high": 215, "low": 215}
    assert sgrnascorer2_features("ACGT" * 5) == [0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0] * 5
    right = total = 0
    for name, high in (("Cas9.High.tab", True), ("Cas9.Low.tab", False)):
        for guide in (SGRNASCORER2_DATA / name).read_text().split():
            total += 1
            right += (sgrnascorer2(guide) >= 0) == high
    assert total == 430 and right == 360, "the trained model's fit on its own data (84 %), as trained"

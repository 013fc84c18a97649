"""Crackling's scorer memory: scoring against an index loaded whole (as the scorer did) and against the same index
mapped from disk and walked a slice at a time (`OfftargetIndex.open`, `mit_specificity(chunk=...)`), each in a fresh
process, on a synthetic index of N protospacers (12 bytes each: a mouse genome's is about 4 GB).

Prints, per way and run, what loading and scoring added to the process (sampled every 5 ms from /proc): its peak
anonymous memory (RssAnon: what a Lambda cannot give back) and its peak RSS (VmRSS, which also counts the mapped
file's pages, which the OS drops again under pressure), and the seconds per guide; medians over the runs and the
ratio of the two ways, measured in the same run.

    python benchmarks/crackling_memory.py                 # 40 Mi protospacers (480 MiB), 3 runs
    python benchmarks/crackling_memory.py --protospacers 100000000 --runs 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ("GACGCATAAAGATGAGACGC", "TTGCAGGATCCATGACGTAA", "CCGTAGGCTAACGTTAGCAT")

WORKER = """
import json, sys, threading, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tasks.crackling.index import OfftargetIndex
from tasks.crackling.offtarget import mit_specificity

peak = {{"RssAnon:": 0, "VmRSS:": 0}}
def sample():
    while True:
        for line in Path("/proc/self/status").read_text().splitlines():
            field = line.split(maxsplit=1)[0] if line else ""
            if field in peak:
                peak[field] = max(peak[field], int(line.split()[1]) * 1024)
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
time.sleep(0.05)
base = dict(peak)
path, way, guides = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
started = time.perf_counter()
if way == "loaded":
    index = OfftargetIndex.from_bytes(path.read_bytes())
    chunk = len(index.signatures)  # the whole array at once, as the scorer scored
else:
    index = OfftargetIndex.open(path)
    chunk = None
loaded = time.perf_counter()
for guide in guides:
    mit_specificity(guide, index) if chunk is None else mit_specificity(guide, index, chunk=chunk)
done = time.perf_counter()
time.sleep(0.02)
print(json.dumps({{"anon": peak["RssAnon:"] - base["RssAnon:"], "maxrss": peak["VmRSS:"] - base["VmRSS:"],
                  "load_s": loaded - started, "per_guide_s": (done - loaded) / len(guides)}}))
"""


def synthetic_index(path: Path, n: int) -> None:
    """N distinct random 40-bit signatures, ascending, each counted once, as a CRKIDX01 file."""
    import numpy as np

    from tasks.crackling.index import HEADER, MAGIC

    rng = np.random.default_rng(7)
    signatures = np.unique(rng.integers(0, 1 << 40, size=int(n * 1.001), dtype=np.uint64))[:n]
    with path.open("wb") as out:
        out.write(HEADER.pack(MAGIC, 20, 0, len(signatures), len(signatures), len(signatures) * 8))
        out.write(signatures.astype("<u8").tobytes())
        out.write(np.ones(len(signatures), dtype="<u4").tobytes())


def measure(path: Path, way: str) -> dict[str, float]:
    code = WORKER.format(root=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code, str(path), way, json.dumps(GUIDES)], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protospacers", type=int, default=40 * 1024 * 1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.crkidx"
        synthetic_index(path, args.protospacers)
        size = path.stat().st_size
        print(f"index: {args.protospacers:,} protospacers, {size / 2**20:.0f} MiB on disk; {len(GUIDES)} guides")
        results: dict[str, list[dict[str, float]]] = {"loaded": [], "mapped": []}
        for run in range(args.runs):
            for way in results:  # interleaved: the machine's noise falls on both
                results[way].append(measure(path, way))
                r = results[way][-1]
                print(f"  run {run + 1} {way:7s} anon {r['anon'] / 2**20:7.0f} MiB  rss {r['maxrss'] / 2**20:7.0f} MiB"
                      f"  load {r['load_s']:6.2f} s  {r['per_guide_s']:6.2f} s/guide")  # fmt: skip
        median = {way: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for way, rs in results.items()}
        for way, m in median.items():
            print(f"median {way:7s} anon {m['anon'] / 2**20:7.0f} MiB  rss {m['maxrss'] / 2**20:7.0f} MiB  "
                  f"{m['per_guide_s']:.2f} s/guide")  # fmt: skip
        ratio = median["loaded"]["anon"] / max(median["mapped"]["anon"], 1)
        print(
            f"anonymous memory, loaded / mapped: {ratio:.1f}x; the mapped scorer's is bounded by its slice "
            f"(index.CHUNK), the loaded one's grows with the index ({median['loaded']['anon'] / size:.1f}x its size)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The linter on the public conformance corpus (#17): per source, the files whose verdict (errors or none) agrees
with the expected one (a definition that runs on AWS, or a validator suite's), and those whose findings are
exactly the expected rules; then the share of lint-clean definitions that `aslkit import` turns into code that
renders them back JSON-equal; then lint speed in one process.

    .venv/bin/python benchmarks/bench_lint_conformance.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORCABUS = ROOT / "asl_tests" / "data" / "orcabus"
sys.path.insert(0, str(ROOT))

from asl_tests.conformance.public_corpus import Entry, entries  # noqa: E402
from aslkit.importer import ImportRefused, import_definition, rebuild, snake_name  # noqa: E402
from aslkit.lint import Severity, lint_file  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="lint the whole corpus this many times for the speed")
    args = parser.parse_args()
    corpus = entries()
    committed = sorted((ROOT / "statemachines").glob("*.asl.json"))
    heading = f"{'disputed':>8} {'undisputed verdicts agree':>26} {'findings exactly as expected':>29}"
    print(f"{'source':<50} {'files':>5} {heading}")
    ok = True
    for source in sorted({e.source for e in corpus}):
        mine = [e for e in corpus if e.source == source]
        undisputed = [e for e in mine if e.disputed is None]
        verdicts = exact = 0
        for entry in mine:
            report = lint_file(entry.path, known_placeholders=entry.placeholders)
            has_errors = any(f.severity is Severity.ERROR for f in report.findings)
            verdicts += entry.disputed is None and has_errors == (entry.verdict == "invalid")
            exact += entry.agrees([(f.rule, f.severity is Severity.ERROR) for f in report.findings])
        ok = ok and verdicts == len(undisputed) and exact == len(mine)
        agree, match = 100 * verdicts / len(undisputed), 100 * exact / len(mine)
        print(f"{source:<50} {len(mine):>5} {len(mine) - len(undisputed):>8} {verdicts:>19} ({agree:3.0f}%) "
              f"{exact:>22} ({match:3.0f}%)")  # fmt: skip
    for entry in corpus:
        if entry.disputed is not None:
            print(f"  disputed {entry.path.name}: AWS's verdict {entry.verdict}: {entry.disputed}")
    print(import_round_trips(corpus, committed))
    files = [e.path for e in corpus] + committed
    lint_file(files[0])  # the schema's validator is built on first use
    rates = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for path in files:
            lint_file(path)
        rates.append(len(files) / (time.perf_counter() - started))
    print(f"\nlint speed over {len(files)} files ({len(corpus)} public, {len(committed)} of the catalogue), one "
          f"process: median {statistics.median(rates):.0f} files/s over {args.rounds} rounds (min {min(rates):.0f}, "
          f"max {max(rates):.0f})")  # fmt: skip
    return 0 if ok else 1


def import_round_trips(corpus: list[Entry], committed: list[Path]) -> str:
    """`aslkit import` then the builders' rendering, on every lint-clean definition: the share rendered JSON-equal."""
    clean = [e.path for e in corpus if e.verdict != "invalid"] + sorted(ORCABUS.glob("*.asl.json")) + committed
    exceptions = []
    for file in clean:
        name = snake_name(file.name)
        try:
            imported = import_definition(json.loads(file.read_text(encoding="utf-8")), machine=name, workflow=name,
                                         source=file.name)  # fmt: skip
            if rebuild(imported.code) != json.loads(file.read_text(encoding="utf-8")):
                exceptions.append(f"  {file.name}: rendered differently")
        except ImportRefused as refused:
            exceptions.append(f"  {file.name}: {refused}")
    share = 100 * (len(clean) - len(exceptions)) / len(clean)
    lines = [f"\naslkit import round trip: {len(clean) - len(exceptions)} of {len(clean)} lint-clean definitions "
             f"({share:.0f}%) render back JSON-equal", *exceptions]  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

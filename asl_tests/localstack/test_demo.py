"""The README's main command, run against the session's LocalStack (it reuses a running one and leaves it up)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aslkit import demo

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_every_sample_green(localstack, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cwd = Path.cwd()
    os.chdir(ROOT)
    report = tmp_path / "report.html"
    try:
        code = demo.main(["--quiet", "--report", str(report)])
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"using LocalStack at {localstack.url}" in out
    assert "invalid_run.fails.input.json" in out and "FAILED (expected)" in out
    assert "InvalidRun: run 240101_A00130_0002_BHXXXXXX: library 0 has type 'RNA-seq'" in out
    assert out.rstrip().splitlines()[-1].startswith("all green in ")
    samples = sorted(p.name for p in (ROOT / "samples").glob("*/*.json"))
    rows = [line.split() for line in out.splitlines() if line.rstrip().endswith(" ✓")]
    assert sorted(row[1] for row in rows) == samples, "one summary row per sample, each green"
    by_sample = {row[1]: row for row in rows}
    for sample in ("pending_analysis.event.json", "qc_failure_run.event.json"):
        assert by_sample[sample][2] == "2", "the EXPRESS starter (found in its log group), then the orchestration"
    for row in rows:
        cost = float(row[-2])
        assert 0 < cost < 0.01, f"{row[1]}: an estimated cost per run in dollars"
    html = report.read_text()
    assert f"report: {report.as_uri()}" in out
    executions = sum(int(row[2]) for row in rows)
    assert html.count('<section class="execution') == executions, "every execution is in the report"

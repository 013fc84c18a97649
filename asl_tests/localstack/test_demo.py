"""The README's main command, run against the session's LocalStack (it reuses a running one and leaves it up)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aslkit import demo

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_every_sample_green(localstack, capsys: pytest.CaptureFixture[str]) -> None:
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        code = demo.main(["--quiet"])
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"using LocalStack at {localstack.url}" in out
    assert "invalid_run.fails.input.json" in out and "FAILED (expected)" in out
    assert "InvalidRun: run 240101_A00130_0002_BHXXXXXX: library 0 has type 'RNA-seq'" in out
    assert out.rstrip().splitlines()[-1].startswith("all green in ")

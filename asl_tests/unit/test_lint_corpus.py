"""The linter accepts every real definition: the production fixtures and everything the builders emit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aslkit.build import discover, machine_path
from aslkit.lint import lint_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "asl_tests" / "data").rglob("*.asl.json"))
WORKFLOWS = discover(ROOT)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_production_definitions_are_clean_after_substitution(path: Path) -> None:
    names = set(re.findall(r"\$\{([^}]+)\}", path.read_text()))
    substitutions = {name: f"arn:aws:lambda:ap-southeast-2:123456789012:function:{name.strip('_')}" for name in names}
    report = lint_file(path, known_placeholders=names, substitutions=substitutions)
    assert report.findings == []
    # and as committed, with the placeholders declared
    assert lint_file(path, known_placeholders=names).findings == []


@pytest.mark.parametrize("machine", [m for w in WORKFLOWS for m in w.machines], ids=lambda m: m.name)
def test_committed_machines_are_clean(machine) -> None:
    path = machine_path(ROOT / "statemachines", machine.name)
    assert path.exists(), f"{path} is missing: run `make build`"
    assert lint_file(path, known_placeholders=machine.placeholders).findings == []

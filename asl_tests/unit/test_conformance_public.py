"""The linter on real definitions it was not written for: no false errors, exactly the expected warnings."""

from __future__ import annotations

import pytest

from asl_tests.conformance.public_corpus import HERE, entries
from aslkit.lint import Severity, lint_file

ENTRIES = entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.path.name for e in ENTRIES])
def test_the_linter_gives_each_definition_its_expected_verdict(entry) -> None:
    report = lint_file(entry.path, known_placeholders=entry.placeholders)
    found = [(f.rule, f.severity is Severity.ERROR) for f in report.findings]
    if entry.verdict in ("runs", "valid"):
        errors = [str(f) for f in report.findings if f.severity is Severity.ERROR]
        assert errors == [], f"false errors on {entry.source}:{entry.upstream}"
    else:
        assert entry.verdict == "invalid" and entry.errors, "an invalid definition names the errors it must get"
    assert entry.agrees(found), [str(f) for f in report.findings]


def test_every_file_of_the_corpus_has_a_recorded_source() -> None:
    listed = {e.path for e in ENTRIES}
    present = {p.resolve() for p in HERE.rglob("*.json") if p.name != "SOURCES.json"}
    assert present <= listed, f"files without a source in SOURCES.json: {sorted(map(str, present - listed))}"
    assert all(e.path.exists() for e in ENTRIES)

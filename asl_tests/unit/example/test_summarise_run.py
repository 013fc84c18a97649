"""The example task: a pure function, table-driven."""

from __future__ import annotations

import pytest

from tasks.example.summarise_run import InvalidRun, summarise


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ({"runId": "r1", "libraries": []}, {"runId": "r1", "libraryCount": 0, "byType": {}}),
        (
            {"runId": "r2", "libraries": [{"type": "WGS"}, {"type": "WTS"}, {"type": "WGS"}]},
            {"runId": "r2", "libraryCount": 3, "byType": {"WGS": 2, "WTS": 1}},
        ),
    ],
)
def test_summarise_counts_per_type(run: dict, expected: dict) -> None:
    assert summarise(run) == expected


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ({"libraries": []}, "runId is missing"),
        ({"runId": "r", "libraries": "L1"}, "libraries must be a list"),
        ({"runId": "r", "libraries": [{"type": "RNA"}]}, "library 0 has type 'RNA'"),
    ],
)
def test_summarise_names_the_problem(run: dict, message: str) -> None:
    with pytest.raises(InvalidRun, match=message):
        summarise(run)

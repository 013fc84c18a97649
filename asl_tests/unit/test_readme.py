"""The README's code runs as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_example_builds_a_lint_clean_machine() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    workflow = namespace["WORKFLOW"]
    workflow.check()  # type: ignore[attr-defined]
    document = json.loads(workflow.machines[0].to_json())  # type: ignore[attr-defined]
    assert document["States"]["Summarise run"]["Parameters"]["Payload.$"] == "$"
    assert document["States"]["Any library?"]["Default"] == "No"

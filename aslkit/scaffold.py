"""`aslkit init NAME`: a new project that passes `pytest` and `aslkit build --check` as soon as it is written.

It holds one workflow (a Lambda task, a Choice, a named error), the task's pure function and thin handler, its
committed ASL (written by `aslkit build`), a test on the in-process engine, and a README of its commands.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from aslkit import __version__
from aslkit.errors import UserInputError

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """A project name as a Python identifier in snake_case (`My-App` -> `my_app`)."""
    text = _SLUG.sub("_", name.lower()).strip("_")
    if not text or not text[0].isalpha():
        raise UserInputError(f"{name!r} cannot name a project", hint="start it with a letter: `aslkit init my_app`")
    if len(text) > 30:
        raise UserInputError(f"{name!r} is too long for a project name", hint="use at most 30 characters")
    return text


def files(name: str) -> dict[str, str]:
    project = slug(name)
    return {
        "pyproject.toml": _PYPROJECT.format(name=name, project=project, version=__version__),
        "README.md": _README.format(name=name, project=project),
        ".gitignore": ".venv/\n__pycache__/\n.pytest_cache/\n.localstack/\nbuild/\ncdk.out/\n",
        "workflows/__init__.py": '"""The workflows: one module per business process, each with WORKFLOW."""\n',
        "workflows/greeting.py": _WORKFLOW.format(project=project),
        "tasks/__init__.py": '"""Lambda code: pure functions plus thin handlers, one package per workflow."""\n',
        "tasks/greeting/__init__.py": "",
        "tasks/greeting/greet.py": _TASK,
        "tests/__init__.py": "",
        "tests/test_greeting.py": _TEST.format(project=project),
    }


def write(target: Path, name: str | None = None) -> list[Path]:
    """Write the project into `target` (which must not exist or be empty) and build its committed ASL."""
    name = name or target.name
    if target.exists() and any(target.iterdir()):
        raise UserInputError(f"{target} exists and is not empty", hint="choose a new folder name")
    written = []
    for relative, content in files(name).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    # A fresh interpreter builds the ASL: the new project's `workflows` package must not meet this process's.
    completed = subprocess.run([sys.executable, "-m", "aslkit.cli", "build", "--root", str(target)],
                               capture_output=True, text=True, check=False)  # fmt: skip
    if completed.returncode != 0:
        raise UserInputError(f"the new project did not build: {completed.stderr.strip() or completed.stdout.strip()}")
    written.extend(sorted((target / "statemachines").glob("*")))
    return written


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = ["aslkit[test]>={version}"]

[tool.setuptools.packages.find]
include = ["workflows*", "tasks*"]

[tool.aslkit]
workflows = "workflows"
tasks = "tasks"
statemachines = "statemachines"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
"""

_README = """\
# {name}

Step Functions workflows defined with [aslkit](https://pypi.org/project/aslkit/).

```sh
aslkit build      # write statemachines/ from workflows/ (commit the result; `--check` only compares)
pytest            # the tests, on aslkit's in-process engine (no AWS, no Docker)
```

- `workflows/greeting.py` defines the `{project}_greeting` state machine and its function.
- `tasks/greeting/greet.py` is the function's code: a pure function and a thin handler.
- `statemachines/` holds the committed ASL, the file you can paste into the AWS console.
- `tests/` runs the committed definition with the handlers in process, on a virtual clock.

To run the same tests on LocalStack too, install `aslkit[local]`, run `aslkit local install` once, and mark
tests with `@pytest.mark.localstack`.
"""

_WORKFLOW = '''\
"""Greet a person: a Lambda task builds the greeting, a Choice refuses an empty name with a named error."""

from aslkit.asl import Catch, Choice, Condition, Fail, Retry, StateMachine, Succeed, lambda_invoke, path
from aslkit.spec import Function, Workflow

greet = Function("{project}_greet", handler="tasks.greeting.greet.handler", timeout=10, memory=128)

invalid = Fail("Name is invalid", error="InvalidName", cause_path="$.error.Cause")
build_greeting = lambda_invoke(
    "Build greeting",
    function=greet.arn,
    payload=path("$"),
    result_selector={{"greeting.$": "$.Payload.greeting", "length.$": "$.Payload.length"}},
    result_path="$.result",
    retry=[Retry.lambda_transient()],
    catch=[Catch(["InvalidName"], invalid, result_path="$.error")],
)
decide = (
    Choice("Long name?")
    .when(Condition.numeric_greater_than("$.result.length", 12), Succeed("Greeted at length"))
    .otherwise(Succeed("Greeted"))
)
machine = StateMachine("{project}_greeting", build_greeting >> decide, comment="Greet a person by name")

WORKFLOW = Workflow("greeting", "Greet a person by name", machines=[machine], functions=[greet])
'''

_TASK = '''\
"""Build a greeting. The pure function does the work; the handler only adapts the event."""

from typing import Any


class InvalidName(ValueError):
    """The event has no usable name (the state machine catches this error by its name)."""


def greeting(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidName(f"a name must be a non-empty string, got {name!r}")
    return f"Hello, {name.strip()}!"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    text = greeting(event.get("name"))
    return {"greeting": text, "length": len(event["name"].strip())}
'''

_TEST = '''\
"""The committed definition, run on aslkit's in-process engine with the real handler."""

from pathlib import Path

from aslkit.engine import Engine
from workflows.greeting import WORKFLOW

ROOT = Path(__file__).resolve().parents[1]


def engine() -> Engine:
    return Engine.for_workflow(WORKFLOW, root=ROOT)


def test_a_person_is_greeted() -> None:
    result = engine().run("{project}_greeting", {{"name": "Ada"}})
    assert result.status == "SUCCEEDED", result.explain()
    assert result.output["result"] == {{"greeting": "Hello, Ada!", "length": 3}}
    assert result.states == ["Build greeting", "Long name?", "Greeted"]


def test_a_long_name_takes_the_other_branch() -> None:
    result = engine().run("{project}_greeting", {{"name": "Ada King, Countess of Lovelace"}})
    assert result.states[-1] == "Greeted at length"


def test_an_empty_name_fails_with_a_named_error() -> None:
    result = engine().run("{project}_greeting", {{"name": "  "}})
    assert result.status == "FAILED"
    assert result.error == "InvalidName"
    assert "non-empty string" in (result.cause or "")
    assert result.failed_state == "Name is invalid"
'''

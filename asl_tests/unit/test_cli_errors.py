"""Bad input to every command ends as one line that says what to do, with the documented exit code, and never a
traceback (`aslkit.errors.EXIT_CODES`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aslkit.cli import main
from aslkit.errors import EXIT_CODES

ARN = "arn:aws:states:us-east-1:123456789012:execution:m:x"
NO_CREDENTIALS = {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                  "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip

TINY = """
from aslkit.asl import Pass, StateMachine
from aslkit.spec import Workflow
machine = StateMachine("tiny", Pass("Say", result={result!r}))
WORKFLOW = Workflow("tiny", "a tiny workflow", machines=[machine], parameters={{"delay": "5"}})
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose committed definition is stale, plus bad files to feed the commands."""
    root = tmp_path_factory.mktemp("project")
    (root / "workflows").mkdir()
    (root / "workflows" / "__init__.py").write_text("")
    (root / "workflows" / "tiny.py").write_text(TINY.format(result="old"))
    assert aslkit("build", cwd=root).returncode == 0
    (root / "workflows" / "tiny.py").write_text(TINY.format(result="new"))  # statemachines/ is now stale
    (root / "bad.json").write_text("{not json")
    (root / "list.json").write_text("[1, 2]")
    (root / "event.json").write_text("{}")
    (root / "folder").mkdir()
    (root / "folder" / "notes.txt").write_text("keep me")
    return root


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project one of whose workflow modules has a syntax error and another an import error."""
    root = tmp_path_factory.mktemp("broken")
    (root / "workflows").mkdir()
    (root / "workflows" / "__init__.py").write_text("")
    (root / "workflows" / "a_syntax.py").write_text("import json\n\nWORKFLOW = json.loads('1') 2\n")
    (root / "ok.asl.json").write_text('{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}')
    return root


def aslkit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not (env and key.startswith("AWS_"))}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "aslkit.cli", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env=environment, timeout=60)  # fmt: skip


CASES = [
    # (arguments, exit code, what the message says)
    (["lint", "nope.json"], 2, "no such file: nope.json"),
    (["lint"], 2, "give one or more ASL files"),
    (["lint", "folder"], 2, "holds no *.template.json; point at a CDK cdk.out folder"),
    (["lint", "--format", "xml", "list.json"], 2, "invalid choice: 'xml'"),
    (["lint", "--placeholder", "=x", "list.json"], 2, "has no name"),
    (["graph", "bad.json"], 2, "is not valid JSON"),
    (["graph", "list.json"], 2, "not a state machine definition"),
    (["graph", "nosuch"], 2, "no state machine 'nosuch'"),
    (["graph", "--format", "gif", "tiny"], 2, "invalid choice: 'gif'"),
    (["graph", "tiny", "-o", "missing/dir/x.mmd"], 2, "no such file"),
    (["graph"], 2, "the following arguments are required: machine"),
    (["watch", "not-an-arn"], 2, "is not an execution ARN"),
    (["watch"], 2, "the following arguments are required: execution_arn"),
    (["watch", ARN, "--timeout", "soon"], 2, "invalid float value"),
    (["report", "arn:aws:states:x"], 2, "is not an execution ARN"),
    (
        ["report", ARN.replace(":execution:", ":express:"), "--endpoint-url", "http://127.0.0.1:9"],
        6,
        "cannot reach http://127.0.0.1:9",
    ),
    (["report", ARN, "--endpoint-url", "http://127.0.0.1:9"], 6, "cannot reach http://127.0.0.1:9"),
    (["watch", ARN, "--profile", "nosuchprofile"], 2, "could not be found"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    (["build", "--root", "/nonexistent"], 3, "no workflows/ folder"),
    (["build", "--out"], 2, "expected one argument"),
    (["run", "nosuch", "--input", "event.json"], 2, "no workflow 'nosuch'"),
    (["run", "tiny", "--input", "nope.json"], 2, "no such input file"),
    (["run", "tiny", "--input", "bad.json"], 2, "is not valid JSON"),
    (["run", "tiny", "--input", "event.json", "--param", "delay"], 2, "is not NAME=VALUE"),
    (["run", "tiny", "--input", "event.json", "--param", "dleay=1"], 2, "has no parameter dleay"),
    (["run", "tiny"], 2, "one of the arguments --event --input is required"),
    (["run", "tiny", "--event", "event.json", "--input", "event.json"], 2, "not allowed with argument"),
    (["run", "tiny", "--input", "event.json"], 3, "statemachines/tiny.asl.json is stale"),
    (["deploy", "tiny"], 2, "the following arguments are required: --local"),
    (["deploy", "nosuch", "--local"], 2, "no workflow 'nosuch'"),
    (["deploy", "tiny", "--local"], 3, "run `aslkit build`"),
    (["init", "folder"], 2, "exists and is not empty"),
    (["init", "9lives"], 2, "cannot name a project"),
    (["local", "fly"], 2, "invalid choice: 'fly'"),
    (["local", "logs", "--lines", "many"], 2, "invalid int value"),
]


@pytest.mark.parametrize(("arguments", "code", "message"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_gets_one_line_and_its_exit_code(project: Path, arguments: list[str], code: int,
                                                   message: str) -> None:  # fmt: skip
    result = aslkit(*arguments, cwd=project)
    assert result.returncode == code, result.stderr
    assert code in EXIT_CODES
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_no_aws_credentials_is_a_service_error_saying_how_to_give_them(project: Path) -> None:
    result = aslkit("watch", ARN, "--region", "us-east-1", cwd=project, env=NO_CREDENTIALS)
    assert result.returncode == 6
    assert "no AWS credentials found; pass --profile" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_workflow_module_is_named_by_file_and_line(broken: Path) -> None:
    result = aslkit("build", cwd=broken)
    assert result.returncode == 3
    assert "workflows/a_syntax.py:3: SyntaxError" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_workflow_module_does_not_stop_lint_graph_or_help(broken: Path) -> None:
    assert aslkit("lint", "ok.asl.json", cwd=broken).returncode == 0
    assert aslkit("graph", "ok.asl.json", cwd=broken).returncode == 0
    assert aslkit("--help", cwd=broken).returncode == 0


def test_debug_shows_the_traceback(project: Path) -> None:
    result = aslkit("--debug", "graph", "bad.json", cwd=project)
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_help_documents_the_exit_codes_and_version_prints_it(project: Path) -> None:
    result = aslkit("--help", cwd=project)
    for code in EXIT_CODES:
        assert f"  {code} " in result.stdout
    from aslkit import __version__

    assert aslkit("--version", cwd=project).stdout.strip() == f"aslkit {__version__}"


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import aslkit.cli.lint

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(aslkit.cli.lint, "run", interrupted)
    assert main(["lint", "x.json"]) == 130
    assert capsys.readouterr().err == "aslkit: interrupted\n"


def test_an_unexpected_error_is_an_internal_error_naming_debug(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    import aslkit.cli.lint

    def broken(args: object) -> int:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(aslkit.cli.lint, "run", broken)
    assert main(["lint", "x.json"]) == 70
    assert "internal error: ZeroDivisionError: oops; run again with --debug" in capsys.readouterr().err


def test_project_commands_are_declared_in_pyproject_and_loaded_only_when_run(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.aslkit.commands]
        hello = { entry = "mycli:add_commands", help = "say hello" }
    """))  # fmt: skip
    (tmp_path / "workflows").mkdir()
    (tmp_path / "mycli.py").write_text(textwrap.dedent("""
        def add_commands(commands):
            parser = commands.add_parser("hello")
            parser.add_argument("--name", required=True)
            parser.set_defaults(run=lambda args: print(f"hello {args.name}") or 0)
    """))  # fmt: skip
    assert "say hello" in aslkit("--help", cwd=tmp_path).stdout
    result = aslkit("hello", "--name", "Ada", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "hello Ada"
    missing = aslkit("hello", cwd=tmp_path)
    assert missing.returncode == 2 and "--name" in missing.stderr
    (tmp_path / "mycli.py").write_text("import nosuchmodule\n")
    broken = aslkit("hello", "--name", "x", cwd=tmp_path)
    assert broken.returncode == 3 and "mycli.py:1: ModuleNotFoundError" in broken.stderr
    assert aslkit("lint", "--rules", cwd=tmp_path).returncode == 0  # a built-in never imports it

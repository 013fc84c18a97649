"""aslkit's one error tree. Every error the library raises on purpose is an `AslkitError`; the CLI turns each into
one line and the exit code of its branch (listed by `aslkit --help`).

    AslkitError
    ├── UserInputError     a file, argument or value given on the command line or to an API is wrong   exit 2
    ├── SpecError          a Workflow spec cannot be rendered, or a workflow module does not load      exit 3
    │   ├── WorkflowLoadError
    │   └── StageError     a stage's configuration is incomplete or wrong (names the stage and setting)
    ├── BuildError         committed definitions are stale, missing or fail the linter                 exit 3
    │   └── LintError (AslValidationError)
    ├── DeployError        LocalStack or a deployment cannot be set up                                 exit 4
    │   └── LocalStackError
    ├── EngineError        the in-process engine cannot run a definition (not an execution failure)    exit 5
    └── ServiceError       an AWS (or LocalStack) call failed: credentials, endpoint, a refused request exit 6

Messages say what to do next. A `hint` is printed after the message when given separately.
"""

from __future__ import annotations

from typing import ClassVar, Final

#: exit codes the CLI documents; 1 is "the command ran and found a problem" (lint errors, a failed execution).
EXIT_CODES: Final[dict[int, str]] = {
    0: "success",
    1: "the command ran and found a problem (lint errors, a stale file, a failed execution)",
    2: "bad input (a missing or malformed file, argument or value), or a missing optional part to install",
    3: "a workflow spec or committed definition is broken (the message names the file)",
    4: "LocalStack or a deployment could not be set up",
    5: "the in-process engine cannot run the definition",
    6: "an AWS or LocalStack call failed (credentials, endpoint, a refused request)",
    70: "an internal error of aslkit (run again with --debug and report the traceback)",
    130: "interrupted (Ctrl-C)",
}


class AslkitError(Exception):
    """The root of aslkit's errors."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message}; {self.hint}" if self.hint else message


class UserInputError(AslkitError, ValueError):
    """Something given on the command line or to an API is wrong: a missing file, invalid JSON, a malformed ARN."""

    exit_code = 2


class SpecError(AslkitError, ValueError):
    """A Workflow spec that cannot be rendered: bad names, a placeholder nothing provides, a duplicate."""

    exit_code = 3


class WorkflowLoadError(SpecError):
    """A module of the workflows package does not import; the message names its file and line."""


class StageError(SpecError):
    """A stage cannot be synthesized: a required parameter without a value, a placeholder account id, an adopted
    resource the workflow does not declare. The message names the stage, the workflow and the setting."""


class BuildError(AslkitError):
    """Committed definitions do not match the workflows, or do not pass the linter."""

    exit_code = 3


class LintError(BuildError, ValueError):
    """The linter found errors in a definition."""


class DeployError(AslkitError):
    """A deployment (local or AWS) could not be set up."""

    exit_code = 4


class LocalStackError(DeployError, RuntimeError):
    """LocalStack could not be installed, started, found or stopped; the message says what to do."""


class EngineError(AslkitError):
    """The in-process engine cannot run a definition (an unsupported construct, a missing handler)."""

    exit_code = 5


class ServiceError(AslkitError):
    """An AWS or LocalStack call failed outside an execution: credentials, endpoint, a refused request."""

    exit_code = 6


class MissingExtra(AslkitError, ImportError):
    """A feature needs an optional part of aslkit that is not installed."""

    exit_code = 2

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the {module!r} package, which is not installed",
            hint=f"install aslkit[{extra}] (pip install 'aslkit[{extra}]')",
        )
        self.extra = extra


def require(module: str, *, feature: str, extra: str) -> None:
    """Raise `MissingExtra` unless `module` can be imported."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtra(feature, extra, module)

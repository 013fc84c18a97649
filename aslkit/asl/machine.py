"""A state machine: a named graph with its top-level fields, rendered to linted, deterministic ASL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from aslkit.asl.graph import Chainable, start_of
from aslkit.asl.render import RenderContext, canonical, dumps
from aslkit.asl.states import QueryLanguage, State
from aslkit.errors import LintError

MachineType = Literal["STANDARD", "EXPRESS"]


class AslValidationError(LintError):
    """The linter found errors in a definition the builders produced."""

    def __init__(self, machine: str, findings: list[object]) -> None:
        self.findings = findings
        lines = "\n".join(f"  {finding}" for finding in findings)
        super().__init__(f"state machine {machine!r} does not pass the linter:\n{lines}")


class StateMachine:
    """A state machine definition built from states.

    `name` names the committed file (`statemachines/<name>.asl.json`) and the deployed machine.
    `placeholders` declares `${...}` names typed inside plain strings (a `Placeholder` value declares itself).
    """

    def __init__(
        self,
        name: str,
        definition: Chainable,
        *,
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
        timeout_seconds: int | None = None,
        version: str | None = None,
        type: MachineType = "STANDARD",
        placeholders: Iterable[str] = (),
    ) -> None:
        self.name = name
        self.start: State = start_of(definition)
        self.comment = comment
        self.query_language = query_language
        self.timeout_seconds = timeout_seconds
        self.version = version
        self.type = type
        self._declared = set(placeholders)

    def render(self) -> tuple[dict[str, object], set[str]]:
        """The ASL document and the placeholder names it uses."""
        ctx = RenderContext(query_language=self.query_language or "JSONPath", placeholders=set(self._declared))
        graph = ctx.render_graph(self.start)
        top: dict[str, object] = {
            "Comment": self.comment,
            "QueryLanguage": self.query_language,
            "Version": self.version,
            "TimeoutSeconds": self.timeout_seconds,
            **graph,
        }
        return canonical({key: value for key, value in top.items() if value is not None}), ctx.placeholders

    def to_asl(self) -> dict[str, object]:
        return self.render()[0]

    @property
    def placeholders(self) -> list[str]:
        """Every `${...}` name the definition uses, sorted."""
        return sorted(self.render()[1])

    def to_json(self, *, lint: bool = True) -> str:
        """Deterministic ASL text; lints first and raises `AslValidationError` on any error finding."""
        document, placeholders = self.render()
        if lint:
            from aslkit.lint import lint_document

            report = lint_document(document, known_placeholders=placeholders, source=self.name)
            if report.errors:
                raise AslValidationError(self.name, list(report.errors))
        return dumps(document)

    def __repr__(self) -> str:
        return f"StateMachine({self.name!r}, type={self.type!r})"

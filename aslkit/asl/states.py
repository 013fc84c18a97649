"""The states of the Amazon States Language as small classes.

Every state takes its name first and its ASL fields as keyword arguments in snake_case (`result_path=` for
`ResultPath`). Values may be plain JSON or the markers of `aslkit.asl.values` (placeholders, JSONPath, JSONata).
A field meant for one query language only is accepted here and reported by the linter if the state's effective
query language cannot use it, so a builder never needs an escape hatch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from aslkit.asl.conditions import Condition
from aslkit.asl.graph import Chain, Chainable, GraphError, as_chain, caller_location, current_prefix, start_of
from aslkit.asl.policies import Catch, Retry
from aslkit.asl.values import Discard, Jsonata, JsonValue, Placeholder, render_value

if TYPE_CHECKING:
    from aslkit.asl.render import RenderContext

QueryLanguage = Literal["JSONPath", "JSONata"]
#: A field whose value is a number in JSONPath and may be a `{% %}` expression in JSONata.
NumberOrExpr = int | str | Jsonata
#: `InputPath`, `ResultPath`, `OutputPath`: a path, or `DISCARD` (JSON null).
PathOrDiscard = str | Discard


class State:
    """Base of all states: a name (prefixed inside fragments), a comment, a query language, variables."""

    type: ClassVar[str]
    #: False for Succeed, Fail and Choice: they never take a `Next` from a chain.
    can_continue: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        *,
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
        assign: Mapping[str, JsonValue] | None = None,
    ) -> None:
        full_name = current_prefix() + name
        if not full_name or len(full_name) > 80:
            raise GraphError(f"state name {full_name!r} must have 1 to 80 characters")
        self.name = full_name
        self.defined_at = caller_location()
        self.comment = comment
        self.query_language = query_language
        self.assign = assign
        self._next: State | None = None
        self._fields: dict[str, JsonValue] = {}

    # -- graph -------------------------------------------------------------------------------------------------
    def set_next(self, state: State) -> None:
        if not self.can_continue:
            raise GraphError(f"{self.type} state {self.name!r} (created at {self.defined_at}) cannot have a Next")
        if self._next is not None and self._next is not state:
            raise GraphError(
                f"state {self.name!r} (created at {self.defined_at}) already continues to {self._next.name!r}; "
                f"it cannot also continue to {state.name!r}"
            )
        self._next = state

    def next(self, other: Chainable) -> Chain:
        return as_chain(self).next(other)

    def __rshift__(self, other: Chainable) -> Chain:
        return self.next(other)

    @property
    def next_state(self) -> State | None:
        return self._next

    def successors(self) -> list[State]:
        """States this one can transition to, in a stable order (Next first, then catchers)."""
        return [self._next] if self._next is not None else []

    # -- rendering -----------------------------------------------------------------------------------------------
    def _set(self, **fields: JsonValue) -> None:
        """Record ASL fields (by their ASL names); `None` means absent."""
        for key, value in fields.items():
            if value is not None:
                self._fields[key] = value

    def render(self, ctx: RenderContext) -> dict[str, object]:
        out: dict[str, object] = {"Type": self.type}
        if self.comment is not None:
            out["Comment"] = self.comment
        if self.query_language is not None:
            out["QueryLanguage"] = self.query_language
        for key, value in self._fields.items():
            out[key] = render_value(value, ctx.placeholders)
        if self.assign is not None:
            out["Assign"] = render_value(self.assign, ctx.placeholders)
        self._render_extra(out, ctx.with_language(self.query_language))
        if self.can_continue:
            if self._next is not None:
                out["Next"] = self._next.name
            else:
                out["End"] = True
        return out

    def _render_extra(self, out: dict[str, object], ctx: RenderContext) -> None:
        """Fields that are not plain values (sub-graphs, retriers, choice rules)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class _Recovering(State):
    """Task, Parallel and Map: they can retry and catch."""

    def __init__(
        self,
        name: str,
        *,
        retry: Sequence[Retry] = (),
        catch: Sequence[Catch] = (),
        **common: object,
    ) -> None:
        super().__init__(name, **common)  # type: ignore[arg-type]
        self.retriers: list[Retry] = list(retry)
        self.catchers: list[Catch] = list(catch)

    def add_retry(self, retry: Retry) -> _Recovering:
        self.retriers.append(retry)
        return self

    def add_catch(self, errors: str | Sequence[str], handler: Chainable, **options: object) -> _Recovering:
        """On `errors` go to `handler`; options are those of `Catch` (`result_path`, `output`, `assign` ...)."""
        self.catchers.append(Catch(errors, handler, **options))  # type: ignore[arg-type]
        return self

    def successors(self) -> list[State]:
        return super().successors() + [c.target for c in self.catchers]

    def _render_extra(self, out: dict[str, object], ctx: RenderContext) -> None:
        if self.retriers:
            out["Retry"] = [r.render() for r in self.retriers]
        if self.catchers:
            out["Catch"] = [c.render(ctx.placeholders) for c in self.catchers]


class Task(_Recovering):
    """Do work: call a Lambda function, a service integration, an activity.

    `request` is the integration's request in the state's query language: it becomes `Parameters` under JSONPath
    and `Arguments` under JSONata. Use `parameters=` or `arguments=` to name the field yourself.
    """

    type = "Task"

    def __init__(
        self,
        name: str,
        *,
        resource: str | Placeholder,
        request: JsonValue = None,
        parameters: JsonValue = None,
        arguments: JsonValue = None,
        credentials: JsonValue = None,
        input_path: PathOrDiscard | None = None,
        result_selector: JsonValue = None,
        result_path: PathOrDiscard | None = None,
        output_path: PathOrDiscard | None = None,
        output: JsonValue = None,
        timeout_seconds: NumberOrExpr | None = None,
        timeout_seconds_path: str | None = None,
        heartbeat_seconds: NumberOrExpr | None = None,
        heartbeat_seconds_path: str | None = None,
        retry: Sequence[Retry] = (),
        catch: Sequence[Catch] = (),
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
        assign: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(name, retry=retry, catch=catch, comment=comment, query_language=query_language, assign=assign)
        self.request = request
        self._set(
            Resource=resource,
            Credentials=credentials,
            InputPath=input_path,
            Parameters=parameters,
            Arguments=arguments,
            ResultSelector=result_selector,
            ResultPath=result_path,
            OutputPath=output_path,
            Output=output,
            TimeoutSeconds=timeout_seconds,
            TimeoutSecondsPath=timeout_seconds_path,
            HeartbeatSeconds=heartbeat_seconds,
            HeartbeatSecondsPath=heartbeat_seconds_path,
        )

    def _render_extra(self, out: dict[str, object], ctx: RenderContext) -> None:
        if self.request is not None:
            field = "Arguments" if ctx.query_language == "JSONata" else "Parameters"
            out[field] = render_value(self.request, ctx.placeholders)
        super()._render_extra(out, ctx)


class Pass(State):
    """Pass its input on, optionally transformed or replaced by a fixed `result`."""

    type = "Pass"

    def __init__(
        self,
        name: str,
        *,
        result: JsonValue = None,
        parameters: JsonValue = None,
        input_path: PathOrDiscard | None = None,
        result_path: PathOrDiscard | None = None,
        output_path: PathOrDiscard | None = None,
        output: JsonValue = None,
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
        assign: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(name, comment=comment, query_language=query_language, assign=assign)
        self._set(
            InputPath=input_path,
            Parameters=parameters,
            Result=result,
            ResultPath=result_path,
            OutputPath=output_path,
            Output=output,
        )


class Wait(State):
    """Wait for a number of seconds or until a timestamp (exactly one of the four fields)."""

    type = "Wait"

    def __init__(
        self,
        name: str,
        *,
        seconds: NumberOrExpr | None = None,
        seconds_path: str | None = None,
        timestamp: str | None = None,
        timestamp_path: str | None = None,
        input_path: PathOrDiscard | None = None,
        output_path: PathOrDiscard | None = None,
        output: JsonValue = None,
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
        assign: Mapping[str, JsonValue] | None = None,
    ) -> None:
        given = [f for f in (seconds, seconds_path, timestamp, timestamp_path) if f is not None]
        if len(given) != 1:
            raise ValueError(
                f"Wait state {name!r} needs exactly one of seconds, seconds_path, timestamp, timestamp_path"
            )
        super().__init__(name, comment=comment, query_language=query_language, assign=assign)
        self._set(
            InputPath=input_path,
            Seconds=seconds,
            SecondsPath=seconds_path,
            Timestamp=timestamp,
            TimestampPath=timestamp_path,
            OutputPath=output_path,
            Output=output,
        )


class Succeed(State):
    """End the execution (or branch, or iteration) successfully."""

    type = "Succeed"
    can_continue = False

    def __init__(
        self,
        name: str,
        *,
        input_path: PathOrDiscard | None = None,
        output_path: PathOrDiscard | None = None,
        output: JsonValue = None,
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
    ) -> None:
        super().__init__(name, comment=comment, query_language=query_language)
        self._set(InputPath=input_path, OutputPath=output_path, Output=output)


class Fail(State):
    """End the execution with a named error and a cause."""

    type = "Fail"
    can_continue = False

    def __init__(
        self,
        name: str,
        *,
        error: str | None = None,
        error_path: str | None = None,
        cause: str | None = None,
        cause_path: str | None = None,
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
    ) -> None:
        super().__init__(name, comment=comment, query_language=query_language)
        self._set(Error=error, ErrorPath=error_path, Cause=cause, CausePath=cause_path)


@dataclass
class ChoiceRule:
    condition: Condition
    target: State
    comment: str | None = None
    assign: Mapping[str, JsonValue] | None = None
    output: JsonValue = None


class Choice(State):
    """Branch on the first rule that matches; `otherwise` names the default."""

    type = "Choice"
    can_continue = False

    def __init__(
        self,
        name: str,
        *,
        input_path: PathOrDiscard | None = None,
        output_path: PathOrDiscard | None = None,
        output: JsonValue = None,
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
        assign: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(name, comment=comment, query_language=query_language, assign=assign)
        self._set(InputPath=input_path, OutputPath=output_path, Output=output)
        self.rules: list[ChoiceRule] = []
        self.default: State | None = None

    def when(
        self,
        condition: Condition | str,
        then: Chainable,
        *,
        comment: str | None = None,
        assign: Mapping[str, JsonValue] | None = None,
        output: JsonValue = None,
    ) -> Choice:
        """Add a rule; a string condition is a JSONata expression."""
        cond = condition if isinstance(condition, Condition) else Condition.jsonata(_strip_braces(condition))
        self.rules.append(ChoiceRule(cond, start_of(then), comment, assign, output))
        return self

    def otherwise(self, then: Chainable) -> Choice:
        if self.default is not None:
            raise GraphError(f"Choice {self.name!r} already has the default {self.default.name!r}")
        self.default = start_of(then)
        return self

    def successors(self) -> list[State]:
        targets = [rule.target for rule in self.rules]
        return targets + ([self.default] if self.default is not None else [])

    def _render_extra(self, out: dict[str, object], ctx: RenderContext) -> None:
        choices: list[dict[str, object]] = []
        for rule in self.rules:
            rendered: dict[str, object] = {}
            if rule.comment is not None:
                rendered["Comment"] = rule.comment
            rendered.update(rule.condition.rendered)
            if rule.assign is not None:
                rendered["Assign"] = render_value(rule.assign, ctx.placeholders)
            if rule.output is not None:
                rendered["Output"] = render_value(rule.output, ctx.placeholders)
            rendered["Next"] = rule.target.name
            choices.append(rendered)
        out["Choices"] = choices
        if self.default is not None:
            out["Default"] = self.default.name


class Parallel(_Recovering):
    """Run branches at the same time; the result is the array of their outputs."""

    type = "Parallel"

    def __init__(
        self,
        name: str,
        *,
        branches: Sequence[Chainable],
        parameters: JsonValue = None,
        arguments: JsonValue = None,
        input_path: PathOrDiscard | None = None,
        result_selector: JsonValue = None,
        result_path: PathOrDiscard | None = None,
        output_path: PathOrDiscard | None = None,
        output: JsonValue = None,
        retry: Sequence[Retry] = (),
        catch: Sequence[Catch] = (),
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
        assign: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(name, retry=retry, catch=catch, comment=comment, query_language=query_language, assign=assign)
        if not branches:
            raise GraphError(f"Parallel state {name!r} needs at least one branch")
        self.branches = [start_of(b) for b in branches]
        self._set(
            InputPath=input_path,
            Parameters=parameters,
            Arguments=arguments,
            ResultSelector=result_selector,
            ResultPath=result_path,
            OutputPath=output_path,
            Output=output,
        )

    def _render_extra(self, out: dict[str, object], ctx: RenderContext) -> None:
        out["Branches"] = [ctx.render_graph(start) for start in self.branches]
        super()._render_extra(out, ctx)


def _strip_braces(expression: str) -> str:
    text = expression.strip()
    if text.startswith("{%") and text.endswith("%}"):
        return text[2:-2].strip()
    return text

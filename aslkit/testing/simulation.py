"""Deterministic simulation: a scenario run under many seeds, each seed fixing every scheduling choice, every
duplicated or delayed delivery and every fault, until an invariant breaks; the breaking seed then replays exactly.

    from aslkit.engine import faults
    from aslkit.testing.simulation import every_execution_ends, simulate

    def scenario(run):                         # one seed's run: start things together, let the seed order them
        with run.concurrently():
            for status in ("ACTIVE", "DELETED"):
                harness.start(deployment, event(run.key, status), machine="readset_status")

    def deletion_is_never_undone(run):          # an invariant: plain Python over the fakes' state
        assert item(run.key)["set_status"] == {"S": "DELETED"}

    report = simulate(harness, scenario, seeds=range(500), invariants=[deletion_is_never_undone,
                      every_execution_ends()], faults=[faults.throttle(state="Write status", probability=0.2)],
                      duplicates=0.2, jitter=2.0)
    report.assert_held()                        # or: report.failure.seed, .invariant, .trace

Each seed starts from where the previous one left the engine, at quiescence; `run.key` is unique to the seed and
to the call of `simulate`, so a scenario that names its data after it sees none of another seed's. Replaying the
failing seed (`simulate(..., seeds=[report.failure.seed])`) gives the same interleaving and the same trace.
Needs the in-process tier: LocalStack cannot choose an interleaving.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import string
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aslkit.engine.faults import Fault, Plan
from aslkit.errors import UserInputError
from aslkit.runtime.results import ExecutionResult, details_key

if TYPE_CHECKING:
    from aslkit.engine import Engine
    from aslkit.testing.harness import Harness

Scenario = Callable[["Run"], None]
Invariant = Callable[["Run"], None]  # raises AssertionError when it does not hold

#: history events a trace shows (the rest are the same story in more words)
_TRACED = ("StateEntered", "Failed", "TimedOut", "Aborted", "ExecutionStarted", "ExecutionSucceeded")
_calls = itertools.count(1)


@dataclass
class Run:
    """One seed's run of a scenario: what the scenario and the invariants see."""

    seed: int
    key: str  # unique to this seed and this call of `simulate`: name the scenario's data after it
    rng: random.Random  # the scenario's own choices (which events, in which order), drawn from the seed
    harness: Harness
    engine: Engine
    plan: Plan
    journal: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _results: tuple[int, list[ExecutionResult]] = (-1, [])

    def concurrently(self) -> Any:
        """A block whose starts, events and messages wait until it ends, then run interleaved as the seed picks."""
        return self.engine.hold()

    def settle(self, max_seconds: float = 366 * 86400.0) -> None:
        """Run until nothing is left to happen (virtual time jumps from timer to timer; schedules alone do not
        keep it going)."""
        self.engine.scheduler.run_until(lambda: False, max_seconds=max_seconds)

    @property
    def executions(self) -> list[ExecutionResult]:
        """Every execution this seed started (children included), in the order they started."""
        if self._results[0] != len(self.journal):  # something happened since they were last read
            started = dict.fromkeys(arn for arn, event in self.journal if event["type"] == "ExecutionStarted")
            self._results = (len(self.journal), [self.engine.result(arn) for arn in started])
        return self._results[1]

    def executions_of(self, machine_arn: str) -> list[ExecutionResult]:
        """This seed's executions of one machine (a schedule of another deployment may start others meanwhile)."""
        return [result for result in self.executions if result.machine_arn == machine_arn]

    def outputs(self, *states: str) -> list[Any]:
        """The output of each time one of `states` was left in this seed's executions, in the order it happened."""
        found = []
        for _, event in self.journal:
            if event["type"].endswith("StateExited"):
                details = event.get(details_key(event["type"])) or {}
                if details.get("name") in states:
                    found.append(json.loads(details.get("output", "null")))
        return found

    @property
    def injected(self) -> list[str]:
        """The faults injected in this run, in order."""
        return [f"{fault.describe()} (call {call.state or call.operation})" for fault, call in self.plan.injected]

    def trace(self) -> list[str]:
        """The interleaving, one line per step that mattered: virtual seconds since the seed began, the execution
        (A, B ... in the order they started), and what happened."""
        labels: dict[str, str] = {}
        start = self.journal[0][1]["timestamp"] if self.journal else None
        lines = []
        for arn, event in self.journal:
            if not event["type"].endswith(_TRACED):
                continue
            label = labels.setdefault(arn, _label(len(labels)))
            details = event.get(details_key(event["type"])) or {}
            what = details.get("name") or ""
            if event["type"] == "ExecutionStarted":
                what = arn.split(":")[-2]
            elif "error" in details:
                what = f"{details['error']}"
            offset = (event["timestamp"] - start).total_seconds() if start is not None else 0.0
            lines.append(f"{offset:9.3f}s  {label:<3} {event['type']:<28} {what}")
        return lines


@dataclass(frozen=True)
class Failure:
    seed: int
    invariant: str
    message: str
    trace: list[str]
    injected: list[str]

    def __str__(self) -> str:
        faults_line = "; ".join(self.injected) or "none"
        return (f"seed {self.seed}: {self.invariant} broke: {self.message}\n"
                f"faults injected: {faults_line}\ninterleaving:\n" + "\n".join(self.trace) +
                f"\nreplay it: simulate(..., seeds=[{self.seed}])")  # fmt: skip


@dataclass(frozen=True)
class Report:
    seeds: int  # how many seeds ran
    failure: Failure | None
    injected: int  # faults injected over every seed
    steps: int  # scheduler steps over every seed

    @property
    def held(self) -> bool:
        return self.failure is None

    def assert_held(self) -> None:
        if self.failure is not None:
            raise AssertionError(str(self.failure))


def simulate(
    harness: Harness,
    scenario: Scenario,
    *,
    seeds: Iterable[int] | int = 100,
    invariants: Sequence[Invariant] = (),
    faults: Sequence[Fault] = (),
    duplicates: float = 0.0,
    jitter: float = 0.0,
    every_step: bool = False,
    max_seconds: float = 366 * 86400.0,
) -> Report:
    """Run `scenario` once per seed and check `invariants` at quiescence (and after every scheduler step with
    `every_step=True`), stopping at the first seed that breaks one. `seeds=N` runs seeds 0 to N-1, or as many as
    the environment's ASLKIT_SIMULATION_SEEDS says (a quicker loop while developing); a range or list runs as
    given. `faults` are injected under each seed's draws; `duplicates` is the chance an EventBridge delivery or a
    standard queue's message arrives twice, `jitter` the most virtual seconds an EventBridge delivery takes (so
    deliveries reorder)."""
    engine = _engine_of(harness)
    if isinstance(seeds, int):
        seeds = range(_seed_count(seeds))
    call = next(_calls)
    ran = injected = steps = 0
    randomness = engine.scheduler.rng.getstate()  # the tests after this one draw as if it had not run
    try:
        for seed in seeds:
            run = _prepare(harness, engine, seed, f"s{call}x{seed}", faults, duplicates, jitter)
            before = engine.scheduler.steps
            failure = _one(run, scenario, invariants, every_step, max_seconds)
            ran += 1
            injected += len(run.plan.injected)
            steps += engine.scheduler.steps - before
            if failure is not None:
                return Report(ran, failure, injected, steps)
        return Report(ran, None, injected, steps)
    finally:
        engine.scheduler.rng.setstate(randomness)


def _seed_count(default: int) -> int:
    text = os.environ.get("ASLKIT_SIMULATION_SEEDS", "")
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise UserInputError(f"ASLKIT_SIMULATION_SEEDS={text!r}: give a whole number of seeds, 1 or more")
    return int(text)


def _engine_of(harness: Harness) -> Engine:
    engine: Engine | None = getattr(harness.backend, "engine", None)
    if engine is None:
        raise UserInputError("simulate() needs the in-process tier (--aslkit-backend=inprocess): LocalStack cannot "
                             "choose or repeat an interleaving")  # fmt: skip
    return engine


def _prepare(harness: Harness, engine: Engine, seed: int, key: str, plan_faults: Sequence[Fault],
             duplicates: float, jitter: float) -> Run:  # fmt: skip
    engine.scheduler.run_until_idle()
    engine.scheduler.reseed(seed)
    plan = Plan(list(plan_faults), seed)
    run = Run(seed, key, random.Random(f"scenario:{seed}"), harness, engine, plan)
    engine.faults, engine.journal = plan, run.journal
    engine.delivery.duplicates, engine.delivery.jitter = duplicates, jitter
    return run


def _one(run: Run, scenario: Scenario, invariants: Sequence[Invariant], every_step: bool,
         max_seconds: float) -> Failure | None:  # fmt: skip
    engine = run.engine
    broken: list[tuple[str, str]] = []

    def observe() -> None:
        if not broken:
            broken.extend(_check(run, invariants))

    engine.scheduler.observer = observe if every_step else None
    try:
        scenario(run)
        run.settle(max_seconds)
    except AssertionError as error:
        broken.append(("the scenario", _message(error)))
    finally:
        engine.scheduler.observer = None
        engine.faults, engine.delivery.duplicates, engine.delivery.jitter = None, 0.0, 0.0
    if not broken:
        broken.extend(_check(run, invariants))
    run.settle(max_seconds)  # a run stopped early by a failure still ends before the next test
    engine.journal = None
    if not broken:
        return None
    invariant, message = broken[0]
    return Failure(run.seed, invariant, message, run.trace(), run.injected)


def _check(run: Run, invariants: Sequence[Invariant]) -> list[tuple[str, str]]:
    for invariant in invariants:
        try:
            invariant(run)
        except AssertionError as error:
            return [(_name(invariant), _message(error))]
    return []


def _message(error: AssertionError) -> str:
    """The assertion's own message (without the explanation pytest's assertion rewriting appends)."""
    return str(error).split("\nassert ", 1)[0] or "an assertion failed"


def _name(invariant: Invariant) -> str:
    return getattr(invariant, "__name__", None) or repr(invariant)


def _label(index: int) -> str:
    letters = string.ascii_uppercase
    return letters[index] if index < 26 else letters[index // 26 - 1] + letters[index % 26]


# -- invariants ------------------------------------------------------------------------------------------------------
def exactly_once(what: str, effects: Callable[[Run], Iterable[Hashable]],
                 expected: Callable[[Run], Iterable[Hashable]] | None = None) -> Invariant:  # fmt: skip
    """Each effect (a key per announced package, per download, per row written ...) happens once: none twice, and,
    with `expected`, none missing."""

    def holds(run: Run) -> None:
        counts = Counter(effects(run))
        twice = sorted(str(key) for key, n in counts.items() if n > 1)
        assert not twice, f"{what} more than once: {', '.join(twice)}"
        if expected is not None:
            missing = sorted(str(key) for key in expected(run) if key not in counts)
            assert not missing, f"{what} never: {', '.join(missing)}"

    holds.__name__ = f"{what} exactly once"
    return holds


def all_final(what: str, items: Callable[[Run], Iterable[tuple[Hashable, str]]],
              final: Collection[str]) -> Invariant:  # fmt: skip
    """No item is left in a state that is not final once the run is over (no BUILDING lock, no RUNNING record)."""

    def holds(run: Run) -> None:
        stuck = sorted(f"{key} ({status})" for key, status in items(run) if status not in final)
        assert not stuck, f"{what} left in a state that is not final ({', '.join(sorted(final))}): {', '.join(stuck)}"

    holds.__name__ = f"every {what} final"
    return holds


def every_execution_ends(within: float | None = None) -> Invariant:
    """Every execution the seed started has ended (nothing waits forever), within `within` virtual seconds."""

    def holds(run: Run) -> None:
        for result in run.executions:
            name = result.arn.split(":")[-2] + ":" + result.arn.split(":")[-1]
            assert result.status != "RUNNING", f"{name} still RUNNING in {result.states[-1:] or ['no state']}"
            if within is not None and result.history:
                took = (result.history[-1]["timestamp"] - result.history[0]["timestamp"]).total_seconds()
                assert took <= within, f"{name} took {took:.0f} s (virtual), more than {within:.0f} s"

    holds.__name__ = "every execution ends" + (f" within {within:.0f} s" if within is not None else "")
    return holds


@dataclass
class Variant:
    """A deliberately broken copy of a registered machine, while the block runs (for a test that proves its
    simulation catches the bug): `field` of `state` (a dotted path, `Arguments.ConditionExpression`) removed, or
    set to `replace` (a weaker condition that still uses the expression's names and values)."""

    harness: Harness
    machine_arn: str
    state: str
    field: str
    replace: Any = None
    _saved: tuple[str, str, dict[str, Any]] | None = None

    def __enter__(self) -> Variant:
        import copy

        engine = _engine_of(self.harness)
        self._saved = engine.machines[self.machine_arn]
        name, kind, document = self._saved
        broken = copy.deepcopy(document)
        try:
            body = _find_state(broken, self.state)
        except KeyError:
            raise UserInputError(f"{name} has no state {self.state!r}") from None
        *parents, last = self.field.split(".")
        for part in parents:
            body = body.get(part, {})
        if last not in body:
            raise UserInputError(f"state {self.state!r} of {name} has no {self.field} to change")
        if self.replace is None:
            del body[last]
        else:
            body[last] = self.replace
        engine.machines[self.machine_arn] = (name, kind, broken)
        return self

    def __exit__(self, *_: object) -> None:
        if self._saved is not None:
            _engine_of(self.harness).machines[self.machine_arn] = self._saved

    def describe(self) -> str:
        machine = self.machine_arn.rsplit(":", 1)[-1]
        change = "without" if self.replace is None else f"with {self.replace!r} as"
        return f"{machine} {change} the {self.field} of {self.state!r}"


@dataclass
class CallVariant:
    """A deliberately broken request of a handler's own code, while the block runs (for a condition that lives in
    a Lambda, not in the machine): `field` removed from every `operation` call ("dynamodb:UpdateItem") whose
    parameters `match`, or set to `replace`."""

    harness: Harness
    operation: str
    field: str
    match: Callable[[dict[str, Any]], bool] = lambda params: True
    replace: Any = None

    def __enter__(self) -> CallVariant:
        _engine_of(self.harness).request_changes.append(self._change)
        return self

    def __exit__(self, *_: object) -> None:
        _engine_of(self.harness).request_changes.remove(self._change)

    def _change(self, operation: str, params: dict[str, Any]) -> None:
        if operation == self.operation and self.field in params and self.match(params):
            if self.replace is None:
                del params[self.field]
            else:
                params[self.field] = self.replace

    def describe(self) -> str:
        change = "without their" if self.replace is None else f"with {self.replace!r} as their"
        return f"{self.operation} calls {change} {self.field}"


def assert_caught(harness: Harness, scenario: Scenario, variant: Variant | CallVariant, *,
                  invariants: Sequence[Invariant], seeds: Iterable[int] = range(500), **options: Any
                  ) -> Failure:  # fmt: skip
    """Prove that a simulation catches the bug `variant` plants: some seed breaks an invariant, and replaying that
    seed breaks the same invariant with the same interleaving (the message may name the replay's own data). The
    failure, for further assertions; `options` as `simulate` takes them (faults, duplicates, jitter ...)."""
    with variant:
        broken = simulate(harness, scenario, seeds=seeds, invariants=invariants, **options)
        if broken.failure is None:
            raise AssertionError(f"{broken.seeds} seeds ran {variant.describe()} and no invariant broke: the "
                                 "simulation does not catch this bug")  # fmt: skip
        found = broken.failure
        again = simulate(harness, scenario, seeds=[found.seed], invariants=invariants, **options).failure
    if again is None or (again.invariant, again.trace) != (found.invariant, found.trace):
        raise AssertionError(f"seed {found.seed} did not replay: first {found}\nthen {again or 'no failure'}")
    return found


def _find_state(graph: dict[str, Any], name: str) -> dict[str, Any]:
    for state_name, body in graph.get("States", {}).items():
        if state_name == name:
            found: dict[str, Any] = body
            return found
        for inner in _inner_graphs(body):
            try:
                return _find_state(inner, name)
            except KeyError:
                continue
    raise KeyError(name)


def _inner_graphs(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from body.get("Branches", [])
    for key in ("ItemProcessor", "Iterator"):
        if key in body:
            yield body[key]

"""Virtual time and a deterministic scheduler for the engine's processes.

A process is a generator that yields what it waits for: `Sleep(seconds)` (Wait states, retry backoff) or
`Await(signal, timeout)` (a task token, a child execution, a branch). Nothing sleeps for real: when nothing can
run, the clock jumps to the next timer. Which runnable process goes next is drawn from a seeded generator, so
a seed fixes the interleaving of concurrent executions and branches, and the same seed replays it exactly.
"""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: the virtual clock starts here unless told otherwise (a fixed instant keeps histories reproducible)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Await:
    signal: Signal
    timeout: float | None = None


class TimeoutExpired(Exception):
    """Thrown into a process whose Await outlived its timeout."""


Command = Sleep | Await | None  # None: a scheduling point (let others run)
Process = Generator[Command, Any, Any]


class Signal:
    """A one-shot value (or error) that processes can await."""

    def __init__(self) -> None:
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None
        self._waiters: list[Callable[[], None]] = []

    def resolve(self, value: Any = None) -> None:
        self._finish(value, None)

    def reject(self, error: BaseException) -> None:
        self._finish(None, error)

    def _finish(self, value: Any, error: BaseException | None) -> None:
        if self.done:
            return
        self.done, self.value, self.error = True, value, error
        waiters, self._waiters = self._waiters, []
        for wake in waiters:
            wake()

    def subscribe(self, wake: Callable[[], None]) -> None:
        if self.done:
            wake()
        else:
            self._waiters.append(wake)


@dataclass(eq=False)
class Task:
    """A running process and the signal its end resolves."""

    process: Process
    name: str
    finished: Signal = field(default_factory=Signal)
    ticket: int = 0  # bumped on every resume: a stale timer or wake-up is ignored
    pending: tuple[str, Any] | None = None  # ("send", value) or ("throw", error) for the next step


class Scheduler:
    def __init__(self, seed: int = 0, start: float = EPOCH) -> None:
        self.now = start
        self.rng = random.Random(seed)
        self.steps = 0
        self._ready: list[Task] = []
        self._timers: list[tuple[float, int, Callable[[], None], bool]] = []
        self._live: dict[int, bool] = {}  # timers not fired or cancelled yet: handle -> background
        self._sequence = itertools.count()
        self._ids = itertools.count()
        self._foreground = 0  # timers that are not background (schedules): what `run_until` may jump to
        self._depth = 0  # > 0 while a process runs: a nested run (a handler's API call) leaves it to the outer one
        #: called after every step (a simulation's invariants); what it raises ends the run that stepped
        self.observer: Callable[[], None] | None = None

    # -- processes ---------------------------------------------------------------------------------------------------
    def spawn(self, process: Process, name: str = "") -> Task:
        task = Task(process, name)
        task.pending = ("send", None)
        self._ready.append(task)
        return task

    def cancel(self, task: Task, error: BaseException) -> None:
        """Throw `error` into `task` at its next step (it stops waiting for whatever it awaited)."""
        if task.finished.done:
            return
        task.ticket += 1
        task.pending = ("throw", error)
        if task not in self._ready:
            self._ready.append(task)

    def at(self, when: float, callback: Callable[[], None], *, background: bool = False) -> int:
        """Call `callback` when the clock reaches `when`; a handle for `cancel_timer`. A background timer (a
        schedule's next tick) fires when the clock passes it but is not, alone, a reason for `run_until` to move the
        clock."""
        handle = next(self._sequence)
        heapq.heappush(self._timers, (when, handle, callback, background))
        self._live[handle] = background
        self._foreground += not background
        return handle

    def cancel_timer(self, handle: int) -> None:
        """Forget a timer that has not fired (a timeout whose wait ended first): the clock no longer runs to it."""
        background = self._live.pop(handle, None)
        if background is not None:
            self._foreground -= not background

    def _head(self) -> float | None:
        """When the next live timer is due (cancelled ones at the head of the heap are dropped)."""
        while self._timers and self._timers[0][1] not in self._live:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    @property
    def running(self) -> bool:
        """True while a process is being stepped (so the caller is inside a handler or a service call)."""
        return self._depth > 0

    # -- running -----------------------------------------------------------------------------------------------------
    def run_until_idle(self) -> None:
        """Run every process that can run now, firing the timers that are due; the clock does not move."""
        if self._depth:
            return
        while True:
            self._fire_due()
            if not self._ready:
                return
            self._step(self._ready.pop(self.rng.randrange(len(self._ready)) if len(self._ready) > 1 else 0))

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds`, running what each timer on the way wakes."""
        target = self.now + seconds
        if self._depth:
            return
        self.run_until_idle()
        while (head := self._head()) is not None and head <= target:
            self.now = max(self.now, head)
            self.run_until_idle()
        self.now = target
        self.run_until_idle()

    def run_until(self, done: Callable[[], bool], *, max_seconds: float = 366 * 86400.0) -> bool:
        """Run, jumping the clock to the next timer whenever nothing can run, until `done()` or nothing is left
        to do (False: still waiting for something outside, such as a task token)."""
        limit = self.now + max_seconds
        while True:
            self.run_until_idle()
            if done():
                return True
            head = self._head()
            if self._depth or not self._foreground or head is None or head > limit:
                return False
            self.now = max(self.now, head)

    def step_to_next(self, limit: float) -> bool:
        """Move the clock to the next timer (background ones included) if it is due by `limit`, and run what it
        wakes; False when there is none by then."""
        head = self._head()
        if self._depth or head is None or head > limit:
            return False
        self.now = max(self.now, head)
        self.run_until_idle()
        return True

    @property
    def next_timer(self) -> float | None:
        return self._head()

    def _fire_due(self) -> None:
        while (head := self._head()) is not None and head <= self.now:
            _, handle, callback, background = heapq.heappop(self._timers)
            del self._live[handle]
            self._foreground -= not background
            self._depth += 1  # what a timer's callback starts runs in this loop, not in a nested one
            try:
                callback()
            finally:
                self._depth -= 1

    def unique_id(self) -> uuid.UUID:
        """A v4 UUID drawn from the seed and never repeated in this scheduler: a replayed seed draws the same bits
        (the interleaving stays the same) but names its executions and tokens apart from the first run's."""
        return uuid.UUID(int=self.rng.getrandbits(128) ^ next(self._ids), version=4)

    def reseed(self, seed: int) -> None:
        """From now on, draw from `seed` (the same seed, from the same state, replays the same interleaving)."""
        self.rng.seed(seed)

    def _step(self, task: Task) -> None:
        self._step_once(task)
        if self.observer is not None:
            self._depth += 1  # the observer's own service calls (an invariant's reads) do not run the engine
            try:
                self.observer()
            finally:
                self._depth -= 1

    def _step_once(self, task: Task) -> None:
        self.steps += 1
        kind, value = task.pending or ("send", None)
        task.pending = None
        task.ticket += 1
        self._depth += 1
        try:
            if kind == "throw" and isinstance(value, BaseException):
                command = task.process.throw(value)
            else:
                command = task.process.send(value)
        except StopIteration as stop:
            task.finished.resolve(stop.value)
            return
        except BaseException as error:  # the process ended with an error: whoever awaits it sees it
            task.finished.reject(error)
            return
        finally:
            self._depth -= 1
        self._wait(task, command)

    def _wait(self, task: Task, command: Command) -> None:
        ticket = task.ticket
        if command is None:
            task.pending = ("send", None)
            self._ready.append(task)
        elif isinstance(command, Sleep):
            self.at(self.now + max(0.0, command.seconds), lambda: self._wake(task, ticket, ("send", None)))
        else:
            signal = command.signal

            def wake() -> None:
                outcome = ("throw", signal.error) if signal.error is not None else ("send", signal.value)
                self._wake(task, ticket, outcome)

            if command.timeout is not None and not signal.done:
                timer = self.at(self.now + command.timeout,
                                lambda: self._wake(task, ticket, ("throw", TimeoutExpired())))  # fmt: skip
                signal.subscribe(lambda: self.cancel_timer(timer))  # answered in time: the timeout is moot
            signal.subscribe(wake)

    def _wake(self, task: Task, ticket: int, outcome: tuple[str, Any]) -> None:
        if task.ticket != ticket or task.finished.done:
            return  # already resumed by something else (the signal, its timeout, or a cancel)
        task.ticket += 1
        task.pending = outcome
        self._ready.append(task)


def gather(scheduler: Scheduler, tasks: list[Task]) -> Signal:
    """A signal resolved with every task's value (in order) once all end, or rejected by the first that fails."""
    combined = Signal()
    results: list[Any] = [None] * len(tasks)
    remaining = [len(tasks)]
    if not tasks:
        combined.resolve([])
    for index, task in enumerate(tasks):

        def done(index: int = index, task: Task = task) -> None:
            if task.finished.error is not None:
                combined.reject(task.finished.error)
                return
            results[index] = task.finished.value
            remaining[0] -= 1
            if remaining[0] == 0:
                combined.resolve(results)

        task.finished.subscribe(done)
    return combined

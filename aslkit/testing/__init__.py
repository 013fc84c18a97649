"""Testing workflows: an execution backend (LocalStack), results from histories, mocks, and a pytest plugin."""

from aslkit.testing.backend import ExecutionBackend, LocalStackBackend
from aslkit.testing.mocks import MockConfig, Return, Throw
from aslkit.testing.results import ExecutionResult, StateVisit

__all__ = ["ExecutionBackend", "ExecutionResult", "LocalStackBackend", "MockConfig", "Return", "StateVisit", "Throw"]

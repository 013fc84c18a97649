"""Testing workflows: an execution backend (LocalStack), results from histories, mocks, and a pytest plugin."""

from aslkit.runtime.results import ExecutionResult, StateVisit
from aslkit.testing.backend import ExecutionBackend, LocalStackBackend
from aslkit.testing.mocks import MockConfig, Return, Throw

__all__ = ["ExecutionBackend", "ExecutionResult", "LocalStackBackend", "MockConfig", "Return", "StateVisit", "Throw"]

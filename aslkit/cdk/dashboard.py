"""A CloudWatch dashboard per workflow, from its spec: what its operators look at first when something is wrong.

Rows, top-down as the events flow: the rules that start it (invocations, failed invocations, triggered rules), its
state machines (executions started, succeeded, failed, timed out; duration), its functions (errors, throttles), the
business counts its functions emit (`Function.metrics`), and every dead-letter queue's depth (what is waiting to be
read again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from aslkit.spec import METRICS_NAMESPACE

if TYPE_CHECKING:
    from aslkit.cdk.stateless import StatelessStack
    from aslkit.spec import Workflow

PERIOD = cdk.Duration.minutes(5)


def dashboard(stack: StatelessStack, workflow: Workflow) -> cloudwatch.Dashboard:
    board = cloudwatch.Dashboard(stack, "Dashboard", dashboard_name=stack.naming.physical(f"{workflow.name}_dashboard"),
                                 default_interval=cdk.Duration.hours(24))  # fmt: skip
    board.add_widgets(cloudwatch.TextWidget(
        markdown=f"# {workflow.name} ({stack.stage.name})\n{workflow.description}", width=24, height=2))  # fmt: skip
    rules = [rule.name for rule in workflow.rules] + [schedule.name for schedule in workflow.schedules]
    if rules:
        board.add_widgets(*(_rule(stack, rule) for rule in rules))
    for machine in workflow.machines:
        construct = stack.machines[machine.name]
        board.add_widgets(
            cloudwatch.GraphWidget(
                title=f"{machine.name}: executions",
                left=[construct.metric_started(period=PERIOD), construct.metric_succeeded(period=PERIOD),
                      construct.metric_failed(period=PERIOD), construct.metric_timed_out(period=PERIOD)],
                width=16,
            ),
            cloudwatch.GraphWidget(
                title=f"{machine.name}: duration",
                left=[construct.metric_time(period=PERIOD, statistic="p50"),
                      construct.metric_time(period=PERIOD, statistic="p99")],
                width=8,
            ),
        )  # fmt: skip
    if stack.functions:
        board.add_widgets(
            cloudwatch.GraphWidget(
                title="functions: errors",
                left=[f.metric_errors(period=PERIOD, label=n) for n, f in stack.functions.items()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="functions: throttles",
                left=[f.metric_throttles(period=PERIOD, label=n) for n, f in stack.functions.items()],
                width=12,
            ),
        )
    counts = [(function.name, metric) for function in workflow.functions for metric in function.metrics]
    if counts:
        board.add_widgets(cloudwatch.GraphWidget(
            title="business counts",
            left=[cloudwatch.Metric(namespace=METRICS_NAMESPACE, metric_name=metric, statistic="Sum", period=PERIOD,
                                    dimensions_map={"service": workflow.name}, label=f"{metric} ({name})")
                  for name, metric in counts],
            width=24,
        ))  # fmt: skip
    queues = {name: queue for name, queue in stack.stores.items() if name.endswith("_dlq") or _is_failure_store(
        workflow, name)}  # fmt: skip
    if queues:
        board.add_widgets(cloudwatch.GraphWidget(
            title="dead-letter queues: messages waiting",
            left=[q.metric_approximate_number_of_messages_visible(period=PERIOD, label=n) for n, q in queues.items()],
            width=24,
        ))  # fmt: skip
    return board


def _rule(stack: StatelessStack, rule: str) -> cloudwatch.GraphWidget:
    physical = stack.naming.physical(rule)
    metrics = [cloudwatch.Metric(namespace="AWS/Events", metric_name=metric, dimensions_map={"RuleName": physical},
                                 statistic="Sum", period=PERIOD, label=metric)
               for metric in ("TriggeredRules", "Invocations", "FailedInvocations")]  # fmt: skip
    return cloudwatch.GraphWidget(title=f"rule {rule}", left=metrics, width=8)


def _is_failure_store(workflow: Workflow, name: str) -> bool:
    """A queue that is itself where failures are kept (no dead-letter queue of its own, not a trigger's ingress)."""
    return any(q.name == name and not q.max_receive_count for q in workflow.queues)

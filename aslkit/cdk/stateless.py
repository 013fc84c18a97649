"""The stateless stack: functions, state machines (from the committed ASL), rules, schedules, alarms."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from aslkit import names
from aslkit.asl.machine import StateMachine
from aslkit.asl.values import PLACEHOLDER_IN_TEXT, Placeholder
from aslkit.build import machine_path
from aslkit.cdk.containers import ContainerJobs
from aslkit.cdk.dashboard import dashboard
from aslkit.cdk.stage import Stage, stage_parameters, stage_texts
from aslkit.cdk.stateful import StatefulStack
from aslkit.cdk.stores import adopted_values, imported_values, reference, stores
from aslkit.errors import StageError
from aslkit.iam import names_for, statements
from aslkit.package import build_function_dir, build_layer
from aslkit.resources import Api, Bucket, ContainerJob, Function, Queue, Topic
from aslkit.runtime import express
from aslkit.spec import Workflow, machine_arn, powertools_environment

RUNTIME = "python3.13"
_JSONATA_NUMBER = re.compile(r'"(TimeoutSeconds|HeartbeatSeconds|MaxConcurrency|Seconds|ToleratedFailure\w*)": "\{%')
_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}
#: Why a wildcard is in a policy the stack writes by hand (the derived ones carry their own reasons).
TASK_TOKEN_ACTIONS = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
TASK_TOKEN_REASON = "SendTaskSuccess/Failure/Heartbeat authorise by task token; IAM has no resource to scope them to"
TRACING_REASON = "X-Ray segments and CloudWatch Logs log delivery take no resource (AWS's own policy for tracing)"


#: (actions, resources, why) of a statement whose resource is a wildcard.
Wildcard = tuple[tuple[str, ...], tuple[str, ...], str]


def explain_wildcards(role: iam.IRole, reasons: list[Wildcard]) -> None:
    """Each wildcard of the role's policy with its reason, as `aslkit:wildcards` metadata of the policy resource
    in the template (what cdk-nag's report and a reviewer of the template read)."""
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None or not reasons:
        return
    cfn = policy.node.default_child
    assert isinstance(cfn, cdk.CfnResource)
    cfn.add_metadata("aslkit:wildcards", [{"Action": list(actions), "Resource": list(resources), "Reason": reason}
                                          for actions, resources, reason in reasons])  # fmt: skip


class StatelessStack(cdk.Stack):
    """One workflow's functions, APIs, state machines (the committed ASL), rules, schedules, alarms and dashboard.
    Its stores are references (`aslkit.cdk.stores`): to the stateful stack's exports, or to what the stage adopts."""

    def __init__(
        self,
        scope: Construct,
        stage: Stage,
        workflow: Workflow,
        stateful: StatefulStack,
        root: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, stage.stack_name(workflow.name, "stateless"), **kwargs)
        self.stage = stage
        self.workflow = workflow
        self.naming = stage.naming(workflow.name)
        self.root = root
        self.machines: dict[str, sfn.StateMachine] = {}
        self.functions: dict[str, lambda_.Function] = {}
        self.derived: dict[str, list[Any]] = {}
        self.apis: dict[str, apigateway.RestApi] = {}
        self.api_values: dict[str, str] = {}  # placeholder -> value
        self.sites: list[s3deploy.BucketDeployment] = []
        self.jobs = ContainerJobs(self, self.naming, root, root / "build", self._retention)
        self.alarms: list[cloudwatch.Alarm] = []
        self.stores: dict[str, Any] = {}  # spec name -> referenced store (DLQs as <queue>_dlq)
        self.store_values: dict[str, str] = {}  # placeholder -> value, for every store
        for resource in stores(workflow):
            given = self.naming.adopted.get(resource.name)
            if given is None:
                values = imported_values(resource, stateful.exports)
            else:
                values = adopted_values(self, resource, given, self.naming)
            self.stores.update(reference(self, resource, values, adopted=given))
            for placeholder, attribute in resource.placeholders().items():
                if attribute in values:
                    self.store_values[placeholder] = values[attribute]
        self.pseudo = {"AWS::Partition": self.partition, "AWS::Region": self.region, "AWS::AccountId": self.account}
        self.parameters = stage_parameters(stage, workflow, self.pseudo)
        self.parameter_texts = {name: str(text) for name, text in stage_texts(stage, workflow).items()}
        assets = root / "build" / "lambda"
        layer = build_layer(root, assets)
        self.layer = lambda_.LayerVersion(
            self,
            "TaskDependencies",
            # its folder is named by the hash of what it was built from: CDK need not fingerprint 170 MB per stack
            code=lambda_.Code.from_asset(str(layer), asset_hash=layer.name, asset_hash_type=cdk.AssetHashType.CUSTOM),
            compatible_runtimes=[lambda_.Runtime(RUNTIME, lambda_.RuntimeFamily.PYTHON)],
            description="Dependencies of the task Lambdas (tasks/requirements.txt), Lambda-platform wheels",
        )
        self._workflow(workflow, assets)
        dashboard(self, workflow)
        if stage.alarm_email:
            topic = sns.Topic(
                self,
                "Alarms",
                topic_name=self.naming.physical(f"{workflow.name}_alarms"),
                enforce_ssl=True,
                master_key=kms.Alias.from_alias_name(self, "alarms-key", "alias/aws/sns"),
            )
            topic.add_subscription(subscriptions.EmailSubscription(stage.alarm_email))
            for alarm in self.alarms:
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))

    # -- values ----------------------------------------------------------------------------------------------------
    def values(self, workflow: Workflow) -> dict[str, str]:
        """Every placeholder of the workflow with the CDK value (token) that fills it."""
        out = {**self.store_values, **self.parameters, **self.machine_values(workflow)}
        for spec_name, function in self.functions.items():
            out[names.placeholder(spec_name, "function", "arn")] = function.function_arn
            out[names.placeholder(spec_name, "function", "name")] = function.function_name
        out.update(self.api_values)
        out.update(self.jobs.values)
        out.update(self.pseudo)
        return out

    def machine_values(self, workflow: Workflow) -> dict[str, str]:
        """The workflow's machines' ARNs and names, built from their names, not referenced: machines may refer to
        each other (and to themselves), and functions to them (an API that starts them)."""
        out = {}
        for machine in workflow.machines:
            physical = self.naming.physical(machine.name)
            out[machine_arn(machine).name] = self.format_arn(
                service="states",
                resource="stateMachine",
                resource_name=physical,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            out[names.machine_placeholder(machine.name, "name")] = physical
        return out

    def fill(self, text: str, values: Mapping[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            if match.group(1) not in values:
                raise StageError(f"stage {self.stage.name}, workflow {self.workflow.name}: ${{{match.group(1)}}} has "
                                 "no value here: the stage adopts the resource it belongs to without it (an adopted "
                                 "queue's dead-letter queue is its own); adopt it too, or let the stage create the "
                                 "resource")  # fmt: skip
            return values[match.group(1)]

        return PLACEHOLDER_IN_TEXT.sub(value, text)

    # -- workflow --------------------------------------------------------------------------------------------------
    def _workflow(self, workflow: Workflow, assets: Path) -> None:
        for function in workflow.functions:
            self._function(workflow, function, assets)
        for api in workflow.apis:
            self._api(workflow, api)
        for job in workflow.jobs:
            self._job(workflow, job)
        values = self.values(workflow)
        for bucket in workflow.buckets:
            if bucket.site:
                self._site(workflow, bucket, values)
        for machine in workflow.machines:
            self._machine(workflow, machine, values)
        for rule in workflow.rules:
            self._rule(workflow, rule, values)
        for schedule in workflow.schedules:
            events.Rule(
                self,
                schedule.name,
                rule_name=self.naming.physical(schedule.name),
                schedule=events.Schedule.expression(schedule.expression),
                targets=[
                    self._target(
                        workflow, schedule.target, events.RuleTargetInput.from_object(dict(schedule.input)), None
                    )
                ],
            )
        for queue in workflow.queues:
            dlq = self.stores.get(names.dlq(queue.name))
            if dlq is not None:
                self._alarm(
                    f"{queue.name}_dlq",
                    dlq.metric_approximate_number_of_messages_visible(),
                    f"messages are waiting in {queue.name}'s dead-letter queue: read their reason attribute",
                )

    def _api(self, workflow: Workflow, api: Api) -> None:
        """A REST API: a Lambda proxy integration per route, access logs, execution logs, X-Ray."""
        access = logs.LogGroup(self, f"{api.name}-access", retention=self._retention(),
                               removal_policy=cdk.RemovalPolicy.DESTROY)  # fmt: skip
        rest = apigateway.RestApi(
            self,
            api.name,
            rest_api_name=self.naming.physical(api.name),
            description=api.description or api.name,
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=cdk.RemovalPolicy.DESTROY,
            deploy_options=apigateway.StageOptions(
                stage_name=api.stage,
                access_log_destination=apigateway.LogGroupLogDestination(access),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=True, protocol=True, request_time=True, resource_path=True,
                    response_length=True, status=True, user=False,
                ),
                logging_level=apigateway.MethodLoggingLevel.INFO,
                tracing_enabled=True,
                **self._throttling(api),
            ),
        )  # fmt: skip
        for route in api.routes:
            function = self.functions[route.function]
            auth = apigateway.AuthorizationType.IAM if api.auth == "iam" else apigateway.AuthorizationType.NONE
            rest.root.resource_for_path(route.path).add_method(route.method, apigateway.LambdaIntegration(function),
                                                               authorization_type=auth)  # fmt: skip
        self.apis[api.name] = rest
        url = f"https://{rest.rest_api_id}.execute-api.{self.region}.{self.url_suffix}/{api.stage}"
        self.api_values[api.url.name] = url
        self.api_values[api.placeholder("id").name] = rest.rest_api_id

    def _throttling(self, api: Api) -> dict[str, Any]:
        """The stage's throttling of every method, from the spec's numbers or the stage's parameters."""
        limits = {"throttling_rate_limit": api.rate_limit, "throttling_burst_limit": api.burst_limit}
        out: dict[str, Any] = {}
        for option, value in limits.items():
            if value is not None:
                text = self.fill(str(value), self.parameters)
                try:
                    out[option] = float(text)
                except ValueError:
                    raise StageError(f"stage {self.stage.name}: api {api.name!r} {option.split('_')[1]} limit "
                                     f"{text!r} is not a number of requests per second") from None  # fmt: skip
        return out

    def _site(self, workflow: Workflow, bucket: Bucket, values: Mapping[str, str]) -> None:
        """The site's files and its config.json (deploy-time values) into its bucket; CloudFront serves it."""
        assert bucket.site is not None
        config = {key: self.fill(str(value), values) for key, value in bucket.site_config.items()}
        self.sites.append(
            s3deploy.BucketDeployment(
                self,
                f"{bucket.name}-site",
                destination_bucket=self.stores[bucket.name],
                sources=[s3deploy.Source.asset(str(self.root / bucket.site)),
                         s3deploy.Source.json_data("config.json", config)],
                prune=False,
            )
        )  # fmt: skip

    def _function(self, workflow: Workflow, function: Function, assets: Path) -> None:
        environment = self._environment(workflow, function)
        construct = lambda_.Function(
            self,
            function.name,
            function_name=self.naming.physical(function.name),
            runtime=lambda_.Runtime(RUNTIME, lambda_.RuntimeFamily.PYTHON),
            handler=function.handler,
            code=lambda_.Code.from_asset(str(build_function_dir(self.root, function, assets))),
            layers=[self.layer],
            timeout=cdk.Duration.seconds(function.timeout),
            memory_size=function.memory,
            ephemeral_storage_size=cdk.Size.mebibytes(function.ephemeral_storage),
            description=function.description or function.name,
            tracing=lambda_.Tracing.ACTIVE,
            environment={**powertools_environment(workflow.name, local=False), **environment},
            log_group=logs.LogGroup(
                self,
                f"{function.name}-logs",
                retention=self._retention(),
                removal_policy=cdk.RemovalPolicy.DESTROY,
            ),
        )
        self.functions[function.name] = construct
        cdk.Tags.of(construct).add(names.TAG_RESOURCE, function.name)
        for access in function.access:
            self._grant(workflow, construct, access.level, access.resource)
        reasons: list[Wildcard] = [(("xray:PutTraceSegments", "xray:PutTelemetryRecords"), ("*",), TRACING_REASON)]
        if any(access.level == "complete_tasks" for access in function.access):
            reasons.append((TASK_TOKEN_ACTIONS, ("*",), TASK_TOKEN_REASON))
        assert construct.role is not None
        explain_wildcards(construct.role, reasons)
        if function.queue_trigger:
            queue = self.stores[function.queue_trigger]
            construct.add_event_source(
                event_sources.SqsEventSource(queue, batch_size=function.batch_size, report_batch_item_failures=True)
            )
        self._alarm(f"{function.name}_errors", construct.metric_errors(), f"function {function.name} raised errors")

    def _environment(self, workflow: Workflow, resource: Function | ContainerJob) -> dict[str, str]:
        """A function's or a job's environment, filled (stores, parameters and machines are known before them)."""
        values = {**self.store_values, **self.parameters, **self.machine_values(workflow)}
        return {key: self.fill(str(value), values) for key, value in resource.environment.items()}

    def _job(self, workflow: Workflow, job: ContainerJob) -> None:
        """A container job on AWS Batch (`aslkit.cdk.containers`), its job role granted the job's access."""
        role = self.jobs.add(job, {**powertools_environment(workflow.name, local=False),
                                   **self._environment(workflow, job)})  # fmt: skip
        for access in job.access:
            self._grant(workflow, role, access.level, access.resource)

    def _grant(self, workflow: Workflow, function: lambda_.Function | iam.Role, level: str, resource: str) -> None:
        """Let a function (or a container job's role) do `level` to the workflow's resource."""
        if level == "complete_tasks":
            function.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(actions=list(TASK_TOKEN_ACTIONS), resources=["*"])
            )
            return
        if level == "operate":  # by ARN built from the name: the machine's own construct may come later
            physical = self.naming.physical(resource)

            def arn(kind: str, name: str) -> str:
                return self.format_arn(service="states", resource=kind, resource_name=name,
                                       arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)  # fmt: skip

            principal = function.grant_principal
            principal.add_to_principal_policy(
                iam.PolicyStatement(actions=["states:StartExecution"], resources=[arn("stateMachine", physical)])
            )
            running = ["states:DescribeExecution", "states:StopExecution"]
            principal.add_to_principal_policy(
                iam.PolicyStatement(actions=running, resources=[arn("execution", f"{physical}:*")])
            )
            return
        if resource not in self.stores:  # an adopted queue's dead-letter queue is its own, not the spec's
            raise StageError(f"stage {self.stage.name}, workflow {workflow.name}: function {function.node.id!r} needs "
                             f"{resource!r}, which the stage's adoptions leave without a resource: adopt it too, or "
                             "let the stage create its queue")  # fmt: skip
        target = self.stores[resource]
        grants = {
            "read": lambda: (
                target.grant_read_data(function) if hasattr(target, "grant_read_data") else target.grant_read(function)
            ),
            "read_write": lambda: (
                target.grant_read_write_data(function)
                if hasattr(target, "grant_read_write_data")
                else target.grant_read_write(function)
            ),
            "send": lambda: target.grant_send_messages(function),
            "publish": lambda: target.grant_publish(function),
            "put_events": lambda: target.grant_put_events_to(function),
        }
        grants[level]()

    def _machine(self, workflow: Workflow, machine: StateMachine, values: Mapping[str, str]) -> None:
        text = machine_path(self.root / "statemachines", machine.name).read_text()
        log_group = logs.LogGroup(
            self,
            f"{machine.name}-logs",
            log_group_name=express.log_group_name(self.naming.physical(machine.name)),
            retention=self._retention(),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        construct = sfn.StateMachine(
            self,
            machine.name,
            state_machine_name=self.naming.physical(machine.name),
            definition_body=sfn.DefinitionBody.from_string(text),
            definition_substitutions={name: self.fill(str(Placeholder(name)), values) for name in machine.placeholders},
            state_machine_type=sfn.StateMachineType[machine.type],
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        if _JSONATA_NUMBER.search(text):
            # cfn-lint's ASL schema (1.58) predates JSONata in numeric fields (TimeoutSeconds, HeartbeatSeconds,
            # MaxConcurrency, Seconds ...), which Step Functions accepts (CDK's own sfn.Timeout.jsonata writes the
            # same). aslkit's linter validates this definition in full.
            cfn = construct.node.default_child
            cfn.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3601"]}})  # type: ignore[union-attr]
        derived = statements(json.loads(text), names_for(workflow, machine.name))
        self.derived[machine.name] = derived
        for statement in derived:
            construct.add_to_role_policy(
                iam.PolicyStatement(
                    actions=list(statement.actions), resources=[self.fill(r, values) for r in statement.resources]
                )
            )
        explain_wildcards(construct.role, [(s.actions, tuple(self.fill(r, values) for r in s.resources), s.reason)
                                          for s in derived if s.reason] + [
            (("xray:PutTraceSegments", "xray:PutTelemetryRecords", "logs:CreateLogDelivery", "..."), ("*",),
             TRACING_REASON)])  # fmt: skip
        self.machines[machine.name] = construct
        cdk.Tags.of(construct).add(names.TAG_RESOURCE, machine.name)
        for metric, what in ((construct.metric_failed(), "failed"), (construct.metric_timed_out(), "timed_out")):
            self._alarm(f"{machine.name}_{what}", metric,
                        f"state machine {machine.name} has executions that {what.replace('_', ' ')}")  # fmt: skip

    def _target(
        self,
        workflow: Workflow,
        target: Any,
        payload: events.RuleTargetInput | None,
        dlq: sqs.IQueue | None,
        retries: int = 10,
        max_age: int = 3600,
    ) -> events.IRuleTarget:
        common: dict[str, Any] = {"retry_attempts": retries, "max_event_age": cdk.Duration.seconds(max_age)}
        if dlq is not None:
            common["dead_letter_queue"] = dlq
        if isinstance(target, StateMachine):
            return targets.SfnStateMachine(self.machines[target.name], input=payload, **common)
        if isinstance(target, Function):
            return targets.LambdaFunction(self.functions[target.name], event=payload, **common)
        if isinstance(target, Topic):  # the stateful stack's topic policy lets the rule publish
            return targets.SnsTopic(self.stores[target.name], message=payload, **common)
        if isinstance(target, Queue):
            return targets.SqsQueue(
                self.stores[target.name],
                message=payload,
                **{k: v for k, v in common.items() if k != "max_event_age"},
            )
        raise TypeError(f"unsupported rule target {target!r}")

    def _rule(self, workflow: Workflow, rule: Any, values: Mapping[str, str]) -> None:
        # Every rule has a dead-letter queue, in the stateful stack (kept with the data in prod), whose policy lets
        # this rule send to it.
        dlq = self.stores[rule.dead_letter_queue.name]
        payload = None
        if rule.input_path:
            payload = events.RuleTargetInput.from_event_path(rule.input_path)
        elif rule.input_transformer:
            payload = _transformer(rule.input_transformer.template, rule.input_transformer.input_paths)
        bus = self.stores[rule.bus.name] if rule.bus else None
        events.Rule(
            self,
            rule.name,
            rule_name=self.naming.physical(rule.name),
            event_bus=bus,
            event_pattern=_pattern(json.loads(self.fill(json.dumps(rule.pattern), values))),
            description=rule.description or None,
            targets=[
                self._target(workflow, rule.target, payload, dlq, rule.max_retry_attempts, rule.max_event_age_seconds)
            ],
        )
        self._alarm(
            f"{rule.name}_dlq",
            dlq.metric_approximate_number_of_messages_visible(),
            f"events of rule {rule.name} could not be delivered",
        )

    def _alarm(self, name: str, metric: cloudwatch.Metric, description: str) -> None:
        """An alarm named `<stage>-<workflow>-<name>` whose description names the workflow and what broke."""
        self.alarms.append(
            cloudwatch.Alarm(
                self,
                f"alarm-{name}",
                alarm_name=self.naming.physical(f"{self.workflow.name}_{name}"),
                metric=metric,
                threshold=0,
                evaluation_periods=1,
                alarm_description=f"workflow {self.workflow.name} (stage {self.stage.name}): {description}",
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

    def _retention(self) -> logs.RetentionDays:
        days = self.stage.log_retention_days
        try:
            return _RETENTION[days]
        except KeyError:
            raise StageError(
                f"stage {self.stage.name}: log_retention_days must be one of {sorted(_RETENTION)}"
            ) from None


def _transformer(template: str, paths: Mapping[str, str]) -> events.RuleTargetInput:
    """A JSON input template with `<name>` slots, as CDK wants it: an object whose values are event fields."""
    sentinel = {key: f"__aslkit_slot_{key}__" for key in paths}
    text = template
    for key, marker in sentinel.items():
        text = text.replace(f"<{key}>", json.dumps(marker))
    fields = {marker: events.EventField.from_path(paths[key]) for key, marker in sentinel.items()}

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return fields.get(value, value) if isinstance(value, str) else value

    return events.RuleTargetInput.from_object(fill(json.loads(text)))


def _pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    keys = {
        "source": "source",
        "detail-type": "detail_type",
        "detail": "detail",
        "account": "account",
        "region": "region",
        "resources": "resources",
        "id": "id",
        "time": "time",
        "version": "version",
    }
    return events.EventPattern(**{keys[k]: v for k, v in pattern.items()})

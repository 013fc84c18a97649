"""Deploy a Workflow spec to LocalStack with boto3: the same resources the CDK app creates in AWS.

Idempotent: deploying twice updates in place. State machines come from the committed `statemachines/*.asl.json`
with their `${...}` placeholders filled from what was created, so LocalStack runs exactly the reviewed file.
A `prefix` gives every physical name a namespace, so several deployments of one workflow can live side by side;
`adopt` names existing resources that stand for some of the spec's stores (as a stage adopts them in AWS): the
deployer creates a stand-in under that name when none exists, and teardown leaves it. Names come from
`aslkit.names`; machines, functions, queues and tables carry its `aslkit:*` tags, through which CLIs find them.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import ClientError

from aslkit import names
from aslkit.asl.values import PLACEHOLDER_IN_TEXT, Placeholder
from aslkit.build import machine_path
from aslkit.errors import SpecError
from aslkit.events.rules import Rule, Schedule
from aslkit.local.clients import ACCOUNT, AwsClients
from aslkit.package import build_zip
from aslkit.resources import Api, Bucket, ContainerJob, Function, Queue, Secret, SsmParameter, Table, Topic
from aslkit.runtime import express
from aslkit.spec import EventBus, Workflow, machine_arn, powertools_environment

CodeMode = Literal["hot-reload", "zip"]
RUNTIME = "python3.13"


_MADE: list[Deployment] = []


def made() -> list[Deployment]:
    """Every deployment this process made, in order (what `pytest --aslkit-coverage` reads executions of)."""
    return list(_MADE)


@dataclass
class Deployment:
    """What a deploy created: physical names and the substitutions that filled the definitions."""

    workflow: str
    prefix: str
    substitutions: dict[str, str] = field(default_factory=dict)
    machines: dict[str, str] = field(default_factory=dict)  # spec name -> ARN
    machine_types: dict[str, str] = field(default_factory=dict)  # spec name -> STANDARD | EXPRESS
    functions: dict[str, str] = field(default_factory=dict)  # spec name -> physical name
    queues: dict[str, str] = field(default_factory=dict)  # spec name -> URL (DLQs as <name>_dlq)
    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    buses: dict[str, str] = field(default_factory=dict)  # spec name -> physical name ("default" included)
    secrets: dict[str, str] = field(default_factory=dict)  # spec name -> ARN
    ssm_parameters: dict[str, str] = field(default_factory=dict)  # spec name -> parameter name
    rules: dict[str, tuple[str, str]] = field(default_factory=dict)  # spec name -> (bus, physical rule name)
    source_buses: dict[str, str] = field(default_factory=dict)  # event source -> bus a rule listens on it
    apis: dict[str, str] = field(default_factory=dict)  # spec name -> invoke URL (no trailing slash)
    jobs: dict[str, str] = field(default_factory=dict)  # container job spec name -> its job definition's ARN
    sites: dict[str, str] = field(default_factory=dict)  # bucket spec name -> URL of the site's index.html
    definitions: dict[str, Path] = field(default_factory=dict)  # machine spec name -> the ASL file deployed
    adopted: dict[str, str] = field(default_factory=dict)  # spec name -> existing resource (teardown leaves it)

    def addresses(self) -> list[str]:
        """Where a person reaches the deployment: each API's invoke URL and each site's page, one line each."""
        return [f"API {name}: {url}" for name, url in sorted(self.apis.items())] + [
            f"site {name}: {url}" for name, url in sorted(self.sites.items())]  # fmt: skip

    def bus_for(self, source: str) -> str:
        """The bus an event of `source` goes on: AWS services (`aws.*`) emit on the default bus; otherwise the bus
        of a rule listening to the source, or the workflow's only custom bus."""
        if source.startswith("aws."):
            return "default"
        if source in self.source_buses:
            return self.source_buses[source]
        custom = [name for key, name in self.buses.items() if key != "default"]
        return custom[0] if len(custom) == 1 else "default"

    def machine_arn(self, name: str) -> str:
        try:
            return self.machines[name]
        except KeyError:
            raise SpecError(
                f"{self.workflow} has no deployed state machine {name!r}: {sorted(self.machines)}"
            ) from None


class LocalDeployer:
    def __init__(
        self,
        clients: AwsClients,
        root: Path,
        *,
        prefix: str = "",
        code: CodeMode = "hot-reload",
        parameters: Mapping[str, str] | None = None,
        statemachines_dir: Path | None = None,
        adopt: Mapping[str, str] | None = None,
    ) -> None:
        self.aws = clients
        self.root = root.resolve()
        self.statemachines_dir = statemachines_dir or self.root / "statemachines"
        self.prefix = prefix
        self.naming = names.Naming(prefix, adopted=dict(adopt or {}))
        self.code = code
        self.parameter_overrides = dict(parameters or {})

    # -- names -----------------------------------------------------------------------------------------------------
    def physical(self, name: str) -> str:
        return self.naming.physical(name)

    def role_arn(self, workflow: Workflow, service: str) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/{self.naming.role(workflow.name, service)}"

    def tags(self, workflow: Workflow, name: str) -> dict[str, str]:
        """The `aslkit:*` tags of the deployed resource of spec name `name`."""
        return {names.TAG_WORKFLOW: workflow.name, names.TAG_RESOURCE: name, names.TAG_STAGE: self.prefix}

    # -- deploy ----------------------------------------------------------------------------------------------------
    def deploy(self, workflow: Workflow) -> Deployment:
        workflow.check()
        workflow.check_adopted(self.naming.adopted, "local deployment")
        out = Deployment(workflow.name, self.prefix, adopted=dict(self.naming.adopted))
        subs = out.substitutions
        for service in ("lambda", "states", "events"):
            self._ensure_role(workflow, service)
        for machine in workflow.machines:
            arn = self.aws.arn("states", f"stateMachine:{self.physical(machine.name)}")
            out.machines[machine.name] = arn
            out.machine_types[machine.name] = machine.type
            subs[machine_arn(machine).name] = arn
        subs.update(workflow.local_parameters())
        subs.update({k: v for k, v in self.parameter_overrides.items() if k in workflow.parameters})
        out.buses["default"] = "default"
        for bus in workflow.buses:
            self._deploy_bus(bus, out)
        for table in workflow.tables:
            self._deploy_table(workflow, table, out)
        for bucket in workflow.buckets:
            self._deploy_bucket(bucket, out)
        for queue in [*workflow.queues, *self._rule_dlqs(workflow)]:
            self._deploy_queue(workflow, queue, out)
        for topic in workflow.topics:
            self._deploy_topic(topic, out)
        for secret in workflow.secrets:
            self._deploy_secret(secret, out)
        for parameter in workflow.ssm_parameters:
            self._deploy_ssm_parameter(workflow, parameter, out)
        for job in workflow.jobs:
            self._deploy_job(workflow, job, out)
        for function in workflow.functions:
            self._deploy_function(workflow, function, out)
        for api in workflow.apis:
            self._deploy_api(workflow, api, out)
        for bucket in workflow.buckets:
            if bucket.site:
                self._publish_site(bucket, out)
        for machine in workflow.machines:
            self._deploy_machine(workflow, machine.name, machine.type, out)
        for rule in workflow.rules:
            self._deploy_rule(workflow, rule, out)
        for schedule in workflow.schedules:
            self._deploy_schedule(workflow, schedule, out)
        _MADE.append(out)
        return out

    def _ensure_role(self, workflow: Workflow, service: str) -> None:
        name = self.naming.role(workflow.name, service)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        try:
            self.aws.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        except ClientError as error:
            if error.response["Error"]["Code"] != "EntityAlreadyExists":
                raise

    def _deploy_bus(self, bus: EventBus, out: Deployment) -> None:
        name = self.physical(bus.name)
        try:
            arn = self.aws.events.create_event_bus(Name=name)["EventBusArn"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
            arn = self.aws.events.describe_event_bus(Name=name)["Arn"]
        out.buses[bus.name] = name
        self._fill(out, bus, {"name": name, "arn": arn})

    def _deploy_table(self, workflow: Workflow, table: Table, out: Deployment) -> None:
        name = self.physical(table.name)
        keys = [(table.partition_key, "HASH")] + ([(table.sort_key, "RANGE")] if table.sort_key else [])
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": [{"AttributeName": attr, "KeyType": kind} for (attr, _), kind in keys],
            "AttributeDefinitions": [{"AttributeName": attr, "AttributeType": typ} for (attr, typ), _ in keys],
            "BillingMode": "PAY_PER_REQUEST",
            "Tags": [{"Key": k, "Value": v} for k, v in self.tags(workflow, table.name).items()],
        }
        if table.stream:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
        try:
            description = self.aws.dynamodb.create_table(**request)["TableDescription"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise
            description = self.aws.dynamodb.describe_table(TableName=name)["Table"]
        if table.ttl_attribute:
            self.aws.dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
            )
        out.tables[table.name] = name
        self._fill(out, table, {"name": name, "arn": description["TableArn"]})

    def _deploy_bucket(self, bucket: Bucket, out: Deployment) -> None:
        name = self.naming.bucket(bucket.name)
        try:
            self.aws.s3.create_bucket(Bucket=name)
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        if bucket.event_bridge:
            self.aws.s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
        out.buckets[bucket.name] = name
        # a site's page is served by the endpoint's S3 (path style): its origin is the endpoint's
        origin = "/".join(str(self.aws.endpoint_url).split("/")[:3])
        self._fill(out, bucket, {"name": name, "arn": f"arn:aws:s3:::{name}", "origin": origin})

    def _deploy_api(self, workflow: Workflow, api: Api, out: Deployment) -> None:
        """A REST API with a Lambda proxy integration per route, deployed to its stage (again: routes added)."""
        gateway = self.aws.apigateway
        name = self.physical(api.name)
        existing = [item["id"] for item in gateway.get_rest_apis(limit=500)["items"] if item["name"] == name]
        api_id = existing[0] if existing else gateway.create_rest_api(name=name, description=api.description)["id"]
        resources = {item["path"]: item["id"] for item in gateway.get_resources(restApiId=api_id, limit=500)["items"]}
        for route in api.routes:
            parent = resources["/"]
            path = ""
            for part in route.path.strip("/").split("/"):
                path += "/" + part
                if path not in resources:
                    resources[path] = gateway.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]
                parent = resources[path]
            function_arn = self._resolve(workflow.functions_by_name()[route.function].arn, out)
            with contextlib.suppress(ClientError):  # a redeploy keeps the method
                gateway.put_method(restApiId=api_id, resourceId=parent, httpMethod=route.method,
                                   authorizationType="AWS_IAM" if api.auth == "iam" else "NONE")  # fmt: skip
            gateway.put_integration(
                restApiId=api_id, resourceId=parent, httpMethod=route.method, type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=f"arn:aws:apigateway:{self.aws.region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
            )  # fmt: skip
        gateway.create_deployment(restApiId=api_id, stageName=api.stage)
        url = self._api_url(api_id, api.stage)
        out.apis[api.name] = url
        self._fill(out, api, {"url": url, "id": api_id})

    def _api_url(self, api_id: str, stage: str) -> str:
        return f"{self.aws.endpoint_url}/restapis/{api_id}/{stage}/_user_request_"

    def _publish_site(self, bucket: Bucket, out: Deployment) -> None:
        """The site's files, and config.json with its deploy-time values, as the CDK app publishes them."""
        assert bucket.site is not None
        folder = self.root / bucket.site
        if not folder.is_dir():
            raise SpecError(f"bucket {bucket.name!r}: site folder {folder} does not exist")
        name = out.buckets[bucket.name]
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            key = path.relative_to(folder).as_posix()
            self.aws.s3.put_object(Bucket=name, Key=key, Body=path.read_bytes(), ContentType=_content_type(path))
        config = {key: self._resolve(value, out) for key, value in bucket.site_config.items()}
        self.aws.s3.put_object(Bucket=name, Key="config.json", Body=json.dumps(config).encode(),
                               ContentType="application/json")  # fmt: skip
        out.sites[bucket.name] = f"{self.aws.endpoint_url}/{name}/index.html"

    def _rule_dlqs(self, workflow: Workflow) -> list[Queue]:
        return [rule.dead_letter_queue for rule in workflow.rules if rule.dlq is None]

    def _deploy_queue(self, workflow: Workflow, queue: Queue, out: Deployment) -> None:
        fifo_attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if queue.fifo else {}
        attributes: dict[str, str] = {"VisibilityTimeout": str(queue.visibility_timeout), **fifo_attrs}
        values: dict[str, str] = {}
        tags = self.tags(workflow, queue.name)
        if queue.max_receive_count and not self.naming.is_adopted(queue.name):  # an adopted queue's DLQ is its own
            dlq = names.dlq(queue.name)
            dlq_url, dlq_arn = self._create_queue(self.naming.queue(dlq, fifo=queue.fifo), dict(fifo_attrs),
                                                  self.tags(workflow, dlq))  # fmt: skip
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
            )
            values.update({"dlq_url": dlq_url, "dlq_arn": dlq_arn})
            out.queues[dlq] = dlq_url
        name = self.naming.queue(queue.name, fifo=queue.fifo)
        url, arn = self._create_queue(name, attributes, tags)
        values.update({"url": url, "arn": arn, "name": name})
        out.queues[queue.name] = url
        self._fill(out, queue, values)

    def _create_queue(self, name: str, attributes: dict[str, str], tags: dict[str, str]) -> tuple[str, str]:
        sqs = self.aws.sqs
        try:
            url = sqs.create_queue(QueueName=name, Attributes=attributes, tags=tags)["QueueUrl"]
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("QueueAlreadyExists", "QueueNameExists"):
                raise
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes={k: v for k, v in attributes.items() if k != "FifoQueue"})
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def _deploy_topic(self, topic: Topic, out: Deployment) -> None:
        arn = self.aws.sns.create_topic(Name=self.physical(topic.name))["TopicArn"]
        for queue_name in topic.subscribe_queues:
            queue_arn = out.substitutions[Queue(queue_name).placeholder("arn").name]
            self.aws.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                                   Attributes={"RawMessageDelivery": "true"})  # fmt: skip
        out.topics[topic.name] = arn
        self._fill(out, topic, {"arn": arn})

    def _deploy_secret(self, secret: Secret, out: Deployment) -> None:
        name = self.physical(secret.name)
        manager = self.aws.secretsmanager
        try:
            arn = manager.create_secret(Name=name, SecretString=secret.local_value, Description=secret.description)[
                "ARN"
            ]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceExistsException":
                raise
            arn = manager.put_secret_value(SecretId=name, SecretString=secret.local_value)["ARN"]
        out.secrets[secret.name] = arn
        self._fill(out, secret, {"arn": arn, "name": name})

    def _deploy_ssm_parameter(self, workflow: Workflow, parameter: SsmParameter, out: Deployment) -> None:
        """Created with its starting value; one that exists keeps what an operator set."""
        name = self.physical(parameter.name)
        ssm = self.aws.client("ssm")
        try:
            tags = [{"Key": k, "Value": v} for k, v in self.tags(workflow, parameter.name).items()]
            ssm.put_parameter(Name=name, Value=parameter.value, Type="String", Description=parameter.description,
                              Tags=tags)  # fmt: skip
        except ClientError as error:
            if error.response["Error"]["Code"] != "ParameterAlreadyExists":
                raise
        arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
        out.ssm_parameters[parameter.name] = name
        self._fill(out, parameter, {"name": name, "arn": arn})

    def _deploy_function(self, workflow: Workflow, function: Function, out: Deployment) -> None:
        name = self.physical(function.name)
        code: dict[str, Any]
        if self.code == "hot-reload":
            code = {"S3Bucket": "hot-reload", "S3Key": str(self.root)}
        else:
            code = {"ZipFile": build_zip(self.root, function)}
        environment = self._environment(workflow, function, out)
        config: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": RUNTIME,
            "Role": self.role_arn(workflow, "lambda"),
            "Handler": function.handler,
            "Timeout": function.timeout,
            "MemorySize": function.memory,
            "EphemeralStorage": {"Size": function.ephemeral_storage},
            "Environment": {"Variables": environment},
            "Description": function.description,
        }
        tags = self.tags(workflow, function.name)
        lam = self.aws.client("lambda")
        try:
            arn = lam.create_function(**config, Code=code, Tags=tags)["FunctionArn"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceConflictException":
                raise
            self._wait_function(name)
            lam.update_function_configuration(**config)
            self._wait_function(name)
            code_args = {"ZipFile": code["ZipFile"]} if "ZipFile" in code else code
            arn = lam.update_function_code(FunctionName=name, **code_args)["FunctionArn"]
        self._wait_function(name)
        out.functions[function.name] = name
        self._fill(out, function, {"arn": arn, "name": name})
        if function.queue_trigger:
            self._ensure_queue_trigger(function, name, out)

    def _environment(self, workflow: Workflow, resource: Function | ContainerJob, out: Deployment) -> dict[str, str]:
        return {
            **powertools_environment(workflow.name, local=True),
            **{key: self._resolve(value, out) for key, value in resource.environment.items()},
        }

    def _deploy_job(self, workflow: Workflow, job: ContainerJob, out: Deployment) -> None:
        """LocalStack has no AWS Batch: the job's ARNs are named (a definition that submits to them fails there
        with Batch's error), and the in-process engine runs the job (`InProcessDeployer`)."""
        adopted = self.naming.adopted.get(job.name)
        queue = (
            adopted
            if adopted and adopted.startswith("arn:")
            else self.aws.arn("batch", f"job-queue/{self.physical(job.name)}")
        )
        definition = self.aws.arn("batch", f"job-definition/{self.naming.own(job.name)}:1")
        out.jobs[job.name] = definition
        self._fill(out, job, {"queue_arn": queue, "definition_arn": definition})

    def _ensure_queue_trigger(self, function: Function, name: str, out: Deployment) -> None:
        lam = self.aws.client("lambda")
        queue_arn = out.substitutions[Queue(str(function.queue_trigger)).placeholder("arn").name]
        existing = lam.list_event_source_mappings(FunctionName=name, EventSourceArn=queue_arn)["EventSourceMappings"]
        settings = {"BatchSize": function.batch_size, "FunctionResponseTypes": ["ReportBatchItemFailures"]}
        if existing:
            lam.update_event_source_mapping(UUID=existing[0]["UUID"], **settings)
        else:
            lam.create_event_source_mapping(FunctionName=name, EventSourceArn=queue_arn, Enabled=True, **settings)

    def _wait_function(self, name: str, timeout: float = 30.0) -> None:
        lam = self.aws.client("lambda")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            config = lam.get_function_configuration(FunctionName=name)
            if config.get("State") == "Failed":
                raise SpecError(f"function {name} failed to deploy: {config.get('StateReason')}")
            if config.get("State") == "Active" and config.get("LastUpdateStatus") in (None, "Successful"):
                return
            time.sleep(0.05)
        raise TimeoutError(f"function {name} did not become Active in {timeout:.0f} s")

    def _definition(self, name: str, out: Deployment) -> str:
        """The committed definition of machine `name`, its placeholders filled from what was created."""
        path = machine_path(self.statemachines_dir, name)
        if not path.exists():
            raise SpecError(f"{path} does not exist: run `aslkit build` (or `make build`) first")
        out.definitions[name] = path
        return substitute(path.read_text(), out.substitutions, source=str(path))

    def _deploy_machine(self, workflow: Workflow, name: str, machine_type: str, out: Deployment) -> None:
        definition = self._definition(name, out)
        arn = out.machines[name]
        sfn = self.aws.stepfunctions
        role = self.role_arn(workflow, "states")
        logging: dict[str, Any] = {}
        if machine_type == "EXPRESS":  # its history exists only in its log group (`aslkit.runtime.express`)
            logging["loggingConfiguration"] = express.logging_configuration(self._log_group(self.physical(name)))
        try:
            tags = [{"key": k, "value": v} for k, v in self.tags(workflow, name).items()]
            sfn.create_state_machine(name=self.physical(name), definition=definition, roleArn=role, type=machine_type,
                                     tags=tags, **logging)  # fmt: skip
        except ClientError as error:
            if error.response["Error"]["Code"] != "StateMachineAlreadyExists":
                raise
            sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role, **logging)

    def _log_group(self, physical: str) -> str:
        """The machine's execution log group (created if missing); returns its ARN."""
        name = express.log_group_name(physical)
        try:
            self.aws.logs.create_log_group(logGroupName=name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
        return self.aws.arn("logs", f"log-group:{name}")

    def _target(self, workflow: Workflow, target: Any, out: Deployment) -> dict[str, Any]:
        from aslkit.asl.machine import StateMachine

        if isinstance(target, StateMachine):
            return {"Arn": out.machines[target.name], "RoleArn": self.role_arn(workflow, "events")}
        if isinstance(target, Function):
            return {"Arn": out.substitutions[target.arn.name]}
        if isinstance(target, Queue | Topic):
            return {"Arn": out.substitutions[target.placeholder("arn").name]}
        raise SpecError(f"unsupported rule target {target!r}")

    def _deploy_rule(self, workflow: Workflow, rule: Rule, out: Deployment) -> None:
        bus = out.buses[rule.bus.name] if rule.bus else "default"
        name = self.physical(rule.name)
        events = self.aws.events
        # A pattern may name the workflow's resources (a bucket's ${..._bucket_name}): filled like the definitions.
        pattern = substitute(json.dumps(rule.pattern), out.substitutions, source=f"rule {rule.name}")
        events.put_rule(Name=name, EventBusName=bus, EventPattern=pattern, State="ENABLED",
                        Description=rule.description)  # fmt: skip
        dlq = rule.dead_letter_queue
        target: dict[str, Any] = {
            "Id": "target",
            **self._target(workflow, rule.target, out),
            "DeadLetterConfig": {"Arn": out.substitutions[dlq.placeholder("arn").name]},
            "RetryPolicy": {
                "MaximumRetryAttempts": rule.max_retry_attempts,
                "MaximumEventAgeInSeconds": rule.max_event_age_seconds,
            },
        }
        if rule.input_path:
            target["InputPath"] = rule.input_path
        if rule.input_transformer:
            target["InputTransformer"] = {
                "InputPathsMap": dict(rule.input_transformer.input_paths),
                "InputTemplate": rule.input_transformer.template,
            }
        events.put_targets(Rule=name, EventBusName=bus, Targets=[target])
        out.rules[rule.name] = (bus, name)
        for source in rule.pattern.get("source", []):
            out.source_buses.setdefault(str(source), bus)

    def _deploy_schedule(self, workflow: Workflow, schedule: Schedule, out: Deployment) -> None:
        name = self.physical(schedule.name)
        self.aws.events.put_rule(Name=name, ScheduleExpression=schedule.expression, State="ENABLED")
        target = {"Id": "target", **self._target(workflow, schedule.target, out), "Input": json.dumps(schedule.input)}
        self.aws.events.put_targets(Rule=name, Targets=[target])
        out.rules[schedule.name] = ("default", name)

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _fill(self, out: Deployment, resource: Any, values: dict[str, str]) -> None:
        for placeholder, attribute in resource.placeholders().items():
            if attribute in values:
                out.substitutions[placeholder] = values[attribute]

    def _resolve(self, value: str | Placeholder, out: Deployment) -> str:
        text = str(value)
        return substitute(text, out.substitutions, source="function environment") if "${" in text else text

    # -- teardown --------------------------------------------------------------------------------------------------
    def teardown(self, deployment: Deployment) -> None:
        """Delete what `deploy` created (missing pieces are skipped)."""
        events, sfn, lam = self.aws.events, self.aws.stepfunctions, self.aws.client("lambda")
        ours = {kind: {key: value for key, value in found.items() if key not in deployment.adopted}
                for kind, found in (("queues", deployment.queues), ("buckets", deployment.buckets),
                                    ("tables", deployment.tables), ("secrets", deployment.secrets),
                                    ("topics", deployment.topics), ("buses", deployment.buses),
                                    ("ssm_parameters", deployment.ssm_parameters))}  # fmt: skip
        for bus, rule in deployment.rules.values():
            _quietly(events.remove_targets, Rule=rule, EventBusName=bus, Ids=["target"])
            _quietly(events.delete_rule, Name=rule, EventBusName=bus)
        for arn in deployment.machines.values():
            _quietly(sfn.delete_state_machine, stateMachineArn=arn)
            _quietly(self.aws.logs.delete_log_group, logGroupName=express.log_group_name(arn.rsplit(":", 1)[1]))
        for url in deployment.apis.values():
            _quietly(self.aws.apigateway.delete_rest_api, restApiId=url.split("/restapis/", 1)[1].split("/", 1)[0])
        for name in deployment.functions.values():
            with contextlib.suppress(ClientError):
                for mapping in lam.list_event_source_mappings(FunctionName=name).get("EventSourceMappings", []):
                    _quietly(lam.delete_event_source_mapping, UUID=mapping["UUID"])
            _quietly(lam.delete_function, FunctionName=name)
        for arn in ours["topics"].values():
            _quietly(self.aws.sns.delete_topic, TopicArn=arn)
        for url in ours["queues"].values():
            _quietly(self.aws.sqs.delete_queue, QueueUrl=url)
        for name in ours["buckets"].values():
            objects = self.aws.s3.list_objects_v2(Bucket=name).get("Contents", [])
            for item in objects:
                _quietly(self.aws.s3.delete_object, Bucket=name, Key=item["Key"])
            _quietly(self.aws.s3.delete_bucket, Bucket=name)
        for name in ours["tables"].values():
            _quietly(self.aws.dynamodb.delete_table, TableName=name)
        for arn in ours["secrets"].values():
            _quietly(self.aws.secretsmanager.delete_secret, SecretId=arn, ForceDeleteWithoutRecovery=True)
        for name in ours["ssm_parameters"].values():
            _quietly(self.aws.client("ssm").delete_parameter, Name=name)
        for key, name in ours["buses"].items():
            if key != "default":
                _quietly(events.delete_event_bus, Name=name)


def substitute(text: str, substitutions: Mapping[str, str], *, source: str) -> str:
    """Fill `${name}` placeholders; an unknown one is an error naming it (never sent half-filled)."""
    missing = sorted({name for name in PLACEHOLDER_IN_TEXT.findall(text) if name not in substitutions})
    if missing:
        raise SpecError(f"{source}: no value for placeholder(s) {', '.join(missing)}")
    return PLACEHOLDER_IN_TEXT.sub(lambda match: substitutions[match.group(1)], text)


def _content_type(path: Path) -> str:
    import mimetypes

    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _quietly(call: Any, **kwargs: Any) -> None:
    with contextlib.suppress(ClientError):
        call(**kwargs)

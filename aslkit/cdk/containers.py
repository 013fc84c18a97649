"""A workflow's container jobs on AWS Batch (Fargate), in its stateless stack.

Per job: its image (a Docker image asset built from the project's Dockerfile and the job's sources when the stage is
deployed), its log group, its job role (the job's `access`, as a function's), and its job definition. Unless the
stage adopts an existing job queue for it, a Fargate compute environment and a job queue of its own too, in one VPC
per stack: public subnets in two zones, no NAT gateway (the tasks get public addresses to reach ECR, S3 and
CloudWatch Logs; their security group takes no inbound traffic), flow logs on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

from aslkit import names
from aslkit.package import build_container_dir
from aslkit.resources import ContainerJob


class ContainerJobs:
    """The jobs of one stateless stack; `values[placeholder]` fills each job's `queue_arn` and `definition_arn`."""

    def __init__(self, stack: cdk.Stack, naming: names.Naming, root: Path, assets: Path,
                 retention: Callable[[], logs.RetentionDays]) -> None:  # fmt: skip
        self.stack, self.naming, self.root, self.assets, self.retention = stack, naming, root, assets, retention
        self.definitions: dict[str, batch.EcsJobDefinition] = {}
        self.values: dict[str, str] = {}
        self._vpc: ec2.Vpc | None = None

    def add(self, job: ContainerJob, environment: Mapping[str, str]) -> iam.Role:
        """The job's definition (and queue, unless adopted); its job role, for the caller's grants."""
        stack, own = self.stack, self.naming.own(job.name)
        adopted = self.naming.adopted.get(job.name)
        image = ecr_assets.DockerImageAsset(
            stack,
            f"{job.name}-image",
            directory=str(build_container_dir(self.root, job, self.assets)),
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        role = iam.Role(stack, f"{job.name}-role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                        description=f"the job role of {own}: what its container may do")  # fmt: skip
        container = batch.EcsFargateContainerDefinition(
            stack,
            f"{job.name}-container",
            image=ecs.ContainerImage.from_docker_image_asset(image),
            command=job.command,
            cpu=job.vcpus,
            memory=cdk.Size.mebibytes(job.memory),
            ephemeral_storage_size=cdk.Size.gibibytes(job.ephemeral_storage),
            environment=dict(environment),
            job_role=role,
            logging=ecs.LogDriver.aws_logs(
                stream_prefix=own,
                log_group=logs.LogGroup(
                    stack, f"{job.name}-logs", retention=self.retention(), removal_policy=cdk.RemovalPolicy.DESTROY
                ),
            ),
            # in the stack's own public subnets a task needs a public address to pull its image (no NAT gateway);
            # an adopted queue's compute environment brings its own network
            assign_public_ip=adopted is None,
            fargate_cpu_architecture=ecs.CpuArchitecture.X86_64,
            fargate_operating_system_family=ecs.OperatingSystemFamily.LINUX,
        )
        definition = batch.EcsJobDefinition(
            stack,
            job.name,
            job_definition_name=own,
            container=container,
            timeout=cdk.Duration.seconds(job.timeout),
            retry_attempts=job.attempts,
            propagate_tags=True,
        )
        cdk.Tags.of(definition).add(names.TAG_RESOURCE, job.name)
        if adopted is None:
            queue_arn = self._queue(job, own).job_queue_arn
        elif adopted.startswith("arn:"):
            queue_arn = adopted
        else:
            queue_arn = stack.format_arn(service="batch", resource="job-queue", resource_name=adopted)
        self.definitions[job.name] = definition
        self.values[job.queue_arn.name] = queue_arn
        self.values[job.definition_arn.name] = definition.job_definition_arn
        return role

    def _queue(self, job: ContainerJob, own: str) -> batch.JobQueue:
        compute = batch.FargateComputeEnvironment(
            self.stack,
            f"{job.name}-compute",
            compute_environment_name=own,
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            maxv_cpus=job.max_vcpus,
        )
        return batch.JobQueue(
            self.stack,
            f"{job.name}-queue",
            job_queue_name=own,
            priority=1,
            compute_environments=[batch.OrderedComputeEnvironment(compute_environment=compute, order=1)],
        )

    @property
    def vpc(self) -> ec2.Vpc:
        if self._vpc is None:
            self._vpc = ec2.Vpc(
                self.stack,
                "jobs-vpc",
                max_azs=2,
                nat_gateways=0,
                subnet_configuration=[
                    ec2.SubnetConfiguration(name="jobs", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)
                ],
                restrict_default_security_group=True,
                flow_logs={
                    "all": ec2.FlowLogOptions(
                        traffic_type=ec2.FlowLogTrafficType.ALL,
                        destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                            logs.LogGroup(
                                self.stack,
                                "jobs-vpc-flow-logs",
                                retention=self.retention(),
                                removal_policy=cdk.RemovalPolicy.DESTROY,
                            )
                        ),
                    ),
                },
            )
        return self._vpc

"""Automatic data sharing: package the FASTQ data of a run's libraries and their secondary analysis per job, push
it to S3, or presign it.

A `ReadSetsAdded` (or `FastqListRowsAdded`) event (a run's FASTQs are in) starts the controller; `aslkit share ...`
starts the same packaging, push and presign machines by hand. See machines.py for the flow and tasks/sharing/ for the
task code.
"""

from __future__ import annotations

import json
from pathlib import Path

from aslkit.events import Rule
from aslkit.spec import Workflow

from .local import local_environment
from .machines import CONTROLLER, MACHINES
from .resources import (
    FUNCTIONS,
    PARAMETERS,
    analysis,
    api,
    bus,
    data,
    fastq,
    icav2_key,
    jobs,
    libraries,
    presign_keys,
    pushed_files,
    workflow_runs,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "tasks" / "sharing" / "schemas"

WORKFLOW = Workflow(
    "sharing",
    "Automatic data sharing: per job, package a run's FASTQ data and secondary analysis, report on it, push it to S3 "
    "or presign it",
    machines=MACHINES,
    functions=FUNCTIONS,
    tables=[libraries, workflow_runs, jobs, pushed_files],
    buckets=[data, fastq, analysis],
    buses=[bus],
    apis=[api],
    secrets=[presign_keys, icav2_key],
    rules=[
        Rule(
            "sharing_read_sets_added",
            # OrcaBus's fastq glue announces a run's FASTQs as ReadSetsAdded; the seed names FastqListRowsAdded
            pattern={"source": ["orcabus.fastqglue"], "detail-type": ["ReadSetsAdded", "FastqListRowsAdded"]},
            target=CONTROLLER,
            bus=bus,
            input_path="$.detail",
            description="A run's FASTQs are in: share them for every job whose projects are in the run",
        )
    ],
    parameters=PARAMETERS,
    contracts={
        name: json.loads((SCHEMAS / f"{name}.schema.json").read_text())
        for name in (
            "ReadSetsAdded",
            "FastqListRowsAdded",
            "PackageStateChange",
            "PushStateChange",
            "job",
            "package_request",
        )
    },
    # a push copies the package's files out of the workflow's buckets to the destinations the stage allows
    object_scopes={
        # packaging restores archived files where the library and workflow run records say they are
        "sharing_packaging": (
            f"arn:${{AWS::Partition}}:s3:::{fastq.name_ref}/*",
            f"arn:${{AWS::Partition}}:s3:::{analysis.name_ref}/*",
        ),
        "sharing_push": (
            f"arn:${{AWS::Partition}}:s3:::{data.name_ref}/*",
            f"arn:${{AWS::Partition}}:s3:::{fastq.name_ref}/*",
            f"arn:${{AWS::Partition}}:s3:::{analysis.name_ref}/*",
            "${share_destination_objects}",
        ),
    },
    entry="sharing_controller",
    local=local_environment,
)

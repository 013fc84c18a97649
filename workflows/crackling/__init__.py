"""Crackling: CRISPR-Cas9 guide design as a workflow (genome download -> off-target index -> scan -> scoring).

Re-creates Crackling-AWS (a chain of Lambdas, SQS queues and DynamoDB streams) as one state machine per job,
started by the API's JobSubmitted event. See machines.py for the flow and tasks/crackling/ for the science.
"""

from __future__ import annotations

from aslkit.events import Rule
from aslkit.spec import Workflow

from .local import local_environment
from .machines import PIPELINE
from .resources import (
    FUNCTIONS,
    PARAMETERS,
    api,
    bus,
    data,
    genomes,
    guides,
    index_job,
    jobs,
    notifications,
    quota,
    site,
)

WORKFLOW = Workflow(
    "crackling",
    "Crackling CRISPR guide design: genome download -> off-target index -> candidate scan -> scoring",
    machines=[PIPELINE],
    functions=FUNCTIONS,
    tables=[jobs, guides, genomes, quota],
    buckets=[data, site],
    buses=[bus],
    topics=[notifications],
    apis=[api],
    jobs=[index_job],
    rules=[
        Rule(
            "crackling_job_submitted",
            pattern={"source": ["crackling.api"], "detail-type": ["JobSubmitted"]},
            target=PIPELINE,
            bus=bus,
            input_path="$.detail",
            description="A job submitted through the API runs once",
        )
    ],
    parameters=PARAMETERS,
    entry="crackling_pipeline",
    local=local_environment,
)

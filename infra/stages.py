"""The stages of the platform, in one typed place: per workflow, what each stage adopts (existing resources, by name
or ARN) and its parameter values (overriding the workflow's defaults, and setting its required ones).

`${AWS::AccountId}`, `${AWS::Region}` and `${AWS::Partition}` in a value stand for the stage's own.
"""

from aslkit.cdk import Stage, WorkflowSettings
from workflows.edp import ignore_regex

WES = {"wes_base_url": "https://aps2.platform.illumina.com"}
#: Crackling's AWS Batch queue and job definition for large genomes: the account's own, named per stage.
#: Where data sharing may push: the stage's share bucket (a push to any other location is refused by IAM).
SHARES = {"share_destination_objects": "arn:${AWS::Partition}:s3:::data-shares-${AWS::AccountId}/*"}
BATCH = {
    "index_job_queue_arn": "arn:${AWS::Partition}:batch:${AWS::Region}:${AWS::AccountId}:job-queue/crackling-index",
    "index_job_definition_arn": "arn:${AWS::Partition}:batch:${AWS::Region}:${AWS::AccountId}:"
    "job-definition/crackling-index",
}

STAGES = {
    "dev": Stage(
        "dev",
        retain_data=False,
        log_retention_days=14,
        workflows={
            "sequencing": WorkflowSettings(parameters={**WES, "wes_output_root": "gds://development/analysis_data"}),
            "crackling": WorkflowSettings(parameters=BATCH),
            "sharing": WorkflowSettings(parameters=SHARES),
            # quicker flushes while developing
            "edp": WorkflowSettings(
                parameters={"edp_landing_threshold_count": "5", "edp_landing_threshold_seconds": "60"}
            ),
        },
    ),
    "prod": Stage(
        "prod",
        retain_data=True,
        log_retention_days=365,
        alarm_email="platform-alerts@example.org",
        workflows={
            "sequencing": WorkflowSettings(parameters={**WES, "wes_output_root": "gds://production/analysis_data"}),
            "crackling": WorkflowSettings(parameters=BATCH),
            # the HealthOmics metadata sync writes into the table the account already has (the original's
            # dynamoTableName, whose default is healthomics_set_metadata)
            "readset": WorkflowSettings(adopt={"readset_metadata": "healthomics_set_metadata"}),
            # EDP watches the instrument bucket the account already has and announces on its existing bus
            "edp": WorkflowSettings(
                adopt={"edp_landing": "instrument-landing", "edp_bus": "data-platform"},
                parameters={
                    "edp_landing_prefix_depth": "2",
                    "edp_landing_ignore": ignore_regex(("raw/*", "scratch/*", "*.tmp")),
                    "edp_landing_threshold_count": "100",
                    "edp_landing_threshold_seconds": "900",
                },
            ),
            # data sharing listens on OrcaBus's bus for FastqListRowsAdded/ReadSetsAdded
            "sharing": WorkflowSettings(adopt={"sharing_bus": "OrcaBusMain"}, parameters=SHARES),
        },
    ),
}

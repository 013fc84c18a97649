"""The stages of the platform, in one typed place: per workflow, what each stage adopts (existing resources, by name
or ARN) and its parameter values (overriding the workflow's defaults, and setting its required ones).

`${AWS::AccountId}`, `${AWS::Region}` and `${AWS::Partition}` in a value stand for the stage's own.
"""

import json

from aslkit.cdk import Stage, WorkflowSettings
from workflows.edp import ignore_regex


def wes(bcl_convert: str, qc: str, somatic: str) -> dict[str, str]:
    """A stage's ICA v1 WES: the ids of the BCL Convert, DRAGEN WGS QC and somatic workflows its ICA tenant holds
    (`ica workflows list`), with the versions it runs."""
    workflows = {"bcl_convert": {"id": bcl_convert, "version": "4.2.7"},
                 "dragen_wgs_qc": {"id": qc, "version": "4.2.4"},
                 "dragen_wgs_somatic": {"id": somatic, "version": "4.2.4"}}  # fmt: skip
    return {
        "wes_base_url": "https://aps2.platform.illumina.com",
        "wes_workflows": json.dumps(workflows, sort_keys=True),
    }


#: the example stages' ICA workflow ids (illustrative, in ICA's format): a platform puts its tenant's ids here, and
#: synth refuses a stage of its own that names none
WES_DEV = wes("wfl.84abc203cabd4dc196a6cf9bb49d5f74", "wfl.5cc28c147e4e4dfa9e418523188aacec",
              "wfl.aa0ccece4e004839aa7374d1d6530633")  # fmt: skip
WES_PROD = wes("wfl.54a8a1fd4ec64de0b9bca5a6fb2d2b7a", "wfl.9f2aff54fd6e4c0f8bf5dc8e4a7b1c3d",
               "wfl.3c1b9d6e0f2a4b8c9d7e6f5a4b3c2d1e")  # fmt: skip
#: Where data sharing may push: the stage's share bucket (a push to any other location is refused by IAM).
SHARES = {"share_destination_objects": "arn:${AWS::Partition}:s3:::data-shares-${AWS::AccountId}/*"}
#: Crackling mails its submitters from an address the stage has verified in SES (its own domain in a real stage)
CRACKLING = {"email_sender": "crackling-noreply@example.org"}

STAGES = {
    "dev": Stage(
        "dev",
        retain_data=False,
        log_retention_days=14,
        workflows={
            "sequencing": WorkflowSettings(
                parameters={**WES_DEV, "wes_output_root": "gds://development/analysis_data"}
            ),
            "crackling": WorkflowSettings(parameters=CRACKLING),
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
            "sequencing": WorkflowSettings(
                parameters={**WES_PROD, "wes_output_root": "gds://production/analysis_data"}
            ),
            # large genomes are indexed on the account's shared AWS Batch queue (its Fargate compute environment and
            # network): the stage makes only the job's definition, image and role
            "crackling": WorkflowSettings(adopt={"crackling_index": "genomics-fargate"}, parameters=CRACKLING),
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

"""The stages of the platform, in one typed place. Parameters override each workflow's defaults."""

from aslkit.cdk import Stage

STAGES = {
    "dev": Stage(
        "dev",
        retain_data=False,
        log_retention_days=14,
        parameters={"sequencing": {"wes_base_url": "https://aps2.platform.illumina.com"}},
    ),
    "prod": Stage(
        "prod",
        retain_data=True,
        log_retention_days=365,
        alarm_email="platform-alerts@example.org",
        parameters={"sequencing": {"wes_base_url": "https://aps2.platform.illumina.com"}},
    ),
}

"""Stage configuration: where a copy of the platform lives and how it differs (names, retention, parameters)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: CDK feature flags the app is written for (pass as the App's context).
FEATURE_FLAGS: Mapping[str, object] = {
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,  # access logs by bucket policy, not a legacy ACL
    "@aws-cdk/aws-iam:minimizePolicies": True,
}


@dataclass(frozen=True)
class Stage:
    """One deployment of every workflow (dev, prod ...).

    `parameters` overrides workflow parameters per workflow (`{"sequencing": {"wes_base_url": ...}}`);
    `retain_data` keeps tables, buckets and queues when a stack is deleted (production).
    """

    name: str
    account: str | None = None
    region: str = "ap-southeast-2"
    retain_data: bool = False
    log_retention_days: int = 30
    alarm_email: str | None = None
    parameters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """Physical names start with the stage, so stages can share an account."""
        return f"{self.name}-"

    def physical(self, name: str) -> str:
        return f"{self.prefix}{name}".replace("_", "-")

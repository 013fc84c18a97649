"""Stand-ins for AWS services that neither moto nor LocalStack serves, shared by both test tiers."""

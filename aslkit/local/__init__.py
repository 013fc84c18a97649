"""LocalStack in host mode: the launcher, AWS clients bound to it, and the deployer of Workflow specs."""

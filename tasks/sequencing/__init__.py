"""Tasks of the sequencing-run orchestration: ENS ingress, WES launcher, sample sheet and pairing rules."""

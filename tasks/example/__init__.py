"""Tasks of the example workflow."""

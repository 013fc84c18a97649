"""The catalogue: one module per business process, each defining `WORKFLOW = Workflow(...)`."""

"""aslkit: define, test and ship AWS Step Functions workflows in Python."""

__version__ = "0.1.0"

"""EventBridge buses, rules (pattern, target, input transform, DLQ) and schedules, declared in the Workflow spec."""

from aslkit.events.rules import EventBus, InputTransformer, Rule, Schedule

__all__ = ["EventBus", "InputTransformer", "Rule", "Schedule"]

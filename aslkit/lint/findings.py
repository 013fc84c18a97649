"""What the linter reports: findings with a rule id, a severity, a JSON Pointer and a message that says what to do."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    pointer: str
    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.severity} [{self.rule}] {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}


@dataclass
class Report:
    """All findings for one document, sorted by location."""

    source: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def text_lines(self) -> Iterable[str]:
        for f in self.findings:
            yield f"{self.source}:{f.pointer or '/'}: {f.severity} [{f.rule}] {f.message}"

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "findings": [f.to_dict() for f in self.findings]}


def pointer(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(document: object, ptr: str) -> object:
    """The value a JSON Pointer names in `document` (None if it names nothing)."""
    value = document
    for raw in ptr.split("/")[1:] if ptr else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value

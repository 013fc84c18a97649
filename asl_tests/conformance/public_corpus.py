"""The public conformance corpus: real definitions (`public/`), their sources, licences and expected verdicts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent / "public"
MANIFEST = HERE / "SOURCES.json"


@dataclass(frozen=True)
class Entry:
    source: str  # owner/repository
    path: Path  # the copy here
    upstream: str  # its path in the source repository
    verdict: str  # "runs" (deployed and run on AWS) or "valid": no errors; "invalid": exactly `errors`
    warnings: tuple[str, ...]
    errors: tuple[str, ...] = ()
    disputed: str | None = None  # why the suite's verdict is not AWS's, with the AWS source that settles it

    def agrees(self, rules: list[tuple[str, bool]]) -> bool:
        """Whether the linter's (rule, is_error) findings are the expected verdict, errors and warnings."""
        errors = sorted(rule for rule, is_error in rules if is_error)
        warnings = sorted(rule for rule, is_error in rules if not is_error)
        return errors == sorted(self.errors) and warnings == sorted(self.warnings)

    @property
    def placeholders(self) -> set[str]:
        """The `${...}` names the file uses (filled by DefinitionSubstitutions where it is deployed)."""
        return set(re.findall(r"\$\{([^}]+)\}", self.path.read_text(encoding="utf-8")))


def entries() -> list[Entry]:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    found = []
    for source, details in manifest["sources"].items():
        folder = (HERE / details["folder"]).resolve()
        for name, file in details["files"].items():
            found.append(Entry(source, folder / name, file["path"], file["verdict"], tuple(file["warnings"]),
                               tuple(file.get("errors", ())), file.get("disputed")))  # fmt: skip
    return found

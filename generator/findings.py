"""Findings are data: every problem the tool reports is one of these, never an exception.

A finding names the file, the 1-based line and column, the RFC 6901 JSON pointer inside the
document, a severity, a stable rule id and a message. Commands decide exit codes from them.

The message is one short line (values in it truncated); `detail`, when there is more to say
(a validator's full text with the whole offending value), is kept for `--format json`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    column: int
    pointer: str
    severity: Severity
    rule: str
    message: str
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        if not self.detail:
            del data["detail"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Finding:
        return cls(
            file=str(data["file"]),
            line=int(data["line"]),  # type: ignore[call-overload]
            column=int(data["column"]),  # type: ignore[call-overload]
            pointer=str(data["pointer"]),
            severity=Severity(str(data["severity"])),
            rule=str(data["rule"]),
            message=str(data["message"]),
            detail=str(data.get("detail", "")),
        )

    def render(self) -> str:
        """`path:line:col: severity rule-id: message [pointer]`, always exactly one line."""
        where = f" [{self.pointer}]" if self.pointer else ""  # no pointer: the whole file
        message = _LINE_BREAKS.sub(" ", self.message)
        return (
            f"{self.file}:{self.line}:{self.column}: {self.severity.value} {self.rule}: "
            f"{message}{where}"
        )


_LINE_BREAKS = re.compile(r"\s*[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+\s*")


class InputError(Exception):
    """Input that cannot be read or parsed at all (exit code 2). Carries the finding to show."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.render())
        self.finding = finding


class UnusableSpec(InputError):
    """A spec that was read but cannot be used (exit code 2): references that do not resolve
    or are refused by the loading policy, schemas the validator cannot compile. Carries every
    finding that says why, not only the first."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0])
        self.findings = findings

    def __str__(self) -> str:
        return "\n".join(f.render() for f in self.findings)

"""What the spec diff reports: changes as data, each pointing into the old and the new file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.diff.rules import RULES, Level

if TYPE_CHECKING:
    from generator.diff.ignore import IgnoreEntry


@dataclass(frozen=True, order=True)
class Side:
    """One end of a change: the file as shown to the user, the line, the RFC 6901 pointer."""

    file: str
    line: int
    pointer: str


@dataclass(frozen=True)
class Change:
    rule: str
    operation: str  # operationId, else "METHOD /path"
    endpoint: str  # "METHOD /path" as written in the spec that has it
    location: str  # where in the operation, e.g. "response 200 application/json: items[].state"
    old: Side | None
    new: Side | None
    message: str

    @property
    def level(self) -> Level:
        return RULES[self.rule].level

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.endpoint,
            self.operation,
            self.location,
            self.rule,
            self.message,
            self.old or Side("", 0, ""),
            self.new or Side("", 0, ""),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.level.label,
            "operation": self.operation,
            "endpoint": self.endpoint,
            "location": self.location,
            "pointer_old": self.old.pointer if self.old else None,
            "pointer_new": self.new.pointer if self.new else None,
            "file_old": self.old.file if self.old else None,
            "line_old": self.old.line if self.old else None,
            "file_new": self.new.file if self.new else None,
            "line_new": self.new.line if self.new else None,
            "message": self.message,
        }


@dataclass
class DiffResult:
    """What `apicontract diff` found: the changes left after the ignore file, the ones it
    accepted (with the entry that did), and entries that matched nothing."""

    old: str
    new: str
    changes: list[Change]
    ignored: list[tuple[Change, IgnoreEntry]] = field(default_factory=list)
    unused_ignores: list[IgnoreEntry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {level.label: 0 for level in sorted(Level, reverse=True)}
        for change in self.changes:
            counts[change.level.label] += 1
        counts["ignored"] = len(self.ignored)
        return counts

    def failing(self, fail_on: Level | None) -> list[Change]:
        if fail_on is None:
            return []
        return [c for c in self.changes if c.level >= fail_on]

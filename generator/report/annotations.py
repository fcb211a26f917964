"""A finding as code review sees it: a rule, a level, a message, and where it is (a file, a
line and column when known, a JSON pointer). Every command turns its own findings into these;
`github.py` and `sarif.py` render them the same way for lint, diff and check.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Level(enum.StrEnum):
    """SARIF's level names; GitHub calls `note` a `notice`."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Location:
    """`file` as the user named it (relative to the working directory when inside it); `line`
    and `column` 1-based, None when the finding has no place in the file."""

    file: str
    line: int | None = None
    column: int | None = None
    pointer: str = ""


@dataclass(frozen=True)
class RuleInfo:
    """What a rule id means, for SARIF's rule table."""

    id: str
    summary: str = ""
    level: Level = Level.ERROR


@dataclass(frozen=True)
class Annotation:
    rule: str
    level: Level
    message: str
    title: str
    location: Location | None = None
    #: how many findings this one stands for (check folds a run's repeats into one)
    count: int = 1
    #: why it was accepted (diff's ignore file); accepted annotations are not shown in CI
    suppressed: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)

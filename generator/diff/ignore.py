"""`.apicontract-ignore.yaml`: known changes a team has accepted, each with a reason.

    ignore:
      - rule: response-enum-value-added
        operation: getFulfillment        # operationId or "METHOD /path"; "*" for every one
        location: response 200           # optional: the change's location starts with this
        reason: clients treat unknown states as "other" (JIRA-123)

Every entry needs `rule`, `operation` and a non-empty `reason`; an unknown rule id or key is an
input error (exit code 2), so a typo cannot silently accept nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.diff.model import Change
from generator.diff.rules import RULES
from generator.diff.schema import DiffInputError
from generator.load.parse import ParseError, parse_yaml

DEFAULT_IGNORE_FILE = ".apicontract-ignore.yaml"
_KEYS = {"rule", "operation", "location", "reason"}


@dataclass(frozen=True)
class IgnoreEntry:
    rule: str
    operation: str
    location: str | None
    reason: str
    where: str  # file:line, to point at unused entries

    def matches(self, change: Change) -> bool:
        if change.rule != self.rule:
            return False
        if self.operation not in ("*", change.operation, change.endpoint):
            return False
        return self.location is None or change.location.startswith(self.location)


def load_ignores(path: Path, display: str) -> list[IgnoreEntry]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DiffInputError(f"{display}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DiffInputError(f"{display}: not UTF-8 text") from None
    try:
        parsed = parse_yaml(text)
    except ParseError as exc:
        raise DiffInputError(f"{display}:{exc.line}:{exc.column}: {exc.message}") from None
    problems = parsed.findings(display)
    if problems:
        raise DiffInputError(problems[0].render())

    def line(pointer: str) -> int:
        return parsed.positions.get(pointer, (1, 1))[0]

    def fail(pointer: str, message: str) -> DiffInputError:
        return DiffInputError(f"{display}:{line(pointer)}: {message} [{pointer or '/'}]")

    data = parsed.data
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) - {"ignore"}:
        raise fail("", "expected a mapping with one key, `ignore`, holding a list of entries")
    entries = data.get("ignore") or []
    if not isinstance(entries, list):
        raise fail("/ignore", "expected a list of entries")
    result: list[IgnoreEntry] = []
    for index, entry in enumerate(entries):
        pointer = f"/ignore/{index}"
        if not isinstance(entry, dict):
            raise fail(pointer, "expected a mapping with rule, operation and reason")
        unknown = sorted(set(map(str, entry)) - _KEYS)
        if unknown:
            raise fail(pointer, f"unknown key {unknown[0]!r}; expected {', '.join(sorted(_KEYS))}")
        for key in ("rule", "operation", "reason"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise fail(
                    f"{pointer}/{key}" if key in entry else pointer,
                    f"`{key}` is required and must be a non-empty string",
                )
        if entry["rule"] not in RULES:
            raise fail(
                f"{pointer}/rule",
                f"unknown rule {entry['rule']!r} (see apicontract diff --list-rules)",
            )
        location = entry.get("location")
        if location is not None and not isinstance(location, str):
            raise fail(f"{pointer}/location", "`location` must be a string")
        result.append(
            IgnoreEntry(
                entry["rule"],
                entry["operation"],
                location,
                entry["reason"].strip(),
                f"{display}:{line(pointer)}",
            )
        )
    return result

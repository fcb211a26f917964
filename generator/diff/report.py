"""The four renderings of a diff result: text for people, JSON for tools, JUnit XML for CI test
tabs, and GitHub workflow commands that annotate the changed lines of a pull request.

Everything that comes from a spec (names, paths, patterns, enum values) is escaped for the
format it lands in; control characters never reach a terminal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from generator.contract.report.junit import attr, body
from generator.contract.report.text import clean
from generator.diff.ignore import IgnoreEntry
from generator.diff.model import Change, Side
from generator.diff.rules import Level
from generator.diff.source import GIT_PREFIX


@dataclass
class DiffResult:
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


def _ordered(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (-c.level, c.sort_key()))


def _where(side: Side | None) -> str:
    return "-" if side is None else f"{side.file}:{side.line} {side.pointer or '/'}"


def summary(result: DiffResult) -> str:
    counts = result.counts()
    text = ", ".join(f"{n} {label}" for label, n in counts.items() if label != "ignored")
    if counts["ignored"]:
        text += f" ({counts['ignored']} ignored)"
    return text


def render_text(result: DiffResult, fail_on: Level | None) -> str:
    lines = [clean(f"apicontract diff {result.old} -> {result.new}")]
    if not result.changes:
        lines.append(
            "no changes that affect callers"
            if not result.ignored
            else "no changes left after the ignore file"
        )
    for change in _ordered(result.changes):
        lines.append("")
        lines.append(
            clean(
                f"{change.level.label} {change.rule}: {change.operation}"
                + (f" ({change.endpoint})" if change.endpoint else "")
            )
        )
        if change.location:
            lines.append(clean(f"  at  {change.location}"))
        lines.append(clean(f"  old {_where(change.old)}"))
        lines.append(clean(f"  new {_where(change.new)}"))
        lines.append(clean(f"  {change.message}"))
    for entry in result.unused_ignores:
        lines.append("")
        lines.append(
            clean(
                f"note: {entry.where}: ignore entry for {entry.rule} / {entry.operation} "
                "matched no change"
            )
        )
    lines.append("")
    failing = len(result.failing(fail_on))
    verdict = "" if fail_on is None else f"; {failing} at or above {fail_on.label}"
    lines.append(f"summary: {summary(result)}{verdict}")
    return "\n".join(lines) + "\n"


SCHEMA_FILE = "diff-report.schema.json"


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `apicontract diff --format json`."""
    text = resources.files(__package__ or "generator.diff").joinpath(SCHEMA_FILE)
    data: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return data


def render_json(result: DiffResult, fail_on: Level | None) -> str:
    document: dict[str, Any] = {
        "old": result.old,
        "new": result.new,
        "fail_on": fail_on.label if fail_on else "never",
        "changes": [c.to_json() for c in _ordered(result.changes)],
        "ignored": [
            {**c.to_json(), "reason": e.reason, "ignore_entry": e.where} for c, e in result.ignored
        ],
        "unused_ignores": [
            {"rule": e.rule, "operation": e.operation, "location": e.location, "entry": e.where}
            for e in result.unused_ignores
        ],
        "summary": result.counts(),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_junit(result: DiffResult, fail_on: Level | None) -> str:
    changes = _ordered(result.changes)
    failing = result.failing(fail_on)
    failing_ids = {id(change) for change in failing}
    cases: list[str] = []
    for change in changes:
        name = attr(f"{change.rule} {change.location or change.endpoint}")
        classname = attr(change.operation)
        text = "\n".join(
            [
                change.message,
                f"at  {change.location}",
                f"old {_where(change.old)}",
                f"new {_where(change.new)}",
            ]
        )
        if id(change) in failing_ids:
            cases.append(
                f"    <testcase name={name} classname={classname}>\n"
                f"      <failure type={attr(change.rule)} "
                f"message={attr(change.level.label + ': ' + change.message)}>"
                f"{body(text)}</failure>\n    </testcase>"
            )
        else:
            cases.append(
                f"    <testcase name={name} classname={classname}>\n"
                f"      <system-out>{body(change.level.label + ': ' + text)}</system-out>\n"
                "    </testcase>"
            )
    if not cases:
        cases.append('    <testcase name="no breaking changes" classname="apicontract.diff"/>')
    suite = attr(f"apicontract diff {result.old} -> {result.new}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites>\n  <testsuite name={suite} tests="{len(cases)}" '
        f'failures="{len(failing)}" errors="0" skipped="0">\n'
        + "\n".join(cases)
        + "\n  </testsuite>\n</testsuites>\n"
    )


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _repo_path(file: str) -> str:
    """A file as GitHub knows it: a `git:REV:PATH` side is the file at PATH."""
    if file.startswith(GIT_PREFIX):
        return file[len(GIT_PREFIX) :].partition(":")[2]
    return file


_GH_LEVEL = {Level.BREAKING: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def render_github(result: DiffResult, fail_on: Level | None) -> str:
    lines: list[str] = []
    for change in _ordered(result.changes):
        side = change.new or change.old
        level = _GH_LEVEL[change.level]
        props = []
        if side is not None:
            props.append(f"file={_gh_property(_repo_path(side.file))}")
            props.append(f"line={side.line}")
        props.append(f"title={_gh_property(f'{change.rule} ({change.operation})')}")
        where = f"{change.endpoint} {change.location}".strip()
        lines.append(f"::{level} {','.join(props)}::{_gh_data(f'{where}: {change.message}')}")
    lines.append(clean(f"apicontract diff: {summary(result)}"))
    return "\n".join(lines) + "\n"


RENDERERS = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "github": render_github,
}

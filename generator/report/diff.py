"""The renderings of a diff result: text for people, JSON for tools, JUnit XML for CI test
tabs, GitHub workflow commands that annotate the changed lines of a pull request, and SARIF
for code scanning (accepted changes as suppressed results, with the ignore file's reason).

Everything that comes from a spec (names, paths, patterns, enum values) is escaped for the
format it lands in; control characters never reach a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from generator.diff.model import Change, DiffResult, Side
from generator.diff.rules import RULES, Level
from generator.diff.source import GIT_PREFIX
from generator.report.annotations import Annotation, Location, RuleInfo
from generator.report.annotations import Level as AnnotationLevel
from generator.report.escape import clean, xml_attr, xml_text
from generator.report.github import render_github as github_commands
from generator.report.sarif import render_sarif as sarif_document

__all__ = ["RENDERERS", "DiffResult", "report_schema"]


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
    text = resources.files("generator.report").joinpath(SCHEMA_FILE)
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
        name = xml_attr(f"{change.rule} {change.location or change.endpoint}")
        classname = xml_attr(change.operation)
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
                f"      <failure type={xml_attr(change.rule)} "
                f"message={xml_attr(change.level.label + ': ' + change.message)}>"
                f"{xml_text(text)}</failure>\n    </testcase>"
            )
        else:
            cases.append(
                f"    <testcase name={name} classname={classname}>\n"
                f"      <system-out>{xml_text(change.level.label + ': ' + text)}</system-out>\n"
                "    </testcase>"
            )
    if not cases:
        cases.append('    <testcase name="no breaking changes" classname="apicontract.diff"/>')
    suite = xml_attr(f"apicontract diff {result.old} -> {result.new}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites>\n  <testsuite name={suite} tests="{len(cases)}" '
        f'failures="{len(failing)}" errors="0" skipped="0">\n'
        + "\n".join(cases)
        + "\n  </testsuite>\n</testsuites>\n"
    )


def _repo_path(file: str) -> str:
    """A file as GitHub knows it: a `git:REV:PATH` side is the file at PATH."""
    if file.startswith(GIT_PREFIX):
        return file[len(GIT_PREFIX) :].partition(":")[2]
    return file


_LEVEL = {
    Level.BREAKING: AnnotationLevel.ERROR,
    Level.WARNING: AnnotationLevel.WARNING,
    Level.INFO: AnnotationLevel.NOTE,
}


def _annotation(change: Change, suppressed: str | None = None) -> Annotation:
    side = change.new or change.old
    where = f"{change.endpoint} {change.location}".strip()
    return Annotation(
        rule=change.rule,
        level=_LEVEL[change.level],
        message=f"{where}: {change.message}",
        title=f"{change.rule} ({change.operation})",
        location=(
            None if side is None else Location(_repo_path(side.file), side.line, None, side.pointer)
        ),
        suppressed=suppressed,
        properties={"operation": change.operation, "severity": change.level.label},
    )


def render_github(result: DiffResult, fail_on: Level | None) -> str:
    annotations = [_annotation(change) for change in _ordered(result.changes)]
    return github_commands(annotations, f"apicontract diff: {summary(result)}")


def rule_table() -> list[RuleInfo]:
    return [RuleInfo(rule.id, rule.explanation, _LEVEL[rule.level]) for rule in RULES.values()]


def render_sarif(result: DiffResult, fail_on: Level | None) -> str:
    annotations = [_annotation(change) for change in _ordered(result.changes)]
    annotations += [
        _annotation(change, entry.reason)
        for change, entry in sorted(result.ignored, key=lambda pair: pair[0].sort_key())
    ]
    return sarif_document("diff", rule_table(), annotations)


RENDERERS: dict[str, Callable[[DiffResult, Level | None], str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "github": render_github,
    "sarif": render_sarif,
}

"""How `apicontract lint` results are written: one line per finding plus a summary (text), one
JSON object, JUnit XML (a suite per spec, a test case per finding, errors failing), GitHub
workflow annotations on the finding's line, or SARIF."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from generator.cache import shown_cache_dir
from generator.findings import Finding, Severity
from generator.lint.engine import LintReport
from generator.report.annotations import Annotation, Level, Location
from generator.report.escape import xml_attr, xml_text
from generator.report.github import render_github
from generator.report.sarif import render_sarif

LEVELS = {Severity.ERROR: Level.ERROR, Severity.WARNING: Level.WARNING, Severity.INFO: Level.NOTE}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(reports: Sequence[LintReport]) -> str:
    counts = {s: 0 for s in Severity}
    for report in reports:
        for finding in report.findings:
            counts[finding.severity] += 1
    cached = sum(1 for r in reports if r.cached)
    unreadable = sum(1 for r in reports if r.unreadable)
    return (
        f"{_plural(len(reports), 'file')} checked"
        + (f" ({cached} unchanged, from cache in {shown_cache_dir()})" if cached else "")
        + (f", {unreadable} unreadable" if unreadable else "")
        + f": {_plural(counts[Severity.ERROR], 'error')}, "
        + f"{_plural(counts[Severity.WARNING], 'warning')}, {counts[Severity.INFO]} info"
    )


def render_text(reports: Sequence[LintReport]) -> str:
    lines = [finding.render() for report in reports for finding in report.findings]
    lines.append(summary(reports))
    return "\n".join(lines) + "\n"


def render_json(reports: Sequence[LintReport]) -> str:
    findings = [f.to_json() for report in reports for f in report.findings]
    return json.dumps({"findings": findings}, indent=2, ensure_ascii=False) + "\n"


def _case(report: LintReport, finding: Finding) -> str:
    name = xml_attr(f"{finding.rule} {finding.line}:{finding.column}")
    classname = xml_attr(report.file)
    text = xml_text(finding.render())
    if report.unreadable:
        return (
            f"    <testcase name={name} classname={classname}>\n"
            f"      <error type={xml_attr(finding.rule)} message={xml_attr(finding.message)}>"
            f"{text}</error>\n    </testcase>"
        )
    if finding.severity is Severity.ERROR:
        return (
            f"    <testcase name={name} classname={classname}>\n"
            f"      <failure type={xml_attr(finding.rule)} message={xml_attr(finding.message)}>"
            f"{text}</failure>\n    </testcase>"
        )
    return (
        f"    <testcase name={name} classname={classname}>\n"
        f"      <system-out>{text}</system-out>\n    </testcase>"
    )


def render_junit(reports: Sequence[LintReport]) -> str:
    suites: list[str] = []
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for report in reports:
        cases = [_case(report, finding) for finding in report.findings]
        if not cases:
            cases.append(f'    <testcase name="lint" classname={xml_attr(report.file)}/>')
        errors = len(report.findings) if report.unreadable else 0
        failures = 0 if report.unreadable else report.errors
        totals["tests"] += len(cases)
        totals["failures"] += failures
        totals["errors"] += errors
        suites.append(
            f'  <testsuite name={xml_attr(report.file)} tests="{len(cases)}" '
            f'failures="{failures}" errors="{errors}" skipped="0">\n'
            + "\n".join(cases)
            + "\n  </testsuite>"
        )
    head = (
        f'<testsuites name="apicontract lint" tests="{totals["tests"]}" '
        f'failures="{totals["failures"]}" errors="{totals["errors"]}">'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + "\n".join([head, *suites])
        + ("\n</testsuites>\n")
    )


def lint_annotations(reports: Sequence[LintReport]) -> list[Annotation]:
    return [
        Annotation(
            rule=finding.rule,
            level=LEVELS[finding.severity],
            message=finding.message + (f" [{finding.pointer}]" if finding.pointer else ""),
            title=f"apicontract lint: {finding.rule}",
            location=Location(finding.file, finding.line, finding.column, finding.pointer),
        )
        for report in reports
        for finding in report.findings
    ]


def render_github_report(reports: Sequence[LintReport]) -> str:
    return render_github(lint_annotations(reports), f"apicontract lint: {summary(reports)}")


def render_sarif_report(reports: Sequence[LintReport]) -> str:
    return render_sarif("lint", (), lint_annotations(reports))


RENDERERS: dict[str, Callable[[Sequence[LintReport]], str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "github": render_github_report,
    "sarif": render_sarif_report,
}


def exit_code(reports: Sequence[LintReport]) -> int:
    if any(r.unreadable for r in reports):
        return 2
    return 1 if any(r.errors for r in reports) else 0

"""How lint results are printed: one line per finding plus a summary, or one JSON object."""

from __future__ import annotations

import json
from collections.abc import Sequence

from generator.cache import shown_cache_dir
from generator.findings import Severity
from generator.lint.engine import LintReport


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(reports: Sequence[LintReport]) -> str:
    lines = [finding.render() for report in reports for finding in report.findings]
    counts = {s: 0 for s in Severity}
    for report in reports:
        for finding in report.findings:
            counts[finding.severity] += 1
    cached = sum(1 for r in reports if r.cached)
    unreadable = sum(1 for r in reports if r.unreadable)
    summary = (
        f"{_plural(len(reports), 'file')} checked"
        + (f" ({cached} unchanged, from cache in {shown_cache_dir()})" if cached else "")
        + (f", {unreadable} unreadable" if unreadable else "")
        + f": {_plural(counts[Severity.ERROR], 'error')}, "
        + f"{_plural(counts[Severity.WARNING], 'warning')}, {counts[Severity.INFO]} info"
    )
    lines.append(summary)
    return "\n".join(lines) + "\n"


def render_json(reports: Sequence[LintReport]) -> str:
    findings = [f.to_json() for report in reports for f in report.findings]
    return json.dumps({"findings": findings}, indent=2, ensure_ascii=False) + "\n"


def exit_code(reports: Sequence[LintReport]) -> int:
    if any(r.unreadable for r in reports):
        return 2
    return 1 if any(r.errors for r in reports) else 0

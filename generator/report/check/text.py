"""The text report reads like a diff: for each exchange that does not conform, a header line,
then per finding where it is (`@`), what the spec expects (`-`) and what the traffic has (`+`).

    #1 POST /v2/fulfillments/bulk_create?page_size=100 (createFulfillments, no response)
    @ request query /page_size: out_of_range: 100 is greater than the maximum of 99 [#/...]
    - expected: <= 99
    + actual: 100

Colour only when the caller says so (a terminal, and NO_COLOR unset). Control characters from
the traffic are escaped, never sent to the terminal.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from generator.contract.findings import ContractFinding, ExchangeResult, Kind
from generator.report.check import Counts
from generator.report.escape import clean, shorten

BOLD, RED, GREEN, CYAN, DIM, RESET = (
    "\x1b[1m",
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[36m",
    "\x1b[2m",
    "\x1b[0m",
)
_ABSENT_KINDS = (Kind.MISSING_REQUIRED, Kind.MISSING_PARAMETER, Kind.WRONG_CONTENT_TYPE)


def render_value(value: Any, *, raw_strings: bool) -> str:
    if isinstance(value, str) and raw_strings:
        return shorten(clean(value))
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return shorten(clean(text))


def is_invalid_input(result: ExchangeResult) -> bool:
    return not result.method and any(f.kind is Kind.INVALID_INPUT for f in result.findings)


def title(result: ExchangeResult) -> str:
    """`#index METHOD URL`, as used by every report."""
    parts = [f"#{result.index}", result.method, result.url]
    return clean(" ".join(p for p in parts if p))


def detail(result: ExchangeResult) -> str:
    if is_invalid_input(result):
        return "invalid input"
    status = "no response" if result.status is None else str(result.status)
    return f"{result.operation or 'undocumented'}, {status}"


def finding_lines(finding: ContractFinding, *, color: bool = False) -> list[str]:
    where = " ".join(p for p in (finding.location, finding.part.value, finding.pointer) if p)
    spec = f" [{finding.schema_pointer}]" if finding.schema_pointer else ""
    actual = (
        "(absent)"
        if finding.actual is None and finding.kind in _ABSENT_KINDS
        else render_value(finding.actual, raw_strings=finding.kind is Kind.WRONG_TYPE)
    )
    lines = [
        f"@ {clean(where)}: {finding.kind.value}: {clean(finding.message)}{clean(spec)}",
        f"- expected: {render_value(finding.expected, raw_strings=True)}",
        f"+ actual: {actual}",
    ]
    if color:
        lines = [f"{c}{line}{RESET}" for c, line in zip((CYAN, RED, GREEN), lines, strict=True)]
    return lines


def summary(counts: Counts) -> str:
    return (
        f"{counts.exchanges} exchanges, {counts.conforming} conforming, {counts.findings} findings"
    )


class TextReporter:
    def __init__(self, out: TextIO, *, color: bool = False) -> None:
        self.out = out
        self.color = color
        self._written = False

    def add(self, result: ExchangeResult) -> None:
        if result.conforms:
            return
        header = f"{title(result)} ({clean(detail(result))})"
        lines = [f"{BOLD}{header}{RESET}" if self.color else header]
        for finding in result.findings:
            lines.extend(finding_lines(finding, color=self.color))
        self.out.write(("\n" if self._written else "") + "\n".join(lines) + "\n")
        self._written = True

    def finish(self, counts: Counts) -> None:
        line = summary(counts)
        if self.color:
            line = f"{BOLD}{GREEN if counts.conforms else RED}{line}{RESET}"
        self.out.write(("\n" if self._written else "") + line + "\n")
        self.out.flush()

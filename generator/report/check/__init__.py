"""How `apicontract check` results are written: text (a diff per exchange), one JSON object,
JUnit XML, GitHub workflow annotations and SARIF (findings folded per spec location), or one
self-contained HTML page. Every reporter takes results one at a time (`add`) and writes the
report at the end (`finish`), spooling to disk what it must keep, so a run of any length is
reported in bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from generator.contract.findings import ContractFinding, ExchangeResult
from generator.report import CHECK_FORMATS

if TYPE_CHECKING:
    from generator.report.annotations import Location

FORMATS = CHECK_FORMATS

#: where a finding sits in the spec (file, line, column), when it has a place there
Locator = Callable[[ContractFinding], "Location | None"]


@dataclass
class Counts:
    """What a run has seen so far."""

    exchanges: int = 0
    conforming: int = 0
    findings: int = 0

    def add(self, result: ExchangeResult) -> None:
        self.exchanges += 1
        if result.conforms:
            self.conforming += 1
        self.findings += len(result.findings)

    @property
    def conforms(self) -> bool:
        return self.findings == 0


class Reporter(Protocol):
    def add(self, result: ExchangeResult) -> None: ...

    def finish(self, counts: Counts) -> None: ...


def _nowhere(finding: ContractFinding) -> Location | None:
    return None


def make_reporter(
    fmt: str,
    out: TextIO,
    *,
    spec: str,
    color: bool = False,
    locate: Locator | None = None,
) -> Reporter:
    """`locate` places findings in the spec for the github and sarif formats."""
    if fmt == "json":
        from generator.report.check.json_report import JsonReporter

        return JsonReporter(out, spec)
    if fmt == "junit":
        from generator.report.check.junit import JunitReporter

        return JunitReporter(out, spec)
    if fmt == "text":
        from generator.report.check.text import TextReporter

        return TextReporter(out, color=color)
    if fmt in ("github", "sarif"):
        from generator.report.check.annotate import AnnotationReporter

        return AnnotationReporter(out, fmt, locate or _nowhere)
    if fmt == "html":
        from generator.report.check.html import HtmlReporter

        return HtmlReporter(out, spec)
    raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")


__all__ = ["FORMATS", "Counts", "Locator", "Reporter", "make_reporter"]

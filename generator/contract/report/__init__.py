"""How `apicontract check` results are written: text (a diff per exchange), one JSON object,
or JUnit XML. Every reporter takes results one at a time (`add`) and writes the end of the
report (`finish`), so a run of any length is reported without keeping its exchanges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TextIO

from generator.contract.findings import ExchangeResult

FORMATS = ("text", "json", "junit")


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


def make_reporter(fmt: str, out: TextIO, *, spec: str, color: bool = False) -> Reporter:
    if fmt == "json":
        from generator.contract.report.json_report import JsonReporter

        return JsonReporter(out, spec)
    if fmt == "junit":
        from generator.contract.report.junit import JunitReporter

        return JunitReporter(out, spec)
    if fmt == "text":
        from generator.contract.report.text import TextReporter

        return TextReporter(out, color=color)
    raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")


__all__ = ["FORMATS", "Counts", "Reporter", "make_reporter"]

"""The JUnit XML report: one testcase per exchange (name `#index METHOD URL`, classname the
operationId or "undocumented"); a non-conforming exchange fails with its findings as text.

Test cases are spooled as they arrive and written after the suite header, whose counts are
only known at the end. Everything from the traffic is escaped; characters XML 1.0 cannot
carry at all are written as `\\uXXXX`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from typing import TextIO

from generator.contract.findings import ExchangeResult
from generator.report.check import Counts
from generator.report.check.text import detail, finding_lines, title
from generator.report.escape import xml_attr as attr
from generator.report.escape import xml_text as body

_SPOOL_BYTES = 8 << 20


class JunitReporter:
    def __init__(self, out: TextIO, spec: str) -> None:
        self.out = out
        self.spec = spec
        self.started = time.monotonic()
        self._spool = tempfile.SpooledTemporaryFile(
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8"
        )

    def add(self, result: ExchangeResult) -> None:
        name = attr(title(result))
        classname = attr(result.operation or "undocumented")
        if result.conforms:
            self._spool.write(f"    <testcase name={name} classname={classname}/>\n")
            return
        count = len(result.findings)
        first = result.findings[0]
        message = f"{count} finding{'s' if count != 1 else ''}: {first.message}"
        lines = [f"{title(result)} ({detail(result)})"]
        for finding in result.findings:
            lines.extend(finding_lines(finding))
        self._spool.write(
            f"    <testcase name={name} classname={classname}>\n"
            f"      <failure message={attr(message)} type={attr(first.kind.value)}>"
            f"{body(chr(10).join(lines))}</failure>\n"
            "    </testcase>\n"
        )

    def finish(self, counts: Counts) -> None:
        failures = counts.exchanges - counts.conforming
        elapsed = f"{time.monotonic() - self.started:.3f}"
        totals = f'tests="{counts.exchanges}" failures="{failures}" errors="0" time="{elapsed}"'
        out = self.out
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f'<testsuites name="apicontract check" {totals}>\n')
        out.write(f'  <testsuite name={attr(self.spec)} {totals} skipped="0">\n')
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, out)
        self._spool.close()
        out.write("  </testsuite>\n</testsuites>\n")
        out.flush()

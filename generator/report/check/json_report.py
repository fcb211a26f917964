"""The JSON report: one object, `{"spec", "exchanges", "conforming", "findings": [...]}`,
described by generator/report/check-report.schema.json (shipped, `report_schema()`).

Findings are spooled (memory, then a temporary file past a few megabytes) as they arrive, so
the counts can come first without keeping the run in memory.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from functools import cache
from importlib import resources
from typing import Any, TextIO

from generator.contract.findings import ExchangeResult
from generator.report.check import Counts

SCHEMA_FILE = "check-report.schema.json"
_SPOOL_BYTES = 8 << 20


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `apicontract check --format json`."""
    text = resources.files("generator.report").joinpath(SCHEMA_FILE)
    data: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return data


def _finite(value: Any) -> Any:
    """NaN and infinities are not JSON: written as strings ("NaN", "Infinity")."""
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _dumps(value: Any, indent: str) -> str:
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(value), indent=2, ensure_ascii=False, default=str)
    return "\n".join(indent + line for line in text.splitlines())


class JsonReporter:
    def __init__(self, out: TextIO, spec: str) -> None:
        self.out = out
        self.spec = spec
        self._spool = tempfile.SpooledTemporaryFile(
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8"
        )
        self._any = False

    def add(self, result: ExchangeResult) -> None:
        for finding in result.findings:
            self._spool.write((",\n" if self._any else "") + _dumps(finding.to_json(), "    "))
            self._any = True

    def finish(self, counts: Counts) -> None:
        out = self.out
        out.write("{\n")
        out.write(f'  "spec": {json.dumps(self.spec, ensure_ascii=False)},\n')
        out.write(f'  "exchanges": {counts.exchanges},\n')
        out.write(f'  "conforming": {counts.conforming},\n')
        if not self._any:
            out.write('  "findings": []\n}\n')
        else:
            out.write('  "findings": [\n')
            self._spool.seek(0)
            shutil.copyfileobj(self._spool, out)
            out.write("\n  ]\n}\n")
        self._spool.close()
        out.flush()

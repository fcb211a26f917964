"""`check --format html`: one self-contained page to open from a CI artifact, offline.

No external scripts, styles, fonts or images: the page carries its own CSS and JavaScript
(report.css and report.js beside this module) and a Content-Security-Policy that allows only
those two, by hash, so nothing the traffic holds can make the browser load or run anything.

The page shows the totals, the findings grouped by operation and kind with counts and a bar
chart, and every non-conforming exchange with its findings as the text report prints them,
filterable by operation and kind. The exchanges travel as JSON inside the page and are turned
into rows only as the reader scrolls, so a report of 100,000 findings opens quickly. On the
Python side, exchanges are spooled to a temporary file as they arrive; only the counts per
operation and kind stay in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import tempfile
from functools import cache
from importlib import resources
from typing import TextIO

from generator.contract.findings import ExchangeResult
from generator.report.check import Counts
from generator.report.check.text import detail, finding_lines, is_invalid_input, title
from generator.report.escape import html_text

_SPOOL_BYTES = 8 << 20
BAR_WIDTH = 160


@cache
def _asset(name: str) -> str:
    return (
        resources.files(__package__ or "generator.report.check")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _script_json(value: object) -> str:
    """JSON safe inside <script>: ASCII only, and no `<` that could close the element."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")


def operation_label(result: ExchangeResult) -> str:
    if result.operation:
        return result.operation
    return "(invalid input)" if is_invalid_input(result) else "(undocumented)"


class HtmlReporter:
    def __init__(self, out: TextIO, spec: str) -> None:
        self.out = out
        self.spec = spec
        self.groups: dict[tuple[str, str], int] = {}
        self._spool = tempfile.SpooledTemporaryFile(
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8"
        )
        self._any = False

    def add(self, result: ExchangeResult) -> None:
        if result.conforms:
            return
        operation = operation_label(result)
        findings = []
        for finding in result.findings:
            key = (operation, finding.kind.value)
            self.groups[key] = self.groups.get(key, 0) + 1
            findings.append([finding.kind.value, *finding_lines(finding)])
        row = [result.index, title(result), detail(result), operation, findings]
        self._spool.write(("," if self._any else "") + _script_json(row) + "\n")
        self._any = True

    # -- the page ------------------------------------------------------------------------------
    def _totals(self, counts: Counts) -> str:
        cells = [
            ("exchanges", "exchanges", counts.exchanges),
            ("conforming", "conforming", counts.conforming),
            ("failing", "not conforming", counts.exchanges - counts.conforming),
            ("findings", "findings", counts.findings),
        ]
        items = "".join(
            f'<div class="total total-{key}"><dt>{label}</dt>'
            f'<dd id="total-{key}">{value}</dd></div>'
            for key, label, value in cells
        )
        return f'<dl class="totals">{items}</dl>'

    def _groups(self) -> str:
        if not self.groups:
            return '<p class="none">Every exchange conforms to the spec.</p>'
        by_operation: dict[str, dict[str, int]] = {}
        for (operation, kind), count in self.groups.items():
            by_operation.setdefault(operation, {})[kind] = count
        top = max(self.groups.values())
        rows = []
        for operation, kinds in sorted(
            by_operation.items(), key=lambda item: (-sum(item[1].values()), item[0])
        ):
            total = sum(kinds.values())
            op = html_text(operation)
            rows.append(
                f'<tr class="operation" data-operation="{op}" data-kind="">'
                f'<th scope="rowgroup" colspan="2">{op}</th>'
                f'<td class="count">{total}</td><td></td></tr>'
            )
            for kind, count in sorted(kinds.items(), key=lambda item: (-item[1], item[0])):
                width = max(1, round(BAR_WIDTH * count / top))
                rows.append(
                    f'<tr class="group" data-operation="{op}" data-kind="{html_text(kind)}">'
                    f'<td></td><td class="kind">{html_text(kind)}</td>'
                    f'<td class="count">{count}</td>'
                    f'<td class="bar"><svg width="{BAR_WIDTH}" height="12" role="img" '
                    f'aria-label="{count}"><rect width="{width}" height="12"/></svg></td></tr>'
                )
        return (
            '<table id="groups"><thead><tr><th>operation</th><th>kind</th><th>findings</th>'
            "<th></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        )

    def _select(self, name: str, values: dict[str, int]) -> str:
        options = [f'<option value="">every {name}</option>']
        for value, count in sorted(values.items()):
            options.append(
                f'<option value="{html_text(value)}">{html_text(value)} ({count})</option>'
            )
        return (
            f'<label>{name} <select id="filter-{name}" name="{name}">'
            + "".join(options)
            + "</select></label>"
        )

    def finish(self, counts: Counts) -> None:
        css, script = _asset("report.css"), _asset("report.js")
        policy = (
            "default-src 'none'; "
            f"script-src 'sha256-{_digest(script)}'; style-src 'sha256-{_digest(css)}'; "
            "img-src 'none'; font-src 'none'; connect-src 'none'; "
            "base-uri 'none'; form-action 'none'"
        )
        operations: dict[str, int] = {}
        kinds: dict[str, int] = {}
        for (operation, kind), count in self.groups.items():
            operations[operation] = operations.get(operation, 0) + count
            kinds[kind] = kinds.get(kind, 0) + count
        spec = html_text(self.spec)
        out = self.out
        out.write(
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>apicontract check: {spec}</title>\n"
            f"<style>{css}</style>\n</head>\n<body>\n"
            f'<header><h1>apicontract check</h1><p class="spec">spec <code>{spec}</code></p>'
            f"{self._totals(counts)}</header>\n"
            "<main>\n<section><h2>Findings by operation and kind</h2>\n"
            f"{self._groups()}\n</section>\n"
            '<section><h2>Exchanges that do not conform</h2>\n<form id="filters">'
            f"{self._select('operation', operations)}{self._select('kind', kinds)}"
            '<button type="button" id="filter-clear">show all</button></form>\n'
            '<p id="status" role="status"></p>\n<div id="exchanges"></div>\n'
            '<div id="more"></div>\n<noscript>The list of exchanges needs JavaScript; '
            "the JSON and text reports carry the same findings.</noscript>\n</section>\n"
            "</main>\n"
            '<script type="application/json" id="report-data">['
        )
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, out)
        self._spool.close()
        out.write(f"]</script>\n<script>{script}</script>\n</body>\n</html>\n")
        out.flush()

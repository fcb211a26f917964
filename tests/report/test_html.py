"""`apicontract check --format html`: the page is opened in a real headless Chromium. Its
totals and groups must equal the JSON report's, filtering must work, rows must be rendered
lazily (100,000 findings), and the page must make no network request at all, whatever the
traffic holds."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRunner
from tests.contract.test_check_cli import (
    AUTH,
    JSON_CT,
    OLI,
    QS_BAD,
    QS_FORMATS,
    QS_GOOD,
    QS_TEAPOT,
    jsonl,
)

QS = "specs/quickstart/fulfillments.yaml"
V1 = "specs/v1/fulfillments.yaml"

pytestmark = pytest.mark.browser


class Tripwire:
    """An HTTP server on 127.0.0.1 that counts every request: the hostile traffic points
    images, scripts, styles and frames at it."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = hits
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Tripwire:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    with Tripwire() as wire:
        yield wire


def hostile_exchanges(base: str) -> list[Any]:
    markup = (
        f'<img src="{base}/img"><script src="{base}/js"></script>'
        f'<link rel="stylesheet" href="{base}/css"><iframe src="{base}/frame"></iframe>'
        f"<style>@import url({base}/import);</style></script><script>fetch('{base}/fetch')"
        "</script><!--"
    )
    return [
        {"request": {"method": "GET", "url": f"/x?q={markup}", "headers": AUTH}},
        {
            "request": {
                "method": "POST",
                "url": "/v2/fulfillments",
                "headers": {**JSON_CT, **AUTH},
                "body": {
                    "order_line_item_id": OLI,
                    "fulfillment_date": "2024-03-01",
                    "quantity": 1,
                    markup: markup,
                },
            }
        },
        f"{{{markup}",
    ]


def open_report(context: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """The page, every URL it requested, and every console message or page error."""
    page = context.new_page()
    requests: list[str] = []
    messages: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    return page, requests, messages


def group_key(finding: dict[str, Any]) -> tuple[str, str]:
    if finding["operation"]:
        operation = finding["operation"]
    elif finding["kind"] == "invalid_input":
        operation = "(invalid input)"
    else:
        operation = "(undocumented)"
    return operation, finding["kind"]


def reports(cli: CliRunner, spec: str, traffic: Path, tmp: Path) -> tuple[Path, dict[str, Any]]:
    page = tmp / "report.html"
    done = cli("check", spec, traffic, "--format", "html", "--output", page, timeout=600)
    assert done.returncode == 1, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    data = cli("check", spec, traffic, "--format", "json", timeout=600)
    return page, json.loads(data.stdout)


def shown_totals(page: Any) -> dict[str, int]:
    return {
        key: int(page.text_content(f"#total-{key}"))
        for key in ("exchanges", "conforming", "failing", "findings")
    }


def shown_groups(page: Any) -> dict[tuple[str, str], int]:
    rows = page.eval_on_selector_all(
        "#groups tr.group",
        "rows => rows.map(r => [r.dataset.operation, r.dataset.kind,"
        " r.querySelector('.count').textContent])",
    )
    return {(op, kind): int(count) for op, kind, count in rows}


def status(page: Any) -> dict[str, int]:
    data = page.eval_on_selector("#status", "s => Object.assign({}, s.dataset)")
    return {key: int(value) for key, value in data.items()}


def test_totals_groups_and_text_equal_the_other_reports(
    cli: CliRunner, chromium: Any, tmp_path: Path, tripwire: Tripwire
) -> None:
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text(
        jsonl(QS_GOOD, QS_BAD, QS_TEAPOT, QS_FORMATS, *hostile_exchanges(tripwire.url), QS_GOOD)
    )
    path, report = reports(cli, QS, traffic, tmp_path)
    assert 'src="http' not in path.read_text()  # the markup travels as data, never as markup
    page, requests, messages = open_report(chromium, path)
    try:
        findings = report["findings"]
        failing = len({f["exchange"] for f in findings})
        assert shown_totals(page) == {
            "exchanges": report["exchanges"],
            "conforming": report["conforming"],
            "failing": report["exchanges"] - report["conforming"],
            "findings": len(findings),
        }
        assert shown_groups(page) == dict(Counter(group_key(f) for f in findings))
        assert status(page) == {"exchanges": failing, "findings": len(findings), "shown": failing}
        # each exchange reads as the text report prints it
        text = cli("check", QS, traffic).stdout
        blocks = text.strip().split("\n\n")[:-1]
        articles = page.eval_on_selector_all(
            "#exchanges article",
            "items => items.map(a => a.querySelector('h3').textContent + '\\n' +"
            " a.querySelector('pre').textContent.trimEnd())",
        )
        assert articles == blocks
        # nothing from the traffic became markup, and the page asked the network for nothing
        assert (
            page.eval_on_selector_all("#exchanges img, #exchanges script, iframe", "e => e.length")
            == 0
        )
        assert "<img src=" in page.text_content("#exchanges")
    finally:
        page.close()
    assert requests == [path.as_uri()]
    assert tripwire.hits == []
    assert messages == []  # no script error, no refused load (CSP reports those here)


def test_filters_by_operation_and_kind(cli: CliRunner, chromium: Any, tmp_path: Path) -> None:
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text(jsonl(QS_BAD, QS_TEAPOT, QS_FORMATS, QS_BAD, QS_GOOD, QS_FORMATS, "7"))
    path, report = reports(cli, QS, traffic, tmp_path)
    findings = report["findings"]
    page, requests, messages = open_report(chromium, path)
    try:
        page.select_option("#filter-operation", "getFulfillment")
        wanted = [f for f in findings if f["operation"] == "getFulfillment"]
        assert status(page)["exchanges"] == len({f["exchange"] for f in wanted})
        assert status(page)["findings"] == len(wanted)
        operations = page.eval_on_selector_all(
            "#exchanges article", "items => items.map(a => a.dataset.operation)"
        )
        assert operations and set(operations) == {"getFulfillment"}

        page.select_option("#filter-kind", "bad_format")
        wanted = [f for f in wanted if f["kind"] == "bad_format"]
        assert status(page)["findings"] == len(wanted) > 0
        kinds = page.eval_on_selector_all(
            "#exchanges pre span", "spans => spans.map(s => s.dataset.kind)"
        )
        assert set(kinds) == {"bad_format"} and len(kinds) == 3 * len(wanted)
        notes = page.eval_on_selector_all("#exchanges .hidden-note", "n => n.length")
        assert notes == status(page)["exchanges"]  # each also has an out_of_range finding

        page.click("#filter-clear")
        assert status(page)["findings"] == len(findings)

        # a row of the grouped table filters on its operation and kind
        page.click('#groups tr.group[data-operation="createFulfillments"][data-kind="wrong_type"]')
        assert page.input_value("#filter-operation") == "createFulfillments"
        assert page.input_value("#filter-kind") == "wrong_type"
        wanted = [f for f in findings if group_key(f) == ("createFulfillments", "wrong_type")]
        assert status(page)["findings"] == len(wanted) == 2
        assert page.eval_on_selector_all("#groups tr.selected", "r => r.length") == 1

        page.select_option("#filter-operation", "(invalid input)")
        page.select_option("#filter-kind", "")
        assert status(page) == {"exchanges": 1, "findings": 1, "shown": 1}
    finally:
        page.close()
    assert requests == [path.as_uri()] and messages == []


def test_a_conforming_run_says_so(cli: CliRunner, chromium: Any, tmp_path: Path) -> None:
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text(jsonl(QS_GOOD, QS_GOOD))
    page_path = tmp_path / "ok.html"
    assert cli("check", QS, traffic, "--format", "html", "--output", page_path).returncode == 0
    page, requests, messages = open_report(chromium, page_path)
    try:
        assert shown_totals(page) == {"exchanges": 2, "conforming": 2, "failing": 0, "findings": 0}
        assert "Every exchange conforms" in page.text_content("main")
        assert status(page) == {"exchanges": 0, "findings": 0, "shown": 0}
    finally:
        page.close()
    assert requests == [page_path.as_uri()] and messages == []


def bulk_traffic(path: Path, exchanges: int, items: int) -> None:
    """Quickstart bulk creates whose every item has a wrong type and a bad date: two findings
    per item."""
    bad = {"order_line_item_id": OLI, "fulfillment_date": "2024-13-01", "quantity": "2"}
    line = json.dumps(
        {
            "request": {
                "method": "POST",
                "url": "/v2/fulfillments/bulk_create",
                "headers": {**JSON_CT, **AUTH},
                "body": {"data": [bad] * items},
            }
        }
    )
    teapot = json.dumps(QS_TEAPOT)
    with path.open("w") as out:
        for n in range(exchanges):
            out.write((teapot if n % 100 == 99 else line) + "\n")


@pytest.mark.slow
def test_100000_findings_render_lazily(cli: CliRunner, chromium: Any, tmp_path: Path) -> None:
    traffic = tmp_path / "big.jsonl"
    bulk_traffic(traffic, 10_100, 5)
    path, report = reports(cli, QS, traffic, tmp_path)
    findings = report["findings"]
    assert len(findings) >= 100_000
    page, requests, messages = open_report(chromium, path)
    try:
        assert shown_totals(page)["findings"] == len(findings)
        assert shown_totals(page)["exchanges"] == 10_100
        first = status(page)
        assert first["exchanges"] == 10_100 and first["findings"] == len(findings)
        rendered = page.eval_on_selector_all("#exchanges article", "a => a.length")
        assert rendered == first["shown"] and 0 < rendered <= 300  # not 10,100 rows
        for _ in range(3):
            page.keyboard.press("End")  # the reader jumps to the bottom of what is there
            page.wait_for_function(
                "n => document.querySelectorAll('#exchanges article').length > n", arg=rendered
            )
            now = page.eval_on_selector_all("#exchanges article", "a => a.length")
            assert rendered < now < 10_100
            rendered = now
        page.select_option("#filter-kind", "undocumented_status")
        teapots = sum(1 for f in findings if f["kind"] == "undocumented_status")
        filtered = status(page)
        assert filtered["exchanges"] == filtered["findings"] == teapots == 101
        assert 0 < filtered["shown"] <= teapots
        page.keyboard.press("End")
        page.wait_for_function(
            "n => document.querySelectorAll('#exchanges article').length === n", arg=teapots
        )
        page.select_option("#filter-kind", "wrong_type")
        wrong = sum(1 for f in findings if f["kind"] == "wrong_type")
        assert status(page)["findings"] == wrong == 5 * (10_100 - teapots)
        assert page.eval_on_selector_all("#exchanges article", "a => a.length") <= 300
    finally:
        page.close()
    assert requests == [path.as_uri()] and messages == []

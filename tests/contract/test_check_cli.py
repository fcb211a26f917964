"""`apicontract check SPEC TRAFFIC...` as a user runs it: JSONL, HAR and stdin traffic from real
Zuora cases, every report format and exit code, --output, --jobs."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from generator.contract.findings import Kind, Part
from generator.report.check.json_report import report_schema
from tests.conftest import ROOT, CliRunner

QS = "specs/quickstart/fulfillments.yaml"
V1 = "specs/v1/fulfillments.yaml"
OLI = "8ad085e287142db601872469b9ec0944"
JSON_CT = {"Content-Type": "application/json"}
AUTH = {"Authorization": "Bearer token"}

# -- real cases (see test_engine.py) --------------------------------------------------------------
QS_GOOD: dict[str, Any] = {
    "request": {
        "method": "POST",
        "url": "https://rest.apisandbox.zuora.com/v2/fulfillments?fields[]=id,created_time",
        "headers": {**JSON_CT, **AUTH},
        "body": {"order_line_item_id": OLI, "fulfillment_date": "2024-03-01", "quantity": 2},
    },
    "response": {
        "status": 201,
        "headers": [["Content-Type", "application/json"], ["Zuora-Request-Id", "0" * 36]],
        "body": {
            "id": "8ad08ccf8437067601843a7af4e64rq3",
            "state": "accepted",
            "created_time": "2024-03-01T10:00:00-07:00",
        },
    },
}
QS_BAD: dict[str, Any] = {
    "request": {
        "method": "POST",
        "url": "/v2/fulfillments/bulk_create?page_size=100",
        "headers": {**JSON_CT, **AUTH},
        "body": {
            "data": [
                {"order_line_item_id": OLI, "fulfillment_date": "2024-13-01", "quantity": "2"},
                {"fulfillment_date": "2024-03-01", "quantity": 1, "state": "cancelled"},
            ]
        },
    }
}
QS_TEAPOT: dict[str, Any] = {
    "request": {"method": "GET", "url": "/fulfillments/abc", "headers": AUTH},
    "response": {"status": 418},
}
QS_FORMATS: dict[str, Any] = {
    "request": {"method": "GET", "url": "/fulfillments/abc", "headers": AUTH},
    "response": {
        "status": 200,
        "headers": {**JSON_CT, "Zuora-Request-Id": "short"},
        "body_text": '{"id": "abc", "created_time": "yesterday"}',
    },
}
QS_BAD_KINDS = [
    ("request", "query", "/page_size", "out_of_range"),
    ("request", "body", "/data/0/fulfillment_date", "bad_format"),
    ("request", "body", "/data/0/quantity", "wrong_type"),
    ("request", "body", "/data/1/order_line_item_id", "missing_required"),
    ("request", "body", "/data/1/state", "not_in_enum"),
]


def jsonl(*exchanges: Any) -> str:
    return "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in exchanges)


def har_header(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs.items()]


def har(*entries: dict[str, Any]) -> str:
    return json.dumps(
        {
            "log": {
                "version": "1.2",
                "creator": {"name": "test", "version": "1"},
                "entries": entries,
            }
        },
        indent=2,
    )


def v1_entry(method: str, url: str, body: Any = None, status: int = 0, reply: Any = None) -> Any:
    request: dict[str, Any] = {"method": method, "url": url, "headers": har_header(AUTH)}
    if body is not None:
        request["postData"] = {"mimeType": "application/json", "text": json.dumps(body)}
    response: dict[str, Any] = {"status": status, "headers": []}
    if reply is not None:
        response["content"] = {
            "mimeType": "application/json",
            "encoding": "base64",
            "text": base64.b64encode(json.dumps(reply).encode()).decode(),
        }
    return {"startedDateTime": "2024-03-01T10:00:00Z", "request": request, "response": response}


V1_ENTRIES = [
    # in-band error: the closest oneOf branch is reported (test_engine)
    v1_entry(
        "DELETE",
        "https://rest.zuora.com/v1/fulfillments/F-00000001",
        status=200,
        reply={"success": False, "reasons": [{"code": 123, "message": "x"}]},
    ),
    {"startedDateTime": "2024-03-01T10:00:01Z", "response": {"status": 200}},  # no request
    # read-only id in a request body
    v1_entry(
        "POST",
        "https://rest.zuora.com/v1/fulfillments",
        {
            "fulfillments": [
                {
                    "id": "x" * 32,
                    "orderLineItemId": OLI,
                    "fulfillmentDate": "2024-03-01",
                    "quantity": 1,
                }
            ]
        },
    ),
    v1_entry("GET", "https://rest.zuora.com/v1/fulfillment-items/abc?fulfillment-items=maybe"),
]


def findings_of(stdout: str) -> list[tuple[int, str, str, str, str]]:
    report = json.loads(stdout)
    return [
        (f["exchange"], f["location"], f["part"], f["pointer"], f["kind"])
        for f in report["findings"]
    ]


@pytest.fixture
def traffic(tmp_path: Path) -> Path:
    path = tmp_path / "traffic.jsonl"
    path.write_text(
        jsonl(QS_GOOD, QS_BAD, '{"request": {"method": "GET"', QS_TEAPOT, "[1, 2]", QS_FORMATS)
    )
    return path


# -- formats -------------------------------------------------------------------------------------
def test_text_report_reads_like_a_diff(cli: CliRunner, traffic: Path) -> None:
    done = cli("check", QS, traffic)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "\x1b" not in out  # not a terminal: no colour
    assert out.endswith("6 exchanges, 1 conforming, 10 findings\n")
    assert "#0 " not in out  # conforming exchanges are not listed
    assert (
        "#1 POST /v2/fulfillments/bulk_create?page_size=100 (createFulfillments, no response)\n"
        "@ request query /page_size: out_of_range: 100 is greater than the maximum of 99"
        " [#/components/parameters/PageSize/schema/maximum]\n"
        "- expected: <= 99\n"
        "+ actual: 100\n"
    ) in out
    assert f"#2 {traffic} line 3 (invalid input)\n" in out
    assert f"invalid_input: {traffic} line 3: not valid JSON" in out
    assert "#3 GET /fulfillments/abc (getFulfillment, 418)\n" in out
    assert "+ actual: 418\n" in out
    assert f"{traffic} line 5: expected a JSON object, got array" in out
    assert done.stderr == ""


def test_json_report_validates_against_the_shipped_schema(cli: CliRunner, traffic: Path) -> None:
    done = cli("check", QS, traffic, "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    jsonschema.Draft202012Validator.check_schema(report_schema())
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    assert (report["spec"], report["exchanges"], report["conforming"]) == (QS, 6, 1)
    assert [f[1:] for f in findings_of(done.stdout) if f[0] == 1] == QS_BAD_KINDS
    by_exchange = {f["exchange"]: f for f in report["findings"]}
    invalid = by_exchange[2]
    assert invalid["kind"] == "invalid_input" and invalid["actual"] == 3
    assert (invalid["location"], invalid["part"], invalid["pointer"]) == (
        "request",
        "operation",
        "",
    )
    assert "line 3" in invalid["message"]
    assert by_exchange[4]["actual"] == 5 and "line 5" in by_exchange[4]["message"]
    assert [f[1:] for f in findings_of(done.stdout) if f[0] == 5] == [
        ("response", "header", "/Zuora-Request-Id", "out_of_range"),
        ("response", "body", "/created_time", "bad_format"),
    ]
    assert list(report["findings"][0]) == [
        "exchange",
        "operation",
        "location",
        "part",
        "pointer",
        "kind",
        "expected",
        "actual",
        "message",
        "schema_pointer",
    ]


def test_schema_enums_follow_the_engine() -> None:
    finding = report_schema()["$defs"]["finding"]["properties"]
    assert finding["kind"]["enum"] == [k.value for k in Kind]
    assert finding["part"]["enum"] == [p.value for p in Part]


def test_junit_report_parses_and_escapes(cli: CliRunner, tmp_path: Path) -> None:
    hostile = {
        "request": {
            "method": "GET",
            "url": "/fulfillments/a&b<c>\"d'\u0001\u001b[31m",
            "headers": AUTH,
        },
        "response": {
            "status": 200,
            "headers": JSON_CT,
            "body": {"id": "abc", "created_time": "]]>\u0000</failure>"},
        },
    }
    path = tmp_path / "traffic.jsonl"
    path.write_text(jsonl(QS_GOOD, QS_BAD, "{nope", hostile))
    done = cli("check", QS, path, "--format", "junit")
    assert done.returncode == 1, done.stderr
    root = ET.fromstring(done.stdout)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == QS
    assert (suite.get("tests"), suite.get("failures")) == ("4", "3")
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == [
        "createFulfillment",
        "createFulfillments",
        "undocumented",
        "getFulfillment",
    ]
    assert cases[0].get("name", "").startswith("#0 POST https://rest.apisandbox.zuora.com/")
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message", "").startswith("5 findings")
    assert "- expected: <= 99" in (failure.text or "")
    assert cases[2].get("name") == f"#2 {path} line 3"
    assert "invalid_input" in (cases[2].findtext("failure") or "")
    assert cases[3].get("name") == "#3 GET /fulfillments/a&b<c>\"d'\\x01\\x1b[31m"
    assert "]]>" in (cases[3].findtext("failure") or "")
    assert "\x1b" not in done.stdout


# -- inputs --------------------------------------------------------------------------------------
def test_har_input_with_a_broken_entry(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "session.har"
    path.write_text(har(*V1_ENTRIES))
    done = cli("check", V1, path, "--format", "json")
    assert done.returncode == 1, done.stderr
    assert findings_of(done.stdout) == [
        (0, "response", "body", "/reasons/0/code", "out_of_range"),
        (1, "request", "operation", "", "invalid_input"),
        (2, "request", "body", "/fulfillments/0/id", "unexpected_property"),
    ]
    report = json.loads(done.stdout)
    assert report["exchanges"] == 4 and report["conforming"] == 1
    invalid = report["findings"][1]
    assert invalid["actual"] == 2
    assert invalid["message"] == f"{path} entry 2: entry has no request"


def test_stdin_jsonl_and_har(cli: CliRunner) -> None:
    done = cli("check", QS, "-", stdin=jsonl(QS_GOOD, QS_GOOD))
    assert (done.returncode, done.stdout) == (0, "2 exchanges, 2 conforming, 0 findings\n")
    done = cli("check", V1, "-", "--format", "json", stdin=har(*V1_ENTRIES))
    assert done.returncode == 1
    assert "<stdin> entry 2: entry has no request" in done.stdout


def test_several_traffic_files_number_exchanges_in_order(cli: CliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.har"
    first.write_text(jsonl(QS_GOOD, QS_TEAPOT))
    second.write_text(har({"request": {"method": "GET", "url": "/v2/invoices"}}))
    done = cli("check", QS, first, "-", second, "--format", "json", stdin=jsonl(QS_GOOD))
    assert findings_of(done.stdout) == [
        (1, "response", "status", "", "undocumented_status"),
        (3, "request", "operation", "", "undocumented_operation"),
    ]


def test_output_file_is_written_instead_of_stdout(cli: CliRunner, traffic: Path) -> None:
    target = traffic.parent / "reports" / "check.json"
    target.parent.mkdir()
    done = cli("check", QS, traffic, "--format", "json", "--output", target)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "")
    jsonschema.validate(json.loads(target.read_text()), report_schema())
    assert sorted(p.name for p in target.parent.iterdir()) == ["check.json"]  # no temp left
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would, not mkstemp's
    new_dir = traffic.parent / "new" / "folder" / "check.xml"  # created, as a CI job expects
    done = cli("check", QS, traffic, "--format", "junit", "--output", new_dir)
    assert done.returncode == 1 and new_dir.read_text().startswith("<?xml")
    (traffic.parent / "a-file").write_text("")
    under_a_file = traffic.parent / "a-file" / "check.xml"
    done = cli("check", QS, traffic, "--format", "junit", "--output", under_a_file)
    assert done.returncode == 2
    assert done.stderr.startswith(f"apicontract check: {under_a_file}: cannot write")
    assert "Traceback" not in done.stderr


def test_jobs_give_the_same_report(cli: CliRunner, tmp_path: Path) -> None:
    cases = [QS_GOOD, QS_BAD, QS_TEAPOT, QS_FORMATS, "{broken", "7"]
    path = tmp_path / "many.jsonl"
    path.write_text(jsonl(*(cases[i % len(cases)] for i in range(700))))  # several batches
    one = cli("check", QS, path, "--format", "json", "--jobs", "1")
    two = cli("check", QS, path, "--format", "json", "--jobs", "2")
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout
    assert json.loads(two.stdout)["exchanges"] == 700
    report = json.loads(one.stdout)
    summary = (
        f"700 exchanges, {report['conforming']} conforming, {len(report['findings'])} findings"
    )
    assert cli("check", QS, path, "--jobs", "2").stdout.endswith(summary + "\n")


# -- exit codes ----------------------------------------------------------------------------------
def test_conforming_traffic_exits_0(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text(jsonl(QS_GOOD))
    for fmt in ("text", "json", "junit"):
        done = cli("check", QS, path, "--format", fmt)
        assert done.returncode == 0, (fmt, done.stdout, done.stderr)
    assert json.loads(cli("check", QS, path, "--format", "json").stdout)["findings"] == []


@pytest.mark.parametrize(
    ("spec", "traffic", "message"),
    [
        ("missing.yaml", "t.jsonl", "apicontract check: missing.yaml: no such file\n"),
        (QS, "missing.jsonl", "apicontract check: missing.jsonl: no such file\n"),
        (QS, ".", "apicontract check: .: is a directory, expected a HAR or JSONL file\n"),
        ("t.jsonl", "t.jsonl", "apicontract check: t.jsonl: expected an OpenAPI 3.0 or 3.1"),
        ("list.json", "t.jsonl", "apicontract check: list.json: expected an OpenAPI 3.0 or 3.1"),
        ("bad.yaml", "t.jsonl", "apicontract check: bad.yaml:2:1: cannot parse"),
    ],
)
def test_unreadable_input_exits_2(
    cli: CliRunner, tmp_path: Path, spec: str, traffic: str, message: str
) -> None:
    (tmp_path / "t.jsonl").write_text(jsonl(QS_GOOD))
    (tmp_path / "bad.yaml").write_text("openapi: [unclosed\n")
    (tmp_path / "list.json").write_text("[]\n")
    if spec == QS:
        spec = str(ROOT / QS)
    done = cli("check", spec, traffic, "--format", "json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(message)
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


# -- colour --------------------------------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("no_color", [None, "1"])
def test_colour_only_on_a_terminal_without_no_color(
    tmp_path: Path, traffic: Path, no_color: str | None
) -> None:
    import pty

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["APICONTRACT_CACHE_DIR"] = str(tmp_path / "cache")
    if no_color:
        env["NO_COLOR"] = no_color
    leader, follower = pty.openpty()
    chunks = []
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "check", QS, str(traffic)],
            cwd=ROOT,
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(follower)
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        returncode = process.wait(timeout=60)
    finally:
        os.close(leader)
    out = b"".join(chunks).decode()
    assert returncode == 1
    assert "10 findings" in out
    assert ("\x1b[" in out) is (no_color is None)


# -- the runner as a library ---------------------------------------------------------------------
def test_iter_results_counts_and_fails_early(tmp_path: Path) -> None:
    from generator.contract.run import Counts, iter_results
    from generator.contract.traffic import TrafficError
    from generator.findings import InputError

    path = tmp_path / "t.jsonl"
    path.write_text(jsonl(QS_GOOD, QS_TEAPOT, "{broken"))
    counts = Counts()
    results = list(iter_results(ROOT / QS, [str(path)], counts=counts))
    assert [r.index for r in results] == [0, 1, 2]
    assert [r.operation for r in results] == ["createFulfillment", "getFulfillment", None]
    assert (counts.exchanges, counts.conforming, counts.findings) == (3, 1, 2)
    with pytest.raises(InputError):  # raised by the call, before anything is iterated
        iter_results(tmp_path / "missing.yaml", [str(path)])
    with pytest.raises(TrafficError):
        iter_results(ROOT / QS, [str(path), str(tmp_path / "missing.har")])


def test_an_engine_failure_is_a_finding_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.contract import Contract, Exchange, Request
    from generator.contract.run import check_one

    contract = Contract.load(ROOT / QS)

    def explode(exchange: Exchange) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(contract, "check", explode)
    result = check_one(contract, Exchange(7, Request(method="get", url="/fulfillments")))
    assert (result.index, result.method, result.url) == (7, "GET", "/fulfillments")
    [finding] = result.findings
    assert finding.kind is Kind.OTHER and "KeyError" in finding.message

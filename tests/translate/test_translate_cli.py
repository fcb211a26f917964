"""`apicontract translate` as a user runs it: real traffic recorded against the fake, the CLI
in a subprocess, and the project's own `check` judging that the output conforms to the
target spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, CliRunner, LiveServer
from tests.translate.conftest import record_quickstart, record_v1

V1 = ROOT / "specs" / "v1" / "fulfillments.yaml"
QS = ROOT / "specs" / "quickstart" / "fulfillments.yaml"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_v1_traffic_becomes_conforming_quickstart_traffic(
    cli: CliRunner, both_server: LiveServer, tmp_path: Path
) -> None:
    source = record_v1(both_server.url).write(tmp_path / "v1.jsonl")
    assert cli("check", V1, source).returncode == 0  # the input conforms to v1
    out = tmp_path / "qs.jsonl"
    done = cli("translate", "--to", "quickstart", source, "--output", out)
    assert done.returncode == 1, done.stderr
    assert "10 exchanges: 10 translated, 0 left out, 4 problems" in done.stderr
    report = done.stderr
    assert "response body /fulfillments/0/fulfillmentItems: no Quickstart counterpart" in report
    assert "response body /fulfillments/1/fulfillmentItems: no Quickstart counterpart" in report
    assert "response body /requestId: no Quickstart counterpart" in report
    # Quickstart's create takes no target date (only its PATCH does)
    assert (
        "request body /fulfillments/0/billTargetDate: the Quickstart spec has no place for it: "
        "property 'target_date' is not allowed here (at /data/0/target_date)"
    ) in report
    checked = cli("check", QS, out)
    assert checked.returncode == 0, checked.stdout

    got = lines(out)
    create = got[0]["request"]
    assert create["url"] == "https://rest.apisandbox.zuora.com/v2/fulfillments/bulk_create"
    assert ["zuora-track-id", "sync-0042"] in create["headers"]
    first = create["body"]["data"][0]
    assert first["type"] == "delivery" and first["location"] == "Reno Warehouse"
    assert "target_date" not in first
    assert first["revenue"] == {"exclude_item_billing_from_revenue_accounting": False}
    assert first["custom_fields"] == {"priority__c": "High"}  # custom field names never change
    assert first["items"] == [{"fulfillment_item_number": "SN-1", "description": "Router"}]
    assert create["body"]["processing_options"] == {"document_date": "2024-03-15"}
    assert "runBilling" not in json.dumps(got) and "run_billing" not in json.dumps(got)
    assert got[0]["response"]["status"] == 201
    update = got[2]
    assert update["request"]["method"] == "PATCH"
    assert update["request"]["body"] == {"carrier": "FedEx", "state": "booked"}
    assert got[7]["response"]["status"] == 204 and "body" not in got[7]["response"]
    business = got[8]["response"]  # v1: HTTP 200, success false, code ...20
    assert business["status"] == 400
    assert business["body"]["type"] == "bad_request" and business["body"]["retryable"] is False
    assert business["body"]["errors"][0]["code"].isdigit()
    assert got[9]["response"]["status"] == 404
    assert got[9]["response"]["body"]["type"] == "not_found"


def test_v1_round_trip_gives_the_same_traffic_back(
    cli: CliRunner, both_server: LiveServer, tmp_path: Path
) -> None:
    original = lines(record_v1(both_server.url).write(tmp_path / "v1.jsonl"))
    assert cli("translate", "--to", "quickstart", tmp_path / "v1.jsonl",
               "--output", tmp_path / "qs.jsonl").returncode == 1  # fmt: skip
    back_run = cli("translate", "--to", "v1", tmp_path / "qs.jsonl", "--output", tmp_path / "b")
    assert back_run.returncode == 0, back_run.stderr  # nothing of the Quickstart side is lost
    back = lines(tmp_path / "b")
    assert len(back) == len(original)
    del original[0]["request"]["body"]["fulfillments"][0]["billTargetDate"]  # reported above
    for index, (was, now) in enumerate(zip(original, back, strict=True)):
        assert now["request"]["method"] == was["request"]["method"], index
        assert now["request"]["url"] == was["request"]["url"], index
        assert now["request"].get("body") == was["request"].get("body"), index
        assert {k.lower(): v for k, v in now["request"]["headers"]} == {
            k.lower(): v for k, v in was["request"]["headers"]
        }
    # answers: equal except what the mapping lists as one-sided or lossy
    created = original[0]["response"]["body"]
    del created["requestId"]
    for entry in created["fulfillments"]:
        entry.pop("fulfillmentItems", None)
    assert back[0]["response"]["body"] == created
    for index in range(1, 10):
        was, now = original[index]["response"], back[index]["response"]
        assert now["body"] == was["body"], index
        if index != 8:  # the business error comes back as a 400 (errors.lossy)
            assert now["status"] == was["status"], index
    assert back[8]["response"]["status"] == 400


def test_quickstart_traffic_becomes_conforming_v1_traffic(
    cli: CliRunner, both_server: LiveServer, tmp_path: Path
) -> None:
    source = record_quickstart(both_server.url).write(tmp_path / "qs.jsonl")
    assert cli("check", QS, source).returncode == 0
    out = tmp_path / "v1.jsonl"
    done = cli("translate", "--to", "v1", source, "--output", out)
    assert done.returncode == 1
    report = done.stderr
    assert "8 exchanges: 6 translated, 2 left out, 8 problems" in report
    # fields[] trimmed the answer: v1 requires what it left out
    assert (
        "response body: the v1 translation would not conform to its spec at "
        "/fulfillment/orderLineItemId: required property 'orderLineItemId' is missing "
        "(exchange left out)"
    ) in report
    assert (
        "#4 GET https://rest.apisandbox.zuora.com/v2/fulfillments?page_size=5" in report
        and "Quickstart listFulfillments has no counterpart: v1 has no operation that lists"
        in report
    )
    assert "request query /fields%5B%5D" not in report and "request query /fields[]" in report
    assert (
        "response body: no v1 counterpart for description, fulfillment_id, created_time, "
        "updated_time, created_by_id, updated_by_id: a v1 create answer carries only the ids "
        "of the new items"
    ) in report
    assert "response body /errors/0/parameter: no v1 counterpart" in report
    checked = cli("check", V1, out)
    assert checked.returncode == 0, checked.stdout
    got = lines(out)
    single = got[0]["request"]  # a single create is a one-element v1 create
    assert single["url"].endswith("/v1/fulfillments")
    assert single["body"]["processingOptions"] == {"billingOptions": {"documentDate": "2023-03-01"}}
    [fulfillment] = single["body"]["fulfillments"]
    assert fulfillment["fulfillmentType"] == "Delivery"
    assert fulfillment["excludeItemBookingFromRevenueAccounting"] is True
    assert fulfillment["fulfillmentItems"] == [{"itemIdentifier": "SN-0001"}]
    assert "runBilling" not in json.dumps(single)  # nothing invented
    answer = got[0]["response"]["body"]
    assert answer["success"] is True and answer["fulfillments"][0]["fulfillmentNumber"]
    item = got[3]["request"]  # the single item create is a one-element v1 list
    assert item["url"].endswith("/v1/fulfillment-items")
    assert len(item["body"]["fulfillmentItems"]) == 1
    assert got[4]["response"] == {  # Quickstart's 204 is v1's 200 {success: true}
        "status": 200,
        "headers": got[4]["response"]["headers"],
        "body": {"success": True},
    }
    assert ["content-type", "application/json"] in [
        [n.lower(), v] for n, v in got[4]["response"]["headers"]
    ]


def test_har_in_gives_har_out(cli: CliRunner, both_server: LiveServer, tmp_path: Path) -> None:
    recorded = record_v1(both_server.url).lines
    entries = []
    for line in recorded:
        request, response = line["request"], line["response"]
        entry: dict[str, Any] = {
            "startedDateTime": "2024-03-14T10:00:00Z",
            "time": 12,
            "comment": "kept as it was",
            "request": {
                "method": request["method"],
                "url": request["url"],
                "httpVersion": "HTTP/1.1",
                "headers": [{"name": n, "value": v} for n, v in request["headers"]],
                "queryString": [],
                "cookies": [],
                "headersSize": -1,
                "bodySize": -1,
            },
            "response": {
                "status": response["status"],
                "statusText": "",
                "httpVersion": "HTTP/1.1",
                "headers": [{"name": n, "value": v} for n, v in response["headers"]],
                "cookies": [],
                "content": {"size": 0, "mimeType": "application/json"},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
            },
            "cache": {},
            "timings": {"send": 1, "wait": 10, "receive": 1},
        }
        if "body" in request:
            entry["request"]["postData"] = {
                "mimeType": "application/json", "text": json.dumps(request["body"])
            }  # fmt: skip
        if "body" in response:
            entry["response"]["content"]["text"] = json.dumps(response["body"])
        entries.append(entry)
    source = tmp_path / "v1.har"
    creator = {"name": "t", "version": "1"}
    source.write_text(
        json.dumps({"log": {"version": "1.2", "creator": creator, "entries": entries}})
    )
    assert cli("check", V1, source).returncode == 0
    out = tmp_path / "qs.har"
    assert cli("translate", "--to", "quickstart", source, "--output", out).returncode == 1
    har = json.loads(out.read_text())
    assert len(har["log"]["entries"]) == len(entries)
    first = har["log"]["entries"][0]
    assert first["comment"] == "kept as it was" and first["timings"]["wait"] == 10
    assert first["request"]["url"].endswith("/v2/fulfillments/bulk_create")
    assert first["response"]["status"] == 201 and first["response"]["statusText"] == "Created"
    checked = cli("check", QS, out)
    assert checked.returncode == 0, checked.stdout


def test_stdin_a_fulfillment_number_has_no_quickstart_path(cli: CliRunner) -> None:
    line = {
        "request": {"method": "GET", "url": "/v1/fulfillments/F-00000001"},
        "response": {"status": 200, "body": {"success": True, "fulfillment": {"id": "x"}}},
    }
    delete = {"request": {"method": "DELETE", "url": "/v1/fulfillments/" + "a" * 32}}
    done = cli("translate", "--to", "quickstart", "-",
               stdin=json.dumps(line) + "\n" + json.dumps(delete) + "\n")  # fmt: skip
    assert done.returncode == 1
    assert "request path /key: 'F-00000001' is a fulfillment number" in done.stderr
    assert "(exchange left out)" in done.stderr
    [only] = [json.loads(x) for x in done.stdout.splitlines()]
    assert only["request"] == {"method": "DELETE", "url": "/v2/fulfillments/" + "a" * 32,
                               "headers": []}  # fmt: skip
    assert "2 exchanges: 1 translated, 1 left out, 1 problem" in done.stderr


def test_json_report_and_unreadable_input(cli: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps(
            {"request": {"method": "GET", "url": "/v2/fulfillments?filter[]=state.EQ:booked"}}
        )
        + "\nnot json\n"
    )
    done = cli("translate", "--to", "v1", source, "--report-format", "json")
    assert done.returncode == 1 and done.stdout == ""
    records = [json.loads(x) for x in done.stderr.splitlines()]
    assert records[0]["exchange"] == 0 and records[0]["left_out"] is True
    assert records[0]["part"] == "operation" and "listFulfillments" in records[0]["message"]
    assert records[1]["exchange"] == 1 and "not valid JSON" in records[1]["message"]
    missing = cli("translate", "--to", "v1", tmp_path / "nope.jsonl")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_mapping_that_disagrees_with_the_specs_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    for name in ("v1", "quickstart"):
        (folder / name).mkdir()
        (folder / name / "fulfillments.yaml").write_text(
            (ROOT / "specs" / name / "fulfillments.yaml").read_text()
        )
    text = (ROOT / "specs" / "v1-quickstart.mapping.yaml").read_text()
    (folder / "m.yaml").write_text(text.replace("      carrier: carrier\n",
                                                "      carrier: shipper\n"))  # fmt: skip
    source = tmp_path / "in.jsonl"
    source.write_text("")
    done = cli("translate", "--to", "v1", source, "--mapping", folder / "m.yaml")
    assert done.returncode == 2
    assert "m.yaml:" in done.stderr and "mapping-mismatch" in done.stderr
    assert "/shipper is in none of the Quickstart schemas" in done.stderr

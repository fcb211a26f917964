"""Every finding kind, produced by a real case from each Zuora spec through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, CliRunner

AUTH = {"Authorization": "Bearer t", "Content-Type": "application/json"}
OLI = "8ad085e287142db601872469b9ec0944"
QS_OK = {"order_line_item_id": OLI, "fulfillment_date": "2024-03-01", "quantity": 2}
V1_OK = {"fulfillments": [{"orderLineItemId": OLI, "fulfillmentDate": "2024-03-01", "quantity": 2}]}


def ex(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    status: int | None = None,
    response: Any = None,
    response_headers: dict[str, str] | None = None,
) -> str:
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "headers": AUTH if headers is None else headers,
    }
    if body is not None:
        request[("body_text" if isinstance(body, str) else "body")] = body
    line: dict[str, Any] = {"request": request}
    if status is not None:
        line["response"] = {
            "status": status,
            "headers": response_headers or {"Content-Type": "application/json"},
        }
        if response is not None:
            line["response"]["body"] = response
    return json.dumps(line)


# kind -> (quickstart exchange, v1 exchange)
CASES: dict[str, tuple[str, str]] = {
    "missing_required": (
        ex("POST", "/v2/fulfillments", {"quantity": 1, "fulfillment_date": "2024-03-01"}),
        ex("POST", "/v1/fulfillments", {"fulfillments": [{"quantity": 1}]}),
    ),
    "unexpected_property": (
        ex("POST", "/v2/fulfillments", {**QS_OK, "colour": "red"}),
        ex(
            "POST",
            "/v1/fulfillments",
            {"fulfillments": [{**V1_OK["fulfillments"][0], "id": "x" * 32}]},
        ),
    ),
    "wrong_type": (
        ex("POST", "/v2/fulfillments", {**QS_OK, "quantity": "two"}),
        ex(
            "POST",
            "/v1/fulfillments",
            {"fulfillments": [{**V1_OK["fulfillments"][0], "quantity": "two"}]},
        ),
    ),
    "not_in_enum": (
        ex("POST", "/v2/fulfillments", {**QS_OK, "state": "cancelled"}),
        ex("PUT", "/v1/fulfillments/F-00000001", {"state": "Canceled"}),
    ),
    "bad_format": (
        ex("POST", "/v2/fulfillments", {**QS_OK, "fulfillment_date": "03/01/2024"}),
        ex("PUT", "/v1/fulfillments/F-00000001", {"fulfillmentDate": "03/01/2024"}),
    ),
    "out_of_range": (
        ex("GET", "/v2/fulfillments?page_size=100"),
        ex("PUT", "/v1/fulfillments/F-00000001", {"carrier": "x" * 26}),
    ),
    "pattern_mismatch": (
        ex("GET", "/v2/fulfillments", headers={**AUTH, "zuora-track-id": "a:b"}),
        ex("GET", "/v1/fulfillments/F-00000001", headers={**AUTH, "Zuora-Track-Id": "a;b"}),
    ),
    "undocumented_status": (
        ex("GET", "/v2/fulfillments/abc", status=418),
        ex("GET", "/v1/fulfillments/F-00000001", status=418),
    ),
    "undocumented_operation": (
        ex("GET", "/v2/invoices"),
        ex("PATCH", "/v1/fulfillments/F-00000001", {}),
    ),
    "missing_parameter": (
        ex("GET", "/v2/fulfillments", headers={}),
        ex("GET", "/v1/fulfillments/F-00000001", headers={}),
    ),
    "wrong_content_type": (
        ex(
            "POST",
            "/v2/fulfillments",
            "quantity=2",
            headers={
                "Authorization": "Bearer t",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ),
        ex(
            "POST",
            "/v1/fulfillments",
            "quantity=2",
            headers={"Authorization": "Bearer t", "Content-Type": "text/plain"},
        ),
    ),
    "invalid_json": (
        ex("POST", "/v2/fulfillments", '{"quantity": 2,'),
        ex("POST", "/v1/fulfillments", "{nope"),
    ),
    "invalid_input": ('{"request": "not an object"}', "[1, 2, 3]"),
    "other": (
        ex("DELETE", "/v2/fulfillments/abc", status=204, response={"unexpected": "body"}),
        ex("DELETE", "/v1/fulfillments/F-00000001", {"reason": "a body on a DELETE"}),
    ),
}

SPECS = {
    "quickstart": ROOT / "specs/quickstart/fulfillments.yaml",
    "v1": ROOT / "specs/v1/fulfillments.yaml",
}


@pytest.mark.parametrize("style", ["quickstart", "v1"])
def test_every_kind_from_a_real_case(cli: CliRunner, tmp_path: Path, style: str) -> None:
    kinds = list(CASES)
    traffic = tmp_path / f"{style}.jsonl"
    position = 0 if style == "quickstart" else 1
    traffic.write_text("".join(CASES[k][position] + "\n" for k in kinds))
    result = cli("check", SPECS[style], traffic, "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["exchanges"] == len(kinds)
    found: dict[int, set[str]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["exchange"], set()).add(finding["kind"])
    for index, kind in enumerate(kinds):
        assert kind in found.get(index, set()), (style, kind, found.get(index))

"""`serve --style both`: one tenant, one store, served as v1 under /v1 and as Quickstart under
/v2. Whatever is created in one style is read, changed and deleted in the other with the same
id and number; every field reads the same once translated with the shipped mapping; the
lifecycle rules hold whichever style a call uses; every exchange conforms to its own spec."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.contract import Contract
from generator.fake.app import build_both_app
from generator.translate import Translator
from tests.conftest import ROOT, LiveServer
from tests.fake.test_serve_cli import Served

TOKEN = "both-token"
OLI = "8ad0823f8e1b4c2a018e1c5d7f3a21b4"
#: what only Quickstart answers carry (the mapping's one-sided fields)
QS_ONLY = {"created_by_id", "updated_by_id", "created_time", "updated_time"}


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.load()


@pytest.fixture
def clients() -> Iterator[tuple[httpx.Client, httpx.Client, list[str]]]:
    """(v1 client, Quickstart client, contract findings) against one both-styles fake."""
    contracts = {
        "v1": Contract.load(ROOT / "specs" / "v1" / "fulfillments.yaml"),
        "quickstart": Contract.load(ROOT / "specs" / "quickstart" / "fulfillments.yaml"),
    }
    findings: list[str] = []

    def hook(style: str) -> Any:
        def check(response: httpx.Response) -> None:
            response.read()
            result = contracts[style].check_httpx(response.request, response)
            findings.extend(f"{style} {f.message}" for f in result.findings)

        return check

    app = build_both_app(":memory:", TOKEN)
    with LiveServer(app, on_close=app.state.fake_store.close) as server:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with (
            httpx.Client(base_url=server.url, headers=auth,
                         event_hooks={"response": [hook("v1")]}) as v1,
            httpx.Client(base_url=server.url + "/v2", headers=auth,
                         event_hooks={"response": [hook("quickstart")]}) as qs,
        ):  # fmt: skip
            yield v1, qs, findings
    assert findings == []


def as_quickstart(translator: Translator, operation: str, body: Any) -> Any:
    translated = translator.body(operation, "quickstart", body, response=200)
    assert not [p for p in translated.problems if p.left_out], translated.problems
    return translated.body


def test_created_in_v1_reads_the_same_in_quickstart(
    clients: tuple[httpx.Client, httpx.Client, list[str]], translator: Translator
) -> None:
    v1, qs, _ = clients
    created = v1.post(
        "/v1/fulfillments",
        json={
            "fulfillments": [
                {
                    "orderLineItemId": OLI,
                    "fulfillmentDate": "2024-03-14",
                    "quantity": 2,
                    "fulfillmentType": "Return",
                    "billTargetDate": "2024-03-31",
                    "carrier": "UPS",
                    "trackingNumber": "1Z9",
                    "description": "spring order",
                    "externalId": "WMS-1",
                    "fulfillmentLocation": "Reno",
                    "fulfillmentSystem": "ShipStation",
                    "excludeItemBillingFromRevenueAccounting": True,
                    "excludeItemBookingFromRevenueAccounting": False,
                    "customFields": {"priority__c": "High", "PICKLIST_CF__c": ["a", 1]},
                    "fulfillmentItems": [{"itemIdentifier": "SN-1", "description": "Router"}],
                }
            ]
        },
    ).json()
    [entry] = created["fulfillments"]
    fid, number = entry["id"], entry["fulfillmentNumber"]
    item_id = entry["fulfillmentItems"][0]["id"]

    in_v1 = v1.get(f"/v1/fulfillments/{number}").json()
    in_qs = qs.get(f"/fulfillments/{fid}").json()
    assert in_qs["id"] == fid and in_qs["fulfillment_number"] == number
    expected = {k: v for k, v in in_qs.items() if k not in QS_ONLY}
    assert as_quickstart(translator, "getFulfillment", in_v1) == expected
    assert expected["revenue"] == {
        "exclude_item_billing_from_revenue_accounting": True,
        "exclude_item_booking_from_revenue_accounting": False,
    }
    assert expected["target_date"] == "2024-03-31" and expected["type"] == "return"
    assert expected["custom_fields"] == {"priority__c": "High", "PICKLIST_CF__c": ["a", 1]}

    item_v1 = v1.get(f"/v1/fulfillment-items/{item_id}").json()
    item_qs = qs.get(f"/fulfillments_items/{item_id}").json()
    assert item_qs["fulfillment_id"] == fid
    assert as_quickstart(translator, "getFulfillmentItem", item_v1) == {
        k: v for k, v in item_qs.items() if k not in QS_ONLY
    }


def test_created_in_quickstart_is_changed_and_deleted_in_v1(
    clients: tuple[httpx.Client, httpx.Client, list[str]], translator: Translator
) -> None:
    v1, qs, _ = clients
    made = qs.post(
        "/fulfillments",
        json={"order_line_item_id": OLI, "fulfillment_date": "2023-03-01", "quantity": 1,
              "location": "Oregon", "items": [{"fulfillment_item_number": "SN-9"}]},
    )  # fmt: skip
    assert made.status_code == 201
    fid, number = made.json()["id"], made.json()["fulfillment_number"]
    got = v1.get(f"/v1/fulfillments/{fid}", params={"fulfillment-items": "true"}).json()
    assert got["fulfillment"]["id"] == fid and got["fulfillment"]["fulfillmentNumber"] == number
    assert got["fulfillment"]["state"] == "Executing"
    assert got["fulfillment"]["fulfillmentLocation"] == "Oregon"
    [item] = got["fulfillment"]["fulfillmentItems"]
    assert item["itemIdentifier"] == "SN-9" and item["fulfillmentId"] == fid

    # v1 update, Quickstart read
    assert v1.put(f"/v1/fulfillments/{number}", json={"carrier": "DHL", "quantity": 3}).json() == {
        "success": True
    }
    after = qs.get(f"/fulfillments/{fid}").json()
    assert after["carrier"] == "DHL" and after["quantity"] == 3
    assert as_quickstart(
        translator, "getFulfillment", v1.get(f"/v1/fulfillments/{fid}").json()
    ) == {k: v for k, v in after.items() if k not in QS_ONLY}
    # Quickstart update, v1 read
    patched = qs.patch(f"/fulfillments/{fid}", json={"description": "late", "type": "return"})
    assert patched.status_code == 200
    again = v1.get(f"/v1/fulfillments/{fid}").json()["fulfillment"]
    assert again["description"] == "late" and again["fulfillmentType"] == "Return"

    # items: created in Quickstart by number, deleted in v1
    bulk = {"data": [{"fulfillment_number": number, "description": "x"}]}
    new_item = qs.post("/fulfillments_items/bulk_create", json=bulk)
    item_id = new_item.json()["data"][0]["id"]
    assert (
        v1.get(f"/v1/fulfillment-items/{item_id}").json()["fulfillmentItem"]["fulfillmentId"] == fid
    )
    assert v1.delete(f"/v1/fulfillment-items/{item_id}").json() == {"success": True}
    assert qs.get(f"/fulfillments_items/{item_id}").status_code == 404

    # deleted in v1 (still the first state), gone in Quickstart
    assert v1.delete(f"/v1/fulfillments/{fid}").json() == {"success": True}
    assert qs.get(f"/fulfillments/{fid}").status_code == 404
    assert v1.get(f"/v1/fulfillments/{fid}").status_code == 404


def test_lifecycle_rules_hold_across_styles(
    clients: tuple[httpx.Client, httpx.Client, list[str]],
) -> None:
    v1, qs, _ = clients
    fid = qs.post("/fulfillments", json={"order_line_item_id": OLI,
                                         "fulfillment_date": "2023-03-01", "quantity": 1}
                  ).json()["id"]  # fmt: skip
    assert qs.patch(f"/fulfillments/{fid}", json={"state": "booked"}).status_code == 200
    # booked: v1 may change the state only, and may not delete
    edit = v1.put(f"/v1/fulfillments/{fid}", json={"carrier": "UPS"}).json()
    assert edit["success"] is False
    assert v1.delete(f"/v1/fulfillments/{fid}").json()["success"] is False
    assert v1.put(f"/v1/fulfillments/{fid}", json={"state": "SentToBilling"}).json() == {
        "success": True
    }
    # backwards is refused in Quickstart too; the same state again is not a transition
    assert qs.patch(f"/fulfillments/{fid}", json={"state": "booked"}).status_code == 400
    assert qs.patch(f"/fulfillments/{fid}", json={"state": "sent_to_billing"}).status_code == 200
    assert v1.put(f"/v1/fulfillments/{fid}", json={"state": "Cancelled"}).json()["success"]
    assert qs.get(f"/fulfillments/{fid}").json()["state"] == "canceled"
    assert qs.delete(f"/fulfillments/{fid}").status_code == 400
    # numbering is one sequence for both styles
    a = v1.post(
        "/v1/fulfillments",
        json={
            "fulfillments": [
                {"orderLineItemId": OLI, "fulfillmentDate": "2024-01-01", "quantity": 1}
            ]
        },
    ).json()
    b = qs.post(
        "/fulfillments",
        json={"order_line_item_id": OLI, "fulfillment_date": "2024-01-01", "quantity": 1},
    ).json()
    first = int(a["fulfillments"][0]["fulfillmentNumber"][2:])
    assert int(b["fulfillment_number"][2:]) == first + 1


def test_serve_style_both_cli(tmp_path: Path) -> None:
    served = Served("--style", "both", "--db", tmp_path / "both.db", "--token", "t",
                    cache=tmp_path / "cache")  # fmt: skip
    try:
        auth = {"Authorization": "Bearer t"}
        created = httpx.post(
            served.url + "/v2/fulfillments",
            headers=auth,
            json={"order_line_item_id": OLI, "fulfillment_date": "2023-03-01", "quantity": 1},
        )
        assert created.status_code == 201
        fid = created.json()["id"]
        got = httpx.get(served.url + f"/v1/fulfillments/{fid}", headers=auth)
        assert (
            got.json()["fulfillment"]["fulfillmentNumber"] == created.json()["fulfillment_number"]
        )
        assert httpx.get(served.url + f"/v1/fulfillments/{fid}").status_code == 401
    finally:
        assert served.stop(signal.SIGTERM) == 0
    refused = subprocess.run(
        [sys.executable, "-m", "generator", "serve", "--style", "both",
         str(ROOT / "specs" / "v1" / "fulfillments.yaml")],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert refused.returncode == 2 and "--style both serves the shipped specs" in refused.stderr

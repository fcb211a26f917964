"""Real traffic for the translator: both styles driven against `serve --style both`'s app
(one store, v1 under /v1, Quickstart under /v2) and recorded as JSONL lines, the way a user's
recording of Zuora would look."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.fake.app import build_both_app
from tests.conftest import LiveServer

TOKEN = "translate-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OLI = "8ad0823f8e1b4c2a018e1c5d7f3a21b4"
_SKIPPED = {"content-length", "date", "server", "connection", "content-encoding"}


class Recorder:
    """An httpx client whose exchanges are kept as JSONL records."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(
            base_url=base_url, headers=AUTH, event_hooks={"response": [self._keep]}
        )
        self.lines: list[dict[str, Any]] = []

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        record: dict[str, Any] = {
            "request": {
                "method": request.method,
                "url": "https://rest.apisandbox.zuora.com" + request.url.raw_path.decode(),
                "headers": [
                    [k, v]
                    for k, v in request.headers.items()
                    if k.lower()
                    not in _SKIPPED | {"host", "accept", "accept-encoding", "user-agent"}
                ],
            },
            "response": {
                "status": response.status_code,
                "headers": [
                    [k, v] for k, v in response.headers.items() if k.lower() not in _SKIPPED
                ],
            },
        }
        if request.content:
            record["request"]["body"] = json.loads(request.content)
        if response.content:
            record["response"]["body"] = response.json()
        self.lines.append(record)

    def write(self, path: Path) -> Path:
        path.write_text("".join(json.dumps(line) + "\n" for line in self.lines))
        return path


@pytest.fixture
def both_server() -> Iterator[LiveServer]:
    app = build_both_app(":memory:", TOKEN)
    with LiveServer(app, on_close=app.state.fake_store.close) as server:
        yield server


def record_v1(base_url: str) -> Recorder:
    """A v1 integration's day: creates, reads, updates, items, deletes and failures."""
    rec = Recorder(base_url)
    c = rec.client
    created = c.post(
        "/v1/fulfillments",
        headers={"Zuora-Track-Id": "sync-0042"},
        json={
            "processingOptions": {"billingOptions": {"documentDate": "2024-03-15"}},
            "fulfillments": [
                {
                    "orderLineItemId": OLI,
                    "fulfillmentDate": "2024-03-14",
                    "quantity": 2,
                    "fulfillmentType": "Delivery",
                    "billTargetDate": "2024-03-15",
                    "carrier": "UPS",
                    "trackingNumber": "1Z999AA10123456784",
                    "fulfillmentLocation": "Reno Warehouse",
                    "fulfillmentSystem": "ShipStation",
                    "excludeItemBillingFromRevenueAccounting": False,
                    "customFields": {"priority__c": "High"},
                    "fulfillmentItems": [{"itemIdentifier": "SN-1", "description": "Router"}],
                },
                {"orderLineItemId": OLI, "fulfillmentDate": "2024-03-14", "quantity": 1},
            ],
        },
    ).json()
    first, second = (f["id"] for f in created["fulfillments"])
    number = created["fulfillments"][0]["fulfillmentNumber"]
    c.get(f"/v1/fulfillments/{first}")
    c.put(f"/v1/fulfillments/{first}", json={"carrier": "FedEx", "state": "Booked"})
    item = c.post(
        "/v1/fulfillment-items",
        json={"fulfillmentItems": [{"fulfillmentNumber": number, "itemIdentifier": "SN-2"}]},
    ).json()["fulfillmentItems"][0]["id"]
    c.get(f"/v1/fulfillment-items/{item}")
    c.put(f"/v1/fulfillment-items/{item}", json={"description": "spare", "customFields": {}})
    c.delete(f"/v1/fulfillment-items/{item}")
    c.delete(f"/v1/fulfillments/{second}")
    c.delete(f"/v1/fulfillments/{first}")  # Booked: a business error, HTTP 200
    c.get("/v1/fulfillments/" + "0" * 32)  # not found
    return rec


def record_quickstart(base_url: str) -> Recorder:
    rec = Recorder(base_url)
    c = rec.client
    single = c.post(
        "/v2/fulfillments",
        json={
            "order_line_item_id": OLI,
            "fulfillment_date": "2023-03-01",
            "quantity": 2,
            "type": "delivery",
            "location": "Oregon",
            "revenue": {"exclude_item_booking_from_revenue_accounting": True},
            "custom_fields": {"priority__c": "high"},
            "items": [{"fulfillment_item_number": "SN-0001"}],
            "processing_options": {"document_date": "2023-03-01"},
        },
    ).json()
    c.post(
        "/v2/fulfillments/bulk_create",
        json={"data": [{"order_line_item_id": OLI, "fulfillment_date": "2023-04-03",
                        "quantity": 1, "type": "return"}]},
    )  # fmt: skip
    c.get(f"/v2/fulfillments/{single['id']}", params={"fields[]": "id,state"})
    c.patch(f"/v2/fulfillments/{single['id']}", json={"state": "booked", "carrier": "UPS"})
    c.get("/v2/fulfillments", params={"page_size": 5})
    item = c.post(
        "/v2/fulfillments_items",
        json={"fulfillment_number": single["fulfillment_number"], "description": "spare"},
    ).json()
    c.delete(f"/v2/fulfillments_items/{item['id']}")
    c.delete(f"/v2/fulfillments/{single['id']}")  # booked: 400
    return rec

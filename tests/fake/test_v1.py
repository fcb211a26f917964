"""The v1 fake through real HTTP: generated client for the happy paths, raw httpx for error
shapes; every exchange is contract-checked by the `serve` fixture."""

from __future__ import annotations

import concurrent.futures
import json
import re
from pathlib import Path
from typing import Any

import pytest

OLI = "8ad0" + "b" * 28


def _new(**extra: Any) -> dict[str, Any]:
    return {"orderLineItemId": OLI, "fulfillmentDate": "2025-01-02", "quantity": 1, **extra}


@pytest.fixture
def v1(generated: tuple[Any, Any]) -> Any:
    return generated[1]


def test_crud_with_generated_client(serve: Any, v1: Any) -> None:
    fake = serve("v1")
    client = fake.client(v1)
    models = v1.models
    made = client.create_fulfillments(
        models.CreateFulfillmentsRequest.model_validate(
            {
                "fulfillments": [
                    _new(carrier="UPS", fulfillmentItems=[{"itemIdentifier": "SN-1"}]),
                    _new(quantity=2, fulfillmentType="Return"),
                ]
            }
        )
    )
    assert [f.fulfillment_number for f in made.fulfillments] == ["F-00000001", "F-00000002"]
    first = made.fulfillments[0]
    assert re.fullmatch(r"[0-9a-f]{32}", first.id)
    assert len(first.fulfillment_items) == 1
    got = client.get_fulfillment(first.fulfillment_number, fulfillment_items=True)
    assert got.fulfillment.id == first.id and got.fulfillment.carrier == "UPS"
    assert got.fulfillment.state == "Executing"
    assert got.fulfillment.fulfillment_items[0].item_identifier == "SN-1"
    second = client.get_fulfillment(made.fulfillments[1].id)
    assert second.fulfillment.fulfillment_type == "Return"
    assert second.fulfillment.fulfillment_items is None
    assert client.update_fulfillment(
        first.id, models.UpdateFulfillmentRequest(description="new", carrier="DHL")
    ).success
    assert client.get_fulfillment(first.id).fulfillment.description == "new"
    items = client.create_fulfillment_items(
        models.CreateFulfillmentItemsRequest.model_validate(
            {
                "fulfillmentItems": [
                    {"fulfillmentNumber": "F-00000001", "description": "a"},
                    {"fulfillmentId": made.fulfillments[1].id, "description": "b"},
                ]
            }
        )
    )
    item_id = items.fulfillment_items[0].id
    assert client.update_fulfillment_item(
        item_id, models.UpdateFulfillmentItemRequest(item_identifier="SN-2")
    ).success
    item = client.get_fulfillment_item(item_id).fulfillment_item
    assert item.item_identifier == "SN-2" and item.fulfillment_id == first.id
    assert client.delete_fulfillment_item(item_id).success
    with pytest.raises(v1.NotFoundError):
        client.get_fulfillment_item(item_id)
    assert client.delete_fulfillment(made.fulfillments[1].id).success
    with pytest.raises(v1.NotFoundError):
        client.get_fulfillment(made.fulfillments[1].id)


def test_lifecycle_errors_are_in_band(serve: Any) -> None:
    fake = serve("v1")
    raw = fake.http()
    number = raw.post("/v1/fulfillments", json={"fulfillments": [_new()]}).json()["fulfillments"][
        0
    ]["fulfillmentNumber"]
    path = f"/v1/fulfillments/{number}"
    assert raw.put(path, json={"state": "Executing", "carrier": "X"}).json() == {"success": True}
    assert raw.put(path, json={"state": "Booked"}).json() == {"success": True}
    for change in ({"carrier": "Y"}, {"state": "Executing"}):
        answer = raw.put(path, json=change)
        assert answer.status_code == 200
        body = answer.json()
        assert body["success"] is False
        assert body["reasons"][0]["code"] == 53100320
    deleted = raw.delete(path)
    assert deleted.status_code == 200 and deleted.json()["success"] is False
    for state in ("SentToBilling", "Complete"):
        assert raw.put(path, json={"state": state}).json() == {"success": True}
    assert raw.put(path, json={"state": "Cancelled"}).json()["success"] is False
    assert raw.get(path).json()["fulfillment"]["state"] == "Complete"
    missing = raw.get("/v1/fulfillments/F-99999999")
    assert missing.status_code == 404 and missing.json()["success"] is False


def test_entity_isolation_and_auth(serve: Any) -> None:
    fake = serve("v1", token="tok")
    a = fake.http(token="tok", **{"Zuora-Entity-Ids": "A"})
    b = fake.http(token="tok", **{"Zuora-Entity-Ids": "B"})
    made = a.post("/v1/fulfillments", json={"fulfillments": [_new()]}).json()["fulfillments"][0]
    assert b.get(f"/v1/fulfillments/{made['id']}").status_code == 404
    assert b.put(f"/v1/fulfillments/{made['id']}", json={"carrier": "x"}).status_code == 404
    assert b.delete(f"/v1/fulfillments/{made['id']}").status_code == 404
    assert a.get(f"/v1/fulfillments/{made['id']}").status_code == 200
    for client in (fake.http(token=None), fake.http(token="nope")):
        answer = client.get(f"/v1/fulfillments/{made['id']}")
        assert answer.status_code == 401
        assert answer.json()["success"] is False and answer.json()["reasons"][0]["code"]


def test_idempotency_and_concurrency(serve: Any) -> None:
    fake = serve("v1")
    raw = fake.http()
    headers = {"Idempotency-Key": "k"}

    def post(_: int) -> Any:
        return raw.post("/v1/fulfillments", json={"fulfillments": [_new()]}, headers=headers)

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(post, range(32)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["fulfillments"][0]["fulfillmentNumber"] == "F-00000001"
    later = raw.post("/v1/fulfillments", json={"fulfillments": [_new()]}).json()
    assert later["fulfillments"][0]["fulfillmentNumber"] == "F-00000002"
    mismatch = raw.post(
        "/v1/fulfillments", json={"fulfillments": [_new(quantity=3)]}, headers=headers
    )
    assert mismatch.status_code == 400 and mismatch.json()["success"] is False


def test_seed_and_bad_input(serve: Any, tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"id": OLI, "quantity": 2}]), "utf-8")
    fake = serve("v1", seed=seed)
    raw = fake.http()
    unknown = raw.post("/v1/fulfillments", json={"fulfillments": [_new(orderLineItemId="c" * 32)]})
    assert unknown.status_code == 200 and unknown.json()["success"] is False
    over = raw.post("/v1/fulfillments", json={"fulfillments": [_new(), _new(quantity=2)]})
    assert over.json()["success"] is False
    assert raw.post("/v1/fulfillments", json={"fulfillments": [_new(quantity=2)]}).json()["success"]
    for answer in (
        raw.post("/v1/fulfillments", json={"fulfillments": "x"}),
        raw.post("/v1/fulfillments", content=b"[", headers={"content-type": "application/json"}),
        raw.put("/v1/fulfillments/x", json={"state": "Shipped"}),
        raw.post("/v1/fulfillment-items", json={"fulfillmentItems": [{"description": "x"}]}),
        raw.post("/v1/fulfillment-items", json={"fulfillmentItems": [{"fulfillmentId": "z"}]}),
    ):
        assert answer.status_code < 500, answer.text
        assert answer.json()["success"] is False


def test_allow_edit_booked(serve: Any) -> None:
    raw = serve("v1", allow_edit_booked=True).http()
    made = raw.post("/v1/fulfillments", json={"fulfillments": [_new()]}).json()
    path = f"/v1/fulfillments/{made['fulfillments'][0]['fulfillmentNumber']}"
    assert raw.put(path, json={"state": "Booked"}).json() == {"success": True}
    assert raw.put(path, json={"carrier": "UPS"}).json() == {"success": True}
    got = raw.get(path).json()["fulfillment"]
    assert got["carrier"] == "UPS" and got["state"] == "Booked"
    assert raw.put(path, json={"state": "SentToBilling"}).json() == {"success": True}
    late = raw.put(path, json={"carrier": "DHL"})
    assert late.status_code == 200 and late.json()["success"] is False
    assert late.json()["reasons"][0]["code"] == 53100320

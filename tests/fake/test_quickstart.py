"""The Quickstart fake through real HTTP: generated client for the happy paths, raw httpx for
error shapes; every exchange is contract-checked by the `serve` fixture."""

from __future__ import annotations

import concurrent.futures
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

OLI = "8ad0" + "a" * 28


def _new(**extra: Any) -> dict[str, Any]:
    return {"order_line_item_id": OLI, "fulfillment_date": "2025-01-02", "quantity": 1, **extra}


@pytest.fixture
def qs(generated: tuple[Any, Any]) -> Any:
    return generated[0]


def test_crud_numbers_ids_timestamps(serve: Any, qs: Any) -> None:
    fake = serve("quickstart")
    client = fake.client(qs)
    models = qs.models
    first = client.create_fulfillment(
        models.FulfillmentCreateRequest.model_validate(
            _new(items=[{"description": "box 1"}], carrier="UPS")
        )
    )
    assert first.fulfillment_number == "F-00000001"
    assert re.fullmatch(r"[0-9a-f]{32}", first.id)
    assert first.state == "accepted" and first.created_time and first.updated_time
    assert first.created_by_id and first.updated_by_id
    bulk = client.create_fulfillments(
        models.FulfillmentBulkCreateRequest.model_validate({"data": [_new(), _new(quantity=2)]})
    )
    assert [f.fulfillment_number for f in bulk.data] == ["F-00000002", "F-00000003"]
    got = client.get_fulfillment(first.id)
    assert got.carrier == "UPS" and got.quantity == 1
    patched = client.update_fulfillment(
        first.id, models.FulfillmentPatchRequest(description="changed")
    )
    assert patched.description == "changed"
    assert patched.updated_time >= patched.created_time
    items = client.list_fulfillment_items(filter_=[f"fulfillment_id.EQ:{first.id}"])
    assert [i.description for i in items.data] == ["box 1"]
    client.delete_fulfillment(bulk.data[0].id)
    with pytest.raises(qs.NotFoundError) as caught:
        client.get_fulfillment(bulk.data[0].id)
    assert caught.value.status_code == 404
    numbers = [f.fulfillment_number for f in client.iter_list_fulfillments()]
    assert numbers == ["F-00000001", "F-00000003"]
    assert fake.checked.count > 0


def test_items_crud(serve: Any, qs: Any) -> None:
    fake = serve("quickstart")
    client = fake.client(qs)
    models = qs.models
    parent = client.create_fulfillment(models.FulfillmentCreateRequest.model_validate(_new()))
    item = client.create_fulfillment_item(
        models.FulfillmentItemCreateRequest(
            fulfillment_number=parent.fulfillment_number, description="serial 1"
        )
    )
    assert item.fulfillment_id == parent.id and re.fullmatch(r"[0-9a-f]{32}", item.id)
    bulk = client.create_fulfillment_items(
        models.FulfillmentItemBulkCreateRequest.model_validate(
            {"data": [{"fulfillment_number": parent.fulfillment_number, "description": "s2"}]}
        )
    )
    assert len(bulk.data) == 1
    updated = client.update_fulfillment_item(
        item.id, models.FulfillmentItemPatchRequest(fulfillment_item_number="SN-1")
    )
    assert updated.fulfillment_item_number == "SN-1" and updated.description == "serial 1"
    assert client.get_fulfillment_item(item.id).fulfillment_item_number == "SN-1"
    client.delete_fulfillment_item(item.id)
    listed = client.list_fulfillment_items()
    assert [i.id for i in listed.data] == [bulk.data[0].id]
    raw = fake.http()
    missing = raw.post(
        "/fulfillments_items", json={"fulfillment_number": "F-99999999", "description": "x"}
    )
    assert missing.status_code == 404
    assert missing.json()["type"] == "not_found"


def test_pagination_and_fields(serve: Any, qs: Any) -> None:
    fake = serve("quickstart")
    client = fake.client(qs)
    client.create_fulfillments(
        qs.models.FulfillmentBulkCreateRequest.model_validate(
            {"data": [_new(quantity=n) for n in range(1, 8)]}
        )
    )
    first = client.list_fulfillments(page_size=3)
    assert len(first.data) == 3 and first.next_page
    second = client.list_fulfillments(page_size=3, cursor=first.next_page)
    third = client.list_fulfillments(page_size=3, cursor=second.next_page)
    assert third.next_page is None
    quantities = [f.quantity for page in (first, second, third) for f in page.data]
    assert quantities == [1, 2, 3, 4, 5, 6, 7]
    desc = client.list_fulfillments(sort=["quantity.desc"], page_size=2)
    assert [f.quantity for f in desc.data] == [7, 6]
    raw = fake.http()
    trimmed = raw.get("/fulfillments", params={"fields[]": "id,fulfillment_number"}).json()
    assert all(set(f) == {"id", "fulfillment_number"} for f in trimmed["data"])
    one = trimmed["data"][0]["id"]
    got = raw.get(f"/fulfillments/{one}", params=[("fields[]", "state"), ("fields[]", "quantity")])
    assert got.json() == {"state": "accepted", "quantity": 1}
    bad = raw.get("/fulfillments", params={"cursor": "not-a-cursor!"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameter"] == "cursor"
    assert raw.get("/fulfillments", params={"page_size": 100}).status_code == 400
    assert raw.get("/fulfillments", params={"filter[]": "nope"}).status_code == 400


def test_lifecycle_rules(serve: Any) -> None:
    fake = serve("quickstart")
    raw = fake.http()
    fid = raw.post("/fulfillments", json=_new()).json()["id"]
    same = raw.patch(f"/fulfillments/{fid}", json={"state": "accepted", "carrier": "DHL"})
    assert same.status_code == 200 and same.json()["carrier"] == "DHL"
    assert raw.patch(f"/fulfillments/{fid}", json={"state": "booked"}).json()["state"] == "booked"
    edit = raw.patch(f"/fulfillments/{fid}", json={"carrier": "UPS"})
    assert edit.status_code == 400
    body = edit.json()
    assert body["type"] == "bad_request" and body["retryable"] is False
    assert body["errors"][0]["parameter"] == "carrier"
    # same value of another field is not an edit; same state is not a transition
    assert raw.patch(f"/fulfillments/{fid}", json={"carrier": "DHL"}).status_code == 200
    assert raw.patch(f"/fulfillments/{fid}", json={"state": "booked"}).status_code == 200
    back = raw.patch(f"/fulfillments/{fid}", json={"state": "accepted"})
    assert back.status_code == 400 and back.json()["errors"][0]["parameter"] == "state"
    assert raw.delete(f"/fulfillments/{fid}").status_code == 400
    for state in ("sent_to_billing", "complete"):
        assert raw.patch(f"/fulfillments/{fid}", json={"state": state}).status_code == 200
    assert raw.patch(f"/fulfillments/{fid}", json={"state": "canceled"}).status_code == 400
    other = raw.post("/fulfillments", json=_new()).json()["id"]
    assert raw.patch(f"/fulfillments/{other}", json={"state": "canceled"}).status_code == 200
    assert raw.patch(f"/fulfillments/{other}", json={"state": "booked"}).status_code == 400
    third = raw.post("/fulfillments", json=_new()).json()["id"]
    assert raw.delete(f"/fulfillments/{third}").status_code == 204


def test_entity_isolation(serve: Any) -> None:
    fake = serve("quickstart")
    a = fake.http(**{"zuora-entity-ids": "entity-a"})
    b = fake.http(**{"zuora-entity-ids": "entity-b"})
    made = a.post("/fulfillments", json=_new()).json()
    assert made["fulfillment_number"] == "F-00000001"
    assert b.post("/fulfillments", json=_new()).json()["fulfillment_number"] == "F-00000001"
    fid = made["id"]
    assert b.get(f"/fulfillments/{fid}").status_code == 404
    assert b.patch(f"/fulfillments/{fid}", json={"carrier": "x"}).status_code == 404
    assert b.delete(f"/fulfillments/{fid}").status_code == 404
    assert len(b.get("/fulfillments").json()["data"]) == 1
    item = b.post(
        "/fulfillments_items", json={"fulfillment_number": "F-00000001", "description": "b"}
    ).json()
    assert item["fulfillment_id"] != fid
    assert a.get(f"/fulfillments_items/{item['id']}").status_code == 404
    assert a.get(f"/fulfillments/{fid}").status_code == 200


def test_token_auth(serve: Any) -> None:
    fake = serve("quickstart", token="s3cret")
    for client in (fake.http(token=None), fake.http(token="wrong")):
        answer = client.get("/fulfillments")
        assert answer.status_code == 401
        assert answer.json()["type"] == "unauthorized"
    assert fake.http(token="s3cret").get("/fulfillments").status_code == 200


def test_headers_track_id_rate_limit_gzip(serve: Any) -> None:
    fake = serve("quickstart")
    raw = fake.http()
    body = json.dumps(_new(description="x" * 600)).encode()
    answer = raw.post(
        "/fulfillments",
        content=gzip.compress(body),
        headers={
            "content-type": "application/json",
            "content-encoding": "gzip",
            "accept-encoding": "gzip",
            "zuora-track-id": "track-1",
        },
    )
    assert answer.status_code == 201
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["zuora-track-id"] == "track-1"
    assert len(answer.headers["zuora-request-id"]) == 36
    for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert answer.headers[name].isdigit()
    bomb = gzip.compress(b"{" + b" " * (11 * 1024 * 1024) + b"}")
    too_big = raw.post(
        "/fulfillments",
        content=bomb,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert too_big.status_code in (400, 413)


def test_bad_input_never_500(serve: Any) -> None:
    fake = serve("quickstart")
    raw = fake.http()
    attempts = [
        raw.post(
            "/fulfillments", content=b"{not json", headers={"content-type": "application/json"}
        ),
        raw.post("/fulfillments", json={"quantity": "lots"}),
        raw.post("/fulfillments", json=_new(extra_field=1)),
        raw.patch("/fulfillments/nope", json={"state": "shipped"}),
        raw.get("/fulfillments", params={"sort[]": "nope.sideways"}),
        raw.get("/fulfillments", params={"sort[]": "unknown.asc"}),
        raw.post("/fulfillments/bulk_create", json={"data": "x"}),
        raw.get("/fulfillments_items/" + "x" * 500),
    ]
    for answer in attempts:
        assert 400 <= answer.status_code < 500, (answer.request.url, answer.text)
        assert set(answer.json()) == {"type", "errors", "retryable"}


def test_async_writes_answer_202_and_do_the_work(serve: Any, qs: Any) -> None:
    fake = serve("quickstart")
    client = fake.client(qs)
    accepted = client.create_fulfillment(
        qs.models.FulfillmentCreateRequest.model_validate(_new()), async_=True
    )
    assert accepted.status_code == 202 and accepted.data.request_id
    listed = client.list_fulfillments()
    assert [f.fulfillment_number for f in listed.data] == ["F-00000001"]
    raw = fake.http()
    fid = listed.data[0].id
    patched = raw.patch(f"/fulfillments/{fid}", json={"carrier": "X"}, headers={"async": "true"})
    assert patched.status_code == 202 and set(patched.json()) == {"request_id"}
    assert client.get_fulfillment(fid).carrier == "X"
    deleted = raw.delete(f"/fulfillments/{fid}", headers={"async": "true"})
    assert deleted.status_code == 202
    assert client.list_fulfillments().data == []


def test_idempotency_replay_and_mismatch(serve: Any) -> None:
    fake = serve("quickstart")
    raw = fake.http()
    headers = {"idempotency-key": "key-1"}
    first = raw.post("/fulfillments", json=_new(), headers=headers)
    again = raw.post("/fulfillments", json=_new(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert len(raw.get("/fulfillments").json()["data"]) == 1
    other = raw.post("/fulfillments", json=_new(quantity=5), headers=headers)
    assert other.status_code == 400
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
    # the same key under another entity is another key
    elsewhere = raw.post(
        "/fulfillments", json=_new(quantity=5), headers={**headers, "zuora-entity-ids": "e2"}
    )
    assert elsewhere.status_code == 201
    # failures are replayed too
    fid = first.json()["id"]
    raw.patch(f"/fulfillments/{fid}", json={"state": "complete"})
    bad = {"idempotency-key": "key-2"}
    refused = raw.patch(f"/fulfillments/{fid}", json={"state": "accepted"}, headers=bad)
    replay = raw.patch(f"/fulfillments/{fid}", json={"state": "accepted"}, headers=bad)
    assert refused.status_code == replay.status_code == 400
    assert refused.content == replay.content


def test_concurrent_requests_with_one_key_create_one(serve: Any) -> None:
    fake = serve("quickstart")
    raw = fake.http()
    headers = {"idempotency-key": "together"}

    def post(_: int) -> Any:
        return raw.post("/fulfillments", json=_new(), headers=headers)

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(post, range(32)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert len(raw.get("/fulfillments").json()["data"]) == 1


def test_seed_rules(serve: Any, tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"id": OLI, "quantity": 5}]), "utf-8")
    fake = serve("quickstart", seed=seed)
    raw = fake.http()
    unknown = raw.post("/fulfillments", json=_new(order_line_item_id="f" * 32))
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["parameter"] == "order_line_item_id"
    assert raw.post("/fulfillments", json=_new(quantity=3)).status_code == 201
    over = raw.post("/fulfillments", json=_new(quantity=3))
    assert over.status_code == 400 and over.json()["errors"][0]["parameter"] == "quantity"
    # a bulk create is all or nothing
    bulk = raw.post(
        "/fulfillments/bulk_create", json={"data": [_new(quantity=1), _new(quantity=9)]}
    )
    assert bulk.status_code == 400
    assert len(raw.get("/fulfillments").json()["data"]) == 1
    assert raw.post("/fulfillments", json=_new(quantity=2)).status_code == 201
    returned = raw.post("/fulfillments", json=_new(quantity=1, type="return"))
    assert returned.status_code == 201
    assert raw.post("/fulfillments", json=_new(quantity=1)).status_code == 201


def test_allow_edit_booked(serve: Any) -> None:
    """With the tenant permission "Allow Edit Of Booked Order Line Items", fields other than
    `state` may be edited while booked too, and no later; deleting still needs `accepted`."""
    raw = serve("quickstart", allow_edit_booked=True).http()
    fid = raw.post("/fulfillments", json=_new()).json()["id"]
    assert raw.patch(f"/fulfillments/{fid}", json={"state": "booked"}).status_code == 200
    edited = raw.patch(f"/fulfillments/{fid}", json={"carrier": "UPS", "quantity": 3})
    assert edited.status_code == 200
    assert edited.json()["carrier"] == "UPS" and edited.json()["state"] == "booked"
    assert raw.get(f"/fulfillments/{fid}").json()["quantity"] == 3
    assert raw.delete(f"/fulfillments/{fid}").status_code == 400
    assert raw.patch(f"/fulfillments/{fid}", json={"state": "sent_to_billing"}).status_code == 200
    late = raw.patch(f"/fulfillments/{fid}", json={"carrier": "DHL"})
    assert late.status_code == 400 and late.json()["errors"][0]["parameter"] == "carrier"
    assert "'accepted' or 'booked'" in late.json()["errors"][0]["message"]

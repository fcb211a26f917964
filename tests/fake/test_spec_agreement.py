"""Each disagreement schemathesis found between the fakes and their specs, as a quick test
through real HTTP (every answer contract-checked by the `serve` fixture). The full fuzz run
is `test_schemathesis.py` (slow)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
import yaml

from generator.fake.app import SHIPPED

BAD_TRACK_IDS = ["a;b", 'say "hi"', "it's", "x:y", "caf\u00e9", "\u0084"]


def spec_example(style: str, parameter: str) -> Any:
    data = yaml.safe_load(SHIPPED[style].read_text("utf-8"))
    return data["components"]["parameters"][parameter]["example"]


@pytest.mark.parametrize(("style", "path"), [("quickstart", "/fulfillments"),
                                             ("v1", "/v1/fulfillments/F-00000001")])  # fmt: skip
def test_track_id_outside_its_pattern_is_refused_and_not_echoed(
    serve: Any, style: str, path: str
) -> None:
    fake = serve(style)
    http = fake.http()
    header = "zuora-track-id" if style == "quickstart" else "Zuora-Track-Id"
    too_long = ["x" * 65] if style == "v1" else []  # v1 allows at most 64 characters
    for bad in [*BAD_TRACK_IDS, *too_long]:
        answer = http.get(path, headers={header: bad.encode("latin-1")})
        assert answer.status_code == 400, (bad, answer.text)
        assert "zuora-track-id" not in {k.lower() for k in answer.headers}, bad
    good = http.get(path, headers={header: "order-sync-2024-03-14-0042"})
    assert good.headers["zuora-track-id"] == "order-sync-2024-03-14-0042"


def test_v1_idempotency_key_longer_than_documented_is_refused(serve: Any) -> None:
    fake = serve("v1")
    body = {"fulfillments": [{"orderLineItemId": "a" * 32, "fulfillmentDate": "2025-01-01",
                              "quantity": 1}]}  # fmt: skip
    refused = fake.http().post(
        "/v1/fulfillments", json=body, headers={"Idempotency-Key": "k" * 256}
    )
    assert refused.status_code == 400 and refused.json()["success"] is False
    accepted = fake.http().post(
        "/v1/fulfillments", json=body, headers={"Idempotency-Key": "k" * 255}
    )
    assert accepted.status_code == 200 and accepted.json()["success"] is True


@pytest.mark.parametrize(
    ("style", "literal", "templated_methods", "allowed"),
    [
        ("quickstart", "/fulfillments/bulk_create", ["GET", "PATCH", "DELETE", "PUT"], "POST"),
        ("quickstart", "/fulfillments_items/bulk_create", ["GET", "PATCH", "DELETE"], "POST"),
        ("quickstart", "/fulfillments", ["PUT", "DELETE"], "GET, HEAD, POST"),
        ("v1", "/v1/fulfillments", ["GET", "PUT", "DELETE"], "POST"),
    ],
)
def test_a_literal_path_shadows_the_templated_one(
    serve: Any, style: str, literal: str, templated_methods: list[str], allowed: str
) -> None:
    """OpenAPI matches `/fulfillments/bulk_create` before `/fulfillments/{fulfillment_id}`:
    GET on it is not "get the fulfillment called bulk_create" but a 405 whose Allow lists the
    literal path's methods only."""
    fake = serve(style)
    for method in templated_methods:
        answer = fake.http().request(method, literal)
        assert answer.status_code == 405, (method, answer.text)
        assert answer.headers["allow"] == allowed


@pytest.mark.parametrize(("style", "path"), [("quickstart", "/fulfillments"),
                                             ("v1", "/v1/fulfillments")])  # fmt: skip
def test_content_encoding_is_gzip_or_refused(serve: Any, style: str, path: str) -> None:
    fake = serve(style)
    http = fake.http()
    header = "content-encoding" if style == "quickstart" else "Content-Encoding"
    if style == "quickstart":
        body: Any = {"order_line_item_id": "a" * 32, "fulfillment_date": "2025-01-01",
                     "quantity": 1}  # fmt: skip
        get_path = "/fulfillments"
    else:
        body = {"fulfillments": [{"orderLineItemId": "a" * 32, "fulfillmentDate": "2025-01-01",
                                  "quantity": 1}]}  # fmt: skip
        get_path = "/v1/fulfillments/F-00000001"
    data = json.dumps(body).encode()
    zipped = http.post(path, content=gzip.compress(data),
                       headers={header: "gzip", "Content-Type": "application/json"})  # fmt: skip
    assert zipped.status_code in (200, 201), zipped.text
    plain = http.post(path, content=data,
                      headers={header: "gzip", "Content-Type": "application/json"})  # fmt: skip
    assert plain.status_code == 400 and "gzip" in plain.text
    other = http.post(path, content=data,
                      headers={header: "AAA", "Content-Type": "application/json"})  # fmt: skip
    assert other.status_code == 400
    if style == "quickstart":  # its spec allows only gzip, even where there is no body
        assert http.get(get_path, headers={header: "AAA"}).status_code == 400


def test_quickstart_examples_of_cursor_and_item_filter_are_accepted(serve: Any) -> None:
    fake = serve("quickstart")
    http = fake.http()
    made = [
        http.post("/fulfillments", json={"order_line_item_id": "a" * 32,
                                         "fulfillment_date": "2025-01-01", "quantity": 1})
        for _ in range(25)
    ]  # fmt: skip
    assert all(m.status_code == 201 for m in made)
    cursor = spec_example("quickstart", "Cursor")
    page = http.get("/fulfillments", params={"cursor": cursor, "page_size": 3})
    assert page.status_code == 200, page.text
    assert [f["fulfillment_number"] for f in page.json()["data"]] == [
        "F-00000021", "F-00000022", "F-00000023"
    ]  # fmt: skip
    [condition] = spec_example("quickstart", "FulfillmentItemFilter")
    items = http.get("/fulfillments_items", params={"filter[]": condition})
    assert items.status_code == 200, items.text
    # a cursor this API did not issue is refused as the spec says
    refused = http.get("/fulfillments", params={"cursor": "not-a-cursor"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["parameter"] == "cursor"
    assert httpx.URL(fake.url).host == "127.0.0.1"

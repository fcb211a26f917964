"""Property-based robustness (a small stand-in for schemathesis): random, mostly-wrong requests
against both fakes never get a 5xx, and every answer conforms to the spec (checked by the
`serve` fixture's contract hook)."""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

QS_FIELDS = [
    "order_line_item_id",
    "fulfillment_date",
    "quantity",
    "state",
    "type",
    "carrier",
    "custom_fields",
    "revenue",
    "items",
    "description",
    "fulfillment_number",
    "data",
]
QS_TEMPLATE = {"order_line_item_id": "a" * 32, "fulfillment_date": "2025-01-01", "quantity": 1}
QS_OPS = [
    ("POST", "/fulfillments"),
    ("POST", "/fulfillments/bulk_create"),
    ("PATCH", "/fulfillments/{id}"),
    ("GET", "/fulfillments/{id}"),
    ("DELETE", "/fulfillments/{id}"),
    ("GET", "/fulfillments"),
    ("POST", "/fulfillments_items"),
    ("POST", "/fulfillments_items/bulk_create"),
    ("PATCH", "/fulfillments_items/{id}"),
    ("GET", "/fulfillments_items"),
]
V1_FIELDS = [
    "orderLineItemId",
    "fulfillmentDate",
    "quantity",
    "state",
    "fulfillmentType",
    "carrier",
    "customFields",
    "fulfillmentItems",
    "fulfillmentNumber",
    "fulfillmentId",
    "itemIdentifier",
]
V1_TEMPLATE = {"orderLineItemId": "a" * 32, "fulfillmentDate": "2025-01-01", "quantity": 1}
V1_OPS = [
    ("POST", "/v1/fulfillments"),
    ("PUT", "/v1/fulfillments/{id}"),
    ("GET", "/v1/fulfillments/{id}"),
    ("DELETE", "/v1/fulfillments/{id}"),
    ("POST", "/v1/fulfillment-items"),
    ("PUT", "/v1/fulfillment-items/{id}"),
    ("GET", "/v1/fulfillment-items/{id}"),
]
QUERY = st.dictionaries(
    st.sampled_from(["page_size", "cursor", "fields[]", "sort[]", "filter[]", "fulfillment-items"]),
    st.text(max_size=10) | st.integers(-5, 200).map(str),
    max_size=2,
)


def _body(template: dict[str, Any], fields: list[str]) -> Any:
    entry = st.dictionaries(st.sampled_from(fields), JSON, max_size=3).map(
        lambda extra: {**template, **extra}
    )
    return st.one_of(
        entry,
        entry.map(lambda e: {"data": [e]}),
        entry.map(lambda e: {"fulfillments": [e]}),
        entry.map(lambda e: {"fulfillmentItems": [e]}),
        JSON,
    )


def _run(fake: Any, ops: list[tuple[str, str]], body_strategy: Any, seed_ids: list[str]) -> None:
    raw = fake.http()

    @SETTINGS
    @given(
        op=st.sampled_from(ops),
        ident=st.sampled_from([*seed_ids, "/", "a/b", "..", "%"])
        | st.text(min_size=1, max_size=40),
        body=body_strategy,
        query=QUERY,
    )
    def check(op: tuple[str, str], ident: str, body: Any, query: dict[str, str]) -> None:
        method, template = op
        path = template.replace("{id}", urllib.parse.quote(ident, safe=""))
        kwargs: dict[str, Any] = {"params": query}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = body
        answer = raw.request(method, path, **kwargs)
        assert answer.status_code < 500, (method, path, body, answer.text)

    check()


def test_quickstart_never_500(serve: Any) -> None:
    fake = serve("quickstart")
    made = fake.http().post("/fulfillments", json={**QS_TEMPLATE, "items": [{}]}).json()
    items = fake.http().get("/fulfillments_items").json()["data"]
    _run(fake, QS_OPS, _body(QS_TEMPLATE, QS_FIELDS), [made["id"], items[0]["id"], "F-00000001"])
    assert fake.checked.count > 30


def test_v1_never_500(serve: Any) -> None:
    fake = serve("v1")
    made = (
        fake.http()
        .post(
            "/v1/fulfillments", json={"fulfillments": [{**V1_TEMPLATE, "fulfillmentItems": [{}]}]}
        )
        .json()["fulfillments"][0]
    )
    ids = [made["id"], made["fulfillmentNumber"], made["fulfillmentItems"][0]["id"]]
    _run(fake, V1_OPS, _body(V1_TEMPLATE, V1_FIELDS), ids)
    assert fake.checked.count > 30

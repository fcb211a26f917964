"""The shipped Zuora specs carry the documented facts (operations, enums, limits, closedness)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from generator.load.workspace import Document, Workspace
from generator.openapi.model import HTTP_METHODS
from tests.conftest import ROOT

V1 = ROOT / "specs/v1/fulfillments.yaml"
QS = ROOT / "specs/quickstart/fulfillments.yaml"


def load(path: Any) -> tuple[Workspace, Document]:
    ws = Workspace.open(path)
    return ws, ws.root


def deref(ws: Workspace, value: Any) -> Any:
    return ws.deref(ws.root, "", value)[2]


def operations(doc: Document) -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, item in doc.data["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                found[op["operationId"]] = (method.upper(), path, op)
    return found


def success_status(op: dict[str, Any]) -> str:
    """The synchronous success status (202 is the `async: true` answer)."""
    return min(s for s in op["responses"] if s.startswith("2") and s != "202")


@pytest.mark.parametrize(
    ("path", "table"),
    [
        (
            V1,
            {
                "createFulfillments": ("POST", "/v1/fulfillments", "200"),
                "getFulfillment": ("GET", "/v1/fulfillments/{key}", "200"),
                "updateFulfillment": ("PUT", "/v1/fulfillments/{key}", "200"),
                "deleteFulfillment": ("DELETE", "/v1/fulfillments/{key}", "200"),
                "createFulfillmentItems": ("POST", "/v1/fulfillment-items", "200"),
                "getFulfillmentItem": ("GET", "/v1/fulfillment-items/{id}", "200"),
                "updateFulfillmentItem": ("PUT", "/v1/fulfillment-items/{id}", "200"),
                "deleteFulfillmentItem": ("DELETE", "/v1/fulfillment-items/{id}", "200"),
            },
        ),
        (
            QS,
            {
                "listFulfillments": ("GET", "/fulfillments", "200"),
                "createFulfillment": ("POST", "/fulfillments", "201"),
                "createFulfillments": ("POST", "/fulfillments/bulk_create", "201"),
                "getFulfillment": ("GET", "/fulfillments/{fulfillment_id}", "200"),
                "updateFulfillment": ("PATCH", "/fulfillments/{fulfillment_id}", "200"),
                "deleteFulfillment": ("DELETE", "/fulfillments/{fulfillment_id}", "204"),
                "listFulfillmentItems": ("GET", "/fulfillments_items", "200"),
                "createFulfillmentItem": ("POST", "/fulfillments_items", "201"),
                "createFulfillmentItems": ("POST", "/fulfillments_items/bulk_create", "201"),
                "getFulfillmentItem": ("GET", "/fulfillments_items/{fulfillment_item_id}", "200"),
                "updateFulfillmentItem": (
                    "PATCH",
                    "/fulfillments_items/{fulfillment_item_id}",
                    "200",
                ),
                "deleteFulfillmentItem": (
                    "DELETE",
                    "/fulfillments_items/{fulfillment_item_id}",
                    "204",
                ),
            },
        ),
    ],
    ids=["v1", "quickstart"],
)
def test_operation_table(path: Any, table: dict[str, tuple[str, str, str]]) -> None:
    _, doc = load(path)
    ops = operations(doc)
    assert {k: (m, p, success_status(op)) for k, (m, p, op) in ops.items()} == table
    for _, _, op in ops.values():
        assert op.get("security", doc.data["security"]) == [{"bearerAuth": []}]


def test_servers_and_security() -> None:
    for path, urls in [
        (V1, {"https://rest.zuora.com", "https://rest.apisandbox.zuora.com"}),
        (QS, {"https://rest.zuora.com/v2", "https://rest.apisandbox.zuora.com/v2"}),
    ]:
        _, doc = load(path)
        assert {s["url"] for s in doc.data["servers"]} >= urls
        scheme = doc.data["components"]["securitySchemes"]["bearerAuth"]
        assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_enums() -> None:
    _, v1 = load(V1)
    _, qs = load(QS)
    v1_schemas, qs_schemas = v1.data["components"]["schemas"], qs.data["components"]["schemas"]
    assert v1_schemas["FulfillmentState"]["enum"] == [
        "Executing",
        "Booked",
        "SentToBilling",
        "Complete",
        "Cancelled",
    ]
    assert v1_schemas["FulfillmentType"]["enum"] == ["Delivery", "Return"]
    assert qs_schemas["FulfillmentState"]["enum"] == [
        "accepted",
        "booked",
        "sent_to_billing",
        "complete",
        "canceled",
    ]
    assert qs_schemas["FulfillmentType"]["enum"] == ["delivery", "return"]


def test_v1_field_limits() -> None:
    _, doc = load(V1)
    props = doc.data["components"]["schemas"]["Fulfillment"]["properties"]
    limits = {
        name: props[name].get("maxLength")
        for name in (
            "carrier",
            "trackingNumber",
            "description",
            "externalId",
            "fulfillmentLocation",
            "fulfillmentSystem",
            "orderLineItemId",
        )
    }
    assert limits == {
        "carrier": 25,
        "trackingNumber": 50,
        "description": 255,
        "externalId": 50,
        "fulfillmentLocation": 50,
        "fulfillmentSystem": 25,
        "orderLineItemId": 32,
    }
    assert set(doc.data["components"]["schemas"]["Fulfillment"]["required"]) == {
        "orderLineItemId",
        "fulfillmentDate",
        "quantity",
    }


def test_v1_key_is_not_uuid_only_and_objects_are_open() -> None:
    ws, doc = load(V1)
    item = doc.data["paths"]["/v1/fulfillments/{key}"]
    key = next(p for p in map(lambda p: deref(ws, p), item["parameters"]) if p["name"] == "key")
    assert key["schema"].get("format") is None
    assert "additionalProperties: false" not in doc.text


def test_quickstart_objects_closed_except_custom_fields() -> None:
    _, doc = load(QS)
    open_ones = sorted(
        name
        for name, schema in doc.data["components"]["schemas"].items()
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False
    )
    assert open_ones == ["CustomFields", "CustomObjects"]


def test_track_id_and_page_size_rules() -> None:
    for path, name in [(V1, "Zuora-Track-Id"), (QS, "zuora-track-id")]:
        ws, doc = load(path)
        params = [deref(ws, p) for p in doc.data["components"]["parameters"].values()]
        track = next(p for p in params if p["name"] == name)
        pattern = re.compile(track["schema"]["pattern"])
        assert pattern.search("order-42 batch/7")
        for bad in ("a:b", "a;b", 'a"b', "a'b", "caf\u00e9"):
            assert not pattern.search(bad), bad
    ws, doc = load(QS)
    params = [deref(ws, p) for p in doc.data["components"]["parameters"].values()]
    page = next(p for p in params if p["name"] == "page_size")
    assert (page["schema"]["minimum"], page["schema"]["maximum"]) == (1, 99)


def test_quickstart_error_body_shape() -> None:
    _, doc = load(QS)
    error = doc.data["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"type", "errors", "retryable"}
    assert error["additionalProperties"] is False
    for op in operations(doc).values():
        assert {"400", "401", "404", "405", "429", "500", "502", "503", "504"} <= set(
            op[2]["responses"]
        )

"""The contract engine on real cases from both Zuora specs: every finding kind, located in the
traffic (pointer) and in the spec (schema_pointer, with $ref names kept)."""

from __future__ import annotations

from typing import Any

import pytest

from generator.contract import Contract, Exchange, Request, Response
from generator.contract.findings import ContractFinding, Kind
from tests.conftest import ROOT

JSON = (("Content-Type", "application/json"),)
AUTH = (("Authorization", "Bearer token"),)
OLI = "8ad085e287142db601872469b9ec0944"


@pytest.fixture(scope="module")
def qs() -> Contract:
    return Contract.load(ROOT / "specs/quickstart/fulfillments.yaml")


@pytest.fixture(scope="module")
def v1() -> Contract:
    return Contract.load(ROOT / "specs/v1/fulfillments.yaml")


def check(
    contract: Contract,
    method: str,
    url: str,
    body: Any = None,
    *,
    headers: tuple[tuple[str, str], ...] = JSON + AUTH,
    status: int | None = None,
    response_body: Any = None,
    response_headers: tuple[tuple[str, str], ...] = JSON,
) -> list[ContractFinding]:
    request = Request(
        method=method, url=url, headers=headers, **({"body": body} if body is not None else {})
    )
    response = None
    if status is not None:
        response = Response(
            status=status,
            headers=response_headers,
            **({"body": response_body} if response_body is not None else {}),
        )
    return contract.check(Exchange(0, request, response)).findings


def summary(findings: list[ContractFinding]) -> list[tuple[str, str, str, str]]:
    return [(f.location, f.part.value, f.pointer, f.kind.value) for f in findings]


GOOD_FULFILLMENT = {"order_line_item_id": OLI, "fulfillment_date": "2024-03-01", "quantity": 2}


def test_conforming_exchange_has_no_findings(qs: Contract) -> None:
    findings = check(
        qs,
        "POST",
        "https://rest.apisandbox.zuora.com/v2/fulfillments?fields[]=id,created_time",
        GOOD_FULFILLMENT,
        status=201,
        response_body={
            "id": "8ad08ccf8437067601843a7af4e64rq3",
            "state": "accepted",
            "created_time": "2024-03-01T10:00:00-07:00",
        },
        response_headers=(*JSON, ("Zuora-Request-Id", "0" * 36)),
    )
    assert findings == []


def test_every_difference_is_reported_with_its_location(qs: Contract) -> None:
    body = {
        "data": [
            {
                "order_line_item_id": OLI,
                "fulfillment_date": "2024-13-01",
                "quantity": "2",
                "colour": "red",
            },
            {"fulfillment_date": "2024-03-01", "quantity": 1, "state": "cancelled"},
        ]
    }
    findings = check(
        qs,
        "POST",
        "/v2/fulfillments/bulk_create?page_size=100&fields[]=id,bogus",
        body,
        headers=JSON + AUTH + (("zuora-track-id", "batch:7"),),
    )
    assert summary(findings) == [
        ("request", "query", "/fields[]/0", "pattern_mismatch"),
        ("request", "query", "/page_size", "out_of_range"),
        ("request", "header", "/zuora-track-id", "pattern_mismatch"),
        ("request", "body", "/data/0/fulfillment_date", "bad_format"),
        ("request", "body", "/data/0/quantity", "wrong_type"),
        ("request", "body", "/data/0/colour", "unexpected_property"),
        ("request", "body", "/data/1/order_line_item_id", "missing_required"),
        ("request", "body", "/data/1/state", "not_in_enum"),
    ]
    by_pointer = {f.pointer: f for f in findings}
    assert by_pointer["/page_size"].expected == "<= 99"
    assert by_pointer["/page_size"].actual == 100
    assert (
        by_pointer["/page_size"].schema_pointer == "#/components/parameters/PageSize/schema/maximum"
    )
    assert (
        by_pointer["/data/1/state"].schema_pointer == "#/components/schemas/FulfillmentState/enum"
    )
    assert by_pointer["/data/0/quantity"].expected == "number"
    assert by_pointer["/data/0/quantity"].actual == "string"
    assert all(f.operation == "createFulfillments" for f in findings)


def test_undocumented_operation_and_status(qs: Contract, v1: Contract) -> None:
    assert summary(check(qs, "GET", "/v2/invoices")) == [
        ("request", "operation", "", "undocumented_operation")
    ]
    wrong_method = check(v1, "PATCH", "/v1/fulfillments/F-00000001")
    assert wrong_method[0].kind is Kind.UNDOCUMENTED_OPERATION
    assert "documented, but not for PATCH" in wrong_method[0].message
    teapot = check(qs, "GET", "/fulfillments/abc", status=418)
    assert summary(teapot) == [("response", "status", "", "undocumented_status")]
    assert teapot[0].actual == 418


def test_missing_parameter_and_credentials(qs: Contract) -> None:
    findings = check(qs, "GET", "/fulfillments", headers=())
    assert summary(findings) == [("request", "header", "/Authorization", "missing_parameter")]


def test_content_type_and_invalid_json(v1: Contract) -> None:
    wrong = Request(
        method="POST",
        url="/v1/fulfillments",
        headers=(*AUTH, ("Content-Type", "text/plain")),
        text="hello",
    )
    findings = v1.check(Exchange(0, wrong)).findings
    assert summary(findings) == [("request", "content_type", "", "wrong_content_type")]
    broken = Request(method="POST", url="/v1/fulfillments", headers=AUTH + JSON, text="{nope")
    findings = v1.check(Exchange(0, broken)).findings
    assert summary(findings) == [("request", "body", "", "invalid_json")]


def test_v1_read_only_in_request_and_open_objects(v1: Contract) -> None:
    body = {
        "fulfillments": [
            {
                "id": "x" * 32,
                "orderLineItemId": OLI,
                "fulfillmentDate": "2024-03-01",
                "quantity": 1,
                "newField": 1,
            }
        ]
    }
    findings = check(v1, "POST", "https://rest.zuora.com/v1/fulfillments", body)
    assert summary(findings) == [("request", "body", "/fulfillments/0/id", "unexpected_property")]
    assert "read-only" in findings[0].message


def test_v1_in_band_error_uses_the_closest_branch(v1: Contract) -> None:
    findings = check(
        v1,
        "DELETE",
        "/v1/fulfillments/F-00000001",
        status=200,
        response_body={"success": False, "reasons": [{"code": 123, "message": "x"}]},
    )
    assert summary(findings) == [("response", "body", "/reasons/0/code", "out_of_range")]
    assert findings[0].schema_pointer == "#/components/schemas/ErrorReason/properties/code/minimum"


def test_response_headers_and_formats(qs: Contract) -> None:
    findings = check(
        qs,
        "GET",
        "/fulfillments/abc",
        status=200,
        response_body={"id": "abc", "created_time": "yesterday"},
        response_headers=(*JSON, ("Zuora-Request-Id", "short")),
    )
    assert summary(findings) == [
        ("response", "header", "/Zuora-Request-Id", "out_of_range"),
        ("response", "body", "/created_time", "bad_format"),
    ]


def test_nullable_in_3_1_type_arrays(qs: Contract) -> None:
    ok = check(
        qs, "GET", "/fulfillments", status=200, response_body={"next_page": None, "data": []}
    )
    assert ok == []
    bad = check(qs, "GET", "/fulfillments", status=200, response_body={"next_page": 5, "data": []})
    assert summary(bad) == [("response", "body", "/next_page", "wrong_type")]


def test_server_prefix_and_path_parameters(qs: Contract, v1: Contract) -> None:
    for url in ("/v2/fulfillments/bulk_create", "/fulfillments/bulk_create"):
        findings = check(qs, "POST", url, {"data": [GOOD_FULFILLMENT]})
        assert findings == [], url
    item = check(v1, "GET", "/v1/fulfillment-items/abc?fulfillment-items=maybe")
    assert item == []  # the query parameter belongs to another operation and is ignored
    got = check(v1, "GET", "/v1/fulfillments/F-00000001?fulfillment-items=maybe")
    assert summary(got) == [("request", "query", "/fulfillment-items", "wrong_type")]


def test_missing_body(qs: Contract) -> None:
    findings = qs.check(
        Exchange(0, Request(method="POST", url="/fulfillments", headers=AUTH))
    ).findings
    assert summary(findings) == [("request", "body", "", "missing_required")]


def test_property_names_point_at_the_offending_key(qs: Contract) -> None:
    body = {**GOOD_FULFILLMENT, "custom_fields": {"priority__c": "high", "priority": 1}}
    findings = check(qs, "POST", "/fulfillments", body)
    assert summary(findings) == [("request", "body", "/custom_fields/priority", "pattern_mismatch")]
    assert findings[0].actual == "priority"
    assert findings[0].schema_pointer == "#/components/schemas/CustomFields/propertyNames/pattern"

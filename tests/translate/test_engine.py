"""The translator as a library: what is dropped, left out or derived, and where it is reported."""

from __future__ import annotations

import pytest

from generator.contract.exchange import NO_BODY, Exchange, Request, Response
from generator.translate import Translator

ID = "8ad0887e8e3a4b1c018e3b2a9d4e0012"
AUTH = (("Authorization", "Bearer t"),)


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.load()


def test_values_the_target_cannot_hold_are_dropped_and_reported(translator: Translator) -> None:
    patch = {"carrier": "C" * 30, "quantity": 3, "custom_fields": {"a__c": 1}}
    result = translator.exchange(
        Exchange(0, Request(method="PATCH", url=f"/v2/fulfillments/{ID}", headers=AUTH,
                            body=patch)), "v1")  # fmt: skip
    assert result.translated is not None
    assert result.translated.method == "PUT" and result.translated.url == f"/v1/fulfillments/{ID}"
    assert result.translated.request_body == {"quantity": 3, "customFields": {"a__c": 1}}
    [problem] = result.problems
    assert problem.pointer == "/carrier" and "longer than 25 characters" in problem.message
    # custom field names never change: one Quickstart refuses is dropped, not renamed
    body = {"customFields": {"Colour": "red", "size__c": 2}}
    there = translator.body("updateFulfillment", "quickstart", body)
    assert there.body == {"custom_fields": {"size__c": 2}}
    assert [p.pointer for p in there.problems] == ["/customFields/Colour"]


def test_statuses_without_counterpart_leave_the_exchange_out(translator: Translator) -> None:
    forbidden = Exchange(
        0,
        Request(method="DELETE", url=f"/v1/fulfillments/{ID}", headers=AUTH),
        Response(status=403, body={"success": False, "reasons": [{"code": 53100310,
                                                                  "message": "no"}]}),
    )  # fmt: skip
    result = translator.exchange(forbidden, "quickstart")
    assert result.translated is None
    [problem] = result.problems
    assert problem.left_out and problem.part == "status"
    assert "Quickstart documents no 403" in problem.message
    queued = Exchange(
        0,
        Request(method="DELETE", url=f"/v2/fulfillments/{ID}", headers=(*AUTH, ("async", "true"))),
        Response(status=202, body={"request_id": "r"}),
    )
    result = translator.exchange(queued, "v1")
    assert result.translated is None
    assert [p.part for p in result.problems] == ["header", "status"]
    assert "v1 has no asynchronous writes" in result.problems[1].message


def test_error_shapes(translator: Translator) -> None:
    # v1 business errors: the reason code's category picks the status
    for code, status, kind in ((53100340, 404, "not_found"), (53100320, 400, "bad_request")):
        out = translator.body(
            "getFulfillment", "quickstart",
            {"success": False, "processId": "P1", "reasons": [{"code": code, "message": "m"}]},
            response=200,
        )  # fmt: skip
        assert out.status == status
        assert out.body == {"type": kind, "retryable": False,
                            "errors": [{"code": str(code), "message": "m"}]}  # fmt: skip
        assert [p.pointer for p in out.problems] == ["/processId"]
    # a Quickstart error whose type or retryable say more than its status: reported
    detail = {"code": "invalid_parameter", "parameter": "state", "message": "m"}
    qs = {"type": "conflict", "retryable": True, "errors": [detail]}
    out = translator.body("updateFulfillment", "v1", qs, response=400)
    assert out.status == 400
    assert out.body == {"success": False, "reasons": [{"code": 50000020, "message": "m"}]}
    assert sorted(p.pointer for p in out.problems) == ["/errors/0/parameter", "/retryable", "/type"]
    assert out.lossy == ["/errors/0/code"]
    # a 5xx Quickstart answers that v1 never gives
    gone = translator.body("getFulfillment", "v1", {"type": "service_unavailable",
                                                    "errors": [], "retryable": True},
                           response=503)  # fmt: skip
    assert gone.body is NO_BODY and gone.problems[0].left_out


def test_traffic_already_in_the_target_style_is_named_so(translator: Translator) -> None:
    result = translator.exchange(
        Exchange(0, Request(method="GET", url=f"/v1/fulfillments/{ID}")), "v1"
    )
    assert result.translated is None
    assert "it is v1 traffic already" in result.problems[0].message


def test_a_mapped_header_the_target_operation_does_not_take_is_reported(
    translator: Translator,
) -> None:
    headers = (*AUTH, ("idempotency-key", "k-1"), ("zuora-track-id", "t-1"))
    result = translator.exchange(
        Exchange(0, Request(method="PATCH", url=f"/v2/fulfillments/{ID}", headers=headers,
                            body={"quantity": 1})), "v1")  # fmt: skip
    assert result.translated is not None
    assert ("Zuora-Track-Id", "t-1") in result.translated.request_headers
    assert all(n.lower() != "idempotency-key" for n, _ in result.translated.request_headers)
    [problem] = result.problems
    assert problem.pointer == "/idempotency-key"
    assert problem.message == "v1 updateFulfillment takes no Idempotency-Key header"

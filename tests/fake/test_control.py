"""The control API under `/__apicontract/`, driven over real HTTP against `apicontract serve`
processes: faults (status, times, headers, body, delay, dropped connections), reset, the
redacted request log, and `--token`."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from generator.contract import Contract
from tests.fake.conftest import ROOT
from tests.fake.test_serve_cli import Served

PETSTORE = ROOT / "tests" / "data" / "public" / "petstore" / "petstore-expanded.yaml"
QUICKSTART = ROOT / "specs" / "quickstart" / "fulfillments.yaml"
AUTH = {"Authorization": "Bearer t"}


@pytest.fixture
def pets(tmp_path: Path) -> Iterator[str]:
    served = Served(PETSTORE, cache=tmp_path / "cache")
    try:
        yield served.url
    finally:
        served.stop(signal.SIGTERM)


@pytest.fixture
def quickstart(tmp_path: Path) -> Iterator[str]:
    served = Served(QUICKSTART, "--db", ":memory:", "--token", "t", cache=tmp_path / "cache")
    try:
        yield served.url
    finally:
        served.stop(signal.SIGTERM)


def test_fault_by_template_times_headers_and_spec_error_shape(quickstart: str) -> None:
    contract = Contract.load(QUICKSTART)
    fault = {
        "method": "GET",
        "path": "/fulfillments/{fulfillment_id}",
        "status": 429,
        "times": 2,
        "headers": {"Retry-After": "1"},
    }
    added = httpx.post(f"{quickstart}/__apicontract/faults", json=fault, headers=AUTH)
    assert added.status_code == 201
    listed = httpx.get(f"{quickstart}/__apicontract/faults", headers=AUTH).json()["faults"]
    assert listed[0]["times"] == 2 and listed[0]["status"] == 429
    for _ in range(2):
        failed = httpx.get(f"{quickstart}/fulfillments/any-id", headers=AUTH)
        assert failed.status_code == 429
        assert failed.headers["retry-after"] == "1"
        # the body is Quickstart's documented error shape for 429, and conforms
        assert failed.json()["type"] == "too_many_requests"
        assert failed.json()["retryable"] is True
        result = contract.check_httpx(failed.request, failed)
        assert [f for f in result.findings if f.location == "response"] == []
    # the third is real again: an unknown id is the documented 404
    assert httpx.get(f"{quickstart}/fulfillments/any-id", headers=AUTH).status_code == 404
    # other operations were never affected
    assert httpx.get(f"{quickstart}/fulfillments", headers=AUTH).status_code == 200


def test_fault_on_a_concrete_path_with_a_body_and_a_delay(pets: str) -> None:
    httpx.post(
        f"{pets}/__apicontract/faults",
        json={
            "path": "/pets",
            "method": "POST",
            "status": 503,
            "body": {"code": 1, "message": "x"},
        },
    ).raise_for_status()
    failed = httpx.post(f"{pets}/pets", json={"name": "rex"})
    assert failed.status_code == 503 and failed.json() == {"code": 1, "message": "x"}
    assert httpx.post(f"{pets}/pets", json={"name": "rex"}).status_code == 200
    # a delay alone slows the real answer
    httpx.post(f"{pets}/__apicontract/faults", json={"path": "/pets", "delay_ms": 400})
    started = time.monotonic()
    slow = httpx.get(f"{pets}/pets")
    assert slow.status_code == 200 and len(slow.json()) == 1
    assert time.monotonic() - started >= 0.35
    # and makes a client's timeout fire
    httpx.post(f"{pets}/__apicontract/faults", json={"path": "/pets", "delay_ms": 1000})
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{pets}/pets", timeout=0.2)


def test_reset_connection_and_clearing_faults(pets: str) -> None:
    httpx.post(
        f"{pets}/__apicontract/faults",
        json={"path": "/pets/{id}", "reset_connection": True, "times": 3},
    ).raise_for_status()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{pets}/pets/1")
    assert httpx.delete(f"{pets}/__apicontract/faults").status_code == 204
    assert httpx.get(f"{pets}/pets/1").status_code == 404
    assert httpx.get(f"{pets}/__apicontract/faults").json() == {"faults": []}


def test_bad_faults_are_refused_with_the_reason(pets: str) -> None:
    for fault, words in [
        ({"path": "/pets"}, "needs a status"),
        ({"path": "pets", "status": 500}, "path must"),
        ({"path": "/pets", "status": 700}, "status"),
        ({"path": "/pets", "status": 500, "times": 0}, "times"),
        ({"path": "/pets", "status": 500, "colour": "red"}, "colour"),
    ]:
        refused = httpx.post(f"{pets}/__apicontract/faults", json=fault)
        assert refused.status_code == 400 and words in refused.json()["message"], fault
    assert httpx.get(f"{pets}/__apicontract/nothing").status_code == 404


def test_reset_empties_the_state(quickstart: str, pets: str) -> None:
    httpx.post(f"{pets}/pets", json={"name": "rex"}).raise_for_status()
    assert len(httpx.get(f"{pets}/pets").json()) == 1
    assert httpx.post(f"{pets}/__apicontract/reset").status_code == 204
    assert httpx.get(f"{pets}/pets").json() == []
    assert httpx.get(f"{pets}/__apicontract/requests").json()["requests"][-1]["path"] == "/pets"
    # a Zuora style's store too (its numbering starts again)
    body = {"order_line_item_id": "o" * 32, "fulfillment_date": "2025-01-02", "quantity": 1}
    first = httpx.post(f"{quickstart}/fulfillments", json=body, headers=AUTH).json()
    assert httpx.post(f"{quickstart}/__apicontract/reset", headers=AUTH).status_code == 204
    assert httpx.get(f"{quickstart}/fulfillments", headers=AUTH).json()["data"] == []
    again = httpx.post(f"{quickstart}/fulfillments", json=body, headers=AUTH).json()
    assert again["fulfillment_number"] == first["fulfillment_number"]


def test_requests_are_logged_checked_and_redacted(quickstart: str) -> None:
    httpx.get(f"{quickstart}/fulfillments?page_size=2", headers={"Authorization": "Bearer t"})
    httpx.post(f"{quickstart}/fulfillments", json={"quantity": "many"}, headers=AUTH)
    log = httpx.get(f"{quickstart}/__apicontract/requests", headers=AUTH).json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/fulfillments", 200),
        ("POST", "/fulfillments", 400),
    ]
    assert log[0]["query"] == "page_size=2"
    assert log[0]["headers"]["authorization"] == "Bearer REDACTED"
    assert "t" not in log[0]["headers"]["authorization"].split()[-1]
    assert log[0]["operation"] == "listFulfillments" and log[0]["findings"] == []
    # the off-spec request is named with what the spec expected
    pointers = {f["pointer"] for f in log[1]["findings"]}
    assert "/quantity" in pointers and "/order_line_item_id" in pointers


def test_the_control_api_needs_the_token(quickstart: str) -> None:
    for method, path in [
        ("GET", "/requests"),
        ("POST", "/reset"),
        ("DELETE", "/faults"),
        ("POST", "/faults"),
    ]:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            refused = httpx.request(method, f"{quickstart}/__apicontract{path}", headers=headers)
            assert refused.status_code == 401, (method, path, headers)
    assert httpx.get(f"{quickstart}/__apicontract/requests", headers=AUTH).status_code == 200


def test_both_styles_share_one_control_api(tmp_path: Path) -> None:
    """`serve --style both`: one control API; faults match each style's own templates (the
    Quickstart ones under /v2) and answer in that style's error shape."""
    served = Served("--style", "both", "--db", ":memory:", "--token", "t", cache=tmp_path / "c")
    try:
        url = served.url
        httpx.post(
            f"{url}/__apicontract/faults",
            headers=AUTH,
            json=[
                {"path": "/v2/fulfillments/{fulfillment_id}", "status": 503},
                {"path": "/v1/fulfillments/{key}", "status": 503},
            ],
        ).raise_for_status()
        quick = httpx.get(f"{url}/v2/fulfillments/x", headers=AUTH)
        assert quick.status_code == 503 and quick.json()["type"] == "service_unavailable"
        v1 = httpx.get(f"{url}/v1/fulfillments/x", headers=AUTH)
        assert v1.status_code == 503 and v1.json()["success"] is False
        log = httpx.get(f"{url}/__apicontract/requests", headers=AUTH).json()["requests"]
        assert [r["operation"] for r in log] == ["getFulfillment", "getFulfillment"]
        assert [r["path"] for r in log] == ["/v2/fulfillments/x", "/v1/fulfillments/x"]
    finally:
        served.stop(signal.SIGTERM)

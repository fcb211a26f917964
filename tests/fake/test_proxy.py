"""`serve --proxy UPSTREAM --record FILE` in front of the fake itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.contract.run import run_check
from generator.fake.app import SHIPPED
from generator.fake.proxy import build_proxy_app
from tests.fake.conftest import LiveServer


def test_proxy_forwards_checks_and_records(
    serve: Any, generated: tuple[Any, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qs = generated[0]
    upstream = serve("quickstart")
    har = tmp_path / "traffic.har"
    app = build_proxy_app(SHIPPED["quickstart"], upstream.url, har)
    with LiveServer(app) as proxy:
        client = qs.Client(proxy.url, token="t", max_retries=0)
        made = client.create_fulfillment(
            qs.models.FulfillmentCreateRequest.model_validate(
                {"order_line_item_id": "a" * 32, "fulfillment_date": "2025-01-01", "quantity": 1}
            ),
            idempotency_key="proxy-1",
        )
        assert made.fulfillment_number == "F-00000001"
        assert client.get_fulfillment(made.id).id == made.id
        assert [f.id for f in client.list_fulfillments(page_size=5).data] == [made.id]
        with pytest.raises(qs.BadRequestError):
            client.list_fulfillments(page_size=100)  # a request finding, logged by the proxy
        client.close()
    entries = json.loads(har.read_text("utf-8"))["log"]["entries"]
    assert [e["request"]["method"] for e in entries] == ["POST", "GET", "GET", "GET"]
    assert entries[0]["response"]["status"] == 201
    assert json.loads(entries[0]["response"]["content"]["text"])["id"] == made.id
    err = capsys.readouterr().err
    assert "page_size" in err and "99" in err
    assert err.count("apicontract proxy:") == 1
    # the recording is a valid HAR for `apicontract check`: one request finding, nothing else
    counts = run_check(
        SHIPPED["quickstart"], [str(har)], fmt="json", jobs=1, output=str(tmp_path / "r.json")
    )
    assert counts.findings == 1

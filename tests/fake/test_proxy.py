"""`serve --proxy UPSTREAM --record FILE` in front of the fake itself."""

from __future__ import annotations

import base64
import json
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.contract.run import run_check
from generator.fake.app import SHIPPED
from generator.fake.proxy import build_proxy_app
from tests.conftest import CliRunner
from tests.contract import upstream as up
from tests.fake.conftest import LiveServer
from tests.fake.test_serve_cli import Served


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


@pytest.mark.parametrize("keep", [False, True])
def test_proxy_recording_holds_no_credentials_unless_kept(
    tmp_path: Path, cli: CliRunner, keep: bool
) -> None:
    """`apicontract serve SPEC --proxy URL --record FILE` (a real process on 127.0.0.1, for a
    spec that is not Zuora's): the HAR holds REDACTED where the bearer token, the cookies and
    every apiKey parameter of the spec were, keeps every body byte, and `check` judges it as
    it would the verbatim recording (`--keep-secrets`)."""
    har = tmp_path / "proxy.har"
    flags = ["--keep-secrets"] if keep else []
    with up.upstream() as url:
        proxy = Served(up.SPEC, "--proxy", url, "--record", har, *flags, cache=tmp_path / "c")
        try:
            with httpx.Client(base_url=proxy.url, timeout=10) as client:
                responses = up.exchange_all(client)
        finally:
            assert proxy.stop(signal.SIGTERM) == 0
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 201, 200, 200, 200]
    assert responses[4].content == up.BINARY and responses[7].content == up.BINARY
    raw = har.read_bytes()
    for secret in up.SECRETS:
        assert (secret.encode() in raw) is keep, secret
    entries = json.loads(raw)["log"]["entries"]
    assert len(entries) == 8
    assert base64.b64decode(entries[4]["request"]["postData"]["text"]) == up.BINARY
    assert base64.b64decode(entries[7]["response"]["content"]["text"]) == up.BINARY
    done = cli("check", up.SPEC, har, "--format", "json")
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [f["exchange"] for f in findings if f["kind"] == "missing_parameter"] == [2]


def test_keep_secrets_needs_a_recording(cli: CliRunner) -> None:
    done = cli("serve", "--style", "v1", "--keep-secrets")
    assert done.returncode == 2
    assert "--keep-secrets needs --record FILE" in done.stderr

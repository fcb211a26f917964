"""The one HAR writer (`generator.contract.traffic.record`): real exchanges with a server on
127.0.0.1 are recorded, every body byte survives, the engine's HAR reader gives back what the
httpx adapter sees, and credentials are redacted unless kept."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.contract import Contract, Exchange
from generator.contract.bodies import charset
from generator.contract.exchange import Message
from generator.contract.httpx_adapter import from_httpx_request, from_httpx_response
from generator.contract.traffic import read_exchanges
from generator.contract.traffic.record import HarWriter, body_content, har_entry
from generator.contract.traffic.redact import REDACTED, Credentials, Redactor
from tests.conftest import CliRunner
from tests.contract import upstream as up


def har_bytes(holder: dict[str, Any]) -> bytes:
    """The bytes a HAR `content` / `postData` object stands for."""
    if holder.get("encoding") == "base64":
        return base64.b64decode(holder["text"])
    charset = "utf-8"
    for parameter in holder.get("mimeType", "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip()
    return str(holder.get("text", "")).encode(charset)


def record(path: Path, redactor: Redactor) -> list[httpx.Response]:
    """Every exchange of `exchange_all`, recorded as it completes (as the plugin does)."""
    writer = HarWriter(path, "test")

    def hook(response: httpx.Response) -> None:
        response.read()
        writer.add(har_entry(response.request, response, redactor=redactor))

    with (
        up.upstream() as url,
        httpx.Client(base_url=url, timeout=10, event_hooks={"response": [hook]}) as client,
    ):
        responses = up.exchange_all(client)
    writer.write()
    return responses


def credentials() -> Credentials:
    return Credentials.of_model(Contract.load(up.SPEC).model)


def test_every_body_byte_is_kept_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "kept.har"
    responses = record(path, Redactor(keep=True))
    entries = json.loads(path.read_text("utf-8"))["log"]["entries"]
    assert len(entries) == len(responses)
    for entry, response in zip(entries, responses, strict=True):
        assert har_bytes(entry["response"]["content"]) == response.content
        assert entry["response"]["content"]["size"] == len(response.content)
        sent = response.request.content
        if sent:
            assert har_bytes(entry["request"]["postData"]) == sent
            assert entry["request"]["bodySize"] == len(sent)
        else:
            assert "postData" not in entry["request"]
    by_path = {httpx.URL(e["request"]["url"]).path + e["request"]["method"]: e for e in entries}
    # binary both ways is base64; latin text is transcoded (HAR 1.2) and re-encodes exactly
    assert by_path["/thingsPOST"]["request"]["postData"]["encoding"] == "base64"
    assert by_path["/binaryGET"]["response"]["content"]["encoding"] == "base64"
    latin = by_path["/latinGET"]["response"]["content"]
    assert "encoding" not in latin and latin["text"] == up.LATIN.decode("cp1252")
    # the gzip answer is recorded decoded, with headers that describe the recorded body
    zipped = by_path["/gzipGET"]["response"]
    assert json.loads(zipped["content"]["text"]) == up.ZIPPED_JSON
    names = {h["name"].lower() for h in zipped["headers"]}
    assert "content-encoding" not in names and "content-length" not in names
    assert 0 < zipped["bodySize"] < zipped["content"]["size"]
    assert zipped["content"]["compression"] == zipped["content"]["size"] - zipped["bodySize"]

    # the engine's reader gives back exactly what the httpx adapter makes of the exchange
    read = list(read_exchanges([str(path)]))
    assert all(isinstance(x, Exchange) for x in read)
    for exchange, response in zip(read, responses, strict=True):
        assert isinstance(exchange, Exchange) and exchange.response is not None
        want_request = from_httpx_request(response.request)
        want_response = from_httpx_response(response)
        assert (exchange.request.method, exchange.request.url) == (
            want_request.method,
            want_request.url,
        )
        assert body_bytes(exchange.request) == body_bytes(want_request)
        assert lower(exchange.request.headers) == lower(want_request.headers)
        assert exchange.response.status == want_response.status
        assert body_bytes(exchange.response) == body_bytes(want_response) == response.content
        drop = {"content-length", "content-encoding"}
        assert [h for h in lower(exchange.response.headers) if h[0] not in drop] == [
            h for h in lower(want_response.headers) if h[0] not in drop
        ]


def body_bytes(message: Message) -> bytes:
    """The bytes a message's body stands for: what travelled, or its text in its charset (a
    HAR reader may give text where the adapter has bytes; both must be the same body)."""
    if message.data is not None:
        return message.data
    if message.text is None:
        return b""
    return message.text.encode(charset(message.header("content-type") or "") or "utf-8")


def lower(headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """Headers with their names in lower case (the adapter's spelling)."""
    return [(name.lower(), value) for name, value in headers]


def test_credentials_are_redacted_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "redacted.har"
    record(path, Redactor(credentials()))
    raw = path.read_bytes()
    for secret in up.SECRETS:
        assert secret.encode() not in raw, secret
    entries = json.loads(raw)["log"]["entries"]
    keyed, queried, bare, session, posted = entries[:5]

    def header(message: dict[str, Any], name: str) -> list[str]:
        return [h["value"] for h in message["headers"] if h["name"].lower() == name.lower()]

    assert header(keyed["request"], "Authorization") == [f"Bearer {REDACTED}"]
    assert header(keyed["request"], "X-Api-Key") == [REDACTED]
    # the server echoed the key: found and replaced in its header and its body too
    assert header(keyed["response"], "X-Seen-Key") == [REDACTED]
    assert json.loads(keyed["response"]["content"]["text"]) == {"things": [f"seen {REDACTED}"]}
    assert queried["request"]["url"].endswith(f"/things?api_key={REDACTED}&page=2")
    assert queried["request"]["queryString"] == [
        {"name": "api_key", "value": REDACTED},
        {"name": "page", "value": "2"},
    ]
    assert header(bare["request"], "X-Api-Key") == []
    assert header(session["request"], "Cookie") == [f"sid={REDACTED}; theme={REDACTED}"]
    assert session["request"]["cookies"] == [
        {"name": "sid", "value": REDACTED},
        {"name": "theme", "value": REDACTED},
    ]
    assert header(session["response"], "Set-Cookie") == [
        f"sid={REDACTED}; Path=/; HttpOnly",
        f"theme={REDACTED}; Path=/",
    ]
    assert session["response"]["cookies"][0] == {
        "name": "sid",
        "value": REDACTED,
        "path": "/",
        "httpOnly": True,
    }
    # bodies without credentials keep every byte
    assert har_bytes(posted["request"]["postData"]) == up.BINARY


def test_check_judges_a_redacted_recording_as_the_original(tmp_path: Path, cli: CliRunner) -> None:
    """Security is judged by presence: the redacted and the verbatim recordings get the same
    verdicts, and the exchange without a key is still reported."""
    verdicts = []
    for name, redactor in (("kept", Redactor(keep=True)), ("redacted", Redactor(credentials()))):
        path = tmp_path / f"{name}.har"
        record(path, redactor)
        done = cli("check", up.SPEC, path, "--format", "json")
        assert done.returncode == 1, done.stderr
        report = json.loads(done.stdout)
        verdicts.append(
            sorted((f["exchange"], f["kind"], f["pointer"]) for f in report["findings"])
        )
        security = [f for f in report["findings"] if f["kind"] == "missing_parameter"]
        assert [f["exchange"] for f in security] == [2], report["findings"]
    assert verdicts[0] == verdicts[1]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", "Bearer abc.def", f"Bearer {REDACTED}"),
        ("authorization", "basic dXNlcjpwYXNz", f"basic {REDACTED}"),
        ("Authorization", "abc.def", REDACTED),  # no scheme word: nothing of it is kept
        ("Authorization", "Secretword abc", REDACTED),  # an unknown first word may be secret
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz", f"Basic {REDACTED}"),
        ("Cookie", 'a=1; b="2"; flag', f"a={REDACTED}; b={REDACTED}; {REDACTED}"),
        ("Set-Cookie", "s=abc; Secure", f"s={REDACTED}; Secure"),
        ("x-api-key", "k", REDACTED),  # header names are case-insensitive
        ("Location", "/next?api_key=k&x=1", f"/next?api_key={REDACTED}&x=1"),
        ("Accept", "application/json", "application/json"),
    ],
)
def test_redactor_headers(name: str, value: str, expected: str) -> None:
    redactor = Redactor(Credentials(headers=frozenset({"x-api-key"}), query=frozenset({"api_key"})))
    assert redactor.header(name, value) == expected
    assert Redactor(redactor.credentials, keep=True).header(name, value) == value


def test_redactor_urls_keep_every_other_byte() -> None:
    redactor = Redactor(Credentials(query=frozenset({"api_key"})))
    url = "https://h/p?a=%2F&api_key=s%20x&API_KEY=other&access_token=t#frag"
    assert redactor.url(url) == (
        f"https://h/p?a=%2F&api_key={REDACTED}&API_KEY=other&access_token={REDACTED}#frag"
    )
    assert {"s x", "s%20x", "t"} <= redactor.seen


def test_body_content_prefers_text_that_encodes_back_exactly() -> None:
    assert body_content("é".encode(), "application/json") == {"text": "é"}
    assert body_content(b"\xe9", "text/plain; charset=ISO-8859-1") == {"text": "é"}
    assert body_content(b"\xff\xfe", "text/plain") == {"text": "//4=", "encoding": "base64"}
    assert body_content(b"\xe9", "text/plain; charset=nonsense") == {
        "text": "6Q==",
        "encoding": "base64",
    }


def test_an_exchange_without_response_is_recorded_for_check(tmp_path: Path) -> None:
    """The proxy records a request the upstream never answered: status 0 and `_error`, which
    the reader turns into a request without a response (checked alone)."""
    request = httpx.Request("POST", "http://127.0.0.1:1/things", content=b"\x00\x01")
    writer = HarWriter(tmp_path / "r.har", "test")
    writer.add(har_entry(request, None, error="upstream failed: refused"))
    writer.write()
    entry = json.loads((tmp_path / "r.har").read_text("utf-8"))["log"]["entries"][0]
    assert entry["response"]["status"] == 0
    assert entry["response"]["_error"] == "upstream failed: refused"
    [exchange] = read_exchanges([str(tmp_path / "r.har")])
    assert isinstance(exchange, Exchange) and exchange.response is None
    assert exchange.request.text == "\x00\x01"

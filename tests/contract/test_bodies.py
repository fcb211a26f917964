"""Bodies as traffic carries them: numbers of any size, any depth, every Content-Encoding,
bytes that are not UTF-8, and form, multipart, text and binary bodies judged by their
schemas. Through the CLI on JSONL and HAR, and through the library."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest

from generator.contract import Contract, Exchange, Request, Response
from tests.conftest import ROOT, CliRunner

DATA = ROOT / "tests" / "contract" / "data"
SPEC = DATA / "bodies-3.0.yaml"
ANSWER = "/paths/~1text/post/responses/200/content/application~1json"
FORM = "/paths/~1form/post/requestBody/content/application~1x-www-form-urlencoded"
UPLOAD = "/paths/~1upload/post/requestBody/content/multipart~1form-data"
TEXT = "/paths/~1text/post/requestBody/content"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.load(SPEC)


def answer(body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A JSONL exchange: a valid text/plain request, and a JSON answer given by `body`."""
    response = {"status": 200, "headers": {"Content-Type": "application/json", **extra}, **body}
    request = {"method": "POST", "url": "/text", "headers": {"Content-Type": "text/plain"},
               "body_text": "ok"}  # fmt: skip
    return {"request": request, "response": response}


def har(*entries: dict[str, Any]) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}})


def har_answer(content: dict[str, Any], headers: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "url": "http://api.test/text", "headers": [],
                    "postData": {"mimeType": "text/plain", "text": "ok"}},
        "response": {"status": 200, "headers": headers, "content": content},
    }  # fmt: skip


def run(cli: CliRunner, tmp_path: Path, text: str | bytes, name: str = "t.jsonl") -> Any:
    traffic = tmp_path / name
    if isinstance(text, bytes):
        traffic.write_bytes(text)
    else:
        traffic.write_text(text)
    result = cli("check", SPEC, traffic, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def found(report: Any) -> list[tuple[int, str, str, str]]:
    return [(f["exchange"], f["part"], f["pointer"], f["kind"]) for f in report["findings"]]


def jsonl(*lines: dict[str, Any]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


# -- numbers and depth -------------------------------------------------------------------------
def test_integers_of_any_size_and_json_of_any_depth(cli: CliRunner, tmp_path: Path) -> None:
    huge = "9" * 400
    deep = "[" * 300 + "]" * 300
    text = jsonl(
        answer({"body_text": f'{{"n": {huge}}}'}),
        answer({"body_text": f'{{"n": 1, "deep": {deep}}}'}),
        answer({"body_text": f'{{"n": -{huge}.5}}'}),
    )
    # integers written into the JSONL line itself, as a JSON body: beyond the double range,
    # and beyond 64 bits (which a fast reading turns into a float, not an OpenAPI 3.0 integer)
    for number in (huge, str(2**64), str(-(2**63) - 1)):
        text += json.dumps(answer({"body": {"n": 0}})).replace('"n": 0', f'"n": {number}') + "\n"
    report = run(cli, tmp_path, text)
    assert found(report) == [
        (1, "body", "/deep", "wrong_type"),
        (2, "body", "/n", "wrong_type"),
    ]
    assert report["findings"][0]["expected"] == "string"
    assert report["findings"][0]["actual"] == "array"


def test_deep_json_keeps_its_real_finding_in_the_library(contract: Contract) -> None:
    for depth in (256, 300, 1000):
        text = '{"n": 1.5, "deep": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
        request = Request(method="POST", url="/text", headers=(("Content-Type", "text/plain"),),
                          text="ok")  # fmt: skip
        response = Response(status=200, headers=(("Content-Type", "application/json"),), text=text)
        findings = contract.check(Exchange(0, request, response)).findings
        assert [(f.pointer, f.kind.value, f.schema_pointer) for f in findings] == [
            ("/n", "wrong_type", f"#{ANSWER}/schema/properties/n/type"),
            ("/deep", "wrong_type", f"#{ANSWER}/schema/properties/deep/type"),
        ], depth
        assert all(len(f.message) <= 300 for f in findings)


# -- Content-Encoding --------------------------------------------------------------------------
CODINGS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}
BAD_ANSWER = b'{"n": "seven"}'


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_content_encoded_bodies_are_decoded(cli: CliRunner, tmp_path: Path, coding: str) -> None:
    packed = base64.b64encode(CODINGS[coding](BAD_ANSWER)).decode()
    text = jsonl(
        answer({"body_base64": packed}, **{"Content-Encoding": coding}),
        answer({"body_text": BAD_ANSWER.decode()}, **{"Content-Encoding": coding}),
    )
    assert found(run(cli, tmp_path, text)) == [
        (0, "body", "/n", "wrong_type"),
        (1, "body", "", "other"),  # JSONL holds what was sent: it says gzip and is not
    ]
    headers = [
        {"name": "Content-Type", "value": "application/json"},
        {"name": "Content-Encoding", "value": coding},
    ]
    entries = har(
        har_answer({"mimeType": "application/json", "text": packed, "encoding": "base64"}, headers),
        # HAR 1.2 records the decoded body; browsers keep the Content-Encoding header beside it
        har_answer({"mimeType": "application/json", "text": BAD_ANSWER.decode()}, headers),
    )
    assert found(run(cli, tmp_path, entries, "t.har")) == [
        (0, "body", "/n", "wrong_type"),
        (1, "body", "/n", "wrong_type"),
    ]


def test_several_codings_and_unknown_ones(contract: Contract) -> None:
    layered = brotli.compress(gzip.compress(b"name=abc"))
    form = (("Content-Type", "application/x-www-form-urlencoded"),)
    request = Request(method="POST", url="/form", headers=(*form, ("Content-Encoding", "gzip, br")),
                      data=layered)  # fmt: skip
    assert contract.check(Exchange(0, request)).findings == []
    odd = Request(method="POST", url="/form", headers=(*form, ("Content-Encoding", "zstd")),
                  data=b"\x28\xb5\x2f\xfd")  # fmt: skip
    (finding,) = contract.check(Exchange(0, odd)).findings
    assert (finding.kind.value, finding.actual) == ("other", "zstd")


# -- bytes that are not UTF-8 ------------------------------------------------------------------
def test_raw_bytes_that_are_not_utf8(cli: CliRunner, tmp_path: Path) -> None:
    good = jsonl(answer({"body_text": '{"n": 1}'}))
    line = good.encode().replace(b'{\\"n\\": 1}', b'{\\"n\\": \xff}')
    report = run(cli, tmp_path, good.encode() + line)
    ((_, _, _, kind),) = found(report)
    message = report["findings"][0]["message"]
    assert kind == "invalid_input"
    assert "not UTF-8: byte 0xFF at offset" in message and "surrogates" not in message
    packed = base64.b64encode(b'{"n": "\xff"}').decode()
    report = run(cli, tmp_path, jsonl(answer({"body_base64": packed})))
    assert found(report) == [(0, "body", "", "invalid_json")]
    assert "not UTF-8: byte 0xFF at offset 7" in report["findings"][0]["message"]


def test_har_base64_bodies_are_read_by_their_media_type(cli: CliRunner, tmp_path: Path) -> None:
    latin = base64.b64encode("caf\u00e9 ok".encode("latin-1")).decode()
    binary = base64.b64encode(b"\x00\x01\x02\x03\xff").decode()
    json_latin = base64.b64encode('{"n": "caf\u00e9"}'.encode("latin-1")).decode()

    def entry(mime: str, text: str) -> dict[str, Any]:
        return {
            "request": {"method": "POST", "url": "http://api.test/text", "headers": [],
                        "postData": {"mimeType": mime, "text": text, "encoding": "base64"}},
            "response": {"status": 200, "headers": [],
                         "content": {"mimeType": "application/json", "text": json_latin,
                                     "encoding": "base64"}},
        }  # fmt: skip

    report = run(
        cli,
        tmp_path,
        har(
            entry("text/plain; charset=iso-8859-1", latin),
            entry("text/plain", latin),
            entry("application/octet-stream", binary),
        ),
        "t.har",
    )
    assert found(report) == [
        (0, "body", "", "invalid_json"),  # JSON must be UTF-8: not read as latin-1 text
        (1, "body", "", "other"),  # text/plain without a charset is UTF-8, and this is not
        (1, "body", "", "invalid_json"),
        (2, "body", "", "out_of_range"),  # 5 bytes where 4 are allowed
        (2, "body", "", "invalid_json"),
    ]
    assert [f["location"] for f in report["findings"]] == [
        "response", "request", "response", "request", "response",
    ]  # fmt: skip


# -- form, multipart, text, binary -------------------------------------------------------------
def test_form_bodies_follow_their_encoding(contract: Contract) -> None:
    form = (("Content-Type", "application/x-www-form-urlencoded"),)
    text = "name=abcdefg&age=-1&tags=a|c&meta=%7B%22k%22%3A%22x%22%7D&extra=1"
    findings = contract.check(
        Exchange(0, Request(method="POST", url="/form", headers=form, text=text))
    ).findings
    assert [(f.pointer, f.kind.value, f.schema_pointer) for f in findings] == [
        ("/name", "out_of_range", f"#{FORM}/schema/properties/name/maxLength"),
        ("/age", "out_of_range", f"#{FORM}/schema/properties/age/minimum"),
        ("/tags/1", "not_in_enum", f"#{FORM}/schema/properties/tags/items/enum"),
        ("/meta/k", "wrong_type", f"#{FORM}/schema/properties/meta/properties/k/type"),
        ("/extra", "unexpected_property", f"#{FORM}/schema/additionalProperties"),
    ]
    broken = Request(method="POST", url="/form", headers=form, text="name=ok&meta=%7Bbad")
    assert [(f.pointer, f.kind.value) for f in contract.check(Exchange(0, broken)).findings] == [
        ("/meta", "invalid_json")
    ]
    missing = Request(method="POST", url="/form", headers=form, text="age=1")
    assert [(f.pointer, f.kind.value) for f in contract.check(Exchange(0, missing)).findings] == [
        ("/name", "missing_required")
    ]


MULTIPART = (
    b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.gif"\r\n'
    b"Content-Type: image/gif\r\n\r\nGIF89a\xff\xfe\r\n"
    b'--XX\r\nContent-Disposition: form-data; name="info"\r\n'
    b'Content-Type: application/json\r\n\r\n{"id": "x"}\r\n'
    b'--XX\r\nContent-Disposition: form-data; name="note"\r\n\r\nlong note\r\n'
    b'--XX\r\nContent-Disposition: form-data; name="count"\r\n\r\n7\r\n--XX--\r\n'
)


def test_multipart_parts_are_judged_by_their_schema(cli: CliRunner, tmp_path: Path) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=XX"}
    good = MULTIPART.replace(b"image/gif", b"image/png").replace(b'"x"', b"7")
    good = good.replace(b"long note", b"ok")
    lines = [
        {"request": {"method": "POST", "url": "/upload", "headers": headers,
                     "body_base64": base64.b64encode(body).decode()}}
        for body in (MULTIPART, good, good.replace(b'name="info"', b'name="other"'))
    ]  # fmt: skip
    report = run(cli, tmp_path, jsonl(*lines))
    assert found(report) == [
        (0, "body", "/file", "wrong_content_type"),
        (0, "body", "/info/id", "wrong_type"),
        (0, "body", "/note", "out_of_range"),
        (2, "body", "/info", "missing_required"),
    ]
    assert report["findings"][0]["schema_pointer"] == f"#{UPLOAD}"
    assert report["findings"][2]["schema_pointer"] == f"#{UPLOAD}/schema/properties/note/maxLength"


def test_text_and_binary_bodies_get_media_type_and_size(contract: Contract) -> None:
    def check(media: str, **body: Any) -> list[tuple[str, str, str]]:
        request = Request(method="POST", url="/text", headers=(("Content-Type", media),), **body)
        return [
            (f.kind.value, f.schema_pointer, str(f.actual))
            for f in contract.check(Exchange(0, request)).findings
        ]

    assert check("text/plain", text="0123456789") == []
    assert check("text/plain", text="0123456789abc") == [
        ("out_of_range", f"#{TEXT}/text~1plain/schema/maxLength", "0123456789abc")
    ]
    assert check("application/octet-stream", data=b"\x00\x01\x02\xff") == []
    assert check("application/octet-stream", data=b"\x00\x01\x02\x03\x04") == [
        ("out_of_range", f"#{TEXT}/application~1octet-stream/schema/maxLength", "5")
    ]
    assert check("image/png", data=b"\x89PNG\r\n\x1a\n....") == []
    assert check("image/png", data=b'{"not": "a png"}') == [
        ("wrong_content_type", f"#{TEXT}/image~1png", "7B 22 6E 6F 74 22 3A 20")
    ]
    assert check("application/xml", text="<a/>")[0][0] == "wrong_content_type"
    sent = (("Content-Type", "text/plain"), ("Content-Length", "99"))
    length = Request(method="POST", url="/text", text="short", headers=sent)
    (finding,) = contract.check(Exchange(0, length)).findings
    assert (finding.part.value, finding.pointer, finding.actual) == (
        "header",
        "/Content-Length",
        99,
    )


def test_httpx_bodies_keep_their_bytes(contract: Contract) -> None:
    import httpx

    request = httpx.Request(
        "POST", "http://api.test/text", content=b"\x00\x01\x02\x03\x04",
        headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip
    response = httpx.Response(200, json={"n": "x"}, request=request)
    findings = contract.check_httpx(request, response).findings
    assert [(f.location, f.pointer, f.kind.value) for f in findings] == [
        ("request", "", "out_of_range"),
        ("response", "/n", "wrong_type"),
    ]


def test_structured_text_bodies_are_not_judged_as_objects() -> None:
    """The Petstore's application/xml bodies have an object schema: the checker does not read
    XML into objects, so it says so once (a note per media type) instead of calling every XML
    body a wrong type."""
    petstore = Contract.load(ROOT / "tests/data/public/swagger-petstore/openapi.yaml")
    notes = [p for p in petstore.problems if p.rule == "body-schema-not-applied"]
    assert "/paths/~1pet/put/requestBody/content/application~1xml" in [p.pointer for p in notes]
    xml = Request(
        method="POST",
        url="/api/v3/pet",
        headers=(("Content-Type", "application/xml"), ("Authorization", "Bearer t")),
        text="<pet><name>doggie</name></pet>",
    )
    assert petstore.check(Exchange(0, xml)).findings == []
    latin = Request(
        method="POST",
        url="/api/v3/pet",
        headers=(("Content-Type", "application/xml"), ("Authorization", "Bearer t")),
        data=b"<pet>\xff</pet>",
    )
    assert [f.kind.value for f in petstore.check(Exchange(0, latin)).findings] == ["other"]

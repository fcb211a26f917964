"""Request bodies of every media type and responses decoded by media type, client runtime to
server runtime over real HTTP on 127.0.0.1: JSON, form-urlencoded (with per-property
`encoding`), multipart/form-data (files as bytes, file objects and tuples, per-part types),
octet-stream and text; responses as JSON, str, bytes and streams, by exact status, `2XX`
range and `default`."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import httpx
import pydantic
import pytest

from tests.runtime.conftest import (
    Harness,
    Runtimes,
    async_client_class,
    build_spec,
    client_class,
    operation,
)

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
ALL_BYTES = bytes(range(256)) + b"\r\n--not-a-boundary\r\n\r\n" + bytes(range(255, -1, -1))


class Address(pydantic.BaseModel):
    street: str
    zip: str


class Point(pydantic.BaseModel):
    x: int
    y: int


class FormBody(pydantic.BaseModel):
    name: str
    count: int
    tags: list[str]
    address: Address
    filter: dict[str, str] | None = None
    ids: list[int] | None = None
    points: list[Point] | None = None
    flag: bool | None = None


class Meta(pydantic.BaseModel):
    title: str
    labels: list[str]


class UploadBody(pydantic.BaseModel):
    file: bytes
    files: list[bytes]
    meta: Meta
    note: str
    n: int
    csv: list[str] | None = None


# --------------------------------------------------------------------------------------------
# Encoders against the OpenAPI examples
# --------------------------------------------------------------------------------------------


def test_form_matches_the_openapi_example(runtimes: Runtimes) -> None:
    """OpenAPI 3.1.2, "URL Encoded Form with JSON Values": objects go as compact JSON,
    scalars as text, spaces as `+`."""
    address = {
        "streetAddress": "123 Example Dr.",
        "city": "Somewhere",
        "state": "CA",
        "zip": "99999+1234",
    }
    body = {"id": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "address": address}
    assert runtimes.client.encode_form_body(body) == (
        b"id=f81d4fae-7dec-11d0-a765-00a0c91e6bf6&address=%7B%22streetAddress%22%3A%22123+"
        b"Example+Dr.%22%2C%22city%22%3A%22Somewhere%22%2C%22state%22%3A%22CA%22%2C%22zip%22"
        b"%3A%2299999%2B1234%22%7D"
    )
    as_json = runtimes.client.Encoding(content_type="application/json")
    assert runtimes.client.encode_form_body({"id": body["id"]}, {"id": as_json}) == (
        b"id=%22f81d4fae-7dec-11d0-a765-00a0c91e6bf6%22"
    )


def test_form_with_styles(runtimes: Runtimes) -> None:
    rt = runtimes.client
    body = {"color": {"R": 100, "G": 200}, "words": ["math", "is", "fun"], "none": None}
    encoding = {
        "color": rt.Encoding(style="deepObject", explode=True),
        "words": rt.Encoding(style="spaceDelimited", explode=False),
    }
    assert rt.encode_form_body(body, encoding) == (
        b"color%5BR%5D=100&color%5BG%5D=200&words=math%20is%20fun"
    )
    with pytest.raises(TypeError, match="text only"):
        rt.encode_form_body({"icon": b"\x89PNG"})


def test_multipart_layout(runtimes: Runtimes) -> None:
    rt = runtimes.client
    body = {
        "id": "f81d4fae",
        "profileImage": ("me.png", b"\x89PNG", "image/png"),
        "addresses": [{"city": "A"}, {"city": "B"}],
        'we"ird\nname': 1,
    }
    encoded = rt.encode_multipart_body(body, boundary="BOUNDARY")
    assert encoded.content_type == "multipart/form-data; boundary=BOUNDARY"
    assert encoded.content == (
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="id"\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"f81d4fae\r\n"
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="profileImage"; filename="me.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
        b"\x89PNG\r\n"
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="addresses"\r\n'
        b"Content-Type: application/json\r\n\r\n"
        b'{"city":"A"}\r\n'
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="addresses"\r\n'
        b"Content-Type: application/json\r\n\r\n"
        b'{"city":"B"}\r\n'
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="we%22ird%0Aname"\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"1\r\n"
        b"--BOUNDARY--\r\n"
    )
    xml = rt.Encoding(content_type="application/xml; charset=utf-8, text/*")
    picked = rt.encode_multipart_body({"a": "<a/>", "f": b"x"}, {"a": xml}, boundary="B")
    assert b'name="a"\r\nContent-Type: application/xml; charset=utf-8\r\n' in picked.content
    assert b'name="f"; filename="f"\r\nContent-Type: application/octet-stream\r\n' in (
        picked.content
    )


def test_media_kinds_and_simple_bodies(runtimes: Runtimes) -> None:
    rt = runtimes.client
    kinds = {
        "application/json": "json",
        "application/merge-patch+json; charset=utf-8": "json",
        FORM: "form",
        "multipart/mixed": "multipart",
        "text/csv": "text",
        "application/atom+xml": "text",
        "image/png": "binary",
        "*/*": "binary",
    }
    assert {m: rt.media_kind(m) for m in kinds} == kinds
    assert rt.encode_body(None, "text/plain") is None
    text = rt.encode_body("caf\u00e9", "text/plain")
    assert (text.content, text.content_type) == (b"caf\xc3\xa9", "text/plain; charset=utf-8")
    blob = rt.encode_body(io.BytesIO(b"\x00\x01"), "image/*")
    assert (blob.content, blob.content_type) == (b"\x00\x01", "application/octet-stream")
    typed = rt.encode_body(("a.gif", b"GIF", "image/gif"), "image/*")
    assert (typed.content, typed.content_type) == (b"GIF", "image/gif")
    patch = rt.encode_body({"a": 1}, "application/merge-patch+json")
    assert (patch.content, patch.content_type) == (b'{"a":1}', "application/merge-patch+json")


MEDIA_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/json",
    "application/problem+json",
    "image/svg+json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/mixed",
    "multipart/*",
    "text/plain",
    "text/*",
    "text/html; charset=iso-8859-1",
    "application/xml",
    "application/atom+xml",
    "application/yaml",
    "application/x-ndjson",
    "application/graphql",
    "application/octet-stream",
    "application/pdf",
    "image/png",
    "image/*",
    "application/*",
    "*/*",
    "video/json",
]


@pytest.mark.parametrize("media", MEDIA_TYPES)
def test_runtimes_classify_media_as_the_model_does(runtimes: Runtimes, media: str) -> None:
    """Both runtimes carry a copy of the model's classifier (generated code cannot import
    apicontract); they must agree with it, a wildcard range being binary to them."""
    from generator.openapi.media import MediaKind, classify

    expected = "binary" if classify(media) is MediaKind.ANY else classify(media).value
    assert runtimes.client.media_kind(media) == expected
    assert runtimes.server.media_kind(media) == expected


# --------------------------------------------------------------------------------------------
# Bodies over HTTP, into the operation's model
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def body_server(runtimes: Runtimes, serve: Callable[[Any, Harness], Harness]) -> Harness:
    srt = runtimes.server
    harness = Harness(url="")
    form_encoding = {
        "filter": srt.Encoding(style="deepObject", explode=True),
        "ids": srt.Encoding(style="form", explode=False),
    }
    ops = [
        operation(
            srt,
            "form",
            "POST",
            "/form",
            body=srt.Body(FormBody, required=True, media_type=FORM, encoding=form_encoding),
            harness=harness,
        ),
        operation(
            srt,
            "upload",
            "POST",
            "/upload",
            body=srt.Body(
                UploadBody,
                required=True,
                media_type=MULTIPART,
                encoding={"csv": srt.Encoding(style="form", explode=False)},
            ),
            harness=harness,
        ),
        operation(
            srt,
            "octets",
            "PUT",
            "/octets",
            body=srt.Body(bytes, required=True, media_type="application/octet-stream"),
            harness=harness,
        ),
        operation(
            srt,
            "image",
            "PUT",
            "/image",
            body=srt.Body(bytes, required=False, media_type="image/*"),
            harness=harness,
        ),
        operation(
            srt,
            "text",
            "PUT",
            "/text",
            body=srt.Body(str, required=True, media_type="text/plain"),
            harness=harness,
        ),
    ]
    return serve(srt.build_app(object(), build_spec(srt, ops)), harness)


def form_value() -> FormBody:
    return FormBody(
        name="Ann & Bob + caf\u00e9 = 100%",
        count=3,
        tags=["a b", "c,d", ""],
        address=Address(street="1 Main St.", zip="99999+1234"),
        filter={"status": "open now", "owner": "x[y]"},
        ids=[1, 2, 3],
        points=[Point(x=1, y=2), Point(x=3, y=4)],
        flag=False,
    )


def test_form_body_round_trip(runtimes: Runtimes, body_server: Harness) -> None:
    rt = runtimes.client
    value = form_value()
    encoding = {
        "filter": rt.Encoding(style="deepObject", explode=True),
        "ids": rt.Encoding(style="form", explode=False),
    }
    with client_class(rt)(body_server.url) as client:
        client._request(
            "POST", "/form", body=value, media_type=FORM, encoding=encoding, responses={200: None}
        )
    seen = body_server.last()
    assert seen.header("content-type") == [FORM]
    assert seen.request is not None and seen.request["body"] == value


def test_multipart_body_round_trip(runtimes: Runtimes, body_server: Harness) -> None:
    rt = runtimes.client
    named = io.BytesIO(b"second")
    named.name = "/some/dir/second.bin"
    body = {
        "file": ("photo \u00e9.png", ALL_BYTES, "image/png"),
        "files": [io.BytesIO(ALL_BYTES[::-1]), named, b"third"],
        "meta": Meta(title="caf\u00e9 \r\n--", labels=["x", "y"]),
        "note": "line one\r\nline two \u2603",
        "n": 42,
        "csv": ["a", "b"],
    }
    encoding = {"csv": rt.Encoding(style="form", explode=False)}
    with client_class(rt)(body_server.url) as client:
        client._request(
            "POST",
            "/upload",
            body=body,
            media_type=MULTIPART,
            encoding=encoding,
            responses={200: None},
        )
    seen = body_server.last()
    assert seen.header("content-type")[0].startswith("multipart/form-data; boundary=")
    assert seen.request is not None
    assert seen.request["body"] == UploadBody(
        file=ALL_BYTES,
        files=[ALL_BYTES[::-1], b"second", b"third"],
        meta=Meta(title="caf\u00e9 \r\n--", labels=["x", "y"]),
        note="line one\r\nline two \u2603",
        n=42,
        csv=["a", "b"],
    )
    parts = seen.request["context"].parts
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("file", "photo \u00e9.png", "image/png"),
        ("files", "files", "application/octet-stream"),
        ("files", "second.bin", "application/octet-stream"),
        ("files", "files", "application/octet-stream"),
        ("meta", None, "application/json"),
        ("note", None, "text/plain; charset=utf-8"),
        ("n", None, "text/plain; charset=utf-8"),
        ("csv", None, "text/plain; charset=utf-8"),
    ]
    assert parts[4].data == b'{"title":"caf\xc3\xa9 \\r\\n--","labels":["x","y"]}'


def test_binary_and_text_bodies_round_trip(runtimes: Runtimes, body_server: Harness) -> None:
    rt = runtimes.client
    with client_class(rt)(body_server.url, gzip_requests=True) as client:
        client._request(
            "PUT",
            "/octets",
            body=io.BytesIO(ALL_BYTES),
            media_type="application/octet-stream",
            responses={200: None},
        )
        seen = body_server.last()
        assert seen.header("content-encoding") == ["gzip"]
        assert seen.request is not None and seen.request["body"] == ALL_BYTES
    with client_class(rt)(body_server.url) as client:
        client._request(
            "PUT",
            "/image",
            body=("x.gif", b"GIF89a", "image/gif"),
            media_type="image/*",
            responses={200: None},
        )
        seen = body_server.last()
        assert seen.header("content-type") == ["image/gif"]
        assert seen.request is not None and seen.request["body"] == b"GIF89a"
        client._request("PUT", "/image", media_type="image/*", responses={200: None})
        request = body_server.last().request
        assert request is not None and request["body"] is None
        text = "  caf\u00e9\r\n\u2603  "
        client._request("PUT", "/text", body=text, media_type="text/plain", responses={200: None})
        seen = body_server.last()
        assert seen.header("content-type") == ["text/plain; charset=utf-8"]
        assert seen.request is not None and seen.request["body"] == text


def test_bad_bodies_are_answered_400(body_server: Harness) -> None:
    with httpx.Client(base_url=body_server.url) as http:
        cases = [
            ("POST", "/form", b"name=a&count=x", {"content-type": FORM}, "count"),
            ("POST", "/form", b"name=a&count=1", {"content-type": "application/json"}, FORM),
            ("POST", "/form", b"address=%7Bnot", {"content-type": FORM}, "not valid JSON"),
            ("POST", "/form", b"count=1&count=2", {"content-type": FORM}, "at most once"),
            (
                "POST",
                "/upload",
                b'--B\r\nContent-Disposition: form-data; name="n"\r\n\r\n1',
                {"content-type": "multipart/form-data; boundary=B"},
                "closing boundary",
            ),
            ("POST", "/upload", b"x", {"content-type": "multipart/form-data"}, "boundary"),
            ("PUT", "/octets", b"", {"content-type": "application/octet-stream"}, "required"),
            ("PUT", "/image", b"x", {"content-type": "text/plain"}, "image/*"),
            ("PUT", "/text", b"\xff\xfe", {"content-type": "text/plain"}, "charset"),
        ]
        for method, path, content, headers, needle in cases:
            answer = http.request(method, path, content=content, headers=headers)
            assert answer.status_code == 400, (path, answer.text)
            assert needle in answer.text, (path, answer.text)


# --------------------------------------------------------------------------------------------
# Responses by media type, status ranges and streaming
# --------------------------------------------------------------------------------------------

BIG = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture(scope="module")
def answer_server(runtimes: Runtimes, serve: Callable[[Any, Harness], Harness]) -> Harness:
    srt = runtimes.server
    harness = Harness(url="")

    def status_of(request: dict[str, Any]) -> int:
        return int(request["context"].headers.get("x-status", "200"))

    ops = [
        operation(
            srt,
            "png",
            "GET",
            "/png",
            answer=lambda r: BIG,
            responses={"200": bytes},
            media_types={"200": "image/png"},
            harness=harness,
        ),
        operation(
            srt,
            "text",
            "GET",
            "/text",
            answer=lambda r: srt.Reply(status_of(r), "123 caf\u00e9"),
            responses={"2XX": str, "default": str},
            media_types={"2XX": "text/plain", "default": "text/plain"},
            harness=harness,
        ),
        operation(
            srt,
            "json",
            "GET",
            "/json",
            answer=lambda r: srt.Reply(status_of(r), {"x": 1}),
            responses={"200": dict[str, int], "2XX": dict[str, int]},
            harness=harness,
        ),
        operation(
            srt,
            "csv",
            "GET",
            "/csv",
            answer=lambda r: srt.Reply(200, b"a,b\n", media_type="text/csv"),
            responses={"200": str},
            media_types={"200": "text/*"},
            harness=harness,
        ),
    ]
    return serve(srt.build_app(object(), build_spec(srt, ops)), harness)


def test_responses_are_decoded_by_media_type(runtimes: Runtimes, answer_server: Harness) -> None:
    rt = runtimes.client
    text_spec = {
        "2XX": rt.ResponseBody(str, "text/plain"),
        "default": rt.ResponseBody(str, "text/plain"),
    }
    with client_class(rt)(answer_server.url) as client:
        png = client._request("GET", "/png", responses={200: rt.ResponseBody(bytes, "image/png")})
        assert png == BIG
        assert answer_server.last().header("accept") == ["image/png, application/json;q=0.5"]
        text = client._request("GET", "/text", responses=text_spec)
        assert text == "123 caf\u00e9"  # text, never parsed as the JSON number 123
        ranged = client._request(
            "GET", "/text", responses=text_spec, extra_headers={"X-Status": "203"}
        )
        assert ranged == "123 caf\u00e9"
        assert client._request("GET", "/json", responses={"2XX": dict[str, int]}) == {"x": 1}
        assert client._request("GET", "/json", responses={"default": dict[str, int]}) == {"x": 1}
        with pytest.raises(rt.UnexpectedStatusError, match="documented: 201"):
            client._request("GET", "/json", responses={201: dict[str, int]})
        csv = client._request("GET", "/csv", responses={200: rt.ResponseBody(str, "text/csv")})
        assert csv == "a,b\n"
        with pytest.raises(rt.ResponseValidationError):
            client._request("GET", "/text", responses={200: rt.ResponseBody(int, "text/plain")})


def test_binary_response_streams(runtimes: Runtimes, answer_server: Harness) -> None:
    rt = runtimes.client
    spec = {200: rt.ResponseBody(bytes, "image/png")}
    with client_class(rt)(answer_server.url) as client:
        with client._stream("GET", "/png", responses=spec) as stream:
            assert stream.status_code == 200 and stream.content_type == "image/png"
            chunks = list(stream.iter_bytes(65536))
        assert b"".join(chunks) == BIG and len(chunks) == len(BIG) // 65536
        with (
            pytest.raises(rt.UnexpectedStatusError),
            client._stream("GET", "/png", responses={201: bytes}),
        ):
            pass  # pragma: no cover - the status is refused before the block runs

    async def scenario() -> bytes:
        async with async_client_class(rt)(answer_server.url) as client:
            async with client._stream("GET", "/png", responses=spec) as stream:
                return b"".join([chunk async for chunk in stream.aiter_bytes()])

    assert asyncio.run(scenario()) == BIG


def test_server_refuses_undocumented_raw_answers(
    runtimes: Runtimes, serve: Callable[[Any, Harness], Harness]
) -> None:
    srt = runtimes.server
    harness = Harness(url="")
    op = operation(
        srt,
        "bad",
        "GET",
        "/bad",
        answer=lambda r: 42,
        responses={"200": bytes},
        media_types={"200": "application/pdf"},
        harness=harness,
    )
    serve(srt.build_app(object(), build_spec(srt, [op])), harness)
    with httpx.Client(base_url=harness.url) as http:
        answer = http.get("/bad")
    assert answer.status_code == 500
    assert answer.json()["errors"][0]["code"] == "internal_error"


def test_async_client_sends_styled_parameters_and_files(
    runtimes: Runtimes, body_server: Harness
) -> None:
    """The async client plans calls exactly as the sync one: the same wire, the same parse."""
    rt = runtimes.client
    body = {
        "file": ALL_BYTES,
        "files": [("a.txt", "text as a file", "text/plain")],
        "meta": {"title": "t", "labels": []},
        "note": "n",
        "n": 1,
    }

    async def scenario() -> None:
        async with async_client_class(rt)(body_server.url) as client:
            await client._request(
                "POST",
                "/upload",
                body=body,
                media_type=MULTIPART,
                parameters=[
                    rt.Parameter("trace", "cookie", ["a", "b"]),
                    rt.Parameter("debug", "query", {"level": 2}, "deepObject"),
                ],
                responses={200: None},
            )

    asyncio.run(scenario())
    seen = body_server.last()
    assert seen.query_string == "debug%5Blevel%5D=2"
    assert seen.header("cookie") == ["trace=a; trace=b"]
    assert seen.request is not None
    assert seen.request["body"] == UploadBody(
        file=ALL_BYTES, files=[b"text as a file"], meta=Meta(title="t", labels=[]), note="n", n=1
    )

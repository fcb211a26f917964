"""Traffic readers: HAR streamed entry by entry (any chunk size, flat memory), JSONL line by
line, format told by content, every malformed line or entry an InvalidInput with its number."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from generator.contract import Contract, Exchange, InvalidInput
from generator.contract.exchange import NO_BODY
from generator.contract.traffic import (
    TrafficError,
    check_sources,
    decode,
    detect_format,
    read_exchanges,
    read_raw,
)
from generator.contract.traffic.har import HarScanner, exchange_from_entry, iter_entries
from generator.contract.traffic.jsonl import ExchangeError, exchange_from_json, iter_lines
from tests.conftest import ROOT

OLI = "8ad085e287142db601872469b9ec0944"


def tricky_entry(i: int) -> dict[str, Any]:
    """An entry whose strings are full of what a naive scanner trips on."""
    return {
        "startedDateTime": "2024-03-01T10:00:00.000Z",
        "comment": 'braces } { ] [ , : and "quotes" and \\ backslashes \\" ' * (i % 3),
        "request": {
            "method": "POST",
            "url": f"https://rest.zuora.com/v1/fulfillments?n={i}&x=%7B",
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "postData": {
                "mimeType": "application/json",
                "text": json.dumps({"fulfillments": [{"orderLineItemId": OLI, "n": i}]}),
            },
            "log": {"entries": ["not", "the", "real", "ones"]},
        },
        "response": {
            "status": 200,
            "headers": [],
            "content": {"mimeType": "application/json", "text": "\\\\" * i + "é✓😀"},
        },
        "entries": [[], {}, [[{"a": "}"}]]],
    }


def har_bytes(entries: list[Any], indent: int | None = 2) -> bytes:
    document = {
        "log": {
            "version": "1.2",
            "creator": {"name": "test", "version": "1", "comment": '"log": {"entries": ['},
            "pages": [{"id": "page_1", "title": "entries"}],
            "entries": entries,
        }
    }
    return json.dumps(document, indent=indent, ensure_ascii=False).encode()


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def scan(data: bytes, size: int) -> tuple[list[Any], int, int]:
    """The entries, the most the scanner held at once, and the largest entry (bytes)."""
    scanner = HarScanner()
    raws: list[bytes] = []
    peak = 0
    for chunk in chunked(data, size):
        raws.extend(raw for _, raw in scanner.feed(chunk))
        peak = max(peak, scanner.buffered)
    raws.extend(raw for _, raw in scanner.close())
    assert scanner.finish() is None
    return [orjson.loads(raw) for raw in raws], peak, max(map(len, raws), default=0)


# -- HAR streaming -------------------------------------------------------------------------------
@pytest.mark.parametrize("indent", [2, None])
def test_har_in_chunks_of_7_bytes_matches_json_load(indent: int | None) -> None:
    data = har_bytes([tricky_entry(i) for i in range(400)], indent)
    expected = json.loads(data)["log"]["entries"]
    found, peak, largest = scan(data, 7)
    assert found == expected
    # memory is about one entry (parsed again once its bytes double) and a chunk, not the file
    assert peak <= 2 * largest + 2 * 7 < len(data) / 50
    found, peak, largest = scan(data, 4096)
    assert found == expected
    assert peak <= 2 * largest + 2 * 4096


def test_har_any_chunk_size_gives_the_same_entries() -> None:
    data = har_bytes([tricky_entry(i) for i in range(40)])
    expected = json.loads(data)["log"]["entries"]
    rng = random.Random(7)
    for size in (1, 2, 3, 64, 4096, len(data)):
        assert scan(data, size)[0] == expected, size
    # random boundaries, including ones that split an escape sequence
    scanner, found, position = HarScanner(), [], 0
    while position < len(data):
        step = rng.randint(1, 11)
        found += [orjson.loads(r) for _, r in scanner.feed(data[position : position + step])]
        position += step
    found += [orjson.loads(r) for _, r in scanner.close()]
    assert found == expected


def test_har_entries_come_out_before_the_file_is_read() -> None:
    data = har_bytes([tricky_entry(i) for i in range(500)])
    consumed = 0

    def chunks() -> Iterator[bytes]:
        nonlocal consumed
        for chunk in chunked(data, 1024):
            consumed += len(chunk)
            yield chunk

    entries = iter_entries(chunks())
    number, raw, problem = next(entries)
    assert (number, problem) == (1, None) and raw is not None
    assert orjson.loads(raw)["request"]["url"].endswith("n=0&x=%7B")
    assert consumed < len(data) / 50
    assert sum(1 for _ in entries) == 499


def test_har_reading_stops_at_the_end_of_the_entries() -> None:
    data = har_bytes([tricky_entry(0)])[:-1] + b', "pages": [garbage that is never read'
    assert [n for n, raw, _ in iter_entries(chunked(data, 5)) if raw] == [1]


def test_har_problems_are_numbered() -> None:
    data = har_bytes([tricky_entry(i) for i in range(3)])
    cut = data[: data.index(b"n=2") + 10]
    items = list(iter_entries(chunked(cut, 16)))
    assert [n for n, raw, _ in items if raw is not None] == [1, 2]
    assert items[-1][0] == 3 and items[-1][2] is not None and "cut short" in items[-1][2]
    assert list(iter_entries([b'{"log": {"version": "1.2"}}'])) == [
        (None, None, "no log.entries array")
    ]
    assert list(iter_entries([b'{"log": {"entries": []}}'])) == []
    assert list(iter_entries([b"  "])) == [(None, None, "empty input, expected a HAR object")]


def test_har_entry_that_is_not_json_is_skipped_and_reading_goes_on() -> None:
    good = json.dumps(tricky_entry(1)).encode()
    broken = [b'{"request": tru}', b'{"a": "x}, {", "b": }', b"{]"]
    data = (
        b'{"log": {"entries": [\n'
        + b",\n".join([good, broken[0], good, broken[1], good, broken[2], good])
        + b"\n]}}"
    )
    for size in (7, 1 << 16):
        items = list(iter_entries(chunked(data, size)))
        assert [n for n, _, _ in items] == [1, 2, 3, 4, 5, 6, 7], size
        assert [raw for _, raw, _ in items][1::2] == broken
        assert all(orjson.loads(raw or b"") == tricky_entry(1) for _, raw, _ in items[::2])
    many = b'{"log": {"entries": [' + b", ".join([b"{bad}"] * 5000 + [good]) + b"]}}"
    items = list(iter_entries([many]))  # one chunk, thousands of broken entries in a row
    assert len(items) == 5001 and orjson.loads(items[-1][1] or b"") == tricky_entry(1)
    # unbalanced brackets swallow what follows into the broken entry, which is reported
    cut = b'{"log": {"entries": [' + good + b', {"a": [1, 2}, ' + good + b"]}}"
    items = list(iter_entries(chunked(cut, 7)))
    assert items == [(1, good, None), (2, b'{"a": [1, 2}, ' + good + b"]", None)]


# -- format detection ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (har_bytes([tricky_entry(1)]), "har"),
        (har_bytes([tricky_entry(1)], indent=None), "har"),
        (b'\xef\xbb\xbf  {"log": {"entries": []}}', "har"),
        (b'{"request": {"method": "GET", "url": "/x"}}\n{"log": {}}\n', "jsonl"),
        (b'{"request": {"method": "GET", "url": "/x"\n{"log": {"entries": []}}\n', "jsonl"),
        (b"[1, 2]\n", "jsonl"),
        (b"", "jsonl"),
    ],
)
def test_detect_format_by_content(data: bytes, kind: str) -> None:
    detected, chunks = detect_format(chunked(data, 3))
    assert detected == kind
    assert b"".join(chunks) == data  # nothing is lost by looking


# -- JSONL ---------------------------------------------------------------------------------------
def test_jsonl_lines_across_chunk_boundaries() -> None:
    data = b'\xef\xbb\xbf{"a": 1}\r\n\n  \n{"b": "x\\ny"}\n[3]'
    for size in (1, 2, 5, 100):
        lines = [(n, orjson.loads(raw)) for n, raw in iter_lines(chunked(data, size))]
        assert lines == [(1, {"a": 1}), (4, {"b": "x\ny"}), (5, [3])], size


def test_jsonl_exchange_shapes() -> None:
    x = exchange_from_json(
        {
            "request": {
                "method": "post",
                "url": "/v2/fulfillments?fields[]=id",
                "headers": [["Content-Type", "application/json"], ["X-Many", "1"]],
                "body": None,
            },
            "response": {
                "status": 201,
                "headers": {"Content-Type": "application/json", "X-Many": ["a", "b"]},
                "body_text": '{"id": "1"}',
            },
        },
        4,
        9,
    )
    assert (x.index, x.line, x.request.method, x.request.url) == (
        4,
        9,
        "post",
        "/v2/fulfillments?fields[]=id",
    )
    assert x.request.body is None and x.request.has_body  # a JSON null body is a body
    assert x.request.header("content-type") == "application/json"
    assert x.response is not None and x.response.status == 201
    assert x.response.text == '{"id": "1"}' and x.response.body is NO_BODY
    assert x.response.header_values("x-many") == ["a", "b"]
    alone = exchange_from_json({"request": {"method": "GET", "url": "https://h/x"}}, 0)
    assert alone.response is None and not alone.request.has_body


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ([1], "expected a JSON object, got array"),
        ({"response": {"status": 200}}, "no request object"),
        ({"request": {"url": "/x"}}, "request.method must be a non-empty string"),
        ({"request": {"method": "GET", "url": 5}}, "request.url must be a non-empty string"),
        ({"request": {"method": "GET", "url": "/x", "headers": "a: b"}}, "request.headers"),
        ({"request": {"method": "GET", "url": "/x", "headers": [5]}}, "request.headers[0]"),
        ({"request": {"method": "GET", "url": "/", "body": 1, "body_text": "1"}}, "both body"),
        ({"request": {"method": "GET", "url": "/"}, "response": {"status": "200"}}, "status"),
        ({"request": {"method": "GET", "url": "/"}, "response": {"status": 99}}, "status"),
        ({"request": {"method": "GET", "url": "/"}, "response": []}, "response must be"),
    ],
)
def test_jsonl_bad_exchanges(data: Any, why: str) -> None:
    with pytest.raises(ExchangeError, match=why.replace("[", r"\[").replace("]", r"\]")):
        exchange_from_json(data, 0)


# -- HAR entries ---------------------------------------------------------------------------------
def test_har_entry_to_exchange() -> None:
    body = {"success": True, "fulfillments": []}
    x = exchange_from_entry(
        {
            "request": {
                "method": "POST",
                "url": "https://rest.zuora.com/v1/fulfillments",
                "headers": [{"name": "Authorization", "value": "Bearer t"}],
                "postData": {"mimeType": "application/json", "text": "{}"},
            },
            "response": {
                "status": 200,
                "headers": [],
                "content": {
                    "mimeType": "application/json; charset=utf-8",
                    "encoding": "base64",
                    "text": base64.b64encode(json.dumps(body).encode()).decode(),
                },
            },
        },
        3,
        4,
    )
    assert x.request.header("Content-Type") == "application/json"  # from postData.mimeType
    assert x.request.text == "{}"
    # a base64 body stays bytes: its media type decides how they are read
    assert x.response is not None and x.response.data == json.dumps(body).encode()
    assert x.response.text is None and x.response.maybe_decoded
    assert x.response.header("content-type") == "application/json; charset=utf-8"
    failed = exchange_from_entry(
        {"request": {"method": "GET", "url": "/x", "headers": []}, "response": {"status": 0}}, 0
    )
    assert failed.response is None  # HAR's "no response received"
    form = exchange_from_entry(
        {
            "request": {
                "method": "POST",
                "url": "/x",
                "postData": {
                    "mimeType": "application/x-www-form-urlencoded",
                    "params": [{"name": "a b", "value": "1&2"}],
                },
            }
        },
        0,
    )
    assert form.request.text == "a+b=1%262"
    with pytest.raises(ExchangeError, match="entry has no request"):
        exchange_from_entry({"response": {"status": 200}}, 0)
    with pytest.raises(ExchangeError, match="base64"):
        exchange_from_entry(
            {
                "request": {"method": "GET", "url": "/x"},
                "response": {"status": 200, "content": {"encoding": "base64", "text": "%%%"}},
            },
            0,
        )


# -- sources -------------------------------------------------------------------------------------
def test_read_exchanges_numbers_across_files(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text(
        '{"request": {"method": "GET", "url": "/v1/fulfillments/F-1"}}\n'
        "\n"
        "not json\n"
        '{"request": {"method": "GET", "url": "/v1/fulfillments/F-2"}}\n'
    )
    second = tmp_path / "b.har"
    second.write_bytes(har_bytes([tricky_entry(0), {"response": {"status": 200}}]))
    items = list(read_exchanges([str(first), str(second)], chunk_size=5))
    assert [type(x).__name__ for x in items] == [
        "Exchange",
        "InvalidInput",
        "Exchange",
        "Exchange",
        "InvalidInput",
    ]
    assert [x.index for x in items] == [0, 1, 2, 3, 4]
    assert [x.line for x in items] == [1, 3, 4, 1, 2]
    bad_line, bad_entry = items[1], items[4]
    assert isinstance(bad_line, InvalidInput) and isinstance(bad_entry, InvalidInput)
    assert bad_line.message.startswith(f"{first} line 3: not valid JSON")
    assert bad_entry.message == f"{second} entry 2: entry has no request"
    raw = list(read_raw([str(second)]))
    assert [(r.format, r.line) for r in raw] == [("har", 1), ("har", 2)]
    assert isinstance(decode(raw[0]), Exchange)


def test_unreadable_sources(tmp_path: Path) -> None:
    with pytest.raises(TrafficError, match="no such file"):
        check_sources([str(tmp_path / "missing.har")])
    with pytest.raises(TrafficError, match="is a directory"):
        check_sources([str(tmp_path)])
    with pytest.raises(TrafficError, match="only once"):
        check_sources(["-", "-"])


def test_read_exchanges_feed_the_engine() -> None:
    v1 = Contract.load(ROOT / "specs/v1/fulfillments.yaml")
    data = har_bytes([tricky_entry(0)])
    chunks = iter(chunked(data, 7))
    ((number, raw, _),) = iter_entries(chunks)
    assert raw is not None
    x = exchange_from_entry(orjson.loads(raw), 0, number)
    kinds = [f.kind.value for f in v1.check(x).findings]
    assert "missing_parameter" in kinds  # no Authorization header in the tricky entry

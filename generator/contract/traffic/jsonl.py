"""JSONL traffic: one exchange per line, read line by line (memory stays flat).

    {"request": {"method": "POST", "url": "/v2/fulfillments?fields[]=id",
                 "headers": {"Content-Type": "application/json"}, "body": {...}},
     "response": {"status": 201, "headers": [["Content-Type", "application/json"]],
                  "body_text": "{\"id\": \"...\"}"}}

`url` is absolute or a path with its query string; headers are an object or a list of
[name, value] pairs; a body is a JSON value (`body`), raw text (`body_text`) or bytes in base64
(`body_base64`: binary bodies, and bodies still under their `Content-Encoding`); `response` is
optional (the request is then checked alone). A line is JSON text, so UTF-8: a line that is not
is refused naming the first byte that is not.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from generator.contract import jsontext
from generator.contract.exchange import Exchange, InvalidInput, Request, Response, json_type

EXPECTED = "a JSON object with a request (and optionally a response)"

_BOM = b"\xef\xbb\xbf"


class ExchangeError(ValueError):
    """A line or entry that parses as JSON but does not describe an exchange."""


def iter_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line) for every non-blank line, whatever the chunk boundaries."""
    number = 0
    pending: list[bytes] = []
    for chunk in chunks:
        if b"\n" not in chunk:
            pending.append(chunk)
            continue
        if pending:
            pending.append(chunk)
            chunk = b"".join(pending)
            pending = []
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if tail:
            pending.append(tail)
        for line in lines:
            number += 1
            if number == 1 and line.startswith(_BOM):
                line = line[len(_BOM) :]
            if line.strip():
                yield number, line
    if pending:
        number += 1
        line = b"".join(pending)
        if number == 1 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        if line.strip():
            yield number, line


def check_headers(headers: Any, where: str) -> None:
    """Headers must be an object, or a list of [name, value] pairs / {name, value} objects."""
    if headers is None or isinstance(headers, dict):
        return
    if not isinstance(headers, list):
        raise ExchangeError(
            f"{where}.headers must be an object or a list, not {json_type(headers)}"
        )
    for position, item in enumerate(headers):
        if isinstance(item, dict):
            if isinstance(item.get("name"), str):
                continue
        elif isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
            continue
        raise ExchangeError(
            f"{where}.headers[{position}] must be a [name, value] pair or a {{name, value}} object"
        )


def _message(data: dict[str, Any], where: str) -> dict[str, Any]:
    headers = data.get("headers")
    check_headers(headers, where)
    fields: dict[str, Any] = {"headers": Request.pairs(headers)}
    has_text = data.get("body_text") is not None
    given = [key for key in ("body", "body_text", "body_base64") if data.get(key) is not None]
    if "body" in data and "body" not in given:
        given.insert(0, "body")  # a JSON null body is a body
    if len(given) > 1:
        listed = " and ".join(given) if len(given) == 2 else ", ".join(given)
        raise ExchangeError(f"{where} has {'both ' if len(given) == 2 else ''}{listed}; give one")
    if "body" in data:
        fields["body"] = data["body"]
    elif has_text:
        text = data["body_text"]
        if not isinstance(text, str):
            raise ExchangeError(f"{where}.body_text must be a string, not {json_type(text)}")
        fields["text"] = text
    elif data.get("body_base64") is not None:
        encoded = data["body_base64"]
        if not isinstance(encoded, str):
            raise ExchangeError(f"{where}.body_base64 must be a string, not {json_type(encoded)}")
        try:
            fields["data"] = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ExchangeError(f"{where}.body_base64 is not valid base64") from None
    return fields


def exchange_from_json(
    data: Any,
    index: int,
    line: int | None = None,
    exact: Callable[[], Exchange | None] | None = None,
) -> Exchange:
    """One decoded JSONL line as an exchange; ExchangeError says what is wrong with it."""
    if not isinstance(data, dict):
        raise ExchangeError(f"expected a JSON object, got {json_type(data)}")
    raw_request = data.get("request")
    if not isinstance(raw_request, dict):
        raise ExchangeError("no request object")
    method, url = raw_request.get("method"), raw_request.get("url")
    if not isinstance(method, str) or not method.strip():
        raise ExchangeError("request.method must be a non-empty string")
    if not isinstance(url, str) or not url.strip():
        raise ExchangeError("request.url must be a non-empty string")
    request = Request(method=method.strip(), url=url.strip(), **_message(raw_request, "request"))
    raw_response = data.get("response")
    response = None
    if raw_response is not None:
        if not isinstance(raw_response, dict):
            raise ExchangeError(f"response must be an object, not {json_type(raw_response)}")
        status = raw_response.get("status")
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ExchangeError("response.status must be an integer from 100 to 599")
        response = Response(status=status, **_message(raw_response, "response"))
    return Exchange(index, request, response, line, exact)


def decode_line(raw: bytes, index: int, line: int, source: str) -> Exchange | InvalidInput:
    """Parse and convert one line; anything wrong with it becomes an InvalidInput."""
    try:
        data = jsontext.loads(raw, exact=False)
    except jsontext.JsonTextError as exc:
        return invalid(index, line, source, f"not valid JSON: {exc.message}")
    try:
        return exchange_from_json(data, index, line, functools.partial(_exact, raw, index, line))
    except ExchangeError as exc:
        return invalid(index, line, source, str(exc))


def _exact(raw: bytes, index: int, line: int) -> Exchange | None:
    """The line read again keeping integers beyond 64 bits exact (None: it holds none)."""
    if not jsontext.has_long_integers(raw):
        return None
    return exchange_from_json(jsontext.loads(raw), index, line)


def invalid(index: int, line: int, source: str, why: str) -> InvalidInput:
    where = f"{source} line {line}" if source else f"line {line}"
    return InvalidInput(
        index, line, f"{where}: {why}", source, {"expected": EXPECTED, "where": where}
    )


def read_jsonl(
    file: BinaryIO, source: str = "", start: int = 0, chunk_size: int = 1 << 16
) -> Iterator[Exchange | InvalidInput]:
    """Every line of a JSONL file as an exchange (or invalid input), index counting from
    `start`."""
    chunks = iter(lambda: file.read(chunk_size), b"")
    for offset, (line, raw) in enumerate(iter_lines(chunks)):
        yield decode_line(raw, start + offset, line, source)

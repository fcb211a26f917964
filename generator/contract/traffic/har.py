"""HAR 1.2 traffic, streamed: the `log.entries` array is cut into entries without ever
holding the file, and each entry is parsed on its own. Memory holds one entry and one chunk,
however large the file.

Up to the entries array a small incremental scanner tracks strings, escapes and nesting across
chunks. Inside it, orjson finds where each entry ends (it stops at the first byte after a
complete value); an entry that is not valid JSON is skipped by the scanner instead, so it can
be reported while the entries after it are still read.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import orjson

from generator.contract import jsontext
from generator.contract.exchange import Exchange, InvalidInput, Request, Response, json_type
from generator.contract.traffic.jsonl import ExchangeError, check_headers

EXPECTED = "a HAR entry with a request (and optionally a response)"

_IN_STRING = re.compile(rb'["\\]')
_OUTSIDE = re.compile(rb'["{}\[\],:]')
_NOT_WHITESPACE = re.compile(rb"[^ \t\r\n]")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN_OBJECT, _OPEN_ARRAY = ord("{"), ord("[")
_CLOSE_OBJECT, _CLOSE_ARRAY = ord("}"), ord("]")
_COMMA = ord(",")
_WHITESPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
_AFTER_VALUE = "unexpected content after document"
_END_OF_DATA = "unexpected end of data"

# what an open container is, on the way to the entries
_OTHER, _ROOT, _LOG, _ENTRIES = range(4)
# where the entries fast path is: before an entry, or after one (before `,` or `]`)
_BEFORE_ENTRY, _AFTER_ENTRY = range(2)


class HarScanner:
    """Feed bytes in any chunk sizes; get back each element of `log.entries` as raw bytes.

        scanner = HarScanner()
        for chunk in chunks:
            for number, raw in scanner.feed(chunk): ...
        entries = scanner.close()       # an entry the file ended right after, if any
        ending = scanner.finish()       # None, or (entry number | None, why it ended badly)

    `number` is the 1-based entry number. Only the path root -> "log" -> "entries" is
    interpreted; everything else is skipped by tracking strings, escapes and nesting.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0
        self._started = False
        self._in_string = False
        self._stack: list[int] = []
        self._expect_key = False
        self._key_start = -1
        self._last_key = b""
        self._element_start = -1
        self._fast: int | None = None  # _BEFORE_ENTRY / _AFTER_ENTRY inside the entries array
        self._retry_at = 0  # bytes an unfinished entry needs before orjson is tried again
        self._entries = 0
        self._seen_entries = False
        self.saw_log = False  # a root object with a "log" object: this is a HAR
        self.done = False
        self.error: str | None = None

    @property
    def entries(self) -> int:
        """Entries found so far."""
        return self._entries

    @property
    def buffered(self) -> int:
        """Bytes held right now: at most the current entry plus one chunk."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[tuple[int, bytes]]:
        if self.done:
            return []
        self._buf += chunk
        found: list[tuple[int, bytes]] = []
        self._scan(found)
        self._compact()
        return found

    def close(self) -> list[tuple[int, bytes]]:
        """At the end of the input: the entries still held (an entry is only parsed again
        once its bytes have doubled), and one the file ends right after, with no `,` or `]`
        to follow it."""
        found: list[tuple[int, bytes]] = []
        if self.done or self._fast is None:
            return found
        self._retry_at = 0
        self._scan(found)
        if self.done or self._fast != _BEFORE_ENTRY or self._element_start < 0:
            return found
        raw = bytes(self._buf[self._element_start :]).strip()
        try:
            orjson.loads(raw)
        except orjson.JSONDecodeError:
            return found
        self._element_start = -1
        self._fast = _AFTER_ENTRY
        self._entries += 1
        found.append((self._entries, raw))
        return found

    def finish(self) -> tuple[int | None, str] | None:
        """None when the entries array was read to its end; else (the entry number the file
        broke off in, or None when it broke off outside any entry, and why)."""
        if self.error:
            return None, self.error
        if self.done:
            return None
        if not self._started:
            return None, "empty input, expected a HAR object"
        if not self._seen_entries:
            return None, "no log.entries array"
        if self._element_start >= 0 and bytes(self._buf[self._element_start :]).strip():
            return self._entries + 1, "cut short: the file ends inside this entry"
        return None, "the file ends before log.entries is closed"

    # -- the entries array: orjson finds where each entry ends ------------------------------
    def _entries_fast(self, found: list[tuple[int, bytes]]) -> int:
        """Read entries from `_pos`; returns -1 when more input is needed, or the position
        of an entry that is not valid JSON, for the scanner to skip."""
        buf, end = self._buf, len(self._buf)
        while True:
            if self._element_start < 0:
                match = _NOT_WHITESPACE.search(buf, self._pos)
                if match is None:
                    self._pos = end
                    return -1
                at = match.start()
                char = buf[at]
                if self._fast == _AFTER_ENTRY or char == _CLOSE_ARRAY:
                    if char == _CLOSE_ARRAY:
                        self._stack.pop()
                        self.done = True
                        return -1
                    if char != _COMMA:
                        self.error = f"expected ',' or ']' after entry {self._entries}"
                        self.done = True
                        return -1
                    self._pos = at + 1
                    self._fast = _BEFORE_ENTRY
                    continue
                self._element_start = at
                self._retry_at = 0
            start = self._element_start
            if end - start < self._retry_at:
                self._pos = end
                return -1
            view = memoryview(buf)
            try:
                tail = view[start:end]
                try:
                    orjson.loads(tail)
                    outcome, offset = _END_OF_DATA, 0  # complete, but is `,` or `]` next?
                except orjson.JSONDecodeError as exc:
                    outcome, offset = exc.msg, exc.pos
                finally:
                    tail.release()
            finally:
                view.release()
            if outcome == _END_OF_DATA:
                self._retry_at = 2 * (end - start)  # wait for more, then parse again
                self._pos = end
                return -1
            if outcome != _AFTER_VALUE:
                return start  # not valid JSON: let the scanner find where it ends
            size = _byte_offset(buf, start, offset)
            self._entries += 1
            found.append((self._entries, bytes(buf[start : start + size]).rstrip()))
            self._element_start = -1
            self._pos = start + size
            self._fast = _AFTER_ENTRY

    # -- the scanner -----------------------------------------------------------------------
    def _scan(self, found: list[tuple[int, bytes]]) -> None:
        buf, end = self._buf, len(self._buf)
        if not self._started:
            pos = self._pos
            if buf.startswith(_BOM):
                pos = len(_BOM)
            while pos < end and buf[pos] in _WHITESPACE:
                pos += 1
            self._pos = pos
            if pos == end:
                return
            if buf[pos] != _OPEN_OBJECT:
                self.error, self.done = "not a HAR file: expected a JSON object", True
                return
            self._started = True
        while not self.done:
            if self._fast is not None:
                skip_from = self._entries_fast(found)
                if skip_from < 0:
                    return
                self._fast = None  # an entry that is not JSON: the scanner skips it
                self._pos = skip_from
            if not self._tokens(found):
                return

    def _tokens(self, found: list[tuple[int, bytes]]) -> bool:
        """Scan tokens from `_pos`; True when the entries fast path should take over."""
        buf, end = self._buf, len(self._buf)
        stack = self._stack
        pos = self._pos
        while pos < end:
            if self._in_string:
                match = _IN_STRING.search(buf, pos)
                if match is None:
                    pos = end
                    break
                at = match.start()
                if buf[at] == _BACKSLASH:
                    if at + 1 >= end:
                        pos = at  # wait for the escaped byte
                        break
                    pos = at + 2
                    continue
                self._in_string = False
                pos = at + 1
                if self._key_start >= 0:
                    self._last_key = bytes(buf[self._key_start + 1 : at])
                    self._key_start = -1
                continue
            match = _OUTSIDE.search(buf, pos)
            if match is None:
                pos = end
                break
            at = match.start()
            char = buf[at]
            pos = at + 1
            top = stack[-1] if stack else None
            if char == _QUOTE:
                self._in_string = True
                if self._expect_key and top in (_ROOT, _LOG):
                    self._key_start = at
            elif char == _OPEN_OBJECT or char == _OPEN_ARRAY:
                role = _OTHER
                if top is None:
                    role = _ROOT if char == _OPEN_OBJECT else _OTHER
                elif top == _ROOT and char == _OPEN_OBJECT and self._last_key == b"log":
                    role = _LOG
                    self.saw_log = True
                elif top == _LOG and char == _OPEN_ARRAY and self._last_key == b"entries":
                    role = _ENTRIES
                    self._seen_entries = True
                stack.append(role)
                if role in (_ROOT, _LOG):
                    self._expect_key = True
                    self._last_key = b""
                elif role == _ENTRIES:
                    self._pos = pos
                    self._fast = _BEFORE_ENTRY
                    return True
            elif char == _CLOSE_OBJECT or char == _CLOSE_ARRAY:
                role = stack.pop()
                if role == _ENTRIES:
                    self._emit(buf, at, found)
                    self.done = True
                    break
                if role == _ROOT:
                    self.done = True
                    if not self._seen_entries:
                        self.error = "no log.entries array"
                    break
                if stack and stack[-1] in (_ROOT, _LOG):
                    self._expect_key = False
            elif char == _COMMA:
                if top == _ENTRIES:
                    self._emit(buf, at, found)
                    self._pos = pos
                    self._fast = _BEFORE_ENTRY  # back to the fast path for the next entry
                    return True
                if top in (_ROOT, _LOG):
                    self._expect_key = True
            elif top in (_ROOT, _LOG):  # a colon
                self._expect_key = False
        self._pos = pos
        return False

    def _emit(self, buf: bytearray, end: int, found: list[tuple[int, bytes]]) -> None:
        """The entry the scanner skipped (not valid JSON: decoding will say why)."""
        raw = bytes(buf[self._element_start : end]).strip()
        self._element_start = -1
        self._entries += 1
        found.append((self._entries, raw))

    def _compact(self) -> None:
        """Drop what is no longer needed: everything before the current entry or key."""
        keep = self._pos
        if self._element_start >= 0:
            keep = min(keep, self._element_start)
        if self._key_start >= 0:
            keep = min(keep, self._key_start)
        if self.done:
            keep = len(self._buf)
        if keep:
            del self._buf[:keep]
            self._pos -= keep
            if self._element_start >= 0:
                self._element_start -= keep
            if self._key_start >= 0:
                self._key_start -= keep


def _byte_offset(buf: bytearray, start: int, chars: int) -> int:
    """orjson reports positions in characters; the entry's length in bytes."""
    head = buf[start : start + chars]
    if head.isascii():
        return chars
    text = bytes(buf[start : start + 4 * chars]).decode("utf-8", "ignore")
    return len(text[:chars].encode("utf-8"))


def iter_entries(
    chunks: Iterable[bytes],
) -> Iterator[tuple[int | None, bytes | None, str | None]]:
    """(entry number, raw entry, None) for each entry, then (number or None, None, problem)
    if the file ended badly. Stops reading as soon as the entries array is closed."""
    scanner = HarScanner()
    for chunk in chunks:
        for number, raw in scanner.feed(chunk):
            yield number, raw, None
        if scanner.done:
            break
    for number, raw in scanner.close():
        yield number, raw, None
    ending = scanner.finish()
    if ending is not None:
        yield ending[0], None, ending[1]


# -- entries -> exchanges ------------------------------------------------------------------
def _text(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExchangeError(f"{where}.{key} must be a string, not {json_type(value)}")
    return value


def _body(holder: dict[str, Any], where: str) -> tuple[str | None, bytes | None]:
    """(text, None) or (None, bytes) of a postData or content object: `text`, or the bytes
    of a base64 one (HAR 1.2 defines `encoding: base64` for response content; HAR writers use
    it for postData too). Bytes stay bytes: the body checks decide how to read them."""
    text = _text(holder, "text", where)
    if text is None or holder.get("encoding") != "base64":
        return text, None
    try:
        return None, base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ExchangeError(f"{where}.text is not valid base64") from None


def _with_content_type(
    headers: tuple[tuple[str, str], ...], mime: Any
) -> tuple[tuple[str, str], ...]:
    if isinstance(mime, str) and mime.strip():
        if not any(name.lower() == "content-type" for name, _ in headers):
            return (*headers, ("Content-Type", mime.strip()))
    return headers


def _request(data: Any) -> Request:
    if not isinstance(data, dict):
        raise ExchangeError("entry has no request")
    method, url = data.get("method"), data.get("url")
    if not isinstance(method, str) or not method.strip():
        raise ExchangeError("request.method must be a non-empty string")
    if not isinstance(url, str) or not url.strip():
        raise ExchangeError("request.url must be a non-empty string")
    check_headers(data.get("headers"), "request")
    headers = Request.pairs(data.get("headers"))
    text: str | None = None
    raw: bytes | None = None
    post = data.get("postData")
    if isinstance(post, dict):
        text, raw = _body(post, "request.postData")
        params = post.get("params")
        if text is None and raw is None and isinstance(params, list) and params:
            text = urllib.parse.urlencode(
                [
                    (str(p.get("name", "")), str(p.get("value", "")))
                    for p in params
                    if isinstance(p, dict)
                ]
            )
        headers = _with_content_type(headers, post.get("mimeType"))
    return Request(
        method=method.strip(),
        url=url.strip(),
        headers=headers,
        text=text,
        data=raw,
        maybe_decoded=True,
    )


def _response(data: Any) -> Response | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ExchangeError(f"response must be an object, not {json_type(data)}")
    status = data.get("status")
    if isinstance(status, bool) or not isinstance(status, int):
        raise ExchangeError("response.status must be an integer")
    if status <= 0:
        return None  # HAR's way of saying: no response was received
    if not 100 <= status <= 599:
        raise ExchangeError(f"response.status {status} is not an HTTP status")
    check_headers(data.get("headers"), "response")
    headers = Response.pairs(data.get("headers"))
    text: str | None = None
    raw: bytes | None = None
    content = data.get("content")
    if isinstance(content, dict):
        text, raw = _body(content, "response.content")
        headers = _with_content_type(headers, content.get("mimeType"))
    return Response(status=status, headers=headers, text=text, data=raw, maybe_decoded=True)


def exchange_from_entry(data: Any, index: int, number: int | None = None) -> Exchange:
    """One HAR entry (decoded JSON) as an exchange; ExchangeError says what is wrong with it."""
    if not isinstance(data, dict):
        raise ExchangeError(f"expected a JSON object, got {json_type(data)}")
    return Exchange(index, _request(data.get("request")), _response(data.get("response")), number)


def invalid(index: int, number: int | None, source: str, why: str) -> InvalidInput:
    where = f"entry {number}" if number is not None else "the file"
    if source:
        where = f"{source} {where}"
    return InvalidInput(
        index, number, f"{where}: {why}", source, {"expected": EXPECTED, "where": where}
    )


def decode_entry(raw: bytes, index: int, number: int, source: str) -> Exchange | InvalidInput:
    try:
        data = jsontext.loads(raw, exact=False)
    except jsontext.JsonTextError as exc:
        return invalid(index, number, source, f"not valid JSON: {exc.message}")
    try:
        found = exchange_from_entry(data, index, number)
    except ExchangeError as exc:
        return invalid(index, number, source, str(exc))
    return dataclasses.replace(found, exact=functools.partial(_exact, raw, index, number))


def _exact(raw: bytes, index: int, number: int) -> Exchange | None:
    """The entry read again keeping integers beyond 64 bits exact (None: it holds none)."""
    if not jsontext.has_long_integers(raw):
        return None
    return exchange_from_entry(jsontext.loads(raw), index, number)


def read_har(
    file: BinaryIO, source: str = "", start: int = 0, chunk_size: int = 1 << 16
) -> Iterator[Exchange | InvalidInput]:
    """Every entry of a HAR file as an exchange (or invalid input), index counting from
    `start`."""
    chunks = iter(lambda: file.read(chunk_size), b"")
    for offset, (number, raw, problem) in enumerate(iter_entries(chunks)):
        if raw is None or number is None:
            yield invalid(start + offset, number, source, problem or "unreadable")
        else:
            yield decode_entry(raw, start + offset, number, source)

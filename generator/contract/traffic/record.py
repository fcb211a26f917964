"""Recording traffic: httpx exchanges -> HAR 1.2, the format `har.py` reads back.

The one HAR writer of the project: `serve --proxy ... --record FILE` and
`pytest --apicontract-record FILE` both write through it.

Bodies keep every byte. A body is written as text when it decodes (with the charset its
Content-Type declares, else UTF-8) and encodes back to exactly the same bytes; otherwise it is
written in base64 with `"encoding": "base64"` (HAR 1.2 defines that for `response.content`;
for `request.postData` it is the extension HAR writers such as martian and HTTP Toolkit use,
and `har.py` reads both).

A response's `content` is what the client got after httpx undid the Content-Encoding (HAR 1.2:
"the HTTP response is decoded (decompressed & unchunked)"), so the codings httpx decoded are
dropped from the recorded `Content-Encoding` header, and with them `Content-Length`; the bytes
the coding saved are in `content.compression` and the size on the wire in `bodySize`. The
recorded headers thus describe the recorded body, and a reader never decodes it twice. A
request body is recorded as sent (gzip bytes under `Content-Encoding: gzip`).

Credentials are redacted unless the caller keeps them (see `redact.py`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__
from generator.atomic import write_text
from generator.contract.traffic.redact import Redactor

if TYPE_CHECKING:
    import httpx

__all__ = ["HarWriter", "body_content", "har_entry"]

#: the codings httpx undoes itself (httpx._decoders.SUPPORTED_DECODERS, plus br and zstd when
#: their optional packages are installed)
_DECODED_BY_HTTPX: frozenset[str] | None = None


def _decoded_by_httpx() -> frozenset[str]:
    global _DECODED_BY_HTTPX
    if _DECODED_BY_HTTPX is None:
        try:
            from httpx._decoders import SUPPORTED_DECODERS

            _DECODED_BY_HTTPX = frozenset(SUPPORTED_DECODERS)
        except ImportError:  # pragma: no cover - httpx moved it: the codings it always had
            _DECODED_BY_HTTPX = frozenset({"identity", "gzip", "deflate"})
    return _DECODED_BY_HTTPX


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def body_content(data: bytes, content_type: str) -> dict[str, str]:
    """`{"text": ...}` when the bytes are text in their declared charset (else UTF-8) and
    encode back to the same bytes; else `{"text": <base64>, "encoding": "base64"}`."""
    import base64

    for codec in dict.fromkeys([_charset(content_type), "utf-8"]):
        if codec is None:
            continue
        try:
            text = data.decode(codec)
            if text.encode(codec) == data:
                return {"text": text}
        except (LookupError, UnicodeError):
            continue
    return {"text": base64.b64encode(data).decode("ascii"), "encoding": "base64"}


def _pairs(headers: httpx.Headers, redactor: Redactor) -> list[dict[str, str]]:
    """Headers in order, names spelled as sent, credentials redacted."""
    encoding = headers.encoding
    pairs = []
    for raw_name, raw_value in headers.raw:
        name, value = raw_name.decode(encoding), raw_value.decode(encoding)
        pairs.append({"name": name, "value": redactor.header(name, value)})
    return pairs


def _request_cookies(headers: list[dict[str, str]]) -> list[dict[str, str]]:
    cookies = []
    for header in headers:
        if header["name"].lower() != "cookie":
            continue
        for part in header["value"].split(";"):
            name, eq, value = part.strip().partition("=")
            if eq and name:
                cookies.append({"name": name, "value": value})
    return cookies


def _response_cookies(headers: list[dict[str, str]]) -> list[dict[str, Any]]:
    cookies: list[dict[str, Any]] = []
    for header in headers:
        if header["name"].lower() != "set-cookie":
            continue
        first, *attributes = header["value"].split(";")
        name, eq, value = first.strip().partition("=")
        if not eq or not name:
            continue
        cookie: dict[str, Any] = {"name": name, "value": value}
        for attribute in attributes:
            key, _, setting = attribute.strip().partition("=")
            key = key.lower()
            if key in ("path", "domain", "expires"):
                cookie[key] = setting
            elif key == "httponly":
                cookie["httpOnly"] = True
            elif key == "secure":
                cookie["secure"] = True
        cookies.append(cookie)
    return cookies


def _request_body(request: httpx.Request) -> bytes:
    try:
        return request.content
    except Exception:  # a streaming body that was never read
        return b""


def _response_headers(
    response: httpx.Response, redactor: Redactor
) -> tuple[list[dict[str, str]], bool]:
    """The response headers describing the decoded body, and whether httpx decoded it."""
    pairs = _pairs(response.headers, redactor)
    decodable = _decoded_by_httpx()
    codings = [
        c.strip() for h in pairs if h["name"].lower() == "content-encoding"
        for c in h["value"].split(",") if c.strip()
    ]  # fmt: skip
    left = [c for c in codings if c.lower() not in decodable]
    if left == codings:
        return pairs, False
    kept = [h for h in pairs if h["name"].lower() not in ("content-encoding", "content-length")]
    if left:
        kept.append({"name": "Content-Encoding", "value": ", ".join(left)})
    return kept, True


def har_entry(
    request: httpx.Request,
    response: httpx.Response | None,
    *,
    redactor: Redactor | None = None,
    started: dt.datetime | None = None,
    elapsed_ms: float | None = None,
    error: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One HAR 1.2 entry for an httpx exchange (the response must have been read). No
    response (the upstream could not be reached): status 0 and `_error`, which `check` reads
    as a request without an answer. `extra` goes under `_apicontract`."""
    redact = (redactor or Redactor()).for_entry()
    if elapsed_ms is None:
        try:
            elapsed_ms = response.elapsed.total_seconds() * 1000.0 if response else 0.0
        except RuntimeError:  # built by hand, never sent
            elapsed_ms = 0.0
    wait = round(max(elapsed_ms, 0.0), 3)
    if started is None:
        started = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=wait)
    version = (response.http_version if response is not None else "") or "HTTP/1.1"

    body = _request_body(request)
    request_headers = _pairs(request.headers, redact)
    har_request: dict[str, Any] = {
        "method": request.method,
        "url": redact.url(str(request.url)),
        "httpVersion": version,
        "cookies": _request_cookies(request_headers),
        "headers": request_headers,
        "queryString": [
            {"name": name, "value": redact.query_value(name, value)}
            for name, value in request.url.params.multi_items()
        ],
        "headersSize": -1,
        "bodySize": len(body),
    }
    if body:
        content_type = request.headers.get("content-type", "")
        har_request["postData"] = {"mimeType": content_type, **body_content(body, content_type)}

    entry: dict[str, Any] = {
        "startedDateTime": started.astimezone(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "time": wait,
        "request": har_request,
        "response": _har_response(response, redact, version),
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": wait,
                    "receive": 0, "ssl": -1},
    }  # fmt: skip
    if error is not None:
        entry["response"]["_error"] = error
    if extra is not None:
        entry["_apicontract"] = dict(extra)
    scrubbed: dict[str, Any] = redact.scrub(entry)
    return scrubbed


def _har_response(
    response: httpx.Response | None, redact: Redactor, version: str
) -> dict[str, Any]:
    if response is None:
        return {
            "status": 0, "statusText": "", "httpVersion": version, "cookies": [], "headers": [],
            "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1,
            "bodySize": -1,
        }  # fmt: skip
    content = response.content
    headers, decoded = _response_headers(response, redact)
    content_type = response.headers.get("content-type", "")
    har_content: dict[str, Any] = {"size": len(content), "mimeType": content_type}
    if content:
        har_content.update(body_content(content, content_type))
    body_size = len(content)
    if decoded:
        wire = response.num_bytes_downloaded
        body_size = wire if wire > 0 else -1
        if wire > 0:
            har_content["compression"] = len(content) - wire
    return {
        "status": response.status_code,
        "statusText": response.reason_phrase,
        "httpVersion": version,
        "cookies": _response_cookies(headers),
        "headers": headers,
        "content": har_content,
        "redirectURL": redact.url(response.headers.get("location", "")),
        "headersSize": -1,
        "bodySize": body_size,
    }


class HarWriter:
    """A HAR 1.2 file of entries kept in start order. Each entry is serialized once, when
    added; `write()` replaces the file atomically (it never holds half a recording)."""

    def __init__(self, path: Path, creator: str, *, durable: bool = True) -> None:
        self.path = path
        self.creator = creator
        self.durable = durable
        self._lock = threading.Lock()
        self._entries: list[tuple[str, int, str]] = []  # (startedDateTime, order, JSON)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def add(self, entry: dict[str, Any]) -> None:
        text = json.dumps(entry, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate quoted in a finding: not valid UTF-8
            text = text.encode("utf-8", "replace").decode("utf-8")
        with self._lock:
            key = (str(entry.get("startedDateTime", "")), len(self._entries), text)
            bisect.insort(self._entries, key, key=lambda item: item[:2])

    def text(self) -> str:
        """The whole HAR document: one entry per line, in start order."""
        with self._lock:
            entries = [text for _, _, text in self._entries]
        head = json.dumps({"name": self.creator, "version": __version__})
        body = ",\n".join(entries)
        return (
            '{"log": {\n"version": "1.2",\n'
            f'"creator": {head},\n"pages": [],\n"entries": [\n{body}\n]\n}}}}\n'
        )

    def write(self) -> None:
        """Replace the file with every entry so far. OSError propagates."""
        write_text(self.path, self.text(), durable=self.durable)

"""What traffic is made of: HTTP exchanges as plain data, whatever file they came from."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


def json_type(value: Any) -> str:
    """The JSON Schema type name of a value, for messages and `actual` fields."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _NoBody:
    """The type of NO_BODY: a singleton that survives pickling (exchanges cross processes)."""

    def __repr__(self) -> str:
        return "NO_BODY"

    def __reduce__(self) -> str:
        return "NO_BODY"


#: marks "no JSON body was given" (a JSON `null` body is a real value)
NO_BODY: Any = _NoBody()


@dataclass(frozen=True)
class Message:
    """Headers (in order, names as sent) and a body: a JSON value in `body`, raw text in
    `text`, the bytes as sent in `data` (HAR base64, JSONL `body_base64`, httpx), or none.

    `data` and `text` are what travelled, still under any `Content-Encoding` the headers name.
    `maybe_decoded` marks a body that may have been decoded already although the headers
    still name a coding: HAR 1.2 records the decoded body, and browsers keep the
    Content-Encoding header beside it."""

    headers: tuple[tuple[str, str], ...] = ()
    body: Any = NO_BODY
    text: str | None = None
    data: bytes | None = None
    maybe_decoded: bool = False

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def has_body(self) -> bool:
        return (
            self.body is not NO_BODY
            or bool(self.text)
            or (self.data is not None and self.data != b"")
        )

    @property
    def raw(self) -> bytes | None:
        """The body as bytes (text as UTF-8), None when it was given as a JSON value or not
        at all."""
        if self.data is not None:
            return self.data
        if self.text is not None:
            return self.text.encode("utf-8", "surrogatepass")
        return None

    @staticmethod
    def pairs(headers: Any) -> tuple[tuple[str, str], ...]:
        """Headers from a mapping, a list of [name, value] pairs or HAR's [{name, value}]."""
        if isinstance(headers, dict):
            items: Iterable[Any] = headers.items()
        elif isinstance(headers, list):
            items = (
                (h.get("name"), h.get("value")) if isinstance(h, dict) else tuple(h)
                for h in headers
            )
        else:
            return ()
        result: list[tuple[str, str]] = []
        for item in items:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                continue
            name, value = item
            if isinstance(name, str):
                values = value if isinstance(value, list) else [value]
                result.extend((name, _header_text(v)) for v in values)
        return tuple(result)


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Request(Message):
    method: str = "GET"
    url: str = "/"


@dataclass(frozen=True)
class Response(Message):
    status: int = 200


@dataclass(frozen=True)
class Exchange:
    """One request and, when recorded, its response. `index` is the 0-based position in the
    input; `line` the input line (JSONL) or entry number (HAR) it came from."""

    index: int
    request: Request
    response: Response | None = None
    line: int | None = None
    #: for an exchange read from JSON text without the scan for integers beyond 64 bits
    #: (`jsontext.loads(exact=False)`): the same exchange read exactly, or None when the
    #: text holds no such integer. The checker asks for it when it has findings.
    exact: Callable[[], Exchange | None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class InvalidInput:
    """A line or entry that is not an exchange at all; reported, and the run goes on."""

    index: int
    line: int | None
    message: str
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

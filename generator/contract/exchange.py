"""What traffic is made of: HTTP exchanges as plain data, whatever file they came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: marks "no JSON body was given" (a JSON `null` body is a real value)
NO_BODY: Any = type("NoBody", (), {"__repr__": lambda self: "NO_BODY"})()


@dataclass(frozen=True)
class Message:
    """Headers (in order, names as sent) and a body: a JSON value in `body`, or raw text in
    `text` (parsed when the content type says JSON), or neither."""

    headers: tuple[tuple[str, str], ...] = ()
    body: Any = NO_BODY
    text: str | None = None

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
        return self.body is not NO_BODY or (self.text is not None and self.text != "")

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
        result = []
        for item in items:
            if len(item) != 2:
                continue
            name, value = item
            if isinstance(name, str):
                values = value if isinstance(value, list) else [value]
                result.extend((name, "" if v is None else str(v)) for v in values)
        return tuple(result)


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


@dataclass(frozen=True)
class InvalidInput:
    """A line or entry that is not an exchange at all; reported, and the run goes on."""

    index: int
    line: int | None
    message: str
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

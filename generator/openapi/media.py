"""Media types: the one place that answers "is this JSON?" (and form, multipart, text, binary).

A media type name is parsed once into type, subtype and parameters (RFC 9110 syntax, names
lower-cased, parameter values unquoted). `classify` sorts it into the kinds the engines treat
differently; `matches` decides whether a concrete type is covered by a documented one, with
OpenAPI's wildcards (`*/*`, `text/*`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache


class MediaKind(enum.StrEnum):
    JSON = "json"  # application/json, anything +json, text/json
    FORM = "form"  # application/x-www-form-urlencoded
    MULTIPART = "multipart"  # multipart/*
    TEXT = "text"  # text/*, XML, and other character data the tool does not parse
    BINARY = "binary"  # everything else: octet-stream, images, PDFs, archives
    ANY = "any"  # a wildcard range (`*/*`, `application/*`): whatever the sender chose


#: application/* subtypes that are character data rather than bytes
_TEXTUAL_APPLICATION = frozenset(
    {
        "xml",
        "javascript",
        "ecmascript",
        "x-yaml",
        "yaml",
        "x-ndjson",
        "graphql",
        "sql",
        "csv",
        "x-www-form-urlencoded-text",
    }
)


@dataclass(frozen=True)
class MediaTypeName:
    type: str
    subtype: str
    parameters: tuple[tuple[str, str], ...] = ()

    @property
    def essence(self) -> str:
        """`type/subtype`, lower-cased, without parameters."""
        return f"{self.type}/{self.subtype}"

    @property
    def suffix(self) -> str:
        """The structured-syntax suffix (`json` of `application/problem+json`), if any."""
        return self.subtype.rsplit("+", 1)[1] if "+" in self.subtype else ""

    def parameter(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.parameters if k == name), None)


@lru_cache(maxsize=4096)
def parse(name: str) -> MediaTypeName:
    """Parse a media type (or a Content-Type header value). Malformed input gives what can be
    read: a missing subtype is `*`, so `"json"` alone never passes as `application/json`."""
    head, _, rest = name.partition(";")
    kind, _, subtype = head.strip().lower().partition("/")
    parameters: list[tuple[str, str]] = []
    for part in rest.split(";"):
        key, eq, value = part.partition("=")
        if not eq:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"')
        parameters.append((key.strip().lower(), value))
    return MediaTypeName(kind.strip() or "*", subtype.strip() or "*", tuple(parameters))


@lru_cache(maxsize=4096)
def classify(name: str) -> MediaKind:
    parsed = parse(name)
    kind, subtype = parsed.type, parsed.subtype
    if kind == "*" or subtype == "*":
        if kind == "multipart":
            return MediaKind.MULTIPART
        if kind == "text":
            return MediaKind.TEXT
        return MediaKind.ANY
    if subtype == "json" or parsed.suffix == "json":
        return (
            MediaKind.JSON if kind in ("application", "text") or parsed.suffix else MediaKind.TEXT
        )
    if parsed.essence == "application/x-www-form-urlencoded":
        return MediaKind.FORM
    if kind == "multipart":
        return MediaKind.MULTIPART
    if (
        kind == "text"
        or parsed.suffix == "xml"
        or (kind == "application" and subtype in _TEXTUAL_APPLICATION)
    ):
        return MediaKind.TEXT
    return MediaKind.BINARY


def is_json(name: str) -> bool:
    return classify(name) is MediaKind.JSON


def matches(documented: str, actual: str) -> bool:
    """Whether a message of type `actual` is covered by the documented media type (or range)."""
    want, have = parse(documented), parse(actual)
    if want.type == "*":
        return True
    if want.type != have.type:
        return False
    return want.subtype in ("*", have.subtype)


def specificity(documented: str) -> int:
    """How specific a documented media type is: an exact type beats `text/*`, which beats
    `*/*` (OpenAPI: the most specific key applies)."""
    parsed = parse(documented)
    if parsed.type == "*":
        return 0
    if parsed.subtype == "*":
        return 1
    return 2 + len(parsed.parameters)


def best_match(documented: list[str], actual: str) -> str | None:
    """The documented media type that governs a message of type `actual`, if any."""
    found = [d for d in documented if matches(d, actual)]
    if not found:
        return None
    return max(found, key=lambda d: (specificity(d), -documented.index(d)))

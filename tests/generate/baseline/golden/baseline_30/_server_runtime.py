"""Runtime support shared by every generated FastAPI server.

This module is copied verbatim into each generated package, next to the `server.py` it serves.
It depends only on the standard library, FastAPI/Starlette and pydantic (v2), plus
python-multipart (FastAPI's form parser) for operations taking `multipart/form-data`: never on
apicontract.

`server.py` describes its spec as data: a `ServerSpec` holding the API's conventions (header
names, statuses, its error shape as an `ErrorBody` builder) and one `Operation` per operation
(route, parameters as `Param`s, body, documented responses, request class and handler).
`build_app` turns that into a FastAPI app, and everything generic lives here: parameter and
body parsing (gzip, size limits, media types), request validation, answering in the API's
error shape, 404/405 and crash handling, response validation, the request id and track id
headers and response compression.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import re
import uuid
import zlib
from collections.abc import Awaitable, Callable, Container, Mapping, Sequence
from typing import Annotated, Any, Final, Generic, Literal, TypeAlias, TypeVar
from urllib.parse import quote, unquote, unquote_plus

import pydantic
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_CODES",
    "GZIP_MINIMUM_SIZE",
    "MAX_BODY_SIZE",
    "MAX_LISTED_PROBLEMS",
    "REQUEST_ID_STATE",
    "ApiFailure",
    "Body",
    "Encoding",
    "ErrorBody",
    "FormPart",
    "MediaKind",
    "Operation",
    "Param",
    "ParamKind",
    "ParamStyle",
    "ParamSyntaxError",
    "Parsed",
    "Problem",
    "Reply",
    "ReplyBody",
    "RequestContext",
    "ServerSpec",
    "build_app",
    "cookie_pairs_of",
    "default_code",
    "form_fields",
    "media_kind",
    "multipart_fields",
    "parse_cookie_param",
    "parse_header_param",
    "parse_multipart",
    "parse_path_param",
    "parse_query_param",
    "query_pairs_of",
]

_H = TypeVar("_H")

MAX_BODY_SIZE: Final = 10 * 1024 * 1024
"""Default limit of a request body in bytes, after gzip decompression."""
MAX_LISTED_PROBLEMS: Final = 10
"""Most problems one error answer lists."""
GZIP_MINIMUM_SIZE: Final = 500
"""Answers smaller than this (in bytes) are never compressed."""
REQUEST_ID_STATE: Final = "apicontract_request_id"
"""Where the request id of a request is kept in its ASGI scope's `state`."""

# --------------------------------------------------------------------------------------------
# What handlers see and answer
# --------------------------------------------------------------------------------------------

ReplyBody: TypeAlias = (
    pydantic.BaseModel | dict[str, Any] | list[Any] | bytes | str | None
)
"""A response body: a model (sent by alias), plain JSON data, None for no body, or `bytes` /
`str` for a status documented with a binary or text media type."""


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    """An answer with an explicit status: 201/202/204, an error, a v1-style in-band failure."""

    status: int
    body: ReplyBody = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    media_type: str | None = None
    """The Content-Type of a non-JSON body (default: the one documented for the status)."""


class ApiFailure(Exception):
    """Raise from a handler (at any depth) to answer with `status` and `body`."""

    def __init__(
        self,
        status: int,
        body: ReplyBody = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}")
        self.reply = Reply(status, body, dict(headers or {}))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    """What every handler gets besides its operation's parameters and body."""

    headers: Mapping[str, str]
    """All request headers (case-insensitive lookup)."""
    method: str
    path: str
    request_id: str | None
    """The id this server sends back in the request id header."""
    idempotency_key: str | None
    track_id: str | None
    token: str | None
    """The bearer token of the `Authorization` header (checking it is the handler's job)."""
    entity_id: str | None
    """The value of the entity header, if the API has one and it was sent."""
    parts: tuple[FormPart, ...] = ()
    """The parts of a multipart body as received (file names, part types and headers)."""


# --------------------------------------------------------------------------------------------
# Problems, and the API's error shape
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request; an `ErrorBody` builder words it in the API's shape."""

    code: str  # symbolic; mapped to the API's codes by the `ErrorBody` builder
    message: str
    parameter: str | None = None


ErrorBody: TypeAlias = Callable[
    [int, Sequence[Problem], str | int | None], dict[str, Any]
]
"""Builds the API's error body for a status from (at most `MAX_LISTED_PROBLEMS`) problems;
the third argument, when not None, overrides the code of every problem."""


class _Invalid(Exception):
    def __init__(self, status: int, problems: Sequence[Problem]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.problems = list(problems)


DEFAULT_CODES: Final[Mapping[int, str]] = {
    400: "invalid_request",
    401: "invalid_token",
    403: "forbidden",
    404: "resource_not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    422: "invalid_request",
    429: "rate_limit_exceeded",
    500: "internal_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def default_code(status: int) -> str:
    """The symbolic code of a problem answered with `status`."""
    return DEFAULT_CODES.get(
        status, "internal_error" if status >= 500 else "invalid_request"
    )


# --------------------------------------------------------------------------------------------
# The spec as data
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    """A path, query, header or cookie parameter of an operation."""

    wire: str
    """Its name on the wire."""
    name: str
    """Its (unique, identifier) name in the request class."""
    location: Literal["path", "query", "header", "cookie"]
    type: Any
    _: dataclasses.KW_ONLY
    required: bool = False
    many: bool = False
    """A list (the same as `kind="array"`)."""
    argument: bool = True
    """A field of the request class (else the `RequestContext` carries it)."""
    style: ParamStyle | None = None
    """Its OpenAPI style (None: the location's default)."""
    explode: bool | None = None
    """Its OpenAPI explode (None: true for `form` and `cookie`, else false)."""
    kind: ParamKind | None = None
    """The shape of its schema (None: `array` when `many`, else `primitive`)."""
    content_type: str | None = None
    """The media type of a parameter declared with `content` (its value is parsed from it,
    JSON as JSON, and style is ignored)."""

    @property
    def shape(self) -> ParamKind:
        """The shape of its schema: `primitive`, `array` or `object`."""
        return self.kind or ("array" if self.many else "primitive")

    @property
    def wire_style(self) -> ParamStyle:
        """Its style, defaults applied."""
        return self.style or _DEFAULT_STYLES[self.location]

    @property
    def wire_explode(self) -> bool:
        """Its explode, defaults applied."""
        if self.explode is not None:
            return self.explode
        return self.wire_style in ("form", "cookie")

    constraints: tuple[tuple[str, Any], ...] = ()
    """`pydantic.Field` keywords the value must meet (pattern, max_length, ge, ...)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Body:
    """The request body of an operation: JSON, form-urlencoded, multipart, text or binary,
    by `media_type` (`encoding`: how each property of a form or multipart body is sent)."""

    type: Any
    _: dataclasses.KW_ONLY
    required: bool
    media_type: str = "application/json"
    encoding: Mapping[str, Encoding] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class Operation(Generic[_H]):
    """One operation: its route, what its requests hold and how its handler is called."""

    operation_id: str
    method: str
    path: str
    request_class: Callable[..., object]
    call: Callable[[_H, Any], Awaitable[object]]
    """Calls the operation's coroutine of the handlers with the parsed request."""
    _: dataclasses.KW_ONLY
    params: tuple[Param, ...] = ()
    body: Body | None = None
    default_status: int = 200
    """The status of an answer that is not a `Reply`."""
    responses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Documented status ("201", "4XX" or "DEFAULT") -> body type; None: no body."""
    media_types: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Documented status -> media type of its body, where it is not JSON (`bytes` or `str`
    answers are sent with it as they are)."""
    query_model: type[pydantic.BaseModel] | None = None
    """Checks the query parameters together (after each was parsed on its own)."""
    context_field: str = "context"
    """The field of the request class that gets the `RequestContext`."""
    handler: str = ""
    """The name of the handlers' coroutine for this operation: a handlers object without it
    answers 501 naming the operation (as does a handler raising NotImplementedError)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSpec(Generic[_H]):
    """Everything spec-specific `build_app` needs."""

    title: str
    version: str
    bearer_auth: bool
    """Every operation needs an `Authorization: Bearer` token (else 401)."""
    invalid_request_status: int
    too_large_status: int
    success_flag: str | None
    """A body whose `success_flag` is false is the in-band failure form (documented)."""
    idempotency_header: str | None
    track_id_header: str | None
    request_id_header: str | None
    entity_header: str | None
    error_body: ErrorBody
    operations: tuple[Operation[_H], ...]
    logger: logging.Logger


# --------------------------------------------------------------------------------------------
# Error answers
# --------------------------------------------------------------------------------------------


def _json_bytes(data: object) -> bytes:
    return json.dumps(
        data, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode()


def _error_response(
    spec: ServerSpec[Any],
    status: int,
    problems: Sequence[Problem],
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        _json_bytes(spec.error_body(status, problems[:MAX_LISTED_PROBLEMS], None)),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )


def _validation_problems(
    exc: pydantic.ValidationError,
    code: str,
    parameter: str | None = None,
    *,
    by_name: bool = False,
) -> list[Problem]:
    """One problem per pydantic error, about `parameter`, else the parameter named first in the
    error's location (`by_name`), else the body path."""
    problems: list[Problem] = []
    for error in exc.errors(
        include_url=False, include_input=False, include_context=False
    ):
        loc = tuple(error.get("loc", ()))
        kind = str(error.get("type", ""))
        if parameter is not None:
            where = parameter
        elif by_name:
            where = str(loc[0]) if loc else ""
        else:
            where = _loc_path(loc)
        what = code
        if kind == "missing":
            what = "parameter_missing"
        elif kind == "extra_forbidden":
            what = "unknown_field"
        if kind == "json_invalid":
            message = f"The request body is not valid JSON: {error.get('msg', '')}"
        elif where:
            message = f"{where}: {error.get('msg', '')}"
        else:
            message = str(error.get("msg", ""))
        problems.append(Problem(what, message, where or None))
    return problems


def _loc_path(loc: Sequence[object]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------

_STARLETTE_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLACEHOLDER: Final = re.compile(r"\{([^{}]*)\}")


def _path_keys(op: Operation[Any]) -> dict[str, str]:
    """Python name -> route placeholder of every path parameter: the wire names when Starlette
    accepts all of the operation's, else the (unique) python names."""
    path = [p for p in op.params if p.location == "path"]
    by_wire = all(_STARLETTE_NAME.match(p.wire) for p in path)
    return {p.name: p.wire if by_wire else p.name for p in path}


def _route_path(op: Operation[Any], keys: Mapping[str, str]) -> str:
    by_wire = {p.wire: keys[p.name] for p in op.params if p.location == "path"}

    def placeholder(match: re.Match[str]) -> str:
        return "{" + by_wire.get(match.group(1), match.group(1)) + "}"

    path = _PLACEHOLDER.sub(placeholder, op.path)
    return path if path.startswith("/") else "/" + path


def _route_order(op: Operation[Any]) -> list[int]:
    """Literal segments before templated ones (`/x/bulk` before `/x/{id}`)."""
    return [1 if "{" in segment else 0 for segment in op.path.split("/")]


# --------------------------------------------------------------------------------------------
# Parameter parsing (pure): the inverse of the client's style serialization
# --------------------------------------------------------------------------------------------
#
# Values are split on their style's delimiters BEFORE percent-decoding (the client encodes
# delimiters that occur inside values), so `a%2Cb,c` is ["a,b", "c"].

ParamStyle: TypeAlias = Literal[
    "matrix",
    "label",
    "simple",
    "form",
    "spaceDelimited",
    "pipeDelimited",
    "deepObject",
    "cookie",
]
"""How a parameter is serialized (OpenAPI `style`; `cookie` is OpenAPI 3.2's)."""
ParamKind: TypeAlias = Literal["primitive", "array", "object"]
"""The shape of a parameter's schema: a scalar, an array or an object."""
Parsed: TypeAlias = str | list[str] | dict[str, str]
"""A parameter value parsed from the wire, before it is validated as its type."""

_DEFAULT_STYLES: Final[Mapping[str, ParamStyle]] = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
}
_DELIMITERS: Final[Mapping[str, re.Pattern[str]]] = {
    "spaceDelimited": re.compile(r"%20|\+| "),
    "pipeDelimited": re.compile(r"%7[Cc]|\|"),
}


class ParamSyntaxError(ValueError):
    """A parameter's text does not follow its style."""


def _keep(text: str) -> str:
    return text


def _pairs(items: Sequence[str], decode: Callable[[str], str]) -> dict[str, str]:
    """An object from alternating keys and values (`R,100,G,200`)."""
    if len(items) % 2:
        raise ParamSyntaxError("expected alternating property names and values")
    found: dict[str, str] = {}
    for index in range(0, len(items), 2):
        found[decode(items[index])] = decode(items[index + 1])
    return found


def _assignments(items: Sequence[str], decode: Callable[[str], str]) -> dict[str, str]:
    """An object from `name=value` items (`R=100,G=200`)."""
    found: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        found[decode(key)] = decode(value)
    return found


def _unpack(
    body: str,
    separator: str,
    kind: ParamKind,
    explode: bool,
    decode: Callable[[str], str],
) -> Parsed:
    if kind == "primitive":
        return decode(body)
    items = body.split(separator) if body else []
    if kind == "array":
        return [decode(item) for item in items]
    return _assignments(items, decode) if explode else _pairs(items, decode)


def _matrix_value(text: str, name: str) -> str:
    key, _, value = text.partition("=")
    if unquote(key) != name:
        raise ParamSyntaxError(f"expected ;{name}=...")
    return value


def parse_path_param(
    raw: str,
    name: str,
    *,
    style: ParamStyle = "simple",
    explode: bool = False,
    kind: ParamKind = "primitive",
) -> Parsed:
    """Parse one path parameter from its raw (still percent-encoded) text.

    `simple` (`blue`, `blue,black`, `R,100,G,200` or exploded `R=100,G=200`), `label`
    (`.blue`, `.blue,black`, exploded `.blue.black` / `.R=100.G=200`) and `matrix`
    (`;color=blue`, `;color=blue,black`, exploded `;color=blue;color=black` / `;R=100;G=200`).
    """
    if style == "label":
        if (
            raw[:3].upper() == "%2E"
        ):  # a lone `.` travels encoded (a dot segment otherwise)
            raw = "." + raw[3:]
        if not raw.startswith("."):
            raise ParamSyntaxError("expected a label value starting with '.'")
        return _unpack(raw[1:], "." if explode else ",", kind, explode, unquote)
    if style == "matrix":
        if not raw.startswith(";"):
            raise ParamSyntaxError("expected a matrix value starting with ';'")
        body = raw[1:]
        if explode and kind == "object":
            return _assignments(body.split(";") if body else [], unquote)
        if explode and kind == "array":
            return [
                unquote(_matrix_value(item, name)) for item in body.split(";") if body
            ]
        return _unpack(_matrix_value(body, name), ",", kind, False, unquote)
    if style != "simple":
        raise ParamSyntaxError(f"style {style!r} is not defined for path parameters")
    return _unpack(raw, ",", kind, explode, unquote)


def query_pairs_of(query_string: str) -> list[tuple[str, str]]:
    """The (decoded name, raw value) pairs of a query string or form-urlencoded body."""
    pairs: list[tuple[str, str]] = []
    for piece in query_string.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            pairs.append((unquote_plus(key), value))
    return pairs


def _claimed_by(key: str, claimed: Container[str]) -> bool:
    return key in claimed or ("[" in key and key.split("[", 1)[0] in claimed)


def _single(values: Sequence[str]) -> str:
    if len(values) > 1:
        raise ParamSyntaxError("give it at most once")
    return values[0]


def parse_query_param(
    pairs: Sequence[tuple[str, str]],
    name: str,
    *,
    style: ParamStyle = "form",
    explode: bool = True,
    kind: ParamKind = "primitive",
    claimed: Container[str] = (),
    decode: Callable[[str], str] = unquote_plus,
) -> Parsed | None:
    """Parse one query parameter from the (decoded name, raw value) pairs of the query.

    None when it is absent. An exploded `form` object takes every pair whose name is not in
    `claimed` (the operation's other query parameters); `deepObject` takes `name[prop]`
    pairs. A lone empty value of an array (`color=`) is the empty array. `decode` undoes the
    values' encoding (form decoding for query strings; nothing for multipart parts).
    """
    if style == "deepObject":
        prefix = name + "["
        found: dict[str, str] = {}
        for key, value in pairs:
            if key.startswith(prefix) and key.endswith("]"):
                prop = key[len(prefix) : -1]
                if prop in found:
                    raise ParamSyntaxError(f"{key} is given more than once")
                found[prop] = decode(value)
        return found or None
    if kind == "object" and explode:
        found = {}
        for key, value in pairs:
            if not _claimed_by(key, claimed):
                if key in found:
                    raise ParamSyntaxError(f"{key} is given more than once")
                found[key] = decode(value)
        return found or None
    values = [value for key, value in pairs if key == name]
    if not values:
        return None
    if kind == "array" and explode:
        items = [decode(value) for value in values]
        return [] if items == [""] else items
    raw = _single(values)
    if kind == "primitive":
        return decode(raw)
    pattern = _DELIMITERS.get(style)
    items = (
        (pattern.split(raw) if pattern is not None else raw.split(",")) if raw else []
    )
    if kind == "array":
        return [decode(item) for item in items]
    return _pairs(items, decode)


def parse_header_param(
    values: Sequence[str], *, explode: bool = False, kind: ParamKind = "primitive"
) -> Parsed | None:
    """Parse one header parameter (`simple` style, never percent-decoded) from every value
    sent under its name (several lines of a list header are one comma-separated list)."""
    if not values:
        return None
    if kind == "primitive":
        return values[0]
    joined = ",".join(values)
    items = [item.strip() for item in joined.split(",")] if joined.strip() else []
    if kind == "array":
        return items
    return _assignments(items, _keep) if explode else _pairs(items, _keep)


def cookie_pairs_of(values: Sequence[str]) -> list[tuple[str, str]]:
    """The raw (name, value) pairs of every `Cookie` header value, in order."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        for piece in value.split(";"):
            piece = piece.strip()
            if piece:
                key, _, text = piece.partition("=")
                pairs.append((key.strip(), text.strip()))
    return pairs


def parse_cookie_param(
    pairs: Sequence[tuple[str, str]],
    name: str,
    *,
    style: ParamStyle = "form",
    explode: bool = True,
    kind: ParamKind = "primitive",
    claimed: Container[str] = (),
) -> Parsed | None:
    """Parse one cookie parameter from the raw cookie pairs (None when absent).

    `form` percent-decodes names and values; `cookie` (OpenAPI 3.2) takes them as sent. An
    exploded array is every cookie of that name; an exploded object every cookie not in
    `claimed`; a repeated cookie otherwise counts once (the first, as browsers order them).
    """
    decode: Callable[[str], str] = unquote if style == "form" else _keep
    named = [(decode(key), value) for key, value in pairs]
    if kind == "object" and explode:
        found: dict[str, str] = {}
        for key, value in named:
            if key not in claimed and key not in found:
                found[key] = decode(value)
        return found or None
    values = [value for key, value in named if key == name]
    if not values:
        return None
    if kind == "array" and explode:
        items = [decode(value) for value in values]
        return [] if items == [""] else items
    return _unpack(values[0], ",", kind, False, decode)


# --------------------------------------------------------------------------------------------
# Request bodies other than JSON: form-urlencoded, multipart, text and binary
# --------------------------------------------------------------------------------------------

MediaKind: TypeAlias = Literal["json", "form", "multipart", "text", "binary"]
"""What a media type is, as far as decoding and encoding bodies goes."""

#: application/* subtypes that are character data rather than bytes
_TEXTUAL_APPLICATION: Final = frozenset(
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


def media_kind(media_type: str) -> MediaKind:
    """Classify a media type: JSON (`application/json`, `text/json`, `+json`), form,
    multipart, text (`text/*`, `+xml`, textual `application/*` such as YAML) or binary
    (everything else, wildcard ranges such as `*/*` included). Parameters are ignored.

    The same answers as apicontract's own classifier, copied because generated code imports
    nothing from apicontract."""
    kind, _, subtype = media_type.split(";", 1)[0].strip().lower().partition("/")
    suffix = subtype.rsplit("+", 1)[1] if "+" in subtype else ""
    if subtype == "json" or suffix == "json":
        return "json" if kind in ("application", "text") or suffix else "text"
    if kind == "multipart":
        return "multipart"
    if kind == "text" or suffix == "xml":
        return "text"
    if kind == "application" and subtype == "x-www-form-urlencoded":
        return "form"
    if kind == "application" and subtype in _TEXTUAL_APPLICATION:
        return "text"
    return "binary"


def _media_param(content_type: str, name: str) -> str | None:
    """A parameter (`charset`, `boundary`) of a Content-Type value, unquoted."""
    for piece in content_type.split(";")[1:]:
        key, _, value = piece.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"') or None
    return None


def _decode_text(data: bytes, content_type: str | None) -> str:
    charset = _media_param(content_type or "", "charset") or "utf-8"
    try:
        return data.decode(charset)
    except LookupError:
        return data.decode("utf-8")


@dataclasses.dataclass(frozen=True, slots=True)
class Encoding:
    """How one property of a form or multipart body is sent (an OpenAPI Encoding Object):
    by `style` / `explode` when either is set, else by `content_type`."""

    content_type: str | None = None
    style: ParamStyle | None = None
    explode: bool | None = None

    @property
    def styled(self) -> bool:
        """Whether the property is serialized by style rather than by content type."""
        return self.style is not None or self.explode is not None


@dataclasses.dataclass(frozen=True, slots=True)
class FormPart:
    """One part of a multipart request, as received."""

    name: str
    filename: str | None
    content_type: str | None
    headers: Mapping[str, str]
    """The part's headers (lower-case names)."""
    data: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    """The shape of one property of a form body's type."""

    kind: ParamKind = "primitive"
    item_kind: ParamKind = "primitive"
    binary: bool = False


_shapes: dict[object, dict[str, _Field]] = {}


def _deref(schema: object, defs: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(schema, Mapping) and "$ref" in schema and seen < 32:
        schema = defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
        seen += 1
    return schema if isinstance(schema, Mapping) else {}


def _kind_of(schema: object, defs: Mapping[str, Any]) -> ParamKind:
    node = _deref(schema, defs)
    kind = node.get("type")
    if kind == "array":
        return "array"
    if kind == "object" or "properties" in node or "additionalProperties" in node:
        return "object"
    for key in ("anyOf", "oneOf", "allOf"):
        for option in node.get(key, ()):
            if _deref(option, defs).get("type") != "null":
                found = _kind_of(option, defs)
                if found != "primitive":
                    return found
    return "primitive"


def _is_binary(schema: object, defs: Mapping[str, Any]) -> bool:
    node = _deref(schema, defs)
    if node.get("format") == "binary" or "contentMediaType" in node:
        return True
    return any(
        _is_binary(option, defs)
        for key in ("anyOf", "oneOf")
        for option in node.get(key, ())
    )


def _field_shapes(tp: Any) -> dict[str, _Field]:
    """Property name (by alias) -> its shape, from the JSON Schema of a form body's type."""
    try:
        cached = _shapes.get(tp)
    except TypeError:
        cached = None
    if cached is not None:
        return cached
    try:
        schema = _adapter(tp).json_schema(by_alias=True)
    except (
        pydantic.PydanticUserError
    ):  # no JSON Schema: every field is taken as a scalar
        schema = {}
    defs = schema.get("$defs", {})
    root = _deref(schema, defs)
    shapes: dict[str, _Field] = {}
    for name, prop in (root.get("properties") or {}).items():
        kind = _kind_of(prop, defs)
        node = _deref(prop, defs)
        items: object = node.get("items", {})
        if kind == "array" and not items:
            for option in node.get("anyOf", ()):
                if _deref(option, defs).get("type") == "array":
                    items = _deref(option, defs).get("items", {})
        shapes[str(name)] = _Field(
            kind=kind,
            item_kind=_kind_of(items, defs) if kind == "array" else "primitive",
            binary=_is_binary(items if kind == "array" else prop, defs),
        )
    with contextlib.suppress(TypeError):
        _shapes[tp] = shapes
    return shapes


_closed: dict[object, frozenset[str] | None] = {}


def _closed_properties(tp: Any) -> frozenset[str] | None:
    """The property names of an object type that takes no others (None: it takes any)."""
    try:
        if tp in _closed:
            return _closed[tp]
    except TypeError:
        return None
    try:
        schema = _adapter(tp).json_schema(by_alias=True)
    except pydantic.PydanticUserError:
        schema = {}
    defs = schema.get("$defs", {})
    root = _deref(schema, defs)
    for option in root.get("anyOf", ()):
        if _deref(option, defs).get("type") != "null":
            root = _deref(option, defs)
            break
    extra = root.get("additionalProperties")
    names = root.get("properties")
    closed = frozenset(names) if names and extra in (None, False) else None
    _closed[tp] = closed
    return closed


def _wants_json(rule: Encoding | None, kind: ParamKind) -> bool:
    declared = rule.content_type if rule is not None else None
    if declared is not None:
        return any(media_kind(entry) == "json" for entry in declared.split(","))
    return kind == "object"


class _BodyError(Exception):
    """A form or multipart body that cannot be read; the message says why."""


def _json_field(text: str, name: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        raise _BodyError(f"{name}: not valid JSON") from None


def form_fields(
    pairs: Sequence[tuple[str, str]],
    tp: Any,
    encoding: Mapping[str, Encoding] | None = None,
) -> dict[str, object]:
    """The properties of a form-urlencoded body (its (name, raw value) pairs) as data for
    `tp`: styled properties parsed like query parameters, the others by content type (JSON
    for objects, text for scalars, one value per array item)."""
    rules = encoding or {}
    shapes = _field_shapes(tp)
    names = {name for name, _ in pairs} | set(shapes)
    data: dict[str, object] = {}
    consumed: set[str] = set()
    for name in sorted(names, key=lambda n: (n not in shapes, n)):
        if name in consumed:
            continue
        shape = shapes.get(name, _Field())
        rule = rules.get(name)
        if rule is not None and rule.styled:
            style = rule.style or "form"
            explode = rule.explode if rule.explode is not None else style == "form"
            try:
                value = parse_query_param(
                    pairs,
                    name,
                    style=style,
                    explode=explode,
                    kind=shape.kind,
                    claimed=set(shapes) - {name},
                )
            except ParamSyntaxError as exc:
                raise _BodyError(f"{name}: {exc}") from None
            if value is not None:
                data[name] = value
                if isinstance(value, dict):
                    consumed |= set(value) if style != "deepObject" else set()
            if style == "deepObject" or (explode and shape.kind == "object"):
                consumed |= {key for key, _ in pairs if _claimed_by(key, {name})}
            continue
        texts = [unquote_plus(value) for key, value in pairs if key == name]
        if not texts:
            continue
        if shape.kind == "array":
            item_json = _wants_json(rule, shape.item_kind)
            data[name] = [_json_field(t, name) if item_json else t for t in texts]
        else:
            if len(texts) > 1:
                raise _BodyError(f"{name}: give it at most once")
            data[name] = (
                _json_field(texts[0], name)
                if _wants_json(rule, shape.kind)
                else texts[0]
            )
    return data


def _part_value(
    part: FormPart, shape: _Field, kind: ParamKind, rule: Encoding | None
) -> object:
    declared = rule.content_type if rule is not None else None
    media = part.content_type or ""
    if _wants_json(rule, kind) or (
        declared is None and media_kind(media or "x/x") == "json"
    ):
        return _json_field(_decode_text(part.data, media), part.name)
    if shape.binary:
        return part.data
    if not media or media_kind(media) == "text":
        try:
            return _decode_text(part.data, media)
        except UnicodeDecodeError:
            return part.data
    return part.data


def multipart_fields(
    parts: Sequence[FormPart], tp: Any, encoding: Mapping[str, Encoding] | None = None
) -> dict[str, object]:
    """The properties of a multipart body as data for `tp`: one part per property, or one
    per item of an array property; JSON parts parsed, text parts decoded, files as bytes.
    Styled properties are parsed from their text parts like query parameters."""
    rules = encoding or {}
    shapes = _field_shapes(tp)
    data: dict[str, object] = {}
    by_name: dict[str, list[FormPart]] = {}
    for part in parts:
        by_name.setdefault(part.name, []).append(part)
    styled = {name: rule for name, rule in rules.items() if rule.styled}
    texts = [(p.name, _header_text(p.data)) for p in parts] if styled else []
    consumed: set[str] = set()
    for name, styled_rule in styled.items():
        style = styled_rule.style or "form"
        explode = (
            styled_rule.explode if styled_rule.explode is not None else style == "form"
        )
        shape = shapes.get(name, _Field())
        try:
            value = parse_query_param(
                texts,
                name,
                style=style,
                explode=explode,
                kind=shape.kind,
                claimed=set(shapes) - {name},
                decode=_keep,
            )
        except ParamSyntaxError as exc:
            raise _BodyError(f"{name}: {exc}") from None
        if value is not None:
            data[name] = value
        consumed |= {key for key, _ in texts if _claimed_by(key, {name})}
        if explode and shape.kind == "object" and isinstance(value, dict):
            consumed |= set(value)
    for name, found in by_name.items():
        if name in consumed or name in data:
            continue
        shape = shapes.get(name, _Field())
        rule = rules.get(name)
        if shape.kind == "array":
            data[name] = [_part_value(p, shape, shape.item_kind, rule) for p in found]
        elif len(found) > 1:
            raise _BodyError(f"{name}: give it at most once")
        else:
            data[name] = _part_value(found[0], shape, shape.kind, rule)
    return data


def _header_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_multipart(data: bytes, content_type: str) -> list[FormPart]:
    """The parts of a `multipart/form-data` body (python-multipart, FastAPI's form parser,
    does the parsing). Raises ValueError for a malformed body."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    boundary = _media_param(content_type, "boundary")
    if not boundary:
        raise ValueError("the multipart Content-Type has no boundary")
    parts: list[FormPart] = []
    headers: dict[str, str] = {}
    field: list[bytes] = []
    value: list[bytes] = []
    chunks: list[bytes] = []
    ended: list[bool] = []

    def on_part_begin() -> None:
        headers.clear()
        chunks.clear()

    def on_header_field(buffer: bytes, start: int, end: int) -> None:
        field.append(buffer[start:end])

    def on_header_value(buffer: bytes, start: int, end: int) -> None:
        value.append(buffer[start:end])

    def on_header_end() -> None:
        headers[_header_text(b"".join(field)).lower()] = _header_text(b"".join(value))
        field.clear()
        value.clear()

    def on_part_data(buffer: bytes, start: int, end: int) -> None:
        chunks.append(buffer[start:end])

    def on_part_end() -> None:
        disposition, options = parse_options_header(
            headers.get("content-disposition", "")
        )
        if disposition != b"form-data" or b"name" not in options:
            raise ValueError("a part has no `Content-Disposition: form-data; name=...`")
        filename = options.get(b"filename")
        parts.append(
            FormPart(
                name=_header_text(options[b"name"]),
                filename=None if filename is None else _header_text(filename),
                content_type=headers.get("content-type"),
                headers=dict(headers),
                data=b"".join(chunks),
            )
        )

    def on_end() -> None:
        ended.append(True)

    callbacks: Any = {
        "on_part_begin": on_part_begin,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_end": on_end,
    }
    parser = MultipartParser(boundary, callbacks, max_header_count=32)
    try:
        parser.write(data)
        parser.finalize()
    except MultipartParseError as exc:
        raise ValueError(f"malformed multipart body: {exc}") from None
    if not ended:
        raise ValueError("the multipart body ends before its closing boundary")
    return parts


# --------------------------------------------------------------------------------------------
# Parsing requests
# --------------------------------------------------------------------------------------------

_adapters: dict[object, pydantic.TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    try:
        adapter = _adapters.get(tp)
    except TypeError:  # unhashable type form
        return pydantic.TypeAdapter(tp)
    if adapter is None:
        adapter = pydantic.TypeAdapter(tp)
        _adapters[tp] = adapter
    return adapter


def _scalar(text: str) -> object:
    """A JSON number or boolean written as text (for `Literal[1, 2]`-like types), else text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float) else text


_constrained: dict[Param, Any] = {}


def _param_type(param: Param) -> Any:
    """The parameter's type, with its schema's constraints when it has any (built once per
    parameter, so its validator is cached)."""
    if not param.constraints:
        return param.type
    found = _constrained.get(param)
    if found is None:
        found = Annotated[param.type, pydantic.Field(**dict(param.constraints))]
        _constrained[param] = found
    return found


def _coerce(tp: Any, raw: Parsed) -> object:
    adapter = _adapter(tp)
    try:
        return adapter.validate_python(raw)
    except pydantic.ValidationError as exc:
        error = exc
    guessed: object
    if isinstance(raw, list):
        guessed = [_scalar(v) for v in raw]
    elif isinstance(raw, dict):
        guessed = {k: _scalar(v) for k, v in raw.items()}
    else:
        guessed = _scalar(raw)
    if guessed != raw:
        with contextlib.suppress(pydantic.ValidationError):
            return adapter.validate_python(guessed)
    raise error


@dataclasses.dataclass(frozen=True, slots=True)
class _Layout:
    """What parsing an operation's parameters needs, worked out once per operation."""

    path_keys: Mapping[str, str]
    """Python name -> route placeholder of every path parameter."""
    path_routes: Mapping[str, str]
    """Wire name -> route placeholder of every path parameter."""
    path_segments: tuple[tuple[int, re.Pattern[str], tuple[str, ...]], ...]
    """(offset from the path's end, pattern, wire names) of each templated path segment."""
    claimed: Mapping[str, frozenset[str]]
    """Location -> the wire names of its parameters (not free for exploded objects)."""


def _layout(op: Operation[Any]) -> _Layout:
    segments = ("/" + op.path.lstrip("/")).split("/")
    matchers: list[tuple[int, re.Pattern[str], tuple[str, ...]]] = []
    for index, segment in enumerate(segments):
        names = tuple(_PLACEHOLDER.findall(segment))
        if names:
            literals = _PLACEHOLDER.split(segment)[::2]
            pattern = "([^/]*)".join(re.escape(literal) for literal in literals)
            matchers.append((index - len(segments), re.compile(pattern), names))
    claimed: dict[str, set[str]] = {}
    for param in op.params:
        claimed.setdefault(param.location, set()).add(param.wire)
    path_keys = _path_keys(op)
    return _Layout(
        path_keys=path_keys,
        path_routes={
            p.wire: path_keys[p.name] for p in op.params if p.location == "path"
        },
        path_segments=tuple(matchers),
        claimed={location: frozenset(names) for location, names in claimed.items()},
    )


def _raw_path_values(layout: _Layout, request: Request) -> dict[str, str] | None:
    """Wire name -> raw (still percent-encoded) text of every path parameter, read from the
    request's raw path; None when the raw path is not available or does not line up."""
    raw_path = request.scope.get("raw_path")
    if not isinstance(raw_path, bytes):
        return None
    segments = raw_path.decode("utf-8", "replace").split("/")
    found: dict[str, str] = {}
    for offset, pattern, names in layout.path_segments:
        if -offset > len(segments):
            return None
        match = pattern.fullmatch(segments[offset])
        if match is None:
            return None
        found.update(zip(names, match.groups(), strict=True))
    return found


@dataclasses.dataclass(slots=True)
class _Wire:
    """A request's parameters as sent, read once per request."""

    path: Mapping[str, str]
    query: list[tuple[str, str]]
    cookies: list[tuple[str, str]]
    request: Request


def _read_wire(layout: _Layout, request: Request) -> _Wire:
    path = _raw_path_values(layout, request)
    if path is None:  # fall back to the decoded values, delimiters kept as they are
        path = {
            wire: quote(str(request.path_params.get(key, "")), safe=",;=.")
            for wire, key in layout.path_routes.items()
        }
    query_string = request.scope.get("query_string", b"")
    text = (
        query_string.decode("utf-8", "replace")
        if isinstance(query_string, bytes)
        else ""
    )
    return _Wire(
        path=path,
        query=query_pairs_of(text),
        cookies=cookie_pairs_of(request.headers.getlist("cookie")),
        request=request,
    )


def _content_value(param: Param, raw: str) -> object:
    """The value of a `content` parameter: JSON parsed and validated, anything else as text."""
    content_type = param.content_type or ""
    if media_kind(content_type) == "json":
        return _adapter(param.type).validate_json(raw)
    return _coerce(param.type, raw)


def _param_raw(param: Param, wire: _Wire, layout: _Layout) -> Parsed | None:
    """One parameter as parsed from the wire by its style (None when absent); raises
    ParamSyntaxError. A `content` parameter is one (decoded) string."""
    kind: ParamKind = "primitive" if param.content_type else param.shape
    style, explode = param.wire_style, param.wire_explode
    claimed = layout.claimed.get(param.location, frozenset()) - {param.wire}
    if param.location == "path":
        raw = wire.path.get(param.wire)
        if raw is None:
            return None
        if param.content_type:
            return unquote(raw)
        return parse_path_param(
            raw, param.wire, style=style, explode=explode, kind=kind
        )
    if param.location == "header":
        values = wire.request.headers.getlist(param.wire)
        return parse_header_param(values, explode=explode, kind=kind)
    parsed: Parsed | None
    if param.location == "query":
        parsed = parse_query_param(
            wire.query,
            param.wire,
            style=style,
            explode=explode,
            kind=kind,
            claimed=claimed,
        )
    else:
        parsed = parse_cookie_param(
            wire.cookies,
            param.wire,
            style=style,
            explode=explode,
            kind=kind,
            claimed=claimed,
        )
    if isinstance(parsed, dict) and explode and style != "deepObject":
        # an exploded object takes every name no other parameter claims: keep only the
        # properties of a type that takes no others (other cookies, tracking parameters)
        known = _closed_properties(param.type)
        if known is not None:
            parsed = {k: v for k, v in parsed.items() if k in known} or None
    return parsed


def _query_model_value(param: Param, parsed: Parsed) -> object:
    """What the query model checks of a parameter: its parsed text, or for a JSON `content`
    parameter the JSON it holds (the model's field is the value's type, not a string)."""
    content_type = param.content_type
    if content_type and isinstance(parsed, str) and media_kind(content_type) == "json":
        with contextlib.suppress(ValueError):
            return json.loads(parsed)
    return parsed


def _typed(param: Param, parsed: Parsed) -> object:
    """The typed value of a parsed parameter; raises pydantic.ValidationError."""
    content_type = param.content_type
    if content_type and isinstance(parsed, str) and media_kind(content_type) == "json":
        return _adapter(_param_type(param)).validate_json(parsed)
    return _coerce(_param_type(param), parsed)


def _bearer_token(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credentials = value.strip().partition(" ")
    credentials = credentials.strip()
    return credentials if scheme.lower() == "bearer" and credentials else None


async def _read_body(spec: ServerSpec[Any], request: Request, limit: int) -> bytes:
    too_large = _Invalid(
        spec.too_large_status,
        [Problem("request_too_large", f"The request body exceeds {limit} bytes.")],
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    data = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity") or not data:
        return data
    if encoding not in ("gzip", "x-gzip"):
        raise _Invalid(
            spec.invalid_request_status,
            [Problem("invalid_request", "Content-Encoding must be gzip or identity.")],
        )
    out = bytearray()
    pending = data
    while pending:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(pending, limit + 1 - len(out))
        except zlib.error:
            raise _Invalid(
                spec.invalid_request_status,
                [
                    Problem(
                        "invalid_request_body",
                        "The request body is not valid gzip data.",
                    )
                ],
            ) from None
        if len(out) > limit:
            raise too_large
        if not inflater.eof:
            raise _Invalid(
                spec.invalid_request_status,
                [
                    Problem(
                        "invalid_request_body", "The gzip request body is truncated."
                    )
                ],
            )
        pending = inflater.unused_data
    return bytes(out)


def _is_json_media(content_type: str, documented: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in (documented.lower(), "application/json") or media.endswith("+json")


def _media_matches(content_type: str, documented: str) -> bool:
    """Whether a request's Content-Type is one `documented` (which may be a wildcard) allows."""
    sent = content_type.split(";", 1)[0].strip().lower()
    wanted = documented.split(";", 1)[0].strip().lower()
    if wanted in ("*/*", ""):
        return True
    if not sent:
        return wanted == "application/octet-stream"
    if wanted.endswith("/*"):
        return sent.split("/", 1)[0] == wanted[:-2]
    if media_kind(wanted) == "text" and wanted.startswith("text/"):
        return sent == wanted or (wanted == "text/plain" and sent.startswith("text/"))
    return sent == wanted


def _body_problem(spec: ServerSpec[Any], message: str) -> _Invalid:
    return _Invalid(
        spec.invalid_request_status, [Problem("invalid_request_body", message)]
    )


def _body_data(
    body: Body, content_type: str, data: bytes
) -> tuple[object, tuple[FormPart, ...]]:
    """The data to validate as the body's type, by its media type; raises _BodyError."""
    kind = media_kind(body.media_type)
    if kind == "form":
        text = data.decode("utf-8", "replace")
        return form_fields(query_pairs_of(text), body.type, body.encoding), ()
    if kind == "multipart":
        try:
            parts = tuple(parse_multipart(data, content_type))
        except ValueError as exc:
            raise _BodyError(str(exc)) from None
        return multipart_fields(parts, body.type, body.encoding), parts
    if kind == "text":
        try:
            return _decode_text(data, content_type), ()
        except UnicodeDecodeError:
            raise _BodyError("the text is not valid in its charset") from None
    return data, ()


async def _parse_body(
    spec: ServerSpec[Any], body: Body, request: Request, limit: int
) -> tuple[object, tuple[FormPart, ...]]:
    """The body's value, validated as its type, and the parts of a multipart body."""
    data = await _read_body(spec, request, limit)
    kind = media_kind(body.media_type)
    if not (data.strip() if kind == "json" else data):
        if body.required:
            raise _body_problem(spec, "The request body is required.")
        return None, ()
    content_type = request.headers.get("content-type", "")
    if kind == "json":
        if not _is_json_media(content_type, body.media_type):
            raise _body_problem(spec, f"Content-Type must be {body.media_type}.")
        try:
            return _adapter(body.type).validate_json(data), ()
        except pydantic.ValidationError as exc:
            raise _Invalid(
                spec.invalid_request_status,
                _validation_problems(exc, "invalid_request_body"),
            ) from None
    if not _media_matches(content_type, body.media_type):
        raise _body_problem(spec, f"Content-Type must be {body.media_type}.")
    try:
        value, parts = _body_data(body, content_type, data)
    except _BodyError as exc:
        raise _body_problem(spec, f"The request body cannot be read: {exc}") from None
    try:
        return _adapter(body.type).validate_python(value), parts
    except pydantic.ValidationError as exc:
        raise _Invalid(
            spec.invalid_request_status,
            _validation_problems(exc, "invalid_request_body"),
        ) from None


def _header(headers: Mapping[str, str], name: str | None) -> str | None:
    return headers.get(name.lower()) if name is not None else None


def _first_headers(request: Request) -> dict[str, str]:
    """Lower-case name -> the first value sent under it (what `request.headers.get` answers),
    read in one pass over the raw headers."""
    found: dict[str, str] = {}
    for name, value in request.scope["headers"]:
        key = name.decode("latin-1").lower()
        if key not in found:
            found[key] = value.decode("latin-1")
    return found


async def _parse(
    spec: ServerSpec[Any],
    op: Operation[Any],
    layout: _Layout,
    request: Request,
    limit: int,
) -> object:
    headers = _first_headers(request)
    token = _bearer_token(headers.get("authorization"))
    if spec.bearer_auth and token is None:
        raise _Invalid(
            401,
            [
                Problem(
                    "invalid_token", "The access token is missing, invalid or expired."
                )
            ],
        )
    wire = _read_wire(layout, request)
    problems: list[Problem] = []
    values: dict[str, object] = {}
    raw_query: dict[str, object] = {}
    for param in op.params:
        try:
            raw = _param_raw(param, wire, layout)
        except ParamSyntaxError as exc:
            problems.append(
                Problem("invalid_parameter", f"{param.wire}: {exc}", param.wire)
            )
            continue
        if raw is None:
            values[param.name] = None
            if param.required:
                problems.append(
                    Problem(
                        "parameter_missing", f"{param.wire} is required.", param.wire
                    )
                )
            continue
        if param.location == "query":
            raw_query[param.wire] = _query_model_value(param, raw)
        try:
            values[param.name] = _typed(param, raw)
        except pydantic.ValidationError as exc:
            problems.extend(_validation_problems(exc, "invalid_parameter", param.wire))
    if not problems and op.query_model is not None:
        try:
            op.query_model.model_validate(raw_query)
        except pydantic.ValidationError as exc:
            problems.extend(
                _validation_problems(exc, "invalid_parameter", by_name=True)
            )
    if problems:
        raise _Invalid(spec.invalid_request_status, problems)
    arguments: dict[str, Any] = {
        p.name: values[p.name] for p in op.params if p.argument
    }
    parts: tuple[FormPart, ...] = ()
    if op.body is not None:
        arguments["body"], parts = await _parse_body(spec, op.body, request, limit)
    state = request.scope.get("state") or {}
    arguments[op.context_field] = RequestContext(
        headers=request.headers,
        method=request.method,
        path=request.url.path,
        request_id=state.get(REQUEST_ID_STATE) if isinstance(state, Mapping) else None,
        idempotency_key=_header(headers, spec.idempotency_header),
        track_id=_header(headers, spec.track_id_header),
        token=token,
        entity_id=_header(headers, spec.entity_header),
        parts=parts,
    )
    return op.request_class(**arguments)


# --------------------------------------------------------------------------------------------
# Answering
# --------------------------------------------------------------------------------------------

_ANY: Final[pydantic.TypeAdapter[Any]] = pydantic.TypeAdapter(Any)
_JSON_SCALARS: Final = frozenset({str, int, bool, type(None)})
_UNDOCUMENTED: Final = object()


def _json_data(value: object) -> object:
    """JSON data of an answer. Models go by alias; a None field is left out unless the model
    requires it (a required nullable field such as `next_page` stays `null`)."""
    # plain JSON values first: as pydantic would answer them, only sooner
    if type(value) in _JSON_SCALARS:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    if type(value) is dict:
        return {str(k): _json_data(v) for k, v in value.items()}
    if type(value) is list:
        return [_json_data(v) for v in value]
    if isinstance(value, pydantic.RootModel):
        return _json_data(value.root)
    if isinstance(value, pydantic.BaseModel):
        data: dict[str, object] = {}
        for name, info in type(value).model_fields.items():
            item = getattr(value, name, None)
            if item is None and not info.is_required():
                continue
            data[info.serialization_alias or info.alias or name] = _json_data(item)
        for key, item in (value.model_extra or {}).items():
            data[str(key)] = _json_data(item)
        return data
    if isinstance(value, Mapping):
        return {str(k): _json_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_data(v) for v in value]
    return _ANY.dump_python(value, mode="json")


def _documented(op: Operation[Any], status: int) -> object:
    for key in (str(status), f"{status // 100}XX", "DEFAULT"):
        if key in op.responses:
            return op.responses[key]
    return _UNDOCUMENTED


def _documented_media(op: Operation[Any], status: int) -> str | None:
    """The non-JSON media type documented for `status` (None: JSON)."""
    for key in (str(status), f"{status // 100}XX", "DEFAULT"):
        if key in op.responses:
            return op.media_types.get(key)
    return None


def _raw_answer(
    op: Operation[Any], status: int, body: object, media: str, validate: bool
) -> tuple[bytes, str] | str:
    """The bytes and Content-Type of a text or binary answer, or why it cannot be sent."""
    concrete = (
        media if "*" not in media.split(";", 1)[0] else "application/octet-stream"
    )
    if isinstance(body, bytes):
        content = body
    elif isinstance(body, str):
        content = body.encode("utf-8")
        if media_kind(concrete) == "text" and "charset=" not in concrete.lower():
            concrete += "; charset=utf-8"
    else:
        return f"a {media} answer must be bytes or str, not {type(body).__name__}"
    if validate:
        documented = _documented(op, status)
        if documented is _UNDOCUMENTED:
            listed = ", ".join(op.responses) or "none"
            return f"status {status} is not documented (documented: {listed})"
        if documented is None:
            return f"status {status} is documented without a body"
    return content, concrete


def _response_problem(
    spec: ServerSpec[Any],
    op: Operation[Any],
    status: int,
    data: object,
    content: bytes | None,
) -> str:
    """Why this answer does not match the spec ("" when it does)."""
    documented = _documented(op, status)
    if documented is _UNDOCUMENTED:
        listed = ", ".join(op.responses) or "none"
        return f"status {status} is not documented (documented: {listed})"
    if documented is None:
        return (
            "" if content is None else f"status {status} is documented without a body"
        )
    if content is None:
        return f"status {status} is documented with a body"
    flag = spec.success_flag
    if flag is not None and isinstance(data, dict) and data.get(flag) is False:
        return ""  # the in-band failure form, documented by the error schema
    try:
        _adapter(documented).validate_json(content)
    except pydantic.ValidationError as exc:
        return f"the body does not match the documented type: {exc}"
    return ""


def _respond(
    spec: ServerSpec[Any], op: Operation[Any], answer: object, validate: bool
) -> Response:
    body: object
    if isinstance(answer, Reply):
        status, body, headers = answer.status, answer.body, dict(answer.headers)
    else:
        status, body, headers = op.default_status, answer, {}
    if not 200 <= status <= 599:
        raise ValueError(f"{op.operation_id} answered with status {status}")
    media = answer.media_type if isinstance(answer, Reply) else None
    media = media or _documented_media(op, status)
    if media is not None and media_kind(media) != "json" and body is not None:
        raw = _raw_answer(op, status, body, media, validate)
        if isinstance(raw, str):
            spec.logger.error(
                "%s: refusing an undocumented answer: %s", op.operation_id, raw
            )
            return _error_response(
                spec,
                500,
                [Problem("internal_error", "The server produced an invalid response.")],
            )
        return Response(raw[0], status_code=status, headers=headers, media_type=raw[1])
    no_body = status in (204, 304)
    data = None if body is None else _json_data(body)
    content = None if data is None else _json_bytes(data)
    if validate:
        problem = _response_problem(spec, op, status, data, content)
        if problem:
            spec.logger.error(
                "%s: refusing an undocumented answer: %s", op.operation_id, problem
            )
            return _error_response(
                spec,
                500,
                [Problem("internal_error", "The server produced an invalid response.")],
            )
    if content is None or no_body:
        return Response(status_code=status, headers=headers)
    return Response(
        content, status_code=status, headers=headers, media_type="application/json"
    )


def _not_implemented(spec: ServerSpec[Any], op: Operation[Any], why: str) -> Response:
    """501 naming the operation this server cannot answer (never a misleading 500)."""
    spec.logger.warning(
        "%s (%s %s) is not implemented: %s", op.operation_id, op.method, op.path, why
    )
    message = f"Operation {op.operation_id} ({op.method} {op.path}) is not implemented: {why}."
    return _error_response(spec, 501, [Problem("not_implemented", message)])


def _endpoint(
    spec: ServerSpec[_H],
    op: Operation[_H],
    handlers: _H,
    *,
    validate_responses: bool,
    max_body_size: int,
) -> Callable[[Request], Awaitable[Response]]:
    layout = _layout(op)

    async def endpoint(request: Request) -> Response:
        if op.handler and getattr(handlers, op.handler, None) is None:
            return _not_implemented(
                spec, op, f"the handlers have no `{op.handler}` method"
            )
        try:
            parsed = await _parse(spec, op, layout, request, max_body_size)
        except _Invalid as exc:
            return _error_response(spec, exc.status, exc.problems)
        try:
            try:
                answer = await op.call(handlers, parsed)
            except ApiFailure as exc:
                answer = exc.reply
            except NotImplementedError as exc:
                return _not_implemented(
                    spec, op, str(exc) or "its handler is not implemented"
                )
            return _respond(spec, op, answer, validate_responses)
        except Exception:
            spec.logger.exception("%s failed", op.operation_id)
            return _error_response(
                spec, 500, [Problem("internal_error", "An unexpected error occurred.")]
            )

    return endpoint


#: the name of the routes answering 405 for a literal path's undocumented methods
_WRONG_METHOD: Final = "__method_not_allowed__"
_ANY_METHOD: Final = (
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "OPTIONS",
    "TRACE",
)


def _allowed_methods(request: Request) -> str:
    """Every method of the path this request matches: the first matching path in route order,
    so a literal path (`/x/bulk`) shadows a templated one (`/x/{id}`), as OpenAPI matches
    them (Starlette names only the first route's methods)."""
    methods: set[str] = set()
    path: str | None = None
    for route in request.app.router.routes:
        if not isinstance(route, Route):
            continue
        match, _ = route.matches(request.scope)
        if match is Match.NONE:
            continue
        if path is None:
            path = route.path
        if route.path == path and route.methods and route.name != _WRONG_METHOD:
            methods |= route.methods
    return ", ".join(sorted(methods))


def _http_error(spec: ServerSpec[Any], request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if status == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    if status == 404:
        problem = Problem("resource_not_found", "No resource matches this path.")
    elif status == 405:
        problem = Problem(
            "method_not_allowed", "This method is not supported for this resource."
        )
    elif status >= 500:
        problem = Problem("internal_error", "An unexpected error occurred.")
    else:
        problem = Problem(default_code(status), "The request was refused.")
    return _error_response(spec, status, [problem], headers)


# --------------------------------------------------------------------------------------------
# Middleware
# --------------------------------------------------------------------------------------------


def _raw_header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of the (lower-case) header `name` in an ASGI scope or message."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def _track_id_valid(spec: ServerSpec[Any]) -> Callable[[str], bool]:
    """Whether a track id meets its parameter's schema (any value when no operation
    declares it): only a valid one is echoed, since the echo is documented with it."""
    wanted = (spec.track_id_header or "").lower()
    param = next(
        (
            p
            for op in spec.operations
            for p in op.params
            if p.location == "header" and p.wire.lower() == wanted
        ),
        None,
    )

    def valid(value: str) -> bool:
        if param is None:
            return True
        try:
            _coerce(_param_type(param), value)
        except pydantic.ValidationError:
            return False
        return True

    return valid


class _ResponseHeaders:
    """Adds the request id header (a new uuid4) and echoes a valid track id to every
    answer."""

    def __init__(
        self,
        app: ASGIApp,
        request_id_header: str | None,
        track_id_header: str | None,
        track_id_valid: Callable[[str], bool] = lambda value: True,
    ) -> None:
        self.app = app
        self.track_id_valid = track_id_valid
        self.request_id_key = (
            request_id_header.lower().encode("latin-1") if request_id_header else None
        )
        self.track_key = (
            track_id_header.lower().encode("latin-1") if track_id_header else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        state = scope.setdefault("state", {})
        if isinstance(state, dict):
            state[REQUEST_ID_STATE] = request_id
        request_id_key = self.request_id_key
        track_key = self.track_key
        track_id = _raw_header(scope, track_key) if track_key is not None else None
        if track_id is not None and not self.track_id_valid(track_id.decode("latin-1")):
            track_id = None  # refused with the request: not echoed

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message["headers"] = list(message.get("headers", ()))
                if (
                    request_id_key is not None
                    and _raw_header(message, request_id_key) is None
                ):
                    headers.append((request_id_key, request_id.encode("latin-1")))
                if track_key is not None and track_id is not None:
                    headers[:] = [(k, v) for k, v in headers if k.lower() != track_key]
                    headers.append((track_key, track_id))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _EncodedSlashes:
    """Routes on the path with `%2F` left encoded, so a path parameter holding `/` (which
    clients send as `%2F`) stays one segment instead of becoming a 404."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if isinstance(raw, bytes) and b"%2f" in raw.lower():
            text = raw.decode("utf-8", "replace")
            scope["path"] = "%2F".join(
                unquote(part) for part in re.split("%2[fF]", text)
            )
        await self.app(scope, receive, send)


class _Compress:
    """`GZipMiddleware` for the requests that accept gzip. The others (most API clients) skip
    its per-request setup and get what its identity path answers: the same bytes, with
    `Vary: Accept-Encoding` on an answer of at least the minimum size."""

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accepted = _raw_header(scope, b"accept-encoding")
        if accepted is not None and b"gzip" in accepted:
            await self.gzip(scope, receive, send)
            return
        start: Message | None = None
        minimum_size = self.minimum_size

        async def send_identity(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is not None:
                held, start = start, None
                if message["type"] == "http.response.body" and (
                    message.get("more_body", False)
                    or len(message.get("body", b"")) >= minimum_size
                ):
                    _add_vary(held)
                await send(held)
            await send(message)

        await self.app(scope, receive, send_identity)


def _add_vary(message: Message) -> None:
    """`Vary: Accept-Encoding` added (as `GZipMiddleware` adds it) to an answer whose body is
    not already encoded nor partial."""
    headers = message["headers"] = list(message.get("headers", ()))
    if (
        message.get("status") == 206
        or _raw_header(message, b"content-encoding") is not None
    ):
        return
    vary = [v.decode("latin-1") for k, v in headers if k.lower() == b"vary"]
    headers[:] = [(k, v) for k, v in headers if k.lower() != b"vary"]
    headers.append((b"vary", ", ".join([*vary, "Accept-Encoding"]).encode("latin-1")))


# --------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------


def build_app(
    handlers: _H,
    spec: ServerSpec[_H],
    *,
    validate_responses: bool = True,
    max_body_size: int = MAX_BODY_SIZE,
) -> FastAPI:
    """A FastAPI app serving every operation of `spec` through `handlers`.

    `validate_responses` refuses (with a 500 in the API's error shape) answers whose status is
    not documented for the operation or whose body does not match the documented type.
    Raises RuntimeError when an operation takes a multipart body and python-multipart (the
    form parser FastAPI uses) is not installed.
    """
    if any(
        op.body and media_kind(op.body.media_type) == "multipart"
        for op in spec.operations
    ):
        try:
            import python_multipart  # noqa: F401
        except ImportError:
            raise RuntimeError(
                "this API takes multipart/form-data bodies: install python-multipart "
                "(`pip install python-multipart`) to serve it"
            ) from None
    app = FastAPI(
        title=spec.title,
        version=spec.version,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a trailing-slash redirect would be an undocumented 307
    )

    async def wrong_method(request: Request) -> Response:
        return _http_error(spec, request, HTTPException(405))

    ordered = sorted(spec.operations, key=_route_order)
    last_of_path = {op.path: index for index, op in enumerate(ordered)}
    for index, op in enumerate(ordered):
        route_path = _route_path(op, _path_keys(op))
        app.add_route(
            route_path,
            _endpoint(
                spec,
                op,
                handlers,
                validate_responses=validate_responses,
                max_body_size=max_body_size,
            ),
            methods=[op.method],
            name=op.operation_id,
            include_in_schema=False,
        )
        if "{" not in op.path and last_of_path[op.path] == index:
            # OpenAPI matches a literal path before templated ones: another method on it is
            # a 405 here, never an operation of a templated path (`/x/bulk` as `/x/{id}`)
            app.add_route(
                route_path,
                wrong_method,
                methods=list(_ANY_METHOD),
                name=_WRONG_METHOD,
                include_in_schema=False,
            )

    async def http_error(request: Request, exc: Exception) -> Response:
        return _http_error(spec, request, exc)

    async def unhandled_error(request: Request, exc: Exception) -> Response:
        spec.logger.error("unhandled error", exc_info=exc)
        return _error_response(
            spec, 500, [Problem("internal_error", "An unexpected error occurred.")]
        )

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unhandled_error)
    app.add_middleware(_EncodedSlashes)
    app.add_middleware(_Compress, minimum_size=GZIP_MINIMUM_SIZE)
    app.add_middleware(
        _ResponseHeaders,
        request_id_header=spec.request_id_header,
        track_id_header=spec.track_id_header,
        track_id_valid=_track_id_valid(spec),
    )
    return app

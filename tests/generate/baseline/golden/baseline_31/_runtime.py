"""Runtime support shared by every generated API client.

This module is copied verbatim into each generated package. It depends only on the
standard library, ``httpx`` and ``pydantic`` (v2).

One base client (:class:`BaseClient` for sync code, :class:`AsyncBaseClient` for async code)
owns retries, timeouts, idempotency keys, authentication and typed errors. Generated
per-operation methods stay thin and call :meth:`BaseClient._request`.

Everything that is a pure decision (URL building, parameter serialization per OpenAPI
style and explode, body encoding per media type, header building, retry decision, backoff
delay, error mapping, response decoding) lives in plain functions and in
:class:`_RequestPlan`, used by both clients; only the I/O loop differs between them.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import email.utils
import enum
import gzip
import json
import logging
import math
import random
import re
import time
import uuid
import zlib
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import (
    IO,
    Any,
    ClassVar,
    Final,
    Generic,
    Literal,
    Self,
    TypeAlias,
    TypedDict,
    TypeVar,
    cast,
)
from urllib.parse import parse_qsl, quote, quote_plus

import httpx
import pydantic

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRYABLE_STATUSES",
    "Accepted",
    "ApiConnectionError",
    "ApiError",
    "ApiResponseSpec",
    "ApiStatusError",
    "ApiTimeoutError",
    "Argument",
    "AsyncBaseClient",
    "AsyncStreamedResponse",
    "AuthenticationError",
    "BadRequestError",
    "BaseClient",
    "ConflictError",
    "EncodedBody",
    "Encoding",
    "FileContent",
    "FileValue",
    "InternalServerError",
    "MediaKind",
    "MethodNotAllowedError",
    "NotFoundError",
    "Operation",
    "PaginationError",
    "ParamLocation",
    "ParamStyle",
    "Parameter",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestOptions",
    "ResponseBody",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "StreamedResponse",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "accept_header",
    "aiter_pages",
    "backoff_delay",
    "build_url",
    "default_explode",
    "default_style",
    "documented_response",
    "encode_body",
    "encode_form_body",
    "encode_json_body",
    "encode_multipart_body",
    "encode_path_param",
    "encode_query",
    "error_for_status",
    "format_param",
    "iter_pages",
    "media_kind",
    "page_field",
    "parse_response",
    "query_pairs",
    "resolve_base_url",
    "retry_after_delay",
    "serialize_cookie_param",
    "serialize_header_param",
    "serialize_parameters",
    "serialize_path_param",
    "serialize_query_param",
    "should_retry_status",
    "validate_track_id",
]

_log = logging.getLogger("apicontract.runtime")

_T = TypeVar("_T")

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

DEFAULT_TIMEOUT: Final = httpx.Timeout(60.0, connect=5.0)
"""Default timeout: 60 s for each read/write/pool step, 5 s to connect."""
DEFAULT_MAX_RETRIES: Final = 2
INITIAL_RETRY_DELAY: Final = 0.5
"""Base of the exponential backoff, in seconds."""
MAX_RETRY_DELAY: Final = 8.0
"""Cap of the exponential backoff, in seconds."""
MAX_RETRY_AFTER: Final = 60.0
"""Default cap on a server-provided ``Retry-After`` / ``RateLimit-Reset`` delay, in seconds
(the client option ``max_retry_after``)."""
DEFAULT_MAX_RESPONSE_SIZE: Final = 64 * 1024 * 1024
"""Default limit on a response body, in bytes once decompressed (the client option
``max_response_size``): a larger answer, such as a gzip bomb, raises
:class:`ResponseTooLargeError` without being read further."""
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})

_TRACK_ID_MAX_LENGTH: Final = 64
_TRACK_ID_FORBIDDEN: Final = frozenset(":;\"'")
_PATH_PARAM_RE: Final = re.compile(r"\{([^{}]+)\}")
_ERROR_TEXT_LIMIT: Final = 200
_MAX_LISTED_MESSAGES: Final = 3

# --------------------------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------------------------

Primitive: TypeAlias = (
    str | int | float | bool | enum.Enum | _dt.date | _dt.time | uuid.UUID | Decimal
)
"""A scalar that can be sent as a path, query or header parameter."""
QueryValue: TypeAlias = Primitive | Sequence[Primitive] | None
"""A query parameter value: a scalar, a list (repeated key) or None (dropped)."""
HeaderValue: TypeAlias = Primitive | None
"""A header value: a scalar or None (dropped)."""
JsonBody: TypeAlias = (
    pydantic.BaseModel | Mapping[str, object] | Sequence[object] | None
)
"""A request body: a pydantic model, a JSON object or array (may nest models), or None."""
ApiResponseSpec: TypeAlias = Mapping[int | str, object]
"""Documented responses of an operation: status code (or ``"2XX"``-style range, or
``"default"``) -> type to validate a JSON body with (a pydantic model, any type
``pydantic.TypeAdapter`` accepts, ``str``/``bytes`` for raw bodies), a :class:`ResponseBody`
for a body of another media type, or ``None`` for a response without a body."""
TokenProvider: TypeAlias = str | Callable[[], str]


@dataclass(frozen=True, slots=True)
class Accepted(Generic[_T]):
    """A ``202 Accepted`` answer: the request was queued for asynchronous processing."""

    status_code: int
    data: _T
    request_id: str | None = None


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """Base class of every error raised by a generated client for a failed call."""

    status_code: int | None
    body: object
    text: str
    headers: httpx.Headers
    operation_id: str | None
    request_id: str | None
    method: str | None
    url: str | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: object = None,
        text: str = "",
        headers: httpx.Headers | Mapping[str, str] | None = None,
        operation_id: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.text = text
        self.headers = httpx.Headers(headers or {})
        self.operation_id = operation_id
        self.request_id = request_id
        self.method = method
        self.url = url

    def __str__(self) -> str:
        return self.message


class ApiConnectionError(ApiError):
    """The server could not be reached (or the connection broke) and retries are exhausted.

    The underlying ``httpx`` exception is available as ``__cause__`` and ``cause``.
    """

    def __init__(
        self,
        message: str,
        *,
        cause: httpx.TransportError,
        operation_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, operation_id=operation_id, method=method, url=url)
        self.cause = cause


class ApiTimeoutError(ApiConnectionError):
    """The call timed out and retries are exhausted."""


class ApiStatusError(ApiError):
    """The server answered with an error status (also the class used for unlisted statuses)."""

    status_code: int


class BadRequestError(ApiStatusError):
    """400, or a 2xx answer whose body says ``success: false``."""


class AuthenticationError(ApiStatusError):
    """401."""


class PermissionDeniedError(ApiStatusError):
    """403."""


class NotFoundError(ApiStatusError):
    """404."""


class MethodNotAllowedError(ApiStatusError):
    """405."""


class ConflictError(ApiStatusError):
    """409."""


class UnprocessableEntityError(ApiStatusError):
    """422."""


class RateLimitError(ApiStatusError):
    """429."""


class InternalServerError(ApiStatusError):
    """Any 5xx status."""


class UnexpectedStatusError(ApiError):
    """A success status that the operation does not document."""

    status_code: int


class ResponseValidationError(ApiError):
    """A documented response body does not match its declared type."""

    status_code: int

    def __init__(
        self, message: str, *, validation_error: Exception | None = None, **kwargs: Any
    ):
        super().__init__(message, **kwargs)
        self.validation_error = validation_error


class ResponseTooLargeError(ApiError):
    """The response body (decompressed) is larger than the client's ``max_response_size``;
    reading stopped there. ``limit`` is that size in bytes."""

    def __init__(self, message: str, *, limit: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit


class PaginationError(RuntimeError):
    """The server keeps returning a cursor that was already followed."""


_STATUS_ERRORS: Final[Mapping[int, type[ApiStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _error_messages(body: object) -> list[str]:
    """Human-readable error lines from a Zuora v1 (``reasons``) or Quickstart (``errors``) body."""
    if not isinstance(body, Mapping):
        return []
    lines: list[str] = []
    for key in ("reasons", "errors", "Errors"):
        items = body.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, Mapping):
                continue
            code = item.get("code") if "code" in item else item.get("Code")
            message = item.get("message") if "message" in item else item.get("Message")
            parameter = item.get("parameter")
            parts: list[str] = []
            if code is not None:
                parts.append(f"[{code}]")
            if parameter:
                parts.append(f"{parameter}:")
            if message is not None:
                parts.append(str(message))
            if parts:
                lines.append(" ".join(parts))
    if not lines:
        for key in ("message", "error_description", "error", "detail", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                lines.append(value)
                break
    return lines


def _truncate(text: str, limit: int = _ERROR_TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_failure(
    status_code: int,
    operation_id: str | None,
    method: str,
    url: str,
    body: object,
    text: str,
) -> str:
    reason = httpx.codes.get_reason_phrase(status_code)
    where = operation_id or f"{method} {url}"
    head = f"HTTP {status_code}{' ' + reason if reason else ''} from {where}"
    messages = _error_messages(body)
    if messages:
        shown = "; ".join(messages[:_MAX_LISTED_MESSAGES])
        more = len(messages) - _MAX_LISTED_MESSAGES
        return f"{head}: {shown}" + (f" (+{more} more)" if more > 0 else "")
    if text.strip():
        return f"{head}: {_truncate(text)}"
    return head


def error_for_status(
    response: httpx.Response,
    body: object,
    *,
    operation_id: str | None = None,
    request_id_header: str | None = None,
    success_flag_failed: bool = False,
) -> ApiStatusError:
    """Build the typed error for a failed response (does not raise it).

    ``success_flag_failed`` marks a 2xx answer whose body says ``success: false``; it maps to
    :class:`BadRequestError`.
    """
    status = response.status_code
    cls: type[ApiStatusError]
    if success_flag_failed:
        cls = BadRequestError
    elif status in _STATUS_ERRORS:
        cls = _STATUS_ERRORS[status]
    elif status >= 500:
        cls = InternalServerError
    else:
        cls = ApiStatusError
    method = response.request.method
    url = str(response.request.url)
    text = _response_text(response)
    return cls(
        _describe_failure(status, operation_id, method, url, body, text),
        status_code=status,
        body=body,
        text=text,
        headers=response.headers,
        operation_id=operation_id,
        request_id=response.headers.get(request_id_header)
        if request_id_header
        else None,
        method=method,
        url=url,
    )


# --------------------------------------------------------------------------------------------
# Request building (pure)
# --------------------------------------------------------------------------------------------


def resolve_base_url(
    base_url: str | None,
    server: str | None,
    servers: Mapping[str, str],
    default_server: str | None,
) -> str:
    """Pick the base URL: an explicit ``base_url`` wins, then the ``server`` preset, then the
    default preset. Raises ValueError for an unknown preset or when nothing is configured."""
    if base_url:
        return base_url.rstrip("/")
    name = server if server is not None else default_server
    if name is None:
        raise ValueError("no base_url given and the client has no default server")
    try:
        return servers[name].rstrip("/")
    except KeyError:
        choices = ", ".join(repr(s) for s in servers) or "none"
        raise ValueError(f"unknown server {name!r}; choose one of: {choices}") from None


def format_param(value: Primitive) -> str:
    """Render a scalar parameter value as text (bools as ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        inner: object = value.value
        if isinstance(inner, Primitive):
            return format_param(inner)
        return str(inner)
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    return str(value)


def encode_path_param(value: Primitive) -> str:
    """Percent-encode one path parameter so it always stays exactly one path segment."""
    text = format_param(value)
    if text == "":
        raise ValueError("path parameters must not be empty")
    encoded = quote(text, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def encode_query(mapping: Mapping[str, QueryValue] | None) -> list[tuple[str, str]]:
    """Flatten query parameters: None dropped, lists repeated, bools ``true``/``false``.

    Keys are kept verbatim (``fields[]`` stays ``fields[]``).
    """
    pairs: list[tuple[str, str]] = []
    if not mapping:
        return pairs
    for key, value in mapping.items():
        if value is None:
            continue
        if isinstance(value, str) or not isinstance(value, Sequence):
            pairs.append((key, format_param(value)))
            continue
        for item in value:
            if item is not None:
                pairs.append((key, format_param(item)))
    return pairs


def _query_string(pairs: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs)


def build_url(
    base_url: str,
    path: str,
    path_params: Mapping[str, Primitive] | None = None,
    query: Mapping[str, QueryValue] | None = None,
    *,
    parameters: Sequence[Parameter] = (),
) -> str:
    """Fill the ``{name}`` placeholders of ``path`` and append the encoded query.

    ``path_params`` and ``query`` use the default styles (``simple``; ``form``, exploded);
    the path and query entries of ``parameters`` carry their own (others are ignored here).
    """
    styled = [p for p in parameters if p.location in ("path", "query")]
    path_texts, query_pairs, _, _ = serialize_parameters(styled)
    return _fill_url(
        base_url, path, path_params, path_texts, encode_query(query), query_pairs
    )


def _fill_url(
    base_url: str,
    path: str,
    path_params: Mapping[str, Primitive] | None,
    path_texts: Mapping[str, str],
    plain_query: Sequence[tuple[str, str]],
    encoded_query: Sequence[tuple[str, str]],
) -> str:
    params = path_params or {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in path_texts:
            return path_texts[name]
        if name not in params:
            raise ValueError(f"missing path parameter {name!r} for {path!r}")
        return encode_path_param(params[name])

    segments = []
    for segment in path.split("/"):
        if "{" not in segment:
            segments.append(segment)
            continue
        filled = _PATH_PARAM_RE.sub(substitute, segment)
        if filled == "":
            raise ValueError(f"path parameter in {segment!r} must not be empty")
        if filled in (".", ".."):  # a dot segment, which URL normalization would drop
            filled = "%2E" + filled[1:]
        segments.append(filled)
    url = base_url.rstrip("/") + "/" + "/".join(segments).lstrip("/")
    query_string = "&".join(
        part
        for part in (
            _query_string(plain_query),
            "&".join(f"{k}={v}" for k, v in encoded_query),
        )
        if part
    )
    if query_string:
        url += ("&" if "?" in url else "?") + query_string
    return url


# --------------------------------------------------------------------------------------------
# Parameter serialization (pure): OpenAPI `style` / `explode` / `allowReserved` / `content`
# --------------------------------------------------------------------------------------------
#
# Written here rather than taken from an RFC 6570 library: the OpenAPI styles are only partly
# RFC 6570 (spaceDelimited, pipeDelimited, deepObject and cookies are not), the delimiters of
# each style must be percent-encoded inside values so the server can split before decoding,
# and generated code may depend on nothing but httpx and pydantic.

ParamLocation: TypeAlias = Literal["path", "query", "header", "cookie"]
"""Where a parameter goes (OpenAPI `in`)."""
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

_DEFAULT_STYLES: Final[Mapping[str, ParamStyle]] = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
}
_LOCATION_STYLES: Final[Mapping[str, frozenset[str]]] = {
    "path": frozenset({"simple", "label", "matrix"}),
    "query": frozenset({"form", "spaceDelimited", "pipeDelimited", "deepObject"}),
    "header": frozenset({"simple"}),
    "cookie": frozenset({"form", "cookie"}),
}
#: RFC 3986 reserved characters kept by `allowReserved`, less those a query string or the
#: form encoding gives a meaning to (`# [ ] & = +`): those stay percent-encoded.
_RESERVED_KEPT: Final = ":/?@!$'()*,;"
_PERCENT_TRIPLE: Final = re.compile(r"%[0-9A-Fa-f]{2}")
_HEADER_FORBIDDEN: Final = frozenset("\r\n\0")
_COOKIE_FORBIDDEN: Final = frozenset(';,\r\n\0"\\')


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter of a call: its value and how the spec says to serialize it.

    ``value`` is a scalar, a sequence (an OpenAPI array), a mapping or a pydantic model (an
    object), or None (not sent). ``style`` None means the location's default (``simple`` for
    path and header, ``form`` for query and cookie); ``explode`` None means true for ``form``
    and ``cookie``, false otherwise. ``content_type`` marks a parameter declared with
    ``content`` instead of ``schema``: its value is serialized as that media type (JSON
    compactly) and sent as one string; ``style`` and ``explode`` are then ignored.
    """

    name: str
    location: ParamLocation
    value: object
    style: ParamStyle | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    content_type: str | None = None


def default_style(location: ParamLocation) -> ParamStyle:
    """The style OpenAPI gives a parameter in ``location`` when it declares none."""
    return _DEFAULT_STYLES[location]


def default_explode(style: ParamStyle) -> bool:
    """The ``explode`` OpenAPI gives a parameter of ``style`` when it declares none."""
    return style in ("form", "cookie")


@dataclass(frozen=True, slots=True)
class _Shaped:
    """A parameter value reduced to text: a primitive, an array of items or an object's pairs."""

    kind: Literal["primitive", "array", "object"]
    text: str = ""
    items: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()


def _scalar_text(value: object, what: str) -> str:
    if isinstance(value, Primitive):
        return format_param(value)
    raise TypeError(
        f"{what}: a {type(value).__name__} inside an array or object cannot be serialized "
        "with a style (only one level is defined); declare the parameter with `content`"
    )


def _shape(value: object, what: str) -> _Shaped | None:
    """Classify ``value`` as primitive, array or object (None: undefined, not sent)."""
    if value is None:
        return None
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
        if value is None:
            return None
    if isinstance(value, Mapping):
        pairs = tuple(
            (str(key), _scalar_text(item, what))
            for key, item in value.items()
            if item is not None
        )
        return _Shaped("object", pairs=pairs)
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(
            f"{what}: bytes cannot be sent as a parameter; decode them first"
        )
    if isinstance(value, str) or not isinstance(value, Sequence):
        return _Shaped("primitive", text=_scalar_text(value, what))
    items = tuple(_scalar_text(item, what) for item in value if item is not None)
    return _Shaped("array", items=items)


def _content_text(value: object, media_type: str, *, ascii_only: bool = False) -> str:
    """The text of a ``content`` parameter (or form field) serialized as ``media_type``."""
    if media_kind(media_type) == "json":
        return json.dumps(
            _jsonable(value),
            ensure_ascii=ascii_only,
            separators=(",", ":"),
            allow_nan=False,
        )
    if isinstance(value, Primitive):
        return format_param(value)
    raise TypeError(f"cannot serialize a {type(value).__name__} as {media_type}")


def _param_shape(
    name: str, value: object, content_type: str | None, *, ascii_only: bool = False
) -> _Shaped | None:
    what = f"parameter {name!r}"
    if content_type is None:
        return _shape(value, what)
    if value is None:
        return None
    return _Shaped(
        "primitive", text=_content_text(value, content_type, ascii_only=ascii_only)
    )


def _pct(text: str) -> str:
    """Percent-encode everything but RFC 3986's unreserved characters."""
    return quote(text, safe="")


def _pct_reserved(text: str) -> str:
    """Reserved expansion (``allowReserved``): reserved characters and existing ``%XX``
    triples pass; what a query string cannot carry literally is still encoded."""
    out: list[str] = []
    start = 0
    for match in _PERCENT_TRIPLE.finditer(text):
        out.append(quote(text[start : match.start()], safe=_RESERVED_KEPT))
        out.append(match.group())
        start = match.end()
    out.append(quote(text[start:], safe=_RESERVED_KEPT))
    return "".join(out)


def _pct_label(text: str) -> str:
    """Percent-encode a label value, ``.`` included (it delimits label values)."""
    return _pct(text).replace(".", "%2E")


def _check_style(name: str, location: str, style: str) -> None:
    if style not in _LOCATION_STYLES[location]:
        allowed = ", ".join(sorted(_LOCATION_STYLES[location]))
        raise ValueError(
            f"parameter {name!r}: style {style!r} is not defined for {location} parameters "
            f"(use one of: {allowed})"
        )


def serialize_path_param(
    name: str,
    value: object,
    *,
    style: ParamStyle = "simple",
    explode: bool = False,
    content_type: str | None = None,
) -> str:
    """The percent-encoded text that replaces ``{name}`` in the path.

    ``simple``: ``blue`` / ``blue,black`` / ``R,100,G,200`` (explode: ``R=100,G=200``);
    ``label``: ``.blue`` / ``.blue,black`` (explode: ``.blue.black``, ``.R=100.G=200``);
    ``matrix``: ``;color=blue`` / ``;color=blue,black`` (explode: ``;color=blue;color=black``,
    ``;R=100;G=200``). Delimiters inside values are percent-encoded, ``/`` always is.
    Raises ValueError for a missing value (an empty path segment is refused when the URL is
    built).
    """
    _check_style(name, "path", style)
    shaped = _param_shape(name, value, content_type)
    if shaped is None:
        raise ValueError(f"missing path parameter {name!r}")
    if style == "label":
        text = "." + _expand(
            shaped, name, sep=".", named=False, explode=explode, enc=_pct_label
        )
    elif style == "matrix":
        text = ";" + _expand(
            shaped, name, sep=";", named=True, explode=explode, enc=_pct
        )
    else:
        text = _expand(shaped, name, sep=",", named=False, explode=explode, enc=_pct)
    return text


def _expand(
    shaped: _Shaped,
    name: str,
    *,
    sep: str,
    named: bool,
    explode: bool,
    enc: Callable[[str], str],
) -> str:
    """RFC 6570 expansion of one variable, without the operator's leading character."""
    key = _pct(name)

    def named_value(label: str, text: str) -> str:
        return f"{label}={text}" if text else label

    if shaped.kind == "primitive":
        text = enc(shaped.text)
        return named_value(key, text) if named else text
    if shaped.kind == "array":
        items = [enc(item) for item in shaped.items]
        if explode:
            return sep.join(named_value(key, item) if named else item for item in items)
        joined = ",".join(items)
        return named_value(key, joined) if named else joined
    if explode:
        return sep.join(named_value(enc(k), enc(v)) for k, v in shaped.pairs)
    joined = ",".join(f"{enc(k)},{enc(v)}" for k, v in shaped.pairs)
    return named_value(key, joined) if named else joined


def _check_delimiter(name: str, texts: Sequence[str], delimiter: str) -> None:
    for text in texts:
        if delimiter in text:
            raise ValueError(
                f"parameter {name!r}: the value {text!r} holds the style's delimiter "
                f"{delimiter!r}, which a server could not tell apart from it"
            )


def query_pairs(
    name: str,
    value: object,
    *,
    style: ParamStyle = "form",
    explode: bool = True,
    enc: Callable[[str], str] = _pct,
    content_type: str | None = None,
) -> list[tuple[str, str]]:
    """The (name, value) pairs of one query-style parameter, each encoded with ``enc``.

    Used for query strings (``enc`` percent-encodes) and for the fields of form and multipart
    bodies (multipart passes an ``enc`` that leaves text as it is). An empty array is sent as
    ``name=`` (the OpenAPI table's form of an undefined value); None and an empty exploded
    object send nothing. ``spaceDelimited`` and ``pipeDelimited`` with ``explode`` true are
    undefined by OpenAPI and sent like ``form`` (one pair per item).
    """
    _check_style(name, "query", style)
    shaped = _param_shape(name, value, content_type)
    if shaped is None:
        return []
    key = enc(name)
    if shaped.kind == "primitive":
        if style == "deepObject":
            raise ValueError(f"parameter {name!r}: deepObject serializes objects only")
        return [(key, enc(shaped.text))]
    if style == "deepObject":
        if shaped.kind != "object":
            raise ValueError(f"parameter {name!r}: deepObject serializes objects only")
        return [(f"{key}{enc('[')}{enc(k)}{enc(']')}", enc(v)) for k, v in shaped.pairs]
    if shaped.kind == "array":
        if explode:
            return [(key, enc(item)) for item in shaped.items] or [(key, "")]
        flat: Sequence[str] = shaped.items
    else:
        if explode:
            return [(enc(k), enc(v)) for k, v in shaped.pairs]
        flat = [text for pair in shaped.pairs for text in pair]
    delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
    if delimiter != ",":
        _check_delimiter(name, flat, delimiter)
    return [
        (key, (enc(delimiter) if delimiter != "," else ",").join(enc(t) for t in flat))
    ]


def serialize_query_param(
    name: str,
    value: object,
    *,
    style: ParamStyle = "form",
    explode: bool = True,
    allow_reserved: bool = False,
    content_type: str | None = None,
) -> list[tuple[str, str]]:
    """The percent-encoded (name, value) pairs one query parameter adds to the query string.

    ``form``: ``color=blue`` / ``color=blue,black`` (explode: ``color=blue&color=black``,
    ``R=100&G=200``); ``spaceDelimited``: ``color=blue%20black``; ``pipeDelimited``:
    ``color=blue%7Cblack``; ``deepObject``: ``color%5BR%5D=100``. ``allow_reserved`` leaves
    RFC 3986 reserved characters (but ``# [ ] & = +``) and ``%XX`` triples unencoded.
    """
    return query_pairs(
        name,
        value,
        style=style,
        explode=explode,
        enc=_pct_reserved if allow_reserved and content_type is None else _pct,
        content_type=content_type,
    )


def serialize_header_param(
    name: str,
    value: object,
    *,
    style: ParamStyle = "simple",
    explode: bool = False,
    content_type: str | None = None,
) -> str | None:
    """The header value of one header parameter (None: not sent).

    ``simple`` style, never percent-encoded: ``blue`` / ``blue,black`` / ``R,100,G,200``
    (explode: ``R=100,G=200``). Raises ValueError for a value a header cannot carry (CR, LF,
    NUL or non-ASCII text; a JSON ``content`` value is written with ASCII escapes) and for an
    item holding the ``,`` delimiter (or an exploded key holding ``=``), which no server could
    tell apart.
    """
    _check_style(name, "header", style)
    shaped = _param_shape(name, value, content_type, ascii_only=True)
    if shaped is None or (
        shaped.kind != "primitive" and not (shaped.items or shaped.pairs)
    ):
        return None
    if shaped.kind != "primitive":
        texts = [*shaped.items, *(text for pair in shaped.pairs for text in pair)]
        _check_delimiter(name, texts, ",")
        if explode:
            _check_delimiter(name, [key for key, _ in shaped.pairs], "=")
    text = _expand(shaped, name, sep=",", named=False, explode=explode, enc=str)
    if not text.isascii() or any(char in _HEADER_FORBIDDEN for char in text):
        raise ValueError(
            f"header parameter {name!r}: {text!r} cannot be sent in a header "
            "(only ASCII without CR, LF or NUL)"
        )
    return text


def _cookie_text(name: str, text: str, *, is_name: bool = False) -> str:
    forbidden = _COOKIE_FORBIDDEN | {"="} if is_name else _COOKIE_FORBIDDEN
    if not text.isascii() or any(c in forbidden or c.isspace() for c in text):
        raise ValueError(
            f"cookie parameter {name!r}: {text!r} cannot be sent as a cookie with style "
            "'cookie', which applies no escaping (use style 'form' to percent-encode)"
        )
    return text


def serialize_cookie_param(
    name: str,
    value: object,
    *,
    style: ParamStyle = "form",
    explode: bool = True,
    content_type: str | None = None,
) -> list[str]:
    """The ``name=value`` pairs one cookie parameter adds to the ``Cookie`` header.

    ``form`` percent-encodes names and values: ``color=blue`` / ``color=blue,black``
    (explode: one cookie per item, ``color=blue; color=black``, or per property,
    ``R=100; G=200``). ``cookie`` (OpenAPI 3.2) is the same without any encoding; values
    that would need escaping are refused.
    """
    _check_style(name, "cookie", style)
    shaped = _param_shape(name, value, content_type)
    if shaped is None:
        return []

    def enc(text: str) -> str:
        return _pct(text) if style == "form" else _cookie_text(name, text)

    def enc_name(text: str) -> str:
        return _pct(text) if style == "form" else _cookie_text(name, text, is_name=True)

    key = enc_name(name)
    if shaped.kind == "primitive":
        return [f"{key}={enc(shaped.text)}"]
    if shaped.kind == "array":
        if explode:
            return [f"{key}={enc(item)}" for item in shaped.items] or [f"{key}="]
        return [f"{key}=" + ",".join(enc(item) for item in shaped.items)]
    if explode:
        return [f"{enc_name(k)}={enc(v)}" for k, v in shaped.pairs]
    return [f"{key}=" + ",".join(f"{enc(k)},{enc(v)}" for k, v in shaped.pairs)]


def _resolved(parameter: Parameter) -> tuple[ParamStyle, bool]:
    style = parameter.style or default_style(parameter.location)
    explode = default_explode(style) if parameter.explode is None else parameter.explode
    return style, explode


def serialize_parameters(
    parameters: Sequence[Parameter],
) -> tuple[dict[str, str], list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """Serialize every parameter of a call by its location, style and explode.

    Returns the path texts (name -> text replacing ``{name}``), the encoded query pairs, the
    header (name, value) pairs and the cookie ``name=value`` pairs, each in the given order.
    """
    path: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    cookies: list[str] = []
    for parameter in parameters:
        style, explode = _resolved(parameter)
        name, value, content_type = (
            parameter.name,
            parameter.value,
            parameter.content_type,
        )
        if parameter.location == "path":
            path[name] = serialize_path_param(
                name, value, style=style, explode=explode, content_type=content_type
            )
        elif parameter.location == "query":
            query.extend(
                serialize_query_param(
                    name,
                    value,
                    style=style,
                    explode=explode,
                    allow_reserved=parameter.allow_reserved,
                    content_type=content_type,
                )
            )
        elif parameter.location == "header":
            text = serialize_header_param(
                name, value, style=style, explode=explode, content_type=content_type
            )
            if text is not None:
                headers.append((name, text))
        else:
            cookies.extend(
                serialize_cookie_param(
                    name, value, style=style, explode=explode, content_type=content_type
                )
            )
    return path, query, headers, cookies


def _jsonable(value: object) -> object:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if value is None or isinstance(value, str | int | float):
        # bool is an int; all of these are JSON-native.
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode_json_body(body: JsonBody, *, gzip_body: bool = False) -> bytes | None:
    """Serialise a request body to compact UTF-8 JSON (optionally gzipped); None stays None."""
    if body is None:
        return None
    text = json.dumps(
        _jsonable(body), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    data = text.encode("utf-8")
    return gzip.compress(data, mtime=0) if gzip_body else data


# --------------------------------------------------------------------------------------------
# Request bodies (pure): JSON, form-urlencoded, multipart, text and binary
# --------------------------------------------------------------------------------------------

MediaKind: TypeAlias = Literal["json", "form", "multipart", "text", "binary"]
"""What a media type is, as far as encoding and decoding bodies goes."""

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

FileContent: TypeAlias = bytes | bytearray | memoryview | IO[bytes]
"""The content of a file: bytes, or a binary file object (read once, when the call starts)."""
FileValue: TypeAlias = (
    FileContent
    | tuple[str | None, FileContent | str]
    | tuple[str | None, FileContent | str, str | None]
)
"""A file to upload: its content, or ``(filename, content)`` / ``(filename, content, type)``."""


def media_kind(media_type: str) -> MediaKind:
    """Classify a media type: JSON (``application/json``, ``text/json``, ``+json``), form,
    multipart, text (``text/*``, ``+xml``, textual ``application/*`` such as YAML) or binary
    (everything else, wildcard ranges such as ``*/*`` included). Parameters are ignored.

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


@dataclass(frozen=True, slots=True)
class Encoding:
    """How one property of a form or multipart body is sent (an OpenAPI Encoding Object).

    With any of ``style``, ``explode`` or ``allow_reserved`` set, the property is serialized
    like a query parameter of that style (the default style is ``form``); otherwise as
    ``content_type`` (its default follows the value: text for scalars, JSON for objects,
    ``application/octet-stream`` for files; arrays give one field or part per item).
    """

    content_type: str | None = None
    style: ParamStyle | None = None
    explode: bool | None = None
    allow_reserved: bool | None = None

    @property
    def styled(self) -> bool:
        """Whether the property is serialized by style rather than by content type."""
        return (
            self.style is not None
            or self.explode is not None
            or self.allow_reserved is not None
        )


@dataclass(frozen=True, slots=True)
class EncodedBody:
    """A request body ready to send: its bytes and its ``Content-Type`` header value."""

    content: bytes
    content_type: str


def _is_file(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview | tuple) or callable(
        getattr(value, "read", None)
    )


def _read_content(value: object, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    read = getattr(value, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, str):
            return data.encode("utf-8")
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
    raise TypeError(
        f"{what}: expected bytes or a binary file object, got {type(value).__name__}"
    )


def _file_parts(value: object, what: str) -> tuple[str | None, bytes, str | None]:
    """(filename, content, content type) of a file value (filename from a file object's
    name when not given)."""
    filename: str | None = None
    media: str | None = None
    content: object = value
    if isinstance(value, tuple):
        if len(value) not in (2, 3):
            raise TypeError(
                f"{what}: a file tuple is (filename, content[, content_type])"
            )
        filename, content = value[0], value[1]
        media = value[2] if len(value) == 3 else None
        if filename is not None and not isinstance(filename, str):
            raise TypeError(
                f"{what}: the filename of a file tuple must be a str or None"
            )
        if media is not None and not isinstance(media, str):
            raise TypeError(
                f"{what}: the content type of a file tuple must be a str or None"
            )
    else:
        name = getattr(value, "name", None)
        if isinstance(name, str) and name and not name.startswith("<"):
            filename = name.replace("\\", "/").rsplit("/", 1)[-1]
    return filename, _read_content(content, what), media


def _chosen_type(declared: str | None, fallback: str) -> str:
    """The one media type to send from an Encoding ``contentType`` (a comma-separated list
    that may hold wildcards): its first concrete entry, else ``fallback``."""
    for entry in (declared or "").split(","):
        entry = entry.strip()
        if entry and "*" not in entry.split(";", 1)[0]:
            return entry
    return fallback


def _form_fields(body: object) -> list[tuple[str, object]]:
    """The (name, value) pairs of a form body: a pydantic model's fields by alias (unset and
    None fields left out) or a mapping's items."""
    if isinstance(body, pydantic.BaseModel):
        data: object = body.model_dump(
            by_alias=True, exclude_unset=True, exclude_none=True
        )
    else:
        data = body
    if not isinstance(data, Mapping):
        raise TypeError(
            f"a form body must be a model or a mapping, not {type(body).__name__}"
        )
    return [(str(name), value) for name, value in data.items()]


def _items(value: object) -> list[object]:
    """The items of an array property (one field or part each), or the value alone."""
    if isinstance(value, list):
        return value
    return [value]


def _field_text(value: object, content_type: str | None, what: str) -> str:
    """The text of one form field: JSON for objects (or a JSON content type), else text."""
    if content_type is not None and media_kind(content_type) == "json":
        return _content_text(value, content_type)
    if isinstance(value, Mapping | pydantic.BaseModel | list | tuple):
        if content_type is not None:
            raise TypeError(
                f"{what}: cannot send a {type(value).__name__} as {content_type}"
            )
        return _content_text(value, "application/json")
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(
            f"{what}: a form-urlencoded body carries text only; encode binary data first "
            "(for example as base64)"
        )
    return _scalar_text(value, what)


def _form_quote(text: str) -> str:
    return quote_plus(text, safe="")


def encode_form_body(
    body: object, encoding: Mapping[str, Encoding] | None = None
) -> bytes:
    """``application/x-www-form-urlencoded`` bytes of a model or mapping.

    Each property goes by its ``encoding`` entry: by style (as a query parameter, ``%20`` for
    spaces) when it sets ``style``, ``explode`` or ``allow_reserved``; else by content type
    (JSON for objects, text for scalars, one field per array item), form-encoded with ``+``
    for spaces. None values are left out.
    """
    pieces: list[str] = []
    for name, value in _form_fields(body):
        if value is None:
            continue
        rule = (encoding or {}).get(name)
        what = f"form field {name!r}"
        if rule is not None and rule.styled:
            style = rule.style or "form"
            explode = default_explode(style) if rule.explode is None else rule.explode
            pairs = serialize_query_param(
                name,
                value,
                style=style,
                explode=explode,
                allow_reserved=bool(rule.allow_reserved),
            )
            pieces.extend(f"{key}={text}" for key, text in pairs)
            continue
        content_type = rule.content_type if rule is not None else None
        for item in _items(value):
            if item is not None:
                text = _field_text(item, content_type, what)
                pieces.append(f"{_form_quote(name)}={_form_quote(text)}")
    return "&".join(pieces).encode("ascii")


def _disposition_quote(text: str) -> str:
    """A name or filename inside a multipart ``Content-Disposition`` (as browsers write it)."""
    return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _part(
    name: str, data: bytes, content_type: str | None, filename: str | None = None
) -> tuple[bytes, bytes]:
    head = f'Content-Disposition: form-data; name="{_disposition_quote(name)}"'
    if filename is not None:
        head += f'; filename="{_disposition_quote(filename)}"'
    if content_type:
        head += f"\r\nContent-Type: {content_type}"
    return head.encode("utf-8"), data


def _multipart_parts(
    name: str, value: object, rule: Encoding | None
) -> Iterator[tuple[bytes, bytes]]:
    what = f"multipart field {name!r}"
    if rule is not None and rule.styled:
        style = rule.style or "form"
        explode = default_explode(style) if rule.explode is None else rule.explode
        for key, text in query_pairs(
            name, value, style=style, explode=explode, enc=str
        ):
            yield _part(key, text.encode("utf-8"), "text/plain; charset=utf-8")
        return
    declared = rule.content_type if rule is not None else None
    for item in _items(value):
        if item is None:
            continue
        if declared is not None and media_kind(declared) == "json":
            text = _content_text(item, declared)
            yield _part(
                name, text.encode("utf-8"), _chosen_type(declared, "application/json")
            )
        elif _is_file(item):
            filename, data, media = _file_parts(item, what)
            media = media or _chosen_type(declared, "application/octet-stream")
            yield _part(name, data, media, filename if filename is not None else name)
        elif isinstance(item, Mapping | pydantic.BaseModel | list):
            text = _content_text(item, "application/json")
            yield _part(
                name, text.encode("utf-8"), _chosen_type(declared, "application/json")
            )
        else:
            text = _scalar_text(item, what)
            media = _chosen_type(declared, "text/plain; charset=utf-8")
            yield _part(name, text.encode("utf-8"), media)


def encode_multipart_body(
    body: object,
    encoding: Mapping[str, Encoding] | None = None,
    *,
    boundary: str | None = None,
) -> EncodedBody:
    """``multipart/form-data`` of a model or mapping: one part per property, one per item of
    an array property.

    Files (bytes, binary file objects, ``(filename, content[, type])`` tuples) go as
    ``application/octet-stream`` (or their tuple's or encoding's type) with a filename (the
    property name when none is known); objects as JSON; scalars as UTF-8 text. A property
    whose encoding sets a style is split into text parts as a query parameter would be, with
    no percent-encoding. ``boundary`` is random unless given.
    """
    parts: list[tuple[bytes, bytes]] = []
    for name, value in _form_fields(body):
        if value is not None:
            parts.extend(_multipart_parts(name, value, (encoding or {}).get(name)))
    chosen = boundary or f"apicontract-{uuid.uuid4().hex}"
    marker = f"--{chosen}".encode("ascii")
    while boundary is None and any(
        marker in data or marker in head for head, data in parts
    ):
        chosen = f"apicontract-{uuid.uuid4().hex}"  # vanishingly rare: a part holds it
        marker = f"--{chosen}".encode("ascii")
    out = bytearray()
    for head, data in parts:
        out += marker + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n"
    out += marker + b"--\r\n"
    return EncodedBody(bytes(out), f"multipart/form-data; boundary={chosen}")


def _with_charset(media_type: str) -> str:
    return (
        media_type
        if "charset=" in media_type.lower()
        else f"{media_type}; charset=utf-8"
    )


def encode_body(
    body: object,
    media_type: str = "application/json",
    *,
    encoding: Mapping[str, Encoding] | None = None,
    boundary: str | None = None,
) -> EncodedBody | None:
    """Encode a request body as ``media_type``; None stays None (no body).

    JSON (and ``+json``): a model (by alias, unset fields left out) or JSON data, compact
    UTF-8. Form-urlencoded and multipart: see :func:`encode_form_body` and
    :func:`encode_multipart_body`. ``text/*``: a str, sent as UTF-8. Anything else: bytes, a
    binary file object or a ``(filename, content[, type])`` tuple, sent as is.
    """
    if body is None:
        return None
    kind = media_kind(media_type)
    if kind == "json":
        data = encode_json_body(cast(JsonBody, body))
        content_type = media_type
        if media_type.split(";", 1)[0].strip().lower() == "application/json":
            content_type = "application/json; charset=utf-8"
        return EncodedBody(data or b"", content_type)
    if kind == "form":
        return EncodedBody(
            encode_form_body(body, encoding), "application/x-www-form-urlencoded"
        )
    if kind == "multipart":
        return encode_multipart_body(body, encoding, boundary=boundary)
    if kind == "text" and isinstance(body, str):
        return EncodedBody(body.encode("utf-8"), _with_charset(media_type))
    _, data, declared = _file_parts(body, "request body")
    if declared is None:
        fallback = (
            "text/plain; charset=utf-8"
            if kind == "text"
            else "application/octet-stream"
        )
        declared = _chosen_type(media_type, fallback)
    return EncodedBody(data, declared)


def validate_track_id(value: str) -> str:
    """Check a track id locally: 1..64 printable US-ASCII characters without ``: ; " '``."""
    if not value:
        raise ValueError("track id must not be empty")
    if len(value) > _TRACK_ID_MAX_LENGTH:
        raise ValueError(f"track id must be at most {_TRACK_ID_MAX_LENGTH} characters")
    for char in value:
        if not (" " <= char <= "~") or char in _TRACK_ID_FORBIDDEN:
            raise ValueError(
                f"track id contains a forbidden character {char!r}: use printable US-ASCII "
                "without : ; \" '"
            )
    return value


# --------------------------------------------------------------------------------------------
# Retry decisions (pure)
# --------------------------------------------------------------------------------------------


def should_retry_status(
    status_code: int, body: object, retryable_flag: str | None
) -> bool:
    """Whether a failed answer may be retried, ignoring attempt counts and idempotency.

    An explicit boolean ``retryable_flag`` in the error body wins over the status code.
    """
    if retryable_flag is not None and isinstance(body, Mapping):
        flag = body.get(retryable_flag)
        if isinstance(flag, bool):
            return flag
    return status_code in RETRYABLE_STATUSES


def backoff_delay(
    retry_index: int,
    *,
    base: float = INITIAL_RETRY_DELAY,
    cap: float = MAX_RETRY_DELAY,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with full jitter for the ``retry_index``-th retry (0-based)."""
    ceiling = min(cap, base * (2.0 ** min(retry_index, 32)))
    return ceiling * rand()


def retry_after_delay(
    headers: httpx.Headers,
    *,
    now: Callable[[], float] = time.time,
    cap: float = MAX_RETRY_AFTER,
) -> float | None:
    """The delay the server asks for (``Retry-After`` seconds or HTTP-date, else
    ``RateLimit-Reset`` seconds), capped at ``cap`` (default :data:`MAX_RETRY_AFTER`); None
    when absent/invalid."""
    delay: float | None = None
    retry_after = headers.get("retry-after")
    if retry_after:
        retry_after = retry_after.strip()
        try:
            delay = float(retry_after)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=_dt.UTC)
                delay = when.timestamp() - now()
    if delay is None:
        reset = headers.get("ratelimit-reset")
        if reset:
            try:
                delay = float(reset.strip())
            except ValueError:
                delay = None
            else:
                if delay > 1_000_000_000:  # an absolute epoch timestamp, not a delta
                    delay -= now()
    if delay is None or math.isnan(delay):
        return None
    return min(max(delay, 0.0), cap)


def _is_permanent_transport_error(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError)


# --------------------------------------------------------------------------------------------
# Response parsing (pure)
# --------------------------------------------------------------------------------------------

_adapters: dict[object, pydantic.TypeAdapter[Any]] = {}


def _validate(tp: Any, data: object) -> object:
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return tp.model_validate(data)
    try:
        adapter = _adapters.get(tp)
    except TypeError:  # unhashable type form
        return pydantic.TypeAdapter(tp).validate_python(data)
    if adapter is None:
        adapter = pydantic.TypeAdapter(tp)
        _adapters[tp] = adapter
    return adapter.validate_python(data)


def _response_text(response: httpx.Response) -> str:
    try:
        return response.text
    except (UnicodeDecodeError, LookupError):
        return response.content.decode("utf-8", errors="replace")


_NO_JSON: Final = object()


def _decode_json(response: httpx.Response) -> object:
    """The parsed JSON body, or the ``_NO_JSON`` sentinel for empty / non-JSON bodies."""
    content = response.content
    if not content.strip():
        return _NO_JSON
    try:
        return json.loads(content)
    except ValueError:
        return _NO_JSON


@dataclass(frozen=True, slots=True)
class ResponseBody:
    """A documented response body with its media type, in an :data:`ApiResponseSpec`.

    The media type decides the decoding: JSON is parsed, then validated as ``type``; text
    (``text/*``, XML, YAML) is returned as ``str`` and binary (anything else) as ``bytes``,
    validated as ``type`` unless that is ``str`` / ``bytes`` itself. A bare type in the spec
    means a JSON body.
    """

    type: object
    media_type: str = "application/json"


_UNDOCUMENTED: Final = object()


def documented_response(responses: ApiResponseSpec, status: int) -> object:
    """What ``responses`` documents for ``status``: the exact status, else its ``2XX``-style
    range, else ``default``; the private ``_UNDOCUMENTED`` sentinel when none matches."""
    exact: object = _UNDOCUMENTED
    ranged: object = _UNDOCUMENTED
    fallback: object = _UNDOCUMENTED
    wanted = f"{status // 100}XX"
    for key, value in responses.items():
        if isinstance(key, int):
            if key == status:
                exact = value
        elif key.isdigit():
            if int(key) == status:
                exact = value
        elif key.upper() == wanted:
            ranged = value
        elif key.lower() == "default":
            fallback = value
    for found in (exact, ranged, fallback):
        if found is not _UNDOCUMENTED:
            return found
    return _UNDOCUMENTED


def accept_header(responses: ApiResponseSpec) -> str:
    """The ``Accept`` header for an operation: its documented media types in order, JSON
    last with a lower weight (error bodies) when the operation answers something else."""
    media: list[str] = []
    for value in responses.values():
        if isinstance(value, ResponseBody):
            kind = media_kind(value.media_type)
            entry = "application/json" if kind == "json" else value.media_type.strip()
            if entry and entry not in media:
                media.append(entry)
    if not media or media == ["application/json"]:
        return "application/json"
    if "application/json" in media:
        return ", ".join(media)
    return ", ".join([*media, "application/json;q=0.5"])


def _form_data(text: str) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key not in data:
            data[key] = value
        else:
            previous = data[key]
            data[key] = (
                [*previous, value] if isinstance(previous, list) else [previous, value]
            )
    return data


def _decode_documented(
    response: httpx.Response, documented: object, parsed: object
) -> object:
    """The value of a documented 2xx body; raises pydantic.ValidationError or ``_NotJson``."""
    tp = documented.type if isinstance(documented, ResponseBody) else documented
    kind = (
        media_kind(documented.media_type)
        if isinstance(documented, ResponseBody)
        else None
    )
    if kind == "text":
        text = _response_text(response)
        return text if tp is str else _validate(tp, text)
    if kind in ("binary", "multipart"):
        return response.content if tp is bytes else _validate(tp, response.content)
    if kind == "form":
        return _validate(tp, _form_data(_response_text(response)))
    if tp is bytes and (parsed is _NO_JSON or not isinstance(parsed, str)):
        return response.content
    if tp is str and parsed is _NO_JSON:
        return _response_text(response)
    if parsed is _NO_JSON and response.content.strip():
        raise _NotJson
    return _validate(tp, None if parsed is _NO_JSON else parsed)


def _is_raw_body(documented: object) -> bool:
    """Whether a documented body is text or binary (never to be parsed as JSON)."""
    return (
        isinstance(documented, ResponseBody)
        and media_kind(documented.media_type) != "json"
    )


class _NotJson(Exception):
    """A body documented as JSON is not JSON."""


def parse_response(
    response: httpx.Response,
    responses: ApiResponseSpec,
    *,
    operation_id: str | None = None,
    accepted_model: object = None,
    success_flag: str | None = None,
    request_id_header: str | None = None,
) -> object:
    """Turn a received response into the operation's return value, or raise a typed error.

    Non-2xx -> the status family's :class:`ApiStatusError`; 2xx with ``success_flag`` false ->
    :class:`BadRequestError`; undocumented 2xx -> :class:`UnexpectedStatusError`; a body that
    does not match its type -> :class:`ResponseValidationError`; ``None`` type -> None;
    202 with an ``accepted_model`` -> :class:`Accepted`. A 2xx status is looked up exactly,
    then by range (``2XX``), then as ``default``; a :class:`ResponseBody` of a text or binary
    media type gives ``str`` or ``bytes`` (never parsed as JSON).
    """
    status = response.status_code
    raw = 200 <= status < 300 and _is_raw_body(documented_response(responses, status))
    parsed = _NO_JSON if raw else _decode_json(response)
    body = None if parsed is _NO_JSON else parsed
    if not 200 <= status < 300:
        raise error_for_status(
            response,
            body,
            operation_id=operation_id,
            request_id_header=request_id_header,
        )
    if (
        success_flag is not None
        and isinstance(body, Mapping)
        and body.get(success_flag) is False
    ):
        raise error_for_status(
            response,
            body,
            operation_id=operation_id,
            request_id_header=request_id_header,
            success_flag_failed=True,
        )
    request_id = response.headers.get(request_id_header) if request_id_header else None
    method = response.request.method
    url = str(response.request.url)
    common: dict[str, Any] = {
        "status_code": status,
        "body": body,
        "headers": response.headers,
        "operation_id": operation_id,
        "request_id": request_id,
        "method": method,
        "url": url,
    }
    documented = documented_response(responses, status)
    if documented is _UNDOCUMENTED:
        text = _response_text(response)
        listed = ", ".join(str(s) for s in sorted(responses, key=str)) or "none"
        raise UnexpectedStatusError(
            f"HTTP {status} from {operation_id or method + ' ' + url} is not a documented "
            f"response (documented: {listed})",
            text=text,
            **common,
        )
    if documented is None or (
        isinstance(documented, ResponseBody) and documented.type is None
    ):
        return None
    value: object
    try:
        value = _decode_documented(response, documented, parsed)
    except _NotJson:
        text = _response_text(response)
        raise ResponseValidationError(
            f"HTTP {status} from {operation_id or method + ' ' + url}: body is not valid "
            f"JSON: {_truncate(text)}",
            text=text,
            **common,
        ) from None
    except pydantic.ValidationError as exc:
        tp = documented.type if isinstance(documented, ResponseBody) else documented
        text = _response_text(response)
        raise ResponseValidationError(
            f"HTTP {status} from {operation_id or method + ' ' + url}: response body does "
            f"not match {getattr(tp, '__name__', repr(tp))}: {exc}",
            validation_error=exc,
            text=text,
            **common,
        ) from exc
    if status == 202 and accepted_model is not None:
        return Accepted(status_code=status, data=value, request_id=request_id)
    return value


# --------------------------------------------------------------------------------------------
# Reading a response body within the size limit and the deadline
# --------------------------------------------------------------------------------------------

_INFLATED: Final = frozenset({"gzip", "x-gzip", "deflate"})


class _BodyReader:
    """Collects a streamed body, decompressing gzip/deflate itself with a bound on every step,
    so a small compressed answer can never inflate past ``limit`` in memory (httpx's own
    decoder inflates each network chunk whole). Other encodings go through httpx's decoder,
    still counted. Past ``deadline_at`` (a ``time.monotonic`` instant) it raises ReadTimeout."""

    __slots__ = (
        "chunks",
        "deadline_at",
        "inflater",
        "limit",
        "operation_id",
        "response",
        "size",
    )

    def __init__(
        self,
        response: httpx.Response,
        limit: int | None,
        deadline_at: float | None,
        operation_id: str | None,
    ) -> None:
        self.response = response
        self.operation_id = operation_id
        self.limit = limit
        self.deadline_at = deadline_at
        self.chunks: list[bytes] = []
        self.size = 0
        encoding = response.headers.get("content-encoding", "").strip().lower()
        self.inflater = (
            zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in _INFLATED else None
        )

    @property
    def raw(self) -> bool:
        """Whether to read the raw (still encoded) stream and decompress it here."""
        return self.inflater is not None or not self.response.headers.get(
            "content-encoding"
        )

    def feed(self, data: bytes) -> None:
        if self.deadline_at is not None and time.monotonic() > self.deadline_at:
            raise httpx.ReadTimeout(
                "the call's deadline passed while reading the response",
                request=self.response.request,
            )
        inflater = self.inflater
        if inflater is None:
            self._keep(data)
            return
        try:
            while data:
                room = 0 if self.limit is None else self.limit - self.size + 1
                self._keep(inflater.decompress(data, room))
                data = inflater.unconsumed_tail
        except zlib.error as exc:
            raise httpx.DecodingError(
                f"the response body is not valid gzip/deflate data: {exc}",
                request=self.response.request,
            ) from None

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise self._too_large()
        if data:
            self.chunks.append(data)

    def finish(self) -> None:
        if self.inflater is not None:
            self._keep(self.inflater.flush())
        self.response._content = b"".join(
            self.chunks
        )  # what `response.read()` would set

    def _too_large(self) -> ResponseTooLargeError:
        response = self.response
        request = response.request
        limit = self.limit or 0
        where = self.operation_id or f"{request.method} {request.url}"
        return ResponseTooLargeError(
            f"HTTP {response.status_code} from {where}: the response body is larger than "
            f"max_response_size ({limit:,} bytes once decompressed); reading stopped there",
            limit=limit,
            status_code=response.status_code,
            headers=response.headers,
            operation_id=self.operation_id,
            method=request.method,
            url=str(request.url),
        )

    def check_read(self) -> bool:
        """For a response already read (a mock transport): check its size; True if so."""
        if not self.response.is_stream_consumed:
            return False
        self.size = len(self.response.content)
        if self.limit is not None and self.size > self.limit:
            raise self._too_large()
        return True


def _read_body(response: httpx.Response, plan: _RequestPlan) -> None:
    """Read a streamed response (sync) within the size limit and the deadline; closes it."""
    reader = _BodyReader(
        response, plan.max_response_size, plan.deadline_at, plan.operation_id
    )
    try:
        if reader.check_read():
            return
        for data in response.iter_raw() if reader.raw else response.iter_bytes():
            reader.feed(data)
        reader.finish()
    finally:
        response.close()


async def _aread_body(response: httpx.Response, plan: _RequestPlan) -> None:
    """Read a streamed response (async) within the size limit and the deadline; closes it."""
    reader = _BodyReader(
        response, plan.max_response_size, plan.deadline_at, plan.operation_id
    )
    try:
        if reader.check_read():
            return
        chunks = response.aiter_raw() if reader.raw else response.aiter_bytes()
        async for data in chunks:
            reader.feed(data)
        reader.finish()
    finally:
        await response.aclose()


# --------------------------------------------------------------------------------------------
# One logical call: the decisions shared by the sync and async loops
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Retry:
    delay: float


@dataclass(frozen=True, slots=True)
class _Done:
    value: Any


class _RequestPlan:
    """Everything decided before the first attempt, plus the per-attempt decisions."""

    __slots__ = (
        "accepted_model",
        "content",
        "deadline",
        "deadline_at",
        "headers",
        "idempotency_key",
        "max_response_size",
        "max_retries",
        "max_retry_after",
        "method",
        "operation_id",
        "request_id_header",
        "responses",
        "retry_safe",
        "retryable_flag",
        "success_flag",
        "timeout",
        "token",
        "url",
    )

    def __init__(
        self,
        *,
        method: str,
        url: str,
        headers: httpx.Headers,
        content: bytes | None,
        timeout: float | httpx.Timeout,
        responses: ApiResponseSpec,
        retry_safe: bool,
        idempotency_key: str | None,
        max_retries: int,
        operation_id: str | None,
        token: TokenProvider | None,
        accepted_model: object,
        success_flag: str | None,
        retryable_flag: str | None,
        request_id_header: str | None,
        deadline: float | None = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.content = content
        self.timeout = timeout
        self.responses = responses
        self.retry_safe = retry_safe
        self.idempotency_key = idempotency_key
        self.max_retries = max_retries
        self.operation_id = operation_id
        self.token = token
        self.accepted_model = accepted_model
        self.success_flag = success_flag
        self.retryable_flag = retryable_flag
        self.request_id_header = request_id_header
        self.deadline = deadline
        #: the `time.monotonic()` instant the whole call (every attempt and wait) must end by
        self.deadline_at = None if deadline is None else time.monotonic() + deadline
        self.max_response_size = max_response_size
        self.max_retry_after = max_retry_after

    def timeout_for_attempt(self) -> float | httpx.Timeout:
        """The per-attempt timeout, each phase cut to what is left of the deadline."""
        if self.deadline_at is None:
            return self.timeout
        left = self.deadline_at - time.monotonic()
        if left <= 0:
            raise self._failure(
                httpx.TimeoutException(
                    f"the call's deadline of {self.deadline:g}s passed"
                ),
                0,
            )
        base = (
            self.timeout
            if isinstance(self.timeout, httpx.Timeout)
            else httpx.Timeout(self.timeout)
        )

        def cut(phase: float | None) -> float:
            return left if phase is None else min(phase, left)

        return httpx.Timeout(
            connect=cut(base.connect),
            read=cut(base.read),
            write=cut(base.write),
            pool=cut(base.pool),
        )

    def _fits(self, delay: float) -> bool:
        """Whether waiting `delay` seconds still leaves time for another attempt."""
        return self.deadline_at is None or time.monotonic() + delay < self.deadline_at

    def headers_for_attempt(self) -> httpx.Headers:
        """Headers of one attempt; a callable token is called again for every attempt."""
        headers = httpx.Headers(self.headers)
        if self.token is not None and "authorization" not in headers:
            token = self.token() if callable(self.token) else self.token
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _may_retry(self, retry_index: int) -> bool:
        return self.retry_safe and retry_index < self.max_retries

    def on_transport_error(self, exc: httpx.TransportError, retry_index: int) -> float:
        """Delay before the next attempt, or raise ApiConnectionError / ApiTimeoutError."""
        if self._may_retry(retry_index) and not _is_permanent_transport_error(exc):
            delay = backoff_delay(retry_index)
            if self._fits(delay):
                _log.debug(
                    "retrying %s %s after %s in %.2fs",
                    self.method,
                    self.url,
                    type(exc).__name__,
                    delay,
                )
                return delay
        raise self._failure(exc, retry_index + 1) from exc

    def _failure(self, exc: httpx.TransportError, attempts: int) -> ApiConnectionError:
        where = self.operation_id or f"{self.method} {self.url}"
        timed_out = isinstance(exc, httpx.TimeoutException)
        cls = ApiTimeoutError if timed_out else ApiConnectionError
        what = "timed out" if timed_out else "connection failed"
        after = (
            f" after {attempts} attempt{'s' if attempts != 1 else ''}"
            if attempts
            else ""
        )
        ended = ""
        if (
            self.deadline_at is not None
            and time.monotonic() >= self.deadline_at - 0.001
        ):
            ended = f" (the call's deadline of {self.deadline:g}s is spent)"
        return cls(
            f"{where} {what}{after}{ended}: {type(exc).__name__}: {exc}",
            cause=exc,
            operation_id=self.operation_id,
            method=self.method,
            url=self.url,
        )

    def on_response(self, response: httpx.Response, retry_index: int) -> _Retry | _Done:
        """Retry (with a delay) or finish with the parsed value; raises typed errors."""
        status = response.status_code
        if not 200 <= status < 300 and self._may_retry(retry_index):
            parsed = _decode_json(response)
            body = None if parsed is _NO_JSON else parsed
            if should_retry_status(status, body, self.retryable_flag):
                delay = retry_after_delay(response.headers, cap=self.max_retry_after)
                if delay is None:
                    delay = backoff_delay(retry_index)
                if self._fits(
                    delay
                ):  # else: the deadline leaves no time; raise the error
                    _log.debug(
                        "retrying %s %s after HTTP %d in %.2fs",
                        self.method,
                        self.url,
                        status,
                        delay,
                    )
                    return _Retry(delay)
        return _Done(
            parse_response(
                response,
                self.responses,
                operation_id=self.operation_id,
                accepted_model=self.accepted_model,
                success_flag=self.success_flag,
                request_id_header=self.request_id_header,
            )
        )


# --------------------------------------------------------------------------------------------
# Operations: what a generated method hands the client
# --------------------------------------------------------------------------------------------


class RequestOptions(TypedDict, total=False):
    """The keyword arguments every generated method takes; each operation's own
    ``TypedDict`` of keyword arguments extends it."""

    extra_headers: Mapping[str, str] | None
    timeout: float | None


@dataclass(frozen=True, slots=True)
class Argument:
    """One parameter of an operation: the method argument ``argument`` (its Python name)
    becomes the parameter ``name`` at ``location``, serialized as :class:`Parameter` says."""

    name: str
    location: ParamLocation
    argument: str
    style: ParamStyle | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    content_type: str | None = None


_OPTIONS: Final = frozenset({"extra_headers", "timeout"})


@dataclass(frozen=True, slots=True)
class Operation:
    """Everything about one operation that does not change between calls.

    A generated module builds one per operation (on first use) and both of its clients' methods
    hand it their arguments, so the request is described once, not once per client. The
    methods take their keyword arguments as ``**kwargs`` typed by a ``TypedDict``, which Python
    does not check: :meth:`check` refuses unknown and missing keywords with the ``TypeError``
    an explicit signature would raise.
    """

    name: str  # the method's name, for error messages
    method: str
    path: str
    operation_id: str
    responses: ApiResponseSpec
    idempotent: bool
    arguments: tuple[Argument, ...] = ()
    #: keyword arguments a call must give
    required: tuple[str, ...] = ()
    body: bool = False
    media_type: str | None = None
    encoding: Mapping[str, Encoding] | None = None
    #: the method takes ``idempotency_key`` (else no key is made up for it)
    idempotency_key: bool = False

    def check(
        self, given: Mapping[str, object], *, without: tuple[str, ...] = ()
    ) -> None:
        """Refuse an argument the method does not take (``without``: ones this variant of
        the method leaves out) and a missing required one, as Python would."""
        known = {a.argument for a in self.arguments} | _OPTIONS
        if self.body:
            known.add("body")
        if self.idempotency_key:
            known.add("idempotency_key")
        for name in given:
            if name not in known or name in without:
                raise TypeError(
                    f"{self.name}() got an unexpected keyword argument {name!r}"
                )
        missing = [
            name for name in self.required if name not in given and name not in without
        ]
        if missing:
            raise TypeError(
                f"{self.name}() missing {len(missing)} required keyword-only argument"
                f"{'s' if len(missing) > 1 else ''}: {', '.join(map(repr, missing))}"
            )

    def request(self, given: Mapping[str, object]) -> dict[str, Any]:
        """The keyword arguments of the client's ``_request`` / ``_stream`` for one call;
        ``given`` holds the method's arguments by Python name (omitted ones are None)."""
        self.check(given)
        request: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "parameters": tuple(
                Parameter(
                    a.name,
                    a.location,
                    given.get(a.argument),
                    style=a.style,
                    explode=a.explode,
                    allow_reserved=a.allow_reserved,
                    content_type=a.content_type,
                )
                for a in self.arguments
            ),
            "responses": self.responses,
            "idempotent": self.idempotent,
            "extra_headers": given.get("extra_headers"),
            "timeout": given.get("timeout"),
            "operation_id": self.operation_id,
        }
        if self.body:
            request["body"] = given.get("body")
            request["media_type"] = self.media_type
            request["encoding"] = self.encoding
        if self.idempotency_key:
            request["idempotency_key"] = given.get("idempotency_key")
        else:
            request["auto_idempotency_key"] = False
        return request


def _header_items(
    headers: Mapping[str, HeaderValue] | None,
) -> Iterator[tuple[str, str]]:
    if headers:
        for name, value in headers.items():
            if value is not None:
                yield name, format_param(value)


class _ClientCore:
    """Configuration and request planning shared by :class:`BaseClient` and
    :class:`AsyncBaseClient`. Generated clients override the class attributes."""

    _servers: ClassVar[Mapping[str, str]] = {}
    _default_server: ClassVar[str | None] = None
    _success_flag: ClassVar[str | None] = None
    _retryable_flag: ClassVar[str | None] = None
    _idempotency_header: ClassVar[str | None] = None
    _track_id_header: ClassVar[str | None] = None
    _request_id_header: ClassVar[str | None] = None
    _accepted_model: ClassVar[type[pydantic.BaseModel] | None] = None
    _user_agent: ClassVar[str] = "apicontract-client"

    base_url: str
    timeout: float | httpx.Timeout
    max_retries: int
    deadline: float | None
    max_response_size: int | None
    max_retry_after: float
    gzip_requests: bool
    accept_gzip: bool
    track_id: str | None

    def _configure(
        self,
        base_url: str | None,
        *,
        server: str | None,
        token: TokenProvider | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        gzip_requests: bool,
        accept_gzip: bool,
        default_headers: Mapping[str, str] | None,
        track_id: str | None,
        deadline: float | None = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if deadline is not None and not deadline > 0:
            raise ValueError("deadline must be a positive number of seconds (or None)")
        if max_response_size is not None and max_response_size < 0:
            raise ValueError(
                "max_response_size must be >= 0 bytes (or None for no limit)"
            )
        if not max_retry_after >= 0:
            raise ValueError("max_retry_after must be >= 0 seconds")
        self.deadline = deadline
        self.max_response_size = max_response_size
        self.max_retry_after = max_retry_after
        self.base_url = resolve_base_url(
            base_url, server, self._servers, self._default_server
        )
        self._token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self.gzip_requests = gzip_requests
        self.accept_gzip = accept_gzip
        self._default_headers = dict(default_headers or {})
        if track_id is not None:
            if self._track_id_header is None:
                raise ValueError("this API has no track id header")
            validate_track_id(track_id)
        self.track_id = track_id

    def _plan(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Primitive] | None,
        query: Mapping[str, QueryValue] | None,
        headers: Mapping[str, HeaderValue] | None,
        body: object,
        parameters: Sequence[Parameter],
        media_type: str | None,
        encoding: Mapping[str, Encoding] | None,
        responses: ApiResponseSpec,
        idempotent: bool | None,
        idempotency_key: str | None,
        auto_idempotency_key: bool,
        extra_headers: Mapping[str, str] | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        operation_id: str | None,
    ) -> _RequestPlan:
        method = method.upper()
        if idempotent is None:
            idempotent = method not in ("POST", "PATCH")
        path_texts, query_pairs, header_pairs, cookie_pairs = serialize_parameters(
            parameters
        )
        url = _fill_url(
            self.base_url,
            path,
            path_params,
            path_texts,
            encode_query(query),
            query_pairs,
        )
        encoded = encode_body(body, media_type or "application/json", encoding=encoding)
        content = None if encoded is None else encoded.content
        if content is not None and self.gzip_requests:
            content = gzip.compress(content, mtime=0)

        merged = httpx.Headers(
            {
                "Accept": accept_header(responses),
                "Accept-Encoding": "gzip" if self.accept_gzip else "identity",
                "User-Agent": self._user_agent,
            }
        )
        merged.update(self._default_headers)
        if encoded is not None:
            merged["Content-Type"] = encoded.content_type
            if self.gzip_requests:
                merged["Content-Encoding"] = "gzip"
        for name, value in _header_items(headers):
            merged[name] = value
        for name, value in header_pairs:
            merged[name] = value
        if cookie_pairs:  # after any default Cookie header, which stays
            merged["Cookie"] = "; ".join([*merged.get_list("cookie"), *cookie_pairs])
        if extra_headers:
            merged.update(extra_headers)

        track_header = self._track_id_header
        if track_header is not None:
            if track_header in merged:
                validate_track_id(merged[track_header])
            elif self.track_id is not None:
                merged[track_header] = self.track_id

        key_header = self._idempotency_header
        key: str | None = None
        if key_header is not None:
            if idempotency_key is not None:
                merged[key_header] = idempotency_key
            if key_header in merged:
                key = merged[key_header]
            elif not idempotent and auto_idempotency_key:
                key = str(uuid.uuid4())
                merged[key_header] = key

        return _RequestPlan(
            method=method,
            url=url,
            headers=merged,
            content=content,
            timeout=self.timeout if timeout is None else timeout,
            responses=responses,
            retry_safe=idempotent or key is not None,
            idempotency_key=key,
            max_retries=self.max_retries if max_retries is None else max_retries,
            operation_id=operation_id,
            token=self._token,
            accepted_model=self._accepted_model,
            success_flag=self._success_flag,
            retryable_flag=self._retryable_flag,
            request_id_header=self._request_id_header,
            deadline=self.deadline,
            max_response_size=self.max_response_size,
            max_retry_after=self.max_retry_after,
        )


# --------------------------------------------------------------------------------------------
# Streamed responses (binary bodies read piece by piece)
# --------------------------------------------------------------------------------------------


class StreamedResponse:
    """A documented 2xx response whose body is read as it arrives (sync).

    Returned by the ``..._stream`` methods of a generated client inside a ``with`` block;
    the connection is released when the block ends.
    """

    def __init__(self, response: httpx.Response, request_id_header: str | None) -> None:
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.content_type: str | None = response.headers.get("content-type")
        self.request_id: str | None = (
            response.headers.get(request_id_header) if request_id_header else None
        )

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body in chunks (decompressed when the server compressed it)."""
        return self.response.iter_bytes(chunk_size)

    def read(self) -> bytes:
        """The whole (rest of the) body."""
        return self.response.read()

    def close(self) -> None:
        """Release the connection (also done when the ``with`` block ends)."""
        self.response.close()


class AsyncStreamedResponse:
    """A documented 2xx response whose body is read as it arrives (async)."""

    def __init__(self, response: httpx.Response, request_id_header: str | None) -> None:
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.content_type: str | None = response.headers.get("content-type")
        self.request_id: str | None = (
            response.headers.get(request_id_header) if request_id_header else None
        )

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body in chunks (decompressed when the server compressed it)."""
        return self.response.aiter_bytes(chunk_size)

    async def read(self) -> bytes:
        """The whole (rest of the) body."""
        return await self.response.aread()

    async def close(self) -> None:
        """Release the connection (also done when the ``async with`` block ends)."""
        await self.response.aclose()


def _streamable(plan: _RequestPlan, response: httpx.Response) -> bool:
    """Whether a response is handed to the caller as a stream: a documented 2xx."""
    status = response.status_code
    return 200 <= status < 300 and (
        documented_response(plan.responses, status) is not _UNDOCUMENTED
    )


# --------------------------------------------------------------------------------------------
# Sync client
# --------------------------------------------------------------------------------------------


class BaseClient(_ClientCore):
    """Synchronous base client over ``httpx.Client``.

    Options (the same for :class:`AsyncBaseClient`):

    * ``base_url`` or ``server`` (a preset name): where to send requests;
    * ``token``: a bearer token, or a callable returning one (called for every attempt);
    * ``timeout``: per attempt (seconds, or an ``httpx.Timeout`` per phase);
    * ``max_retries``: retries after the first attempt, for retryable answers and transport
      errors of calls that are safe to repeat (idempotent, or sent with an Idempotency-Key);
    * ``deadline``: seconds the whole call may take, every attempt and every wait between
      them included (None: no limit). Each attempt's timeout is cut to what is left, and a wait
      that would pass the deadline is not taken: the error at hand is raised instead
      (:class:`ApiTimeoutError` once the time is spent);
    * ``max_retry_after``: the longest wait a server may ask for with ``Retry-After`` or
      ``RateLimit-Reset`` (default :data:`MAX_RETRY_AFTER`, 60 s); a longer request is cut to it;
    * ``max_response_size``: the largest response body read, in bytes once decompressed
      (default :data:`DEFAULT_MAX_RESPONSE_SIZE`, 64 MiB; None: no limit). A larger one (a gzip
      bomb) raises :class:`ResponseTooLargeError` and is not read further. The body a
      ``..._stream`` method hands over is read by the caller, piece by piece, and not limited;
    * ``gzip_requests`` / ``accept_gzip``, ``default_headers``, ``track_id``, ``http_client``.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        server: str | None = None,
        token: TokenProvider | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        gzip_requests: bool = False,
        accept_gzip: bool = True,
        default_headers: Mapping[str, str] | None = None,
        track_id: str | None = None,
        http_client: httpx.Client | None = None,
        deadline: float | None = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> None:
        self._configure(
            base_url,
            server=server,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            gzip_requests=gzip_requests,
            accept_gzip=accept_gzip,
            default_headers=default_headers,
            track_id=track_id,
            deadline=deadline,
            max_response_size=max_response_size,
            max_retry_after=max_retry_after,
        )
        self._owns_client = http_client is None
        self._client = (
            http_client if http_client is not None else httpx.Client(timeout=timeout)
        )

    def close(self) -> None:
        """Close the underlying HTTP client if this client created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _sleep(self, seconds: float) -> None:
        """Wait between attempts (tests replace this to record delays)."""
        time.sleep(seconds)

    def _request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Primitive] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        headers: Mapping[str, HeaderValue] | None = None,
        body: object = None,
        parameters: Sequence[Parameter] = (),
        media_type: str | None = None,
        encoding: Mapping[str, Encoding] | None = None,
        responses: ApiResponseSpec,
        idempotent: bool | None = None,
        idempotency_key: str | None = None,
        auto_idempotency_key: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        operation_id: str | None = None,
    ) -> Any:
        """Perform one logical call (with retries) and return the parsed documented response.

        ``parameters`` carry styled parameters (path, query, header and cookie);
        ``media_type`` (default JSON) and ``encoding`` say how ``body`` is encoded.
        """
        plan = self._plan(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            parameters=parameters,
            media_type=media_type,
            encoding=encoding,
            responses=responses,
            idempotent=idempotent,
            idempotency_key=idempotency_key,
            auto_idempotency_key=auto_idempotency_key,
            extra_headers=extra_headers,
            timeout=timeout,
            max_retries=max_retries,
            operation_id=operation_id,
        )
        retry_index = 0
        while True:
            request = self._client.build_request(
                plan.method,
                plan.url,
                headers=plan.headers_for_attempt(),
                content=plan.content,
                timeout=plan.timeout_for_attempt(),
            )
            outcome: _Retry | _Done
            try:
                response = self._client.send(request, stream=True)
                _read_body(response, plan)
            except httpx.TransportError as exc:
                outcome = _Retry(plan.on_transport_error(exc, retry_index))
            else:
                outcome = plan.on_response(response, retry_index)
            if isinstance(outcome, _Done):
                return outcome.value
            self._sleep(outcome.delay)
            retry_index += 1

    @contextlib.contextmanager
    def _stream(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Primitive] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        headers: Mapping[str, HeaderValue] | None = None,
        body: object = None,
        parameters: Sequence[Parameter] = (),
        media_type: str | None = None,
        encoding: Mapping[str, Encoding] | None = None,
        responses: ApiResponseSpec,
        idempotent: bool | None = None,
        idempotency_key: str | None = None,
        auto_idempotency_key: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        operation_id: str | None = None,
    ) -> Iterator[StreamedResponse]:
        """Like :meth:`_request`, but a documented 2xx answer is handed over unread, as a
        :class:`StreamedResponse`, for the ``with`` block; other answers are read and retried
        or raised exactly as :meth:`_request` does."""
        plan = self._plan(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            parameters=parameters,
            media_type=media_type,
            encoding=encoding,
            responses=responses,
            idempotent=idempotent,
            idempotency_key=idempotency_key,
            auto_idempotency_key=auto_idempotency_key,
            extra_headers=extra_headers,
            timeout=timeout,
            max_retries=max_retries,
            operation_id=operation_id,
        )
        retry_index = 0
        while True:
            request = self._client.build_request(
                plan.method,
                plan.url,
                headers=plan.headers_for_attempt(),
                content=plan.content,
                timeout=plan.timeout_for_attempt(),
            )
            try:
                response = self._client.send(request, stream=True)
            except httpx.TransportError as exc:
                delay = plan.on_transport_error(exc, retry_index)
            else:
                try:
                    if _streamable(plan, response):
                        yield StreamedResponse(response, plan.request_id_header)
                        return
                    _read_body(response, plan)
                    outcome = plan.on_response(response, retry_index)
                    if isinstance(
                        outcome, _Done
                    ):  # pragma: no cover - only 2xx are done
                        yield StreamedResponse(response, plan.request_id_header)
                        return
                    delay = outcome.delay
                finally:
                    response.close()
            self._sleep(delay)
            retry_index += 1

    def _paginate(
        self,
        fetch: Callable[[str | None], object],
        *,
        next_field: str = "next_page",
        items_field: str = "data",
        max_pages: int | None = None,
    ) -> Iterator[Any]:
        """Iterate the items of a cursor-paginated list operation."""
        return iter_pages(
            fetch, next_field=next_field, items_field=items_field, max_pages=max_pages
        )


# --------------------------------------------------------------------------------------------
# Async client
# --------------------------------------------------------------------------------------------


class AsyncBaseClient(_ClientCore):
    """Asynchronous base client over ``httpx.AsyncClient``."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        server: str | None = None,
        token: TokenProvider | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        gzip_requests: bool = False,
        accept_gzip: bool = True,
        default_headers: Mapping[str, str] | None = None,
        track_id: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        deadline: float | None = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> None:
        self._configure(
            base_url,
            server=server,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            gzip_requests=gzip_requests,
            accept_gzip=accept_gzip,
            default_headers=default_headers,
            track_id=track_id,
            deadline=deadline,
            max_response_size=max_response_size,
            max_retry_after=max_retry_after,
        )
        self._owns_client = http_client is None
        self._client = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(timeout=timeout)
        )

    async def close(self) -> None:
        """Close the underlying HTTP client if this client created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _sleep(self, seconds: float) -> None:
        """Wait between attempts (tests replace this to record delays)."""
        import asyncio  # imported lazily: keeps importing the runtime cheap

        await asyncio.sleep(seconds)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Primitive] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        headers: Mapping[str, HeaderValue] | None = None,
        body: object = None,
        parameters: Sequence[Parameter] = (),
        media_type: str | None = None,
        encoding: Mapping[str, Encoding] | None = None,
        responses: ApiResponseSpec,
        idempotent: bool | None = None,
        idempotency_key: str | None = None,
        auto_idempotency_key: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        operation_id: str | None = None,
    ) -> Any:
        """Perform one logical call (with retries) and return the parsed documented response.

        ``parameters`` carry styled parameters (path, query, header and cookie);
        ``media_type`` (default JSON) and ``encoding`` say how ``body`` is encoded.
        """
        plan = self._plan(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            parameters=parameters,
            media_type=media_type,
            encoding=encoding,
            responses=responses,
            idempotent=idempotent,
            idempotency_key=idempotency_key,
            auto_idempotency_key=auto_idempotency_key,
            extra_headers=extra_headers,
            timeout=timeout,
            max_retries=max_retries,
            operation_id=operation_id,
        )
        retry_index = 0
        while True:
            request = self._client.build_request(
                plan.method,
                plan.url,
                headers=plan.headers_for_attempt(),
                content=plan.content,
                timeout=plan.timeout_for_attempt(),
            )
            outcome: _Retry | _Done
            try:
                response = await self._client.send(request, stream=True)
                await _aread_body(response, plan)
            except httpx.TransportError as exc:
                outcome = _Retry(plan.on_transport_error(exc, retry_index))
            else:
                outcome = plan.on_response(response, retry_index)
            if isinstance(outcome, _Done):
                return outcome.value
            await self._sleep(outcome.delay)
            retry_index += 1

    @contextlib.asynccontextmanager
    async def _stream(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Primitive] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        headers: Mapping[str, HeaderValue] | None = None,
        body: object = None,
        parameters: Sequence[Parameter] = (),
        media_type: str | None = None,
        encoding: Mapping[str, Encoding] | None = None,
        responses: ApiResponseSpec,
        idempotent: bool | None = None,
        idempotency_key: str | None = None,
        auto_idempotency_key: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        operation_id: str | None = None,
    ) -> AsyncIterator[AsyncStreamedResponse]:
        """Like :meth:`_request`, but a documented 2xx answer is handed over unread, as an
        :class:`AsyncStreamedResponse`, for the ``async with`` block; other answers are read
        and retried or raised exactly as :meth:`_request` does."""
        plan = self._plan(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            parameters=parameters,
            media_type=media_type,
            encoding=encoding,
            responses=responses,
            idempotent=idempotent,
            idempotency_key=idempotency_key,
            auto_idempotency_key=auto_idempotency_key,
            extra_headers=extra_headers,
            timeout=timeout,
            max_retries=max_retries,
            operation_id=operation_id,
        )
        retry_index = 0
        while True:
            request = self._client.build_request(
                plan.method,
                plan.url,
                headers=plan.headers_for_attempt(),
                content=plan.content,
                timeout=plan.timeout_for_attempt(),
            )
            try:
                response = await self._client.send(request, stream=True)
            except httpx.TransportError as exc:
                delay = plan.on_transport_error(exc, retry_index)
            else:
                try:
                    if _streamable(plan, response):
                        yield AsyncStreamedResponse(response, plan.request_id_header)
                        return
                    await _aread_body(response, plan)
                    outcome = plan.on_response(response, retry_index)
                    if isinstance(
                        outcome, _Done
                    ):  # pragma: no cover - only 2xx are done
                        yield AsyncStreamedResponse(response, plan.request_id_header)
                        return
                    delay = outcome.delay
                finally:
                    await response.aclose()
            await self._sleep(delay)
            retry_index += 1

    def _paginate(
        self,
        fetch: Callable[[str | None], Awaitable[object]],
        *,
        next_field: str = "next_page",
        items_field: str = "data",
        max_pages: int | None = None,
    ) -> AsyncIterator[Any]:
        """Iterate the items of a cursor-paginated list operation."""
        return aiter_pages(
            fetch, next_field=next_field, items_field=items_field, max_pages=max_pages
        )


# --------------------------------------------------------------------------------------------
# Pagination
# --------------------------------------------------------------------------------------------


def page_field(page: object, wire_name: str) -> Any:
    """A field of a page by its wire name: generated models keep wire names as aliases (the
    Python attribute may be spelled differently); plain mappings and objects work too."""
    fields = getattr(type(page), "model_fields", None)
    if isinstance(fields, Mapping):
        for name, info in fields.items():
            if name == wire_name or getattr(info, "alias", None) == wire_name:
                return getattr(page, name)
    if isinstance(page, Mapping):
        return page.get(wire_name)
    return getattr(page, wire_name, None)


class _CursorGuard:
    """Stops pagination when a cursor repeats or the page budget is spent."""

    __slots__ = ("max_pages", "next_field", "pages", "seen")

    def __init__(self, max_pages: int | None, next_field: str) -> None:
        self.seen: set[str] = set()
        self.pages = 0
        self.max_pages = max_pages
        self.next_field = next_field

    def next_cursor(self, page: object) -> str | None:
        """The cursor to fetch next, or None at the end; raises PaginationError on a loop."""
        self.pages += 1
        value = page_field(page, self.next_field)
        if not value:
            return None
        cursor = str(value)
        if cursor in self.seen:
            raise PaginationError(
                f"server returned cursor {cursor!r} again after {self.pages} pages; "
                "stopping to avoid an endless loop"
            )
        self.seen.add(cursor)
        if self.max_pages is not None and self.pages >= self.max_pages:
            return None
        return cursor


def iter_pages(
    fetch: Callable[[str | None], object],
    *,
    next_field: str = "next_page",
    items_field: str = "data",
    max_pages: int | None = None,
) -> Iterator[Any]:
    """Yield every item of ``items_field`` across pages, following ``next_field`` until it is
    empty (both wire names of the page's fields).

    ``fetch`` calls the list operation with a cursor (None for the first page).
    """
    guard = _CursorGuard(max_pages, next_field)
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page_field(page, items_field) or ()
        cursor = guard.next_cursor(page)
        if cursor is None:
            return


async def aiter_pages(
    fetch: Callable[[str | None], Awaitable[object]],
    *,
    next_field: str = "next_page",
    items_field: str = "data",
    max_pages: int | None = None,
) -> AsyncIterator[Any]:
    """Async version of :func:`iter_pages`."""
    guard = _CursorGuard(max_pages, next_field)
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        for item in page_field(page, items_field) or ():
            yield item
        cursor = guard.next_cursor(page)
        if cursor is None:
            return

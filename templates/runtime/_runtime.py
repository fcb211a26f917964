"""Runtime support shared by every generated API client.

This module is copied verbatim into each generated package. It depends only on the
standard library, ``httpx`` and ``pydantic`` (v2).

One base client (:class:`BaseClient` for sync code, :class:`AsyncBaseClient` for async code)
owns retries, timeouts, idempotency keys, authentication and typed errors. Generated
per-operation methods stay thin and call :meth:`BaseClient._request`.

Everything that is a pure decision (URL building, header building, retry decision, backoff
delay, error mapping, response parsing) lives in plain functions and in :class:`_RequestPlan`,
used by both clients; only the I/O loop differs between them.
"""

from __future__ import annotations

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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Self, TypeAlias, TypeVar
from urllib.parse import quote

import httpx
import pydantic

__all__ = [
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
    "AsyncBaseClient",
    "AuthenticationError",
    "BadRequestError",
    "BaseClient",
    "ConflictError",
    "InternalServerError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "aiter_pages",
    "backoff_delay",
    "build_url",
    "encode_json_body",
    "encode_path_param",
    "encode_query",
    "error_for_status",
    "format_param",
    "iter_pages",
    "page_field",
    "parse_response",
    "resolve_base_url",
    "retry_after_delay",
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
"""Cap applied to a server-provided ``Retry-After`` / ``RateLimit-Reset`` delay, in seconds."""
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
JsonBody: TypeAlias = pydantic.BaseModel | Mapping[str, object] | Sequence[object] | None
"""A request body: a pydantic model, a JSON object or array (may nest models), or None."""
ApiResponseSpec: TypeAlias = Mapping[int, object]
"""Documented responses of an operation: status code -> type to validate the body with
(a pydantic model, any type ``pydantic.TypeAdapter`` accepts, ``str``/``bytes`` for raw
bodies), or ``None`` for a response without a body."""
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

    def __init__(self, message: str, *, validation_error: Exception | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.validation_error = validation_error


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
    status_code: int, operation_id: str | None, method: str, url: str, body: object, text: str
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
        request_id=response.headers.get(request_id_header) if request_id_header else None,
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
) -> str:
    """Fill the ``{name}`` placeholders of ``path`` and append the encoded query."""
    params = path_params or {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise ValueError(f"missing path parameter {name!r} for {path!r}")
        return encode_path_param(params[name])

    filled = _PATH_PARAM_RE.sub(substitute, path)
    url = base_url.rstrip("/") + "/" + filled.lstrip("/")
    query_string = _query_string(encode_query(query))
    if query_string:
        url += ("&" if "?" in url else "?") + query_string
    return url


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
    text = json.dumps(_jsonable(body), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = text.encode("utf-8")
    return gzip.compress(data, mtime=0) if gzip_body else data


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


def should_retry_status(status_code: int, body: object, retryable_flag: str | None) -> bool:
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
    headers: httpx.Headers, *, now: Callable[[], float] = time.time
) -> float | None:
    """The delay the server asks for (``Retry-After`` seconds or HTTP-date, else
    ``RateLimit-Reset`` seconds), capped at :data:`MAX_RETRY_AFTER`; None when absent/invalid."""
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
    return min(max(delay, 0.0), MAX_RETRY_AFTER)


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
    202 with an ``accepted_model`` -> :class:`Accepted`.
    """
    status = response.status_code
    parsed = _decode_json(response)
    body = None if parsed is _NO_JSON else parsed
    if not 200 <= status < 300:
        raise error_for_status(
            response, body, operation_id=operation_id, request_id_header=request_id_header
        )
    if success_flag is not None and isinstance(body, Mapping) and body.get(success_flag) is False:
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
    if status not in responses:
        text = _response_text(response)
        documented = ", ".join(str(s) for s in sorted(responses)) or "none"
        raise UnexpectedStatusError(
            f"HTTP {status} from {operation_id or method + ' ' + url} is not a documented "
            f"response (documented: {documented})",
            text=text,
            **common,
        )
    tp = responses[status]
    if tp is None:
        return None
    value: object
    if tp is bytes and (parsed is _NO_JSON or not isinstance(parsed, str)):
        value = response.content
    elif tp is str and parsed is _NO_JSON:
        value = _response_text(response)
    else:
        if parsed is _NO_JSON and response.content.strip():
            text = _response_text(response)
            raise ResponseValidationError(
                f"HTTP {status} from {operation_id or method + ' ' + url}: body is not valid "
                f"JSON: {_truncate(text)}",
                text=text,
                **common,
            )
        try:
            value = _validate(tp, body)
        except pydantic.ValidationError as exc:
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
        "headers",
        "idempotency_key",
        "max_retries",
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
            _log.debug(
                "retrying %s %s after %s in %.2fs", self.method, self.url, type(exc).__name__, delay
            )
            return delay
        where = self.operation_id or f"{self.method} {self.url}"
        attempts = retry_index + 1
        cls = ApiTimeoutError if isinstance(exc, httpx.TimeoutException) else ApiConnectionError
        what = "timed out" if cls is ApiTimeoutError else "connection failed"
        raise cls(
            f"{where} {what} after {attempts} attempt{'s' if attempts != 1 else ''}: "
            f"{type(exc).__name__}: {exc}",
            cause=exc,
            operation_id=self.operation_id,
            method=self.method,
            url=self.url,
        ) from exc

    def on_response(self, response: httpx.Response, retry_index: int) -> _Retry | _Done:
        """Retry (with a delay) or finish with the parsed value; raises typed errors."""
        status = response.status_code
        if not 200 <= status < 300 and self._may_retry(retry_index):
            parsed = _decode_json(response)
            body = None if parsed is _NO_JSON else parsed
            if should_retry_status(status, body, self.retryable_flag):
                delay = retry_after_delay(response.headers)
                if delay is None:
                    delay = backoff_delay(retry_index)
                _log.debug(
                    "retrying %s %s after HTTP %d in %.2fs", self.method, self.url, status, delay
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


def _header_items(headers: Mapping[str, HeaderValue] | None) -> Iterator[tuple[str, str]]:
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
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = resolve_base_url(base_url, server, self._servers, self._default_server)
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
        body: JsonBody,
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
        url = build_url(self.base_url, path, path_params, query)
        content = encode_json_body(body, gzip_body=self.gzip_requests)

        merged = httpx.Headers(
            {
                "Accept": "application/json",
                "Accept-Encoding": "gzip" if self.accept_gzip else "identity",
                "User-Agent": self._user_agent,
            }
        )
        merged.update(self._default_headers)
        if content is not None:
            merged["Content-Type"] = "application/json; charset=utf-8"
            if self.gzip_requests:
                merged["Content-Encoding"] = "gzip"
        for name, value in _header_items(headers):
            merged[name] = value
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
        )


# --------------------------------------------------------------------------------------------
# Sync client
# --------------------------------------------------------------------------------------------


class BaseClient(_ClientCore):
    """Synchronous base client over ``httpx.Client``."""

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
        )
        self._owns_client = http_client is None
        self._client = http_client if http_client is not None else httpx.Client(timeout=timeout)

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
        body: JsonBody = None,
        responses: ApiResponseSpec,
        idempotent: bool | None = None,
        idempotency_key: str | None = None,
        auto_idempotency_key: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        operation_id: str | None = None,
    ) -> Any:
        """Perform one logical call (with retries) and return the parsed documented response."""
        plan = self._plan(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
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
                timeout=plan.timeout,
            )
            outcome: _Retry | _Done
            try:
                response = self._client.send(request)
            except httpx.TransportError as exc:
                outcome = _Retry(plan.on_transport_error(exc, retry_index))
            else:
                outcome = plan.on_response(response, retry_index)
            if isinstance(outcome, _Done):
                return outcome.value
            self._sleep(outcome.delay)
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
        )
        self._owns_client = http_client is None
        self._client = (
            http_client if http_client is not None else httpx.AsyncClient(timeout=timeout)
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
        body: JsonBody = None,
        responses: ApiResponseSpec,
        idempotent: bool | None = None,
        idempotency_key: str | None = None,
        auto_idempotency_key: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        operation_id: str | None = None,
    ) -> Any:
        """Perform one logical call (with retries) and return the parsed documented response."""
        plan = self._plan(
            method,
            path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
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
                timeout=plan.timeout,
            )
            outcome: _Retry | _Done
            try:
                response = await self._client.send(request)
            except httpx.TransportError as exc:
                outcome = _Retry(plan.on_transport_error(exc, retry_index))
            else:
                outcome = plan.on_response(response, retry_index)
            if isinstance(outcome, _Done):
                return outcome.value
            await self._sleep(outcome.delay)
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

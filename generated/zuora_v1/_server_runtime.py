"""Runtime support shared by every generated FastAPI server.

This module is copied verbatim into each generated package, next to the `server.py` it serves.
It depends only on the standard library, FastAPI/Starlette and pydantic (v2): never on
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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, Generic, Literal, TypeAlias, TypeVar

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
    "ErrorBody",
    "Operation",
    "Param",
    "Problem",
    "Reply",
    "ReplyBody",
    "RequestContext",
    "ServerSpec",
    "build_app",
    "default_code",
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

ReplyBody: TypeAlias = pydantic.BaseModel | dict[str, Any] | list[Any] | None
"""A response body: a model (sent by alias), plain JSON data, or None for no body."""


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    """An answer with an explicit status: 201/202/204, an error, a v1-style in-band failure."""

    status: int
    body: ReplyBody = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)


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
    """A list: repeated query keys, or a comma-separated header."""
    argument: bool = True
    """A field of the request class (else the `RequestContext` carries it)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Body:
    """The JSON request body of an operation."""

    type: Any
    _: dataclasses.KW_ONLY
    required: bool
    media_type: str = "application/json"


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
    query_model: type[pydantic.BaseModel] | None = None
    """Checks the query parameters together (after each was parsed on its own)."""
    context_field: str = "context"
    """The field of the request class that gets the `RequestContext`."""


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


def _coerce(tp: Any, raw: str | list[str]) -> object:
    adapter = _adapter(tp)
    try:
        return adapter.validate_python(raw)
    except pydantic.ValidationError as exc:
        error = exc
    guessed = [_scalar(v) for v in raw] if isinstance(raw, list) else _scalar(raw)
    if guessed != raw:
        with contextlib.suppress(pydantic.ValidationError):
            return adapter.validate_python(guessed)
    raise error


def _raw_value(
    spec: ServerSpec[Any],
    param: Param,
    request: Request,
    headers: Mapping[str, str],
    query: Mapping[str, list[str]],
    path_keys: Mapping[str, str],
) -> str | list[str] | None:
    if param.location == "path":
        return request.path_params.get(path_keys[param.name])
    if param.location == "query":
        values = query.get(param.wire, [])
        if param.many:
            return values or None
        if len(values) > 1:
            raise _Invalid(
                spec.invalid_request_status,
                [
                    Problem(
                        "invalid_parameter",
                        f"{param.wire}: give it at most once",
                        param.wire,
                    )
                ],
            )
        return values[0] if values else None
    if param.location == "header":
        value = headers.get(param.wire.lower())
        if value is None:
            return None
        return [v.strip() for v in value.split(",")] if param.many else value
    return request.cookies.get(param.wire)


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


async def _parse_body(
    spec: ServerSpec[Any], body: Body, request: Request, limit: int
) -> object:
    data = await _read_body(spec, request, limit)
    if not data.strip():
        if body.required:
            raise _Invalid(
                spec.invalid_request_status,
                [Problem("invalid_request_body", "The request body is required.")],
            )
        return None
    if not _is_json_media(request.headers.get("content-type", ""), body.media_type):
        raise _Invalid(
            spec.invalid_request_status,
            [
                Problem(
                    "invalid_request_body", f"Content-Type must be {body.media_type}."
                )
            ],
        )
    try:
        return _adapter(body.type).validate_json(data)
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


def _query_lists(request: Request) -> dict[str, list[str]]:
    """Query parameter name -> its values in order, read in one pass."""
    found: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        found.setdefault(name, []).append(value)
    return found


async def _parse(
    spec: ServerSpec[Any],
    op: Operation[Any],
    path_keys: Mapping[str, str],
    request: Request,
    limit: int,
) -> object:
    headers = _first_headers(request)
    query = _query_lists(request)
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
    problems: list[Problem] = []
    values: dict[str, object] = {}
    raw_query: dict[str, object] = {}
    for param in op.params:
        raw = _raw_value(spec, param, request, headers, query, path_keys)
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
            raw_query[param.wire] = raw
        try:
            values[param.name] = _coerce(param.type, raw)
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
    if op.body is not None:
        arguments["body"] = await _parse_body(spec, op.body, request, limit)
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


def _endpoint(
    spec: ServerSpec[_H],
    op: Operation[_H],
    handlers: _H,
    *,
    validate_responses: bool,
    max_body_size: int,
) -> Callable[[Request], Awaitable[Response]]:
    path_keys = _path_keys(op)

    async def endpoint(request: Request) -> Response:
        try:
            parsed = await _parse(spec, op, path_keys, request, max_body_size)
        except _Invalid as exc:
            return _error_response(spec, exc.status, exc.problems)
        try:
            try:
                answer = await op.call(handlers, parsed)
            except ApiFailure as exc:
                answer = exc.reply
            return _respond(spec, op, answer, validate_responses)
        except Exception:
            spec.logger.exception("%s failed", op.operation_id)
            return _error_response(
                spec, 500, [Problem("internal_error", "An unexpected error occurred.")]
            )

    return endpoint


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match is Match.PARTIAL:
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


class _ResponseHeaders:
    """Adds the request id header (a new uuid4) and echoes the track id to every answer."""

    def __init__(
        self, app: ASGIApp, request_id_header: str | None, track_id_header: str | None
    ) -> None:
        self.app = app
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
    """
    app = FastAPI(
        title=spec.title,
        version=spec.version,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a trailing-slash redirect would be an undocumented 307
    )
    for op in sorted(spec.operations, key=_route_order):
        app.add_route(
            _route_path(op, _path_keys(op)),
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

    async def http_error(request: Request, exc: Exception) -> Response:
        return _http_error(spec, request, exc)

    async def unhandled_error(request: Request, exc: Exception) -> Response:
        spec.logger.error("unhandled error", exc_info=exc)
        return _error_response(
            spec, 500, [Problem("internal_error", "An unexpected error occurred.")]
        )

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unhandled_error)
    app.add_middleware(_Compress, minimum_size=GZIP_MINIMUM_SIZE)
    app.add_middleware(
        _ResponseHeaders,
        request_id_header=spec.request_id_header,
        track_id_header=spec.track_id_header,
    )
    return app

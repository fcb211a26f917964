"""The intermediate representation: everything templates may see, and nothing else.

It is built from a linted spec by `generator.ir.build`. Names are `generator.naming` types;
literal spec text (paths, wire names, descriptions) stays plain data for the escaping filters.
Python type annotations are `PyType` trees whose `annotation` is produced in one audited place
(`repr()` for every literal), never by string concatenation in templates.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from generator.naming import ClassName, ModuleName, PythonIdentifier

#: how server.py names `models._server`, the models only the server uses
SERVER_MODELS = "server_models"


@dataclass(frozen=True)
class PyType:
    """A Python type: a name (builtin, `models.X`, runtime name), with arguments, a literal or a
    union. `annotation` renders it; literals go through `repr()` so spec text stays data."""

    name: str = ""
    args: tuple[PyType, ...] = ()
    literals: tuple[str | int | float | bool, ...] = ()
    union: tuple[PyType, ...] = ()

    @property
    def annotation(self) -> str:
        if self.union:
            parts: list[str] = []
            for member in self.union:
                text = member.annotation
                if text not in parts:
                    parts.append(text)
            return " | ".join(parts)
        if self.literals:
            return "Literal[" + ", ".join(repr(v) for v in self.literals) + "]"
        if self.args:
            return f"{self.name}[{', '.join(a.annotation for a in self.args)}]"
        return self.name

    @property
    def uses_literal(self) -> bool:
        return bool(self.literals) or any(t.uses_literal for t in (*self.args, *self.union))

    @staticmethod
    def of(name: str, *args: PyType) -> PyType:
        return PyType(name=name, args=args)

    @staticmethod
    def model(name: ClassName) -> PyType:
        return PyType(name=f"models.{name}")

    @staticmethod
    def server_model(name: ClassName) -> PyType:
        """A model only the generated server uses (an operation's query parameters): not a
        public name of `models`, but of its `models._server` (`server_models` in server.py)."""
        return PyType(name=f"{SERVER_MODELS}.{name}")

    @staticmethod
    def literal(*values: str | int | float | bool) -> PyType:
        return PyType(literals=values)

    @staticmethod
    def one_of(*types: PyType) -> PyType:
        flat: list[PyType] = []
        for t in types:
            flat.extend(t.union or (t,))
        return flat[0] if len(flat) == 1 else PyType(union=tuple(flat))


ANY = PyType.of("Any")
NONE = PyType.of("None")
STR = PyType.of("str")


class Location(enum.StrEnum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"


class Kind(enum.StrEnum):
    """The shape of a parameter's value (OpenAPI's style table has a row for each)."""

    PRIMITIVE = "primitive"
    ARRAY = "array"
    OBJECT = "object"


class BodyKind(enum.StrEnum):
    """How a body is put on the wire (`generator.openapi.media` classifies media types)."""

    JSON = "json"
    FORM = "form"
    MULTIPART = "multipart"
    TEXT = "text"
    BINARY = "binary"


#: the style OpenAPI gives a parameter of each location when it declares none
DEFAULT_STYLES = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}


class Role(enum.StrEnum):
    """Parameters the runtime handles itself rather than as plain arguments."""

    PLAIN = "plain"
    IDEMPOTENCY_KEY = "idempotency_key"
    TRACK_ID = "track_id"
    ASYNC = "async"
    TRANSPORT = "transport"  # Accept-Encoding / Content-Encoding: the runtime's gzip options


@dataclass(frozen=True)
class Parameter:
    wire_name: str
    python_name: PythonIdentifier
    location: Location
    type: PyType
    required: bool
    description: str = ""
    deprecated: bool = False
    #: serialization, OpenAPI's defaults filled in
    style: str = "form"
    explode: bool = True
    allow_reserved: bool = False
    #: the media type of a parameter declared with `content` (its value is sent as one string)
    content_type: str | None = None
    kind: Kind = Kind.PRIMITIVE
    role: Role = Role.PLAIN
    #: the schema's scalar constraints as pydantic `Field` keywords (pattern, max_length, ge,
    #: ...); the generated server checks header, path and cookie parameters against them
    constraints: tuple[tuple[str, str | int | float], ...] = ()

    @property
    def style_arg(self) -> str | None:
        """The style, or None where it is the location's default (generated code says less)."""
        if self.content_type is not None:
            return None
        return None if self.style == DEFAULT_STYLES[self.location.value] else self.style

    @property
    def explode_arg(self) -> bool | None:
        """explode, or None where it is the style's default."""
        if self.content_type is not None:
            return None
        return None if self.explode == (self.style in ("form", "cookie")) else self.explode


@dataclass(frozen=True)
class ServerParam:
    """One `Param(...)` of the generated server's operation table: what its runtime needs to
    know of a path, query, header or cookie parameter."""

    wire_name: str
    python_name: PythonIdentifier
    location: Location
    type: PyType
    required: bool
    #: a list: repeated query keys, or a comma-separated header
    many: bool
    #: a field of the request class (else the runtime's `RequestContext` carries it)
    argument: bool
    #: pydantic `Field` keywords the value must satisfy (header, path and cookie parameters;
    #: query parameters are checked by the operation's query model)
    constraints: tuple[tuple[str, str | int | float], ...] = ()
    #: serialization where it differs from the defaults (None: the default)
    style: str | None = None
    explode: bool | None = None
    #: `object` for an object parameter (arrays say `many`)
    kind: Kind | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class ServerParamUse:
    """A parameter of one operation in the server's table: a reference to the module-level
    constant `shared` when several operations take the same parameter, else inline."""

    param: ServerParam
    shared: PythonIdentifier | None = None


@dataclass(frozen=True)
class SharedServerParam:
    """A `Param(...)` that two or more operations take, declared once as the module-level
    constant `constant` (an upper-case `_PARAM_...` name, unique in the module)."""

    constant: PythonIdentifier
    param: ServerParam


@dataclass(frozen=True)
class BodyEncoding:
    """How one property of a form or multipart body is sent (an OpenAPI Encoding Object):
    by `style`/`explode`/`allow_reserved` when the spec gives any of them, else as
    `content_type`."""

    name: str  # the property's name
    content_type: str | None = None
    style: str | None = None
    explode: bool | None = None
    allow_reserved: bool | None = None

    @property
    def arguments(self) -> tuple[tuple[str, str | bool], ...]:
        """The keyword arguments of the client runtime's `Encoding(...)` (those given)."""
        given = (
            ("content_type", self.content_type),
            ("style", self.style),
            ("explode", self.explode),
            ("allow_reserved", self.allow_reserved),
        )
        return tuple((k, v) for k, v in given if v is not None)

    @property
    def server_arguments(self) -> tuple[tuple[str, str | bool], ...]:
        """The same for the server runtime's `Encoding(...)`, which has no allow_reserved."""
        return tuple(a for a in self.arguments if a[0] != "allow_reserved")


@dataclass(frozen=True)
class Body:
    #: what the client method takes
    type: PyType
    #: the media type sent (Content-Type)
    media_type: str
    required: bool
    description: str = ""
    kind: BodyKind = BodyKind.JSON
    #: what the server validates the body into (None: `type`)
    server_type: PyType | None = None
    encoding: tuple[BodyEncoding, ...] = ()

    @property
    def parsed_type(self) -> PyType:
        return self.server_type or self.type


@dataclass(frozen=True)
class Response:
    status: str  # "200", "4XX", "default"
    status_code: int | None  # None for ranges and default
    type: PyType | None  # None: no body
    description: str = ""
    media_type: str | None = None
    #: how the body is read: JSON is parsed and validated, text is `str`, binary `bytes`
    kind: BodyKind = BodyKind.JSON
    #: whether the client returns this answer (a documented 2xx, exact or `2XX`; `default`
    #: when the operation documents no 2xx answer at all)
    returned: bool = False

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")

    @property
    def client_key(self) -> int | str:
        """The key of the client's `responses` mapping: 200, "2XX" or "default"."""
        return self.status_code if self.status_code is not None else self.status

    @property
    def raw(self) -> bool:
        """A text or binary body (the client returns it as `str` or `bytes`)."""
        return self.kind in (BodyKind.TEXT, BodyKind.BINARY)


@dataclass(frozen=True)
class Pagination:
    """A list operation taking a cursor argument, whose page names the next cursor in
    `next_field` and holds its items in `items_field` (wire names)."""

    cursor: PythonIdentifier
    item: PyType
    next_field: str = "next_page"
    items_field: str = "data"


#: the client runtime's error class of each status it names (`_runtime._STATUS_ERRORS`)
_ERROR_CLASSES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    python_name: PythonIdentifier
    method: str  # upper case
    path: str
    summary: str
    description: str
    tags: tuple[str, ...]
    deprecated: bool
    parameters: tuple[Parameter, ...]
    body: Body | None
    responses: tuple[Response, ...]
    #: the documented synchronous success answer(s), the in-band error form removed
    result: PyType
    #: the 202 answer of an `async` request, when documented
    accepted: PyType | None
    idempotent: bool
    pagination: Pagination | None = None
    #: the model of all query parameters together (names, types and constraints), if any
    query_model: PyType | None = None
    #: the server's `Param`s of this operation (transport parameters left out), in order
    server_params: tuple[ServerParamUse, ...] = ()
    #: the name of the streaming variant (a binary success answer read as it arrives)
    stream_name: PythonIdentifier | None = None
    #: the client's `TypedDict` of this operation's keyword arguments, and of its `iter_`
    #: method's (paginated operations only); unique among the client module's names
    arguments_class: ClassName | None = None
    iter_arguments_class: ClassName | None = None

    @property
    def arguments(self) -> tuple[Parameter, ...]:
        """Parameters that become method arguments (the runtime handles the others)."""
        return tuple(p for p in self.parameters if p.role in (Role.PLAIN, Role.ASYNC))

    @property
    def required_path(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.arguments if p.location is Location.PATH)

    @property
    def keyword_arguments(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.arguments if p.location is not Location.PATH)

    def of_role(self, role: Role | str) -> Parameter | None:
        return next((p for p in self.parameters if p.role == role), None)

    @property
    def success_statuses(self) -> tuple[Response, ...]:
        return tuple(r for r in self.responses if r.is_success)

    @property
    def returned(self) -> tuple[Response, ...]:
        """The answers the client returns (the others raise)."""
        return tuple(r for r in self.responses if r.returned)

    @property
    def raw_media(self) -> tuple[Response, ...]:
        """Documented answers whose body is text or binary (the server sends them as such)."""
        return tuple(r for r in self.responses if r.raw and r.type is not None)

    @property
    def raises(self) -> tuple[tuple[str, str], ...]:
        """What a call raises for the documented error answers, for its docstring: the
        runtime's error class of each status with the spec's descriptions, then the errors
        every call may raise."""
        found: dict[str, list[str]] = {}
        for r in self.responses:
            if r.returned:
                continue
            name = _ERROR_CLASSES.get(r.status_code or 0)
            if name is None:
                name = "InternalServerError" if r.status.startswith("5") else "ApiStatusError"
            text = f"{r.status}: {r.description}".strip() if r.description else r.status
            found.setdefault(name, []).append(text)
        documented = tuple((name, "; ".join(texts)) for name, texts in found.items())
        return (
            *documented,
            (
                "ApiConnectionError",
                "the server cannot be reached (ApiTimeoutError: no answer "
                "in time), after the retries",
            ),
            ("ResponseValidationError", "an answer that does not match its documented type"),
        )

    @property
    def default_status(self) -> int | None:
        """The status of a handler's answer that is not a `Reply`: the first exact 2xx
        other than 202."""
        for r in self.responses:
            if r.is_success and r.status_code is not None and r.status_code != 202:
                return r.status_code
        return None


@dataclass(frozen=True)
class Server:
    url: str
    name: PythonIdentifier
    description: str = ""


class ErrorShape(enum.StrEnum):
    """How the API words a failure, so generated servers answer invalid input in its own shape."""

    #: `{type, errors: [{code, parameter, message}], retryable}` (Zuora Quickstart)
    TYPED_ERRORS = "typed_errors"
    #: `{success: false, reasons: [{code, message}]}` (Zuora v1)
    REASONS = "reasons"
    #: nothing recognisable: `{"message": ...}`
    PLAIN = "plain"


@dataclass(frozen=True)
class Conventions:
    """API-wide conventions the runtime and server honour, found in the spec."""

    success_flag: str | None = None
    retryable_flag: str | None = None
    idempotency_header: str | None = None
    track_id_header: str | None = None
    request_id_header: str | None = None
    #: the header naming the tenant entity a request acts on (Zuora-Entity-Ids)
    entity_id_header: str | None = None
    error_shape: ErrorShape = ErrorShape.PLAIN
    #: status the spec uses for invalid requests (400, else 422)
    invalid_request_status: int = 400
    #: wire name of the 202 body's request id field, if any
    accepted_model: PyType | None = None


@dataclass(frozen=True)
class Api:
    package: ModuleName
    title: str
    version: str
    description: str
    openapi_version: str
    servers: tuple[Server, ...]
    operations: tuple[Operation, ...]
    conventions: Conventions
    bearer_auth: bool
    spec_digest: str
    models: tuple[ClassName, ...] = field(default=())
    #: server `Param`s taken by two or more operations, each declared once (sorted)
    shared_server_params: tuple[SharedServerParam, ...] = field(default=())

    @property
    def uses_literal(self) -> bool:
        return any(p.type.uses_literal for op in self.operations for p in op.parameters) or any(
            op.result.uses_literal for op in self.operations
        )

    @property
    def uses_encoding(self) -> bool:
        return any(op.body is not None and op.body.encoding for op in self.operations)

    @property
    def uses_response_body(self) -> bool:
        return any(r.raw for op in self.operations for r in op.returned)

    @property
    def uses_stream(self) -> bool:
        return any(op.stream_name for op in self.operations)

    @property
    def uses_file(self) -> bool:
        return any(
            op.body is not None and op.body.kind is BodyKind.BINARY for op in self.operations
        )

    @property
    def server_model_classes(self) -> frozenset[str]:
        """The classes only the generated server uses (`PyType.server_model`)."""
        return frozenset(
            op.query_model.name.removeprefix(f"{SERVER_MODELS}.")
            for op in self.operations
            if op.query_model is not None
        )

    @property
    def uses_server_models(self) -> bool:
        return bool(self.server_model_classes)

    @property
    def uses_parameters(self) -> bool:
        return any(op.arguments or op.of_role(Role.TRACK_ID) for op in self.operations)

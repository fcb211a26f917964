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
    explode: bool = True
    role: Role = Role.PLAIN
    #: the schema's scalar constraints as pydantic `Field` keywords (pattern, max_length, ge,
    #: ...); the generated server checks header, path and cookie parameters against them
    constraints: tuple[tuple[str, str | int | float], ...] = ()


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
class Body:
    type: PyType
    media_type: str
    required: bool
    description: str = ""


@dataclass(frozen=True)
class Response:
    status: str  # "200", "4XX", "default"
    status_code: int | None  # None for ranges and default
    type: PyType | None  # None: no body
    description: str = ""
    media_type: str | None = None

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")


@dataclass(frozen=True)
class Pagination:
    """A list operation taking a cursor argument, whose page names the next cursor in
    `next_field` and holds its items in `items_field` (wire names)."""

    cursor: PythonIdentifier
    item: PyType
    next_field: str = "next_page"
    items_field: str = "data"


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

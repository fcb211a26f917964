"""The OpenAPI document model: one typed, normalized reading of a spec that every engine shares.

`generator.openapi.build` makes it once per spec from a loaded `Workspace`. What OpenAPI leaves
implicit is made explicit here, once:

* path-level and operation-level parameters are merged (the operation's win), keyed by location
  and name, header names case-insensitively; `Accept`, `Content-Type` and `Authorization`
  header parameters, which OpenAPI says SHALL be ignored, are kept apart with that reason;
* every parameter carries its serialization with OpenAPI's defaults filled in (`style`,
  `explode`, `allowReserved`) or its single `content` media type;
* request bodies and responses list their media types, each classified once
  (`generator.openapi.media`), with `encoding` for form and multipart bodies;
* responses are keyed by exact status, `1XX`-`5XX` range or `default`, and an answer's status
  finds its response by that precedence;
* servers (with variables) are resolved per operation: operation, else path item, else root,
  else `/`;
* the security requirements in effect are resolved per operation, with the schemes they name;
* webhooks (3.1) and callbacks are operations of their own kind.

Schemas are not converted into objects: a `SchemaRef` says where a schema is written and where
its `$ref` chain leads, and engines read the JSON there (the contract engine converts it to
JSON Schema 2020-12, diff normalizes it, the IR asks datamodel-code-generator for its class).

Every value keeps its location (document and JSON pointer) for findings. What cannot be read
(a `$ref` that does not resolve, a parameter without a name) is a `Problem` carried beside the
model, never dropped silently.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.findings import Finding
from generator.load.workspace import Document, Loc
from generator.openapi.dialect import Dialect
from generator.openapi.media import MediaKind, best_match

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: header parameters OpenAPI says SHALL be ignored (they are governed by other fields)
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


class ParameterIn(enum.StrEnum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"


class Style(enum.StrEnum):
    MATRIX = "matrix"
    LABEL = "label"
    SIMPLE = "simple"
    FORM = "form"
    SPACE_DELIMITED = "spaceDelimited"
    PIPE_DELIMITED = "pipeDelimited"
    DEEP_OBJECT = "deepObject"


#: the styles each location allows (OpenAPI 3.1, "Style Values")
STYLES_BY_LOCATION: dict[ParameterIn, frozenset[Style]] = {
    ParameterIn.PATH: frozenset({Style.MATRIX, Style.LABEL, Style.SIMPLE}),
    ParameterIn.QUERY: frozenset(
        {Style.FORM, Style.SPACE_DELIMITED, Style.PIPE_DELIMITED, Style.DEEP_OBJECT}
    ),
    ParameterIn.HEADER: frozenset({Style.SIMPLE}),
    ParameterIn.COOKIE: frozenset({Style.FORM}),
}

DEFAULT_STYLE: dict[ParameterIn, Style] = {
    ParameterIn.PATH: Style.SIMPLE,
    ParameterIn.QUERY: Style.FORM,
    ParameterIn.HEADER: Style.SIMPLE,
    ParameterIn.COOKIE: Style.FORM,
}


class OperationKind(enum.StrEnum):
    PATH = "path"  # under `paths`: the client calls the API
    WEBHOOK = "webhook"  # under `webhooks` (3.1): the API calls the client
    CALLBACK = "callback"  # under an operation's `callbacks`: the API calls back


class StatusKind(enum.StrEnum):
    EXACT = "exact"
    RANGE = "range"
    DEFAULT = "default"


@dataclass(frozen=True)
class SchemaRef:
    """A schema as the spec places it: `at` is where it is written (possibly a `$ref` object),
    `target` where its `$ref` chain ends and `value` the schema found there (None when the chain
    does not resolve: a `Problem` says why)."""

    at: Loc
    target: Loc
    value: Any

    @property
    def is_ref(self) -> bool:
        return self.at != self.target

    @property
    def component_name(self) -> str | None:
        """The name under `components/schemas` this schema is, if it is one."""
        parts = self.target.pointer.split("/")
        if len(parts) == 4 and parts[1] == "components" and parts[2] == "schemas":
            return parts[3].replace("~1", "/").replace("~0", "~")
        return None


@dataclass(frozen=True)
class Example:
    """A literal value (`value` at `loc`), from `example`, an `examples` entry or a default."""

    name: str | None
    value: Any
    loc: Loc
    #: an externalValue: URL of the value, which is never fetched
    external: str | None = None


@dataclass(frozen=True)
class Header:
    """A response header, or a per-part header of a multipart encoding."""

    name: str
    required: bool
    deprecated: bool
    description: str
    style: Style
    explode: bool
    schema: SchemaRef | None
    content: MediaType | None
    loc: Loc

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Encoding:
    """How one property of a form or multipart body is serialized (`encoding` map entry)."""

    property: str
    content_type: str | None
    headers: tuple[Header, ...]
    style: Style
    explode: bool
    allow_reserved: bool
    #: whether style/explode/allowReserved were given (a form body then uses them; a
    #: multipart body ignores them unless given, per OpenAPI)
    style_given: bool
    loc: Loc


@dataclass(frozen=True)
class MediaType:
    name: str  # as written, e.g. "application/json; charset=utf-8"
    kind: MediaKind
    schema: SchemaRef | None
    examples: tuple[Example, ...]
    encoding: Mapping[str, Encoding]
    loc: Loc


@dataclass(frozen=True)
class Parameter:
    name: str
    location: ParameterIn
    required: bool
    deprecated: bool
    description: str
    style: Style
    explode: bool
    allow_reserved: bool
    allow_empty_value: bool
    #: the parameter's schema, or None when it is described by `content` instead
    schema: SchemaRef | None
    #: the single `content` entry of a `content`-encoded parameter
    content: MediaType | None
    examples: tuple[Example, ...]
    extensions: Mapping[str, Any]
    loc: Loc
    #: whether `style`/`explode` were written (diff reports changes of what was written
    #: separately from changes of what is in effect)
    style_given: bool = False
    explode_given: bool = False
    #: where the operation or path item lists it (a `parameters/N` entry, maybe a `$ref`)
    listed: Loc | None = None

    @property
    def site(self) -> Loc:
        """Where findings about this parameter in an operation point: its list entry."""
        return self.listed or self.loc

    @property
    def key(self) -> tuple[ParameterIn, str]:
        """Identity within an operation: header names are case-insensitive."""
        return (
            self.location,
            self.name.lower() if self.location is ParameterIn.HEADER else self.name,
        )

    @property
    def effective_schema(self) -> SchemaRef | None:
        """The schema values are validated against: `schema`, else the content's schema."""
        if self.schema is not None:
            return self.schema
        return self.content.schema if self.content is not None else None


@dataclass(frozen=True)
class RequestBody:
    required: bool
    description: str
    content: tuple[MediaType, ...]
    loc: Loc

    def media_type(self, actual: str) -> MediaType | None:
        """The documented media type governing a body of type `actual` (wildcards included)."""
        names = [m.name for m in self.content]
        chosen = best_match(names, actual)
        return None if chosen is None else self.content[names.index(chosen)]


@dataclass(frozen=True)
class Link:
    name: str
    operation_id: str | None
    operation_ref: str | None
    parameters: Mapping[str, Any]
    request_body: Any
    loc: Loc


@dataclass(frozen=True)
class Response:
    status: str  # as normalized: "200", "2XX", "default"
    kind: StatusKind
    description: str
    headers: tuple[Header, ...]
    content: tuple[MediaType, ...]
    links: tuple[Link, ...]
    loc: Loc

    @property
    def code(self) -> int | None:
        return int(self.status) if self.kind is StatusKind.EXACT else None

    @property
    def is_success(self) -> bool:
        """A 2xx answer (exact or range). `default` is not assumed to be either."""
        return self.status.startswith("2")

    def covers(self, status: int) -> bool:
        if self.kind is StatusKind.EXACT:
            return self.code == status
        if self.kind is StatusKind.RANGE:
            return str(status)[:1] == self.status[0] and 100 <= status <= 599
        return True

    def header(self, name: str) -> Header | None:
        lower = name.lower()
        return next((h for h in self.headers if h.key == lower), None)

    def media_type(self, actual: str) -> MediaType | None:
        names = [m.name for m in self.content]
        chosen = best_match(names, actual)
        return None if chosen is None else self.content[names.index(chosen)]


@dataclass(frozen=True)
class ServerVariable:
    name: str
    default: str
    enum: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Server:
    url: str  # as written, with `{variables}`
    description: str
    variables: Mapping[str, ServerVariable]
    extensions: Mapping[str, Any]
    loc: Loc

    @property
    def default_url(self) -> str:
        """The URL with every variable at its default."""
        url = self.url
        for name, variable in self.variables.items():
            url = url.replace("{" + name + "}", variable.default)
        return url


class SecurityType(enum.StrEnum):
    API_KEY = "apiKey"
    HTTP = "http"
    OAUTH2 = "oauth2"
    OPEN_ID_CONNECT = "openIdConnect"
    MUTUAL_TLS = "mutualTLS"


@dataclass(frozen=True)
class SecurityScheme:
    name: str  # its key under components.securitySchemes
    type: SecurityType
    description: str
    #: http: the scheme, lower-cased ("bearer", "basic", ...)
    scheme: str | None
    bearer_format: str | None
    #: apiKey: where the key travels, and under which name
    key_location: ParameterIn | None
    key_name: str | None
    #: oauth2: flow name -> {authorizationUrl, tokenUrl, refreshUrl, scopes}
    flows: Mapping[str, Mapping[str, Any]]
    open_id_connect_url: str | None
    loc: Loc


@dataclass(frozen=True)
class SecurityRequirement:
    """All of these schemes together (with the scopes each needs). An empty requirement
    (`{}`) makes security optional."""

    schemes: tuple[tuple[str, tuple[str, ...]], ...]
    loc: Loc

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.schemes)


@dataclass(frozen=True)
class Operation:
    kind: OperationKind
    method: str  # lower case, as OpenAPI spells the key
    #: the path template (PATH), the webhook's name (WEBHOOK) or the callback's runtime
    #: expression (CALLBACK)
    path: str
    operation_id: str | None
    summary: str
    description: str
    tags: tuple[str, ...]
    deprecated: bool
    parameters: tuple[Parameter, ...]
    #: header parameters OpenAPI says to ignore (Accept, Content-Type, Authorization)
    ignored_parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: tuple[Response, ...]
    callbacks: tuple[Callback, ...]
    #: the requirements in effect (the operation's, else the root's); any one of them must hold
    security: tuple[SecurityRequirement, ...]
    #: where `security` comes from (the operation's own key, or the root's); None when neither
    #: says anything
    security_loc: Loc | None
    servers: tuple[Server, ...]
    extensions: Mapping[str, Any]
    loc: Loc
    path_item_loc: Loc
    #: the webhook name or callback name this operation belongs to
    owner: str | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def label(self) -> str:
        """How messages name it: operationId when it has one, else method and path."""
        return self.operation_id or self.endpoint

    def parameter(self, location: ParameterIn | str, name: str) -> Parameter | None:
        where = ParameterIn(location)
        key = (where, name.lower() if where is ParameterIn.HEADER else name)
        return next((p for p in self.parameters if p.key == key), None)

    def parameters_in(self, location: ParameterIn) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location is location)

    def response_for(self, status: int) -> Response | None:
        """The response documenting `status`: exact, else its range, else `default`."""
        for kind in (StatusKind.EXACT, StatusKind.RANGE, StatusKind.DEFAULT):
            for response in self.responses:
                if response.kind is kind and response.covers(status):
                    return response
        return None

    def response(self, status: str) -> Response | None:
        """The response under the status key as written (`200`, `2XX`, `default`)."""
        wanted = normalize_status(status)
        return next((r for r in self.responses if r.status == wanted), None)


@dataclass(frozen=True)
class Callback:
    name: str
    #: the runtime expressions (each a path item of the callback's operations)
    expressions: tuple[str, ...]
    operations: tuple[Operation, ...]
    loc: Loc


@dataclass(frozen=True)
class Info:
    title: str
    version: str
    description: str
    summary: str = ""


@dataclass(frozen=True)
class SchemaSite:
    """A schema object somewhere in the spec (after `$ref`s: each visited once)."""

    loc: Loc
    schema: dict[str, Any]

    @property
    def doc(self) -> Document:
        return self.loc.doc

    @property
    def pointer(self) -> str:
        return self.loc.pointer


@dataclass(frozen=True)
class ExampleSite:
    """A literal (`example`, `examples` entry, `default`) that must satisfy the schema at
    `schema`, read in `direction` (readOnly/writeOnly differ; "none" for a bare schema's own
    `example`/`default`)."""

    loc: Loc
    value: Any
    schema: Loc
    direction: str  # "request" | "response" | "none"
    what: str  # "example" | "parameter" | "default"

    @property
    def doc(self) -> Document:
        """The document holding the literal (`at` is its pointer there)."""
        return self.loc.doc

    @property
    def at(self) -> str:
        return self.loc.pointer

    @property
    def schema_doc(self) -> Document:
        return self.schema.doc

    @property
    def schema_at(self) -> str:
        return self.schema.pointer


@dataclass(frozen=True)
class Problem:
    """Something in the spec the model could not read; every engine reports it (lint as a
    finding, check as exit 2 when it leaves operations unreadable)."""

    finding: Finding


@dataclass
class OpenApi:
    """One spec, read once. Built by `generator.openapi.build.build_model`."""

    dialect: Dialect
    version: str  # as written, e.g. "3.0.3"
    info: Info
    servers: tuple[Server, ...]
    operations: tuple[Operation, ...]  # under `paths`, in document order
    webhooks: tuple[Operation, ...]  # 3.1 `webhooks`
    security_schemes: Mapping[str, SecurityScheme]
    #: every name under components.securitySchemes (also those too broken to read)
    security_scheme_names: tuple[str, ...]
    security: tuple[SecurityRequirement, ...]
    #: components/schemas by name, where each is written
    schemas: Mapping[str, Loc]
    extensions: Mapping[str, Any]
    root: Loc
    #: every schema object reachable from the spec, and every literal that must satisfy one
    schema_sites: tuple[SchemaSite, ...] = ()
    example_sites: tuple[ExampleSite, ...] = ()
    problems: tuple[Problem, ...] = ()
    #: the document was Swagger 2.0, upgraded to OpenAPI 3.0 before it was read
    upgraded_from: str | None = None
    _by_id: dict[str, Operation] = field(default_factory=dict, repr=False)

    def operation(self, operation_id: str) -> Operation | None:
        if not self._by_id:
            self._by_id = {o.operation_id: o for o in self.all_operations() if o.operation_id}
        return self._by_id.get(operation_id)

    def all_operations(self) -> tuple[Operation, ...]:
        """Path operations, webhooks, and every callback operation (depth first)."""
        found: list[Operation] = []
        todo = list(reversed((*self.operations, *self.webhooks)))
        while todo:
            op = todo.pop()
            found.append(op)
            for callback in reversed(op.callbacks):
                todo.extend(reversed(callback.operations))
        return tuple(found)


def normalize_status(status: str | int) -> str:
    """`200` -> "200", `2xx` -> "2XX", `Default` -> "default" (keys as they compare)."""
    text = str(status).strip()
    if text.lower() == "default":
        return "default"
    return text.upper()


def status_kind(status: str) -> StatusKind | None:
    """What a (normalized) response key is, or None when it is not a status key at all."""
    if status == "default":
        return StatusKind.DEFAULT
    if len(status) == 3 and status[0] in "12345":
        if status.isdigit():
            return StatusKind.EXACT
        if status[1:] == "XX":
            return StatusKind.RANGE
    return None

"""Build the IR from a loaded spec and the model classes datamodel-code-generator made for it.

All type logic lives here, in Python, where it is tested; templates only lay the IR out.
"""

from __future__ import annotations

import math
from typing import Any

from generator.ir.classes import ClassIndex
from generator.ir.model import (
    ANY,
    NONE,
    STR,
    Api,
    Body,
    BodyEncoding,
    BodyKind,
    Conventions,
    ErrorShape,
    Kind,
    Location,
    Operation,
    Pagination,
    Parameter,
    PyType,
    Response,
    Role,
    Server,
    ServerParam,
    ServerParamUse,
    SharedServerParam,
)
from generator.load import pointer as jp
from generator.load.shape import mapping
from generator.load.workspace import Document, Loc, RefProblem, Workspace
from generator.naming import (
    ModuleName,
    PythonIdentifier,
    class_name,
    identifier,
    is_valid_identifier,
    model_class,
    unique,
)
from generator.openapi.conventions import Conventions as Decided
from generator.openapi.conventions import ErrorShape as DecidedShape
from generator.openapi.media import MediaKind
from generator.openapi.model import (
    MediaType,
    OpenApi,
    OperationKind,
    SchemaRef,
    SecurityType,
    StatusKind,
)
from generator.openapi.model import Operation as SpecOperation
from generator.openapi.model import Parameter as SpecParameter
from generator.openapi.model import RequestBody as SpecRequestBody
from generator.openapi.model import Response as SpecResponse

IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}
#: attribute names of the generated clients that operations must not shadow
CLIENT_RESERVED = {
    "close",
    "aclose",
    "request",
    "paginate",
    "sleep",
    "servers",
    # instance attributes the runtime sets in `__init__`
    "base_url",
    "timeout",
    "max_retries",
    "gzip_requests",
    "accept_gzip",
    "track_id",
}
#: names a generated method uses besides its arguments (or adds as arguments itself), which a
#: parameter from the spec must not take
PARAMETER_RESERVED = {
    "cast",
    "result",
    "fetch",
    "kwargs",  # the methods' `**kwargs: Unpack[...]`
    "max_pages",
    "idempotency_key",
    "track_id",
}

JSON_KINDS = (MediaKind.JSON, MediaKind.ANY)
BYTES = PyType.of("bytes")
#: what a client method takes for a multipart body besides its model: any mapping, so that
#: files can be given as bytes, file objects or `(filename, content[, type])` tuples
FIELDS = PyType.of("Mapping", STR, ANY)
#: what a client method takes for a binary body (the runtime's alias)
FILE = PyType.of("FileValue")


def _json_media(content: tuple[MediaType, ...]) -> MediaType | None:
    """The media type the generated code speaks for a body: the first JSON one (a `*/*`
    range counts: such specs send JSON)."""
    return next((m for m in content if m.kind in JSON_KINDS and m.schema is not None), None)


def _is_binary_schema(schema: SchemaRef | None) -> bool:
    """No schema, or a string of bytes (`format: binary`, a `contentMediaType`): what a `*/*`
    body without a JSON structure carries."""
    if schema is None:
        return True
    value = schema.value
    if not isinstance(value, dict):
        return False
    return value.get("type") in ("string", None) and (
        value.get("format") in ("binary", "byte")
        or "contentMediaType" in value
        or not any(k in value for k in ("type", "properties", "items", "$ref", "allOf", "oneOf"))
    )


def _body_kind(media: MediaType) -> BodyKind:
    """How the generated code treats a media type: a range (`*/*`) carries JSON when its
    schema is structured, else bytes."""
    if media.kind is MediaKind.ANY:
        return BodyKind.BINARY if _is_binary_schema(media.schema) else BodyKind.JSON
    return {
        MediaKind.JSON: BodyKind.JSON,
        MediaKind.FORM: BodyKind.FORM,
        MediaKind.MULTIPART: BodyKind.MULTIPART,
        MediaKind.TEXT: BodyKind.TEXT,
    }.get(media.kind, BodyKind.BINARY)


#: the media type a request body is sent as, by preference: JSON, then form fields, then
#: multipart, then text, then bytes (document order within each)
_BODY_PREFERENCE = (
    BodyKind.JSON,
    BodyKind.FORM,
    BodyKind.MULTIPART,
    BodyKind.TEXT,
    BodyKind.BINARY,
)


def _chosen(content: tuple[MediaType, ...]) -> tuple[MediaType, BodyKind] | None:
    kinds = [(m, _body_kind(m)) for m in content]
    for wanted in _BODY_PREFERENCE:
        for media, kind in kinds:
            if kind is wanted:
                return media, kind
    return None


class IrBuilder:
    def __init__(
        self, workspace: Workspace, model: OpenApi, decided: Decided, classes: ClassIndex
    ) -> None:
        self.ws = workspace
        self.model = model
        self.decided = decided
        self.classes = classes
        self.root = model.root.doc
        self.data: dict[str, Any] = mapping(self.root.data)

    # -- references and types ----------------------------------------------------------------
    def _classes(self, doc: Document, pointer: str) -> list[str]:
        if doc is not self.root:
            return []
        path = tuple(jp.split(pointer))
        found = self.classes.classes_at(path)
        if found or len(path) != 3 or path[:2] != ("components", "schemas"):
            return found
        # datamodel-code-generator keeps a single class for equal component schemas whose names
        # collide (`FooBar`, `foo-bar`): use that class rather than falling back to a dict
        schemas = mapping(mapping(self.data.get("components")).get("schemas"))
        mine, spelled = schemas.get(path[2]), class_name(path[2])
        for model in self.classes.classes:
            other = model.source_path
            if (
                len(other) == 3
                and other[:2] == path[:2]
                and class_name(other[2]) == spelled
                and schemas.get(other[2]) == mine
            ):
                return [model.class_name]
        return []

    @staticmethod
    def _pick(names: list[str], direction: str) -> str:
        if len(names) > 1:
            suffix = "Request" if direction == "request" else "Response"
            for name in names:
                if name.endswith(suffix):
                    return name
        return names[0]

    def _resolve(self, doc: Document, ref: str) -> tuple[Document, str, Any] | None:
        try:
            return self.ws.resolve(doc, ref)
        except RefProblem:
            return None

    def schema_type(
        self, doc: Document, pointer: str, schema: Any, direction: str, depth: int = 0
    ) -> PyType:
        if depth > 32 or not isinstance(schema, dict):
            return ANY
        names = self._classes(doc, pointer)
        if names:
            return PyType.model(model_class(self._pick(names, direction)))
        if isinstance(schema.get("$ref"), str):
            target = self._resolve(doc, schema["$ref"])
            if target is None:
                return ANY
            return self.schema_type(*target, direction, depth + 1)
        for keyword in ("oneOf", "anyOf"):
            branches = schema.get(keyword)
            if isinstance(branches, list) and branches:
                return PyType.one_of(
                    *(
                        self.schema_type(doc, jp.join(pointer, keyword, i), b, direction, depth + 1)
                        for i, b in enumerate(branches)
                    )
                )
        types = schema.get("type")
        nullable = schema.get("nullable") is True
        if isinstance(types, list):
            nullable = nullable or "null" in types
            types = [t for t in types if t != "null"]
            types = types[0] if len(types) == 1 else None
        base = self._primitive(doc, pointer, schema, types, direction, depth)
        return PyType.one_of(base, NONE) if nullable and base is not ANY else base

    def _primitive(
        self,
        doc: Document,
        pointer: str,
        schema: dict[str, Any],
        kind: Any,
        direction: str,
        depth: int,
    ) -> PyType:
        if kind == "array":
            items = schema.get("items")
            item = (
                self.schema_type(doc, jp.join(pointer, "items"), items, direction, depth + 1)
                if isinstance(items, dict)
                else ANY
            )
            return PyType.of("list", item)
        if kind == "object":
            extra = schema.get("additionalProperties")
            value = (
                self.schema_type(
                    doc, jp.join(pointer, "additionalProperties"), extra, direction, depth + 1
                )
                if isinstance(extra, dict)
                else ANY
            )
            return PyType.of("dict", STR, value)
        simple = {
            "string": "str",
            "integer": "int",
            "number": "float",
            "boolean": "bool",
            "null": "None",
        }
        if isinstance(kind, str) and kind in simple:
            return PyType.of(simple[kind])
        return ANY

    def parameter_type(
        self, doc: Document, pointer: str, schema: Any, depth: int = 0
    ) -> tuple[PyType, Kind]:
        """The type of a parameter's value and its shape (primitive, array or object): enums
        as `Literal`s, arrays as lists of their items, objects as their model class (a
        component's, or one datamodel-code-generator made) or a `dict`."""
        if not isinstance(schema, dict) or depth > 8:
            return STR, Kind.PRIMITIVE
        if isinstance(schema.get("$ref"), str):
            target = self._resolve(doc, schema["$ref"])
            if target is None:
                return STR, Kind.PRIMITIVE
            return self.parameter_type(*target, depth + 1)
        enum = schema.get("enum")
        # `Literal` takes str, int and bool only (PEP 586): a float such as `nan` or `inf` would
        # render as an undefined name, so such enums keep their plain type
        if isinstance(enum, list) and enum and all(isinstance(v, (str, int, bool)) for v in enum):
            return PyType.literal(*enum), Kind.PRIMITIVE
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind is None and ("properties" in schema or "additionalProperties" in schema):
            kind = "object"
        if kind == "array":
            items = schema.get("items")
            item, _ = self.parameter_type(doc, jp.join(pointer, "items"), items, depth + 1)
            return PyType.of("list", item if isinstance(items, dict) else STR), Kind.ARRAY
        if kind == "object":
            names = self._classes(doc, pointer)
            if names:
                return PyType.model(model_class(self._pick(names, "request"))), Kind.OBJECT
            extra = schema.get("additionalProperties")
            value = ANY
            if isinstance(extra, dict):
                found, shape = self.parameter_type(
                    doc, jp.join(pointer, "additionalProperties"), extra, depth + 1
                )
                value = found if shape is Kind.PRIMITIVE else ANY
            return PyType.of("dict", STR, value), Kind.OBJECT
        return PyType.of(
            {"integer": "int", "number": "float", "boolean": "bool"}.get(str(kind), "str")
        ), Kind.PRIMITIVE

    def parameter_constraints(
        self, schema: Any, depth: int = 0
    ) -> tuple[tuple[str, str | int | float], ...]:
        """A scalar parameter schema's constraints as pydantic `Field` keywords (enums are
        `Literal` types already; arrays and objects get none). Bounds follow both spellings of
        exclusive bounds: 3.0's boolean beside minimum/maximum, 3.1's numbers."""
        if not isinstance(schema, dict) or depth > 8:
            return ()
        if isinstance(schema.get("$ref"), str):
            target = self._resolve(self.root, schema["$ref"])
            return () if target is None else self.parameter_constraints(target[2], depth + 1)
        if "enum" in schema:
            return ()
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        found: list[tuple[str, str | int | float]] = []

        def number(key: str) -> int | float | None:
            value = schema.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None
            return value if math.isfinite(value) else None

        if kind in (None, "string"):
            if isinstance(schema.get("pattern"), str):
                found.append(("pattern", schema["pattern"]))
            for key, keyword in (("minLength", "min_length"), ("maxLength", "max_length")):
                length = number(key)
                if isinstance(length, int) and length >= 0:
                    found.append((keyword, length))
        if kind in ("integer", "number"):
            for key, inclusive, exclusive in (("minimum", "ge", "gt"), ("maximum", "le", "lt")):
                bound = number(key)
                flag = schema.get("exclusiveM" + key[1:])
                if bound is not None:
                    found.append((exclusive if flag is True else inclusive, bound))
                strict = number("exclusiveM" + key[1:])
                if strict is not None:
                    found.append((exclusive, strict))
            step = number("multipleOf")
            if step is not None and step > 0:
                found.append(("multiple_of", step))
        return tuple(found)

    # -- conventions -------------------------------------------------------------------------
    @property
    def path_operations(self) -> tuple[SpecOperation, ...]:
        return tuple(op for op in self.model.operations if op.kind is OperationKind.PATH)

    def _error_schemas(self) -> list[SchemaRef]:
        found: list[SchemaRef] = []
        seen: set[tuple[str, str]] = set()
        for op in self.path_operations:
            for response in op.responses:
                if response.status[:1] not in ("4", "5"):
                    continue
                for media in response.content:
                    if media.kind is MediaKind.JSON and media.schema is not None:
                        if media.schema.target.key not in seen:
                            seen.add(media.schema.target.key)
                            found.append(media.schema)
        return found

    def conventions(self) -> Conventions:
        """The IR's conventions: the decided ones (configured, declared or guessed), plus what
        only the IR can say (the 202 body's type, the status for invalid requests)."""
        decided = self.decided
        statuses: set[str] = set()
        accepted: PyType | None = None
        for op in self.path_operations:
            for response in op.responses:
                statuses.add(response.status)
                if response.status == "202" and accepted is None:
                    media = _json_media(response.content)
                    if media is not None and media.schema is not None:
                        accepted = self.target_type(media.schema, "response")
        return Conventions(
            success_flag=decided.success_field,
            retryable_flag=decided.retryable_field,
            idempotency_header=decided.idempotency_header,
            track_id_header=decided.track_header,
            request_id_header=decided.request_id_header,
            entity_id_header=decided.entity_header,
            error_shape={
                DecidedShape.TYPED_ERRORS: ErrorShape.TYPED_ERRORS,
                DecidedShape.REASONS: ErrorShape.REASONS,
            }.get(decided.error_shape, ErrorShape.PLAIN),
            invalid_request_status=400 if "400" in statuses or not statuses else 422,
            accepted_model=accepted,
        )

    def target_type(self, schema: SchemaRef, direction: str) -> PyType:
        """The type of what a schema's `$ref` chain leads to."""
        return self.schema_type(schema.target.doc, schema.target.pointer, schema.value, direction)

    # -- operations --------------------------------------------------------------------------
    def _query_model(self, op: SpecOperation) -> PyType | None:
        """datamodel-code-generator's model of an operation's query parameters: their wire
        names as aliases, with the spec's constraints (page_size 1..99, patterns)."""
        names = [
            n for n in self._classes(op.loc.doc, op.loc.pointer) if n.endswith("ParametersQuery")
        ]
        return PyType.server_model(model_class(names[0])) if names else None

    def _parameter(self, param: SpecParameter, conventions: Conventions) -> Parameter:
        wire = param.name
        location = Location(param.location.value)
        lower = wire.lower()
        role = Role.PLAIN
        if location is Location.HEADER:
            if conventions.idempotency_header and lower == conventions.idempotency_header.lower():
                role = Role.IDEMPOTENCY_KEY
            elif conventions.track_id_header and lower == conventions.track_id_header.lower():
                role = Role.TRACK_ID
            elif lower == "async":
                role = Role.ASYNC
            elif lower in (
                "accept-encoding",
                "content-encoding",
                "content-type",
                "accept",
                "authorization",
            ):
                role = Role.TRANSPORT
        content_type: str | None = None
        if param.content is not None:
            content_type = param.content.name
            media = param.content
            if media.kind in JSON_KINDS and media.schema is not None:
                ptype = self.target_type(media.schema, "request")
            else:
                ptype = STR
            kind = Kind.PRIMITIVE
        elif param.schema is not None:
            ptype, kind = self.parameter_type(
                param.schema.target.doc, param.schema.target.pointer, param.schema.value
            )
        else:
            ptype, kind = STR, Kind.PRIMITIVE
        schema = param.effective_schema
        constraints = (
            self.parameter_constraints(schema.value if schema is not None else {})
            if content_type is None
            else ()
        )
        return Parameter(
            wire_name=wire,
            python_name=identifier(wire, reserved=PARAMETER_RESERVED),
            location=location,
            type=ptype,
            required=param.required,
            description=param.description,
            deprecated=param.deprecated,
            style=param.style.value,
            explode=param.explode,
            allow_reserved=param.allow_reserved,
            content_type=content_type,
            kind=kind,
            role=role,
            constraints=constraints,
        )

    def _response_body(
        self, response: SpecResponse, errors: set[tuple[str, str]]
    ) -> tuple[PyType | None, MediaType | None, BodyKind]:
        """The type of an answer's body, the media type it is read as, and how: JSON (parsed
        and validated), text (`str`) or binary (`bytes`). A JSON media type is preferred."""
        chosen = _chosen(response.content)
        if chosen is None:
            return None, None, BodyKind.JSON
        media, kind = chosen
        if kind in (BodyKind.JSON,):
            if media.schema is None:
                return ANY, media, kind
            rtype = (
                self._success_type(media.schema, errors)
                if response.is_success
                else self.target_type(media.schema, "response")
            )
            return rtype, media, kind
        if kind in (BodyKind.TEXT, BodyKind.FORM):
            return STR, media, BodyKind.TEXT
        return BYTES, media, BodyKind.BINARY

    def _result(
        self, op: SpecOperation, errors: set[tuple[str, str]]
    ) -> tuple[list[Response], PyType, PyType | None]:
        built: list[Response] = []
        results: list[PyType] = []
        accepted: PyType | None = None
        # `default` answers a 2xx only where no 2xx is documented (else it describes errors)
        any_success = any(r.is_success for r in op.responses)
        for response in op.responses:
            status = response.status
            rtype, media, kind = self._response_body(response, errors)
            returned = response.is_success or (
                response.kind is StatusKind.DEFAULT and not any_success
            )
            built.append(
                Response(
                    status,
                    response.code,
                    rtype,
                    response.description,
                    media.name if media is not None else None,
                    kind=kind,
                    returned=returned,
                )
            )
            if status == "202":
                accepted = rtype or NONE
            elif returned:
                results.append(rtype or NONE)
        result = PyType.one_of(*results) if results else NONE
        return built, result, accepted

    def _body(self, request: SpecRequestBody | None) -> Body | None:
        """The request body the generated code sends: JSON when the spec offers it, else form
        fields, multipart, text or bytes (`_BODY_PREFERENCE`)."""
        if request is None:
            return None
        chosen = _chosen(request.content)
        if chosen is None:
            return None
        media, kind = chosen
        schema = media.schema
        model = self.target_type(schema, "request") if schema is not None else None
        server: PyType | None = None
        if kind is BodyKind.JSON:
            btype = model or ANY
            media_type = media.name if media.kind is MediaKind.JSON else "application/json"
        elif kind in (BodyKind.FORM, BodyKind.MULTIPART):
            fields = model if model is not None and model.name.startswith("models.") else None
            media_type = media.name
            if kind is BodyKind.FORM:
                btype = fields or PyType.of("dict", STR, ANY)
            else:
                btype = PyType.one_of(fields, FIELDS) if fields is not None else FIELDS
                server = fields or PyType.of("dict", STR, ANY)
        elif kind is BodyKind.TEXT:
            btype, media_type = STR, media.name
        else:
            btype, server, media_type = FILE, BYTES, media.name
        encoding = tuple(
            BodyEncoding(
                name=name,
                content_type=rule.content_type,
                style=rule.style.value if rule.style_given else None,
                explode=rule.explode if rule.style_given else None,
                allow_reserved=True if rule.style_given and rule.allow_reserved else None,
            )
            for name, rule in media.encoding.items()
            if kind in (BodyKind.FORM, BodyKind.MULTIPART)
            and (rule.content_type is not None or rule.style_given)
        )
        return Body(
            type=btype,
            media_type=media_type,
            required=request.required,
            description=request.description,
            kind=kind,
            server_type=server,
            encoding=encoding,
        )

    def _success_type(self, schema: SchemaRef, errors: set[tuple[str, str]]) -> PyType:
        """The type of a 2xx body, without branches that are the API's error body: those are
        the in-band failure form (v1's HTTP 200 `success: false`), which the client raises."""
        value, doc, pointer = schema.value, schema.target.doc, schema.target.pointer
        if isinstance(value, dict):
            for keyword in ("oneOf", "anyOf"):
                branches = value.get(keyword)
                if not isinstance(branches, list):
                    continue
                kept: list[PyType] = []
                dropped = False
                for index, branch in enumerate(branches):
                    bptr = jp.join(pointer, keyword, index)
                    target = (doc, bptr)
                    if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
                        resolved = self._resolve(doc, branch["$ref"])
                        if resolved is not None:
                            target = (resolved[0], resolved[1])
                    if (target[0].uri, target[1]) in errors:
                        dropped = True
                        continue
                    kept.append(self.schema_type(doc, bptr, branch, "response"))
                if dropped and kept:
                    return PyType.one_of(*kept)
        return self.target_type(schema, "response")

    def _pagination(self, op: SpecOperation, params: list[Parameter]) -> Pagination | None:
        """Paging, when the operation fits its decided convention: it takes the cursor query
        parameter and its 200 JSON body has the next-cursor field and an array of items."""
        convention = self.decided.pagination_for(op)
        if convention is None:
            return None
        cursor = next(
            (
                p
                for p in params
                if p.location is Location.QUERY and p.wire_name == convention.cursor_parameter
            ),
            None,
        )
        if cursor is None:
            return None
        response = op.response("200")
        media = _json_media(response.content) if response is not None else None
        if media is None or media.schema is None:
            return None
        schema = media.schema
        props = schema.value.get("properties") if isinstance(schema.value, dict) else None
        if (
            not isinstance(props, dict)
            or convention.next_field not in props
            or convention.items_field not in props
        ):
            return None
        data_loc = schema.target.child("properties", convention.items_field)
        data = props[convention.items_field]
        if isinstance(data, dict) and isinstance(data.get("$ref"), str):
            resolved = self._resolve(data_loc.doc, data["$ref"])
            if resolved is None:
                return None
            data_loc, data = Loc(resolved[0], resolved[1]), resolved[2]
        if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
            return None
        item = self.schema_type(
            data_loc.doc, jp.join(data_loc.pointer, "items"), data["items"], "response"
        )
        return Pagination(
            cursor=cursor.python_name,
            item=item,
            next_field=convention.next_field,
            items_field=convention.items_field,
        )

    def build(self, package: ModuleName, spec_digest: str) -> Api:
        conventions = self.conventions()
        errors = {s.target.key for s in self._error_schemas()}
        raw = self.path_operations
        names = unique(
            [
                identifier(op.operation_id or f"{op.method}_{op.path}", reserved=CLIENT_RESERVED)
                for op in raw
            ],
            reserved=CLIENT_RESERVED,
        )
        operations: list[Operation] = []
        for op, name in zip(raw, names, strict=True):
            params = [self._parameter(p, conventions) for p in op.parameters]
            params = _unique_parameter_names(params)
            body = self._body(op.request_body)
            built, result, accepted = self._result(op, errors)
            operations.append(
                Operation(
                    operation_id=op.operation_id or name,
                    python_name=PythonIdentifier(name),
                    method=op.method.upper(),
                    path=op.path,
                    summary=op.summary,
                    description=op.description,
                    tags=op.tags,
                    deprecated=op.deprecated,
                    parameters=tuple(params),
                    body=body,
                    responses=tuple(built),
                    result=result,
                    accepted=accepted,
                    idempotent=op.method.upper() in IDEMPOTENT_METHODS,
                    pagination=self._pagination(op, params),
                    query_model=self._query_model(op),
                )
            )
        operations = _with_argument_classes(
            _with_stream_names(_without_iterator_clashes(operations))
        )
        operations, shared_params = _server_params(operations)
        info = self.model.info
        bearer = any(
            (s.type is SecurityType.HTTP and s.scheme == "bearer") or s.type is SecurityType.OAUTH2
            for s in self.model.security_schemes.values()
        )
        return Api(
            package=package,
            title=info.title or str(package),
            version=info.version,
            description=info.description,
            openapi_version=self.model.version,
            servers=self._servers(),
            operations=tuple(operations),
            conventions=conventions,
            bearer_auth=bearer,
            spec_digest=spec_digest,
            models=tuple(model_class(c.class_name) for c in self.classes.classes),
            shared_server_params=shared_params,
        )

    def _servers(self) -> tuple[Server, ...]:
        raw = []
        for index, server in enumerate(self.model.servers):
            label = server.extensions.get("x-apicontract-name") or (
                server.description.split("(")[0].split(",")[0].strip() or f"server {index + 1}"
            )
            raw.append((server.url, identifier(str(label)), server.description))
        names = unique([name for _, name, _ in raw])
        return tuple(
            Server(url, PythonIdentifier(name), desc)
            for (url, _, desc), name in zip(raw, names, strict=True)
        )


def _without_iterator_clashes(operations: list[Operation]) -> list[Operation]:
    """A paginated operation also gets an `iter_<name>` method; no operation may have that
    name (the later `def` would silently replace the earlier one)."""
    from dataclasses import replace

    for _ in range(2 * len(operations) + 1):
        iterators = {f"iter_{op.python_name}" for op in operations if op.pagination}
        clash = next((i for i, op in enumerate(operations) if op.python_name in iterators), None)
        if clash is None:
            break
        taken = {op.python_name for op in operations} | iterators | CLIENT_RESERVED
        name = operations[clash].python_name
        count = 2
        while f"{name}_{count}" in taken:
            count += 1
        operations[clash] = replace(
            operations[clash], python_name=PythonIdentifier(f"{name}_{count}")
        )
    return operations


def _ignored_header(p: Parameter) -> bool:
    """A header parameter OpenAPI says to ignore (the request's own media type and
    credentials are described elsewhere)."""
    return p.location is Location.HEADER and p.wire_name.lower() in (
        "accept",
        "content-type",
        "authorization",
    )


def _with_stream_names(operations: list[Operation]) -> list[Operation]:
    """An operation answering bytes also gets `<name>_stream`, which hands the answer over
    as it arrives; the name is one no other method has."""
    from dataclasses import replace

    taken = {op.python_name for op in operations} | CLIENT_RESERVED
    taken |= {f"iter_{op.python_name}" for op in operations if op.pagination}
    built: list[Operation] = []
    for op in operations:
        if not any(r.kind is BodyKind.BINARY and r.type is not None for r in op.returned):
            built.append(op)
            continue
        name = f"{op.python_name}_stream"
        count = 2
        while name in taken:
            name = f"{op.python_name}_stream_{count}"
            count += 1
        taken.add(name)
        built.append(replace(op, stream_name=PythonIdentifier(name)))
    return built


#: names the client module defines or imports besides the argument classes
_CLIENT_MODULE_NAMES = frozenset({"Client", "AsyncClient", "RequestOptions"})


def _with_argument_classes(operations: list[Operation]) -> list[Operation]:
    """Name each operation's `TypedDict` of keyword arguments (`create_fulfillment` ->
    `CreateFulfillmentArgs`, `iter_list_x` -> `IterListXArgs`): distinct snake names can
    meet in PascalCase (`get_x1`, `get_x_1`), so the names are made unique together."""
    from dataclasses import replace

    wanted: list[str] = []
    for op in operations:
        wanted.append(class_name(f"{op.python_name}_args"))
        if op.pagination:
            wanted.append(class_name(f"iter_{op.python_name}_args"))
    names = iter(unique(wanted, reserved=_CLIENT_MODULE_NAMES))
    built: list[Operation] = []
    for op in operations:
        own = model_class(next(names))
        paged = model_class(next(names)) if op.pagination else None
        built.append(replace(op, arguments_class=own, iter_arguments_class=paged))
    return built


def _server_param(p: Parameter) -> ServerParam:
    return ServerParam(
        wire_name=p.wire_name,
        python_name=p.python_name,
        location=p.location,
        type=p.type,
        required=p.required,
        many=p.kind is Kind.ARRAY and p.content_type is None,
        argument=p.role in (Role.PLAIN, Role.ASYNC),
        constraints=() if p.location is Location.QUERY else p.constraints,
        style=p.style_arg,
        explode=p.explode_arg,
        kind=Kind.OBJECT if p.kind is Kind.OBJECT and p.content_type is None else None,
        content_type=p.content_type,
    )


def _server_param_order(
    p: ServerParam,
) -> tuple[str, str, str, str, bool, bool, bool, str, str]:
    return (
        p.python_name,
        p.location.value,
        p.wire_name,
        p.type.annotation,
        p.required,
        p.many,
        p.argument,
        repr(p.constraints),
        repr((p.style, p.explode, p.kind, p.content_type)),
    )


def _server_params(
    operations: list[Operation],
) -> tuple[list[Operation], tuple[SharedServerParam, ...]]:
    """The server's `Param`s of every operation. Transport parameters (the runtime's gzip
    options) are checked against their schemas but are no request fields; `Accept`,
    `Content-Type` and `Authorization` are none (OpenAPI ignores them as header parameters).
    One taken by two or more operations becomes a module-level constant
    `_PARAM_<NAME>`, named from its python name (disambiguated by `unique`, in sorted order, so
    names never depend on hashing); the others stay inline. Sharing one immutable `Param`
    instance changes nothing at run time."""
    from dataclasses import replace

    per_operation = [
        [_server_param(p) for p in op.parameters if not _ignored_header(p)] for op in operations
    ]
    # first-appearance order (deterministic), then a stable sort
    users: dict[ServerParam, int] = {}
    for params in per_operation:
        for param in params:
            users[param] = users.get(param, 0) + 1
    shared = sorted((p for p, n in users.items() if n >= 2), key=_server_param_order)
    # the `_` a reserved word got is not needed behind the prefix; `unique` keeps names distinct
    names = unique([p.python_name.rstrip("_").upper() or "PARAM" for p in shared])
    constants = {
        p: PythonIdentifier(f"_PARAM_{name}") for p, name in zip(shared, names, strict=True)
    }
    for constant in constants.values():
        if not is_valid_identifier(constant):
            raise ValueError(f"not a usable constant name: {constant!r}")
    built = [
        replace(
            op,
            server_params=tuple(ServerParamUse(p, constants.get(p)) for p in params),
        )
        for op, params in zip(operations, per_operation, strict=True)
    ]
    return built, tuple(SharedServerParam(constants[p], p) for p in shared)


def _unique_parameter_names(params: list[Parameter]) -> list[Parameter]:
    from dataclasses import replace

    names = unique([p.python_name for p in params], reserved=PARAMETER_RESERVED)
    return [replace(p, python_name=PythonIdentifier(n)) for p, n in zip(params, names, strict=True)]


def build_api(
    workspace: Workspace,
    model: OpenApi,
    decided: Decided,
    classes: ClassIndex,
    package: ModuleName,
) -> Api:
    return IrBuilder(workspace, model, decided, classes).build(package, workspace.root.digest)

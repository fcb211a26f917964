"""Build the IR from a loaded spec and the model classes datamodel-code-generator made for it.

All type logic lives here, in Python, where it is tested; templates only lay the IR out.
"""

from __future__ import annotations

from typing import Any

from generator.ir.model import (
    ANY,
    NONE,
    STR,
    Api,
    Body,
    Conventions,
    ErrorShape,
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
from generator.load.walk import HTTP_METHODS
from generator.load.workspace import Document, RefProblem, Workspace
from generator.naming import (
    ModuleName,
    PythonIdentifier,
    class_name,
    identifier,
    is_valid_identifier,
    model_class,
    unique,
)
from generator.render.models import Models

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
    "max_pages",
    "idempotency_key",
    "track_id",
}

Located = tuple[Document, str, Any]


class IrBuilder:
    def __init__(self, workspace: Workspace, models: Models) -> None:
        self.ws = workspace
        self.models = models
        self.root = workspace.root
        self.data: dict[str, Any] = self.root.data

    # -- references and types ----------------------------------------------------------------
    def deref(self, doc: Document, pointer: str, value: Any) -> Located:
        try:
            return self.ws.deref(doc, pointer, value)
        except RefProblem:
            return doc, pointer, {}

    def _classes(self, doc: Document, pointer: str) -> list[str]:
        if doc is not self.root:
            return []
        path = tuple(jp.split(pointer))
        found = self.models.classes_at(path)
        if found or len(path) != 3 or path[:2] != ("components", "schemas"):
            return found
        # datamodel-code-generator keeps a single class for equal component schemas whose names
        # collide (`FooBar`, `foo-bar`): use that class rather than falling back to a dict
        schemas = (self.data.get("components") or {}).get("schemas") or {}
        if not isinstance(schemas, dict):
            return []
        mine, spelled = schemas.get(path[2]), class_name(path[2])
        for model in self.models.classes:
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

    def schema_type(
        self, doc: Document, pointer: str, schema: Any, direction: str, depth: int = 0
    ) -> PyType:
        if depth > 32 or not isinstance(schema, dict):
            return ANY
        names = self._classes(doc, pointer)
        if names:
            return PyType.model(model_class(self._pick(names, direction)))
        if isinstance(schema.get("$ref"), str):
            try:
                tdoc, tptr, target = self.ws.resolve(doc, schema["$ref"])
            except RefProblem:
                return ANY
            return self.schema_type(tdoc, tptr, target, direction, depth + 1)
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

    def parameter_type(self, doc: Document, pointer: str, schema: Any, depth: int = 0) -> PyType:
        doc, pointer, schema = self.deref(doc, pointer, schema)
        if not isinstance(schema, dict) or depth > 8:
            return STR
        enum = schema.get("enum")
        # `Literal` takes str, int and bool only (PEP 586): a float such as `nan` or `inf` would
        # render as an undefined name, so such enums keep their plain type
        if isinstance(enum, list) and enum and all(isinstance(v, (str, int, bool)) for v in enum):
            return PyType.literal(*enum)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "array":
            return PyType.of(
                "list",
                self.parameter_type(
                    doc, jp.join(pointer, "items"), schema.get("items", {}), depth + 1
                ),
            )
        return PyType.of(
            {"integer": "int", "number": "float", "boolean": "bool"}.get(str(kind), "str")
        )

    # -- conventions -------------------------------------------------------------------------
    def _error_schemas(self) -> list[Located]:
        found: list[Located] = []
        seen: set[tuple[str, str]] = set()
        for _, _, op_doc, op_ptr, op in self._iter_operations():
            responses = mapping(op.get("responses"))
            for status, response in responses.items():
                if str(status)[:1] not in ("4", "5"):
                    continue
                for located in self._media_schemas(
                    op_doc, jp.join(op_ptr, "responses", status), response
                ):
                    key = (located[0].uri, located[1])
                    if key not in seen:
                        seen.add(key)
                        found.append(located)
        return found

    def _media_schemas(self, doc: Document, pointer: str, holder: Any) -> list[Located]:
        doc, pointer, holder = self.deref(doc, pointer, holder)
        content = holder.get("content") if isinstance(holder, dict) else None
        result: list[Located] = []
        if isinstance(content, dict):
            for media, media_object in content.items():
                if _is_json(media) and isinstance(media_object, dict) and "schema" in media_object:
                    at = jp.join(pointer, "content", media, "schema")
                    result.append(self.deref(doc, at, media_object["schema"]))
        return result

    def conventions(self) -> Conventions:
        errors = [s for s in self._error_schemas() if isinstance(s[2], dict)]
        success_flag = retryable_flag = None
        shape = ErrorShape.PLAIN
        for _, _, schema in errors:
            props = mapping(schema.get("properties"))
            for name, prop in props.items():
                _, _, prop = self.deref(self.root, "", prop)
                if not isinstance(prop, dict):
                    continue
                if prop.get("type") == "boolean" and prop.get("enum") == [False]:
                    success_flag = success_flag or name
                if name == "retryable" and prop.get("type") == "boolean":
                    retryable_flag = name
            if {"type", "errors", "retryable"} <= set(props):
                shape = ErrorShape.TYPED_ERRORS
            elif {"success", "reasons"} <= set(props) and shape is ErrorShape.PLAIN:
                shape = ErrorShape.REASONS
        headers: dict[str, str] = {}
        response_headers: list[str] = []
        statuses: set[str] = set()
        accepted: PyType | None = None
        for _, _, op_doc, op_ptr, op in self._iter_operations():
            for param in self._parameters(op_doc, op_ptr, op):
                if param[2].get("in") == "header":
                    wire = str(param[2].get("name", ""))
                    headers.setdefault(wire.lower(), wire)
            responses = mapping(op.get("responses"))
            for status, response in responses.items():
                statuses.add(str(status))
                _, _, resolved = self.deref(op_doc, jp.join(op_ptr, "responses", status), response)
                if isinstance(resolved, dict) and isinstance(resolved.get("headers"), dict):
                    response_headers.extend(resolved["headers"])
                if str(status) == "202" and accepted is None:
                    schemas = self._media_schemas(
                        op_doc, jp.join(op_ptr, "responses", status), response
                    )
                    if schemas:
                        accepted = self.schema_type(*schemas[0], direction="response")
        return Conventions(
            success_flag=success_flag,
            retryable_flag=retryable_flag,
            idempotency_header=headers.get("idempotency-key"),
            track_id_header=next(
                (w for k, w in sorted(headers.items()) if k.endswith("track-id")), None
            ),
            request_id_header=next(
                (h for h in sorted(set(response_headers)) if h.lower().endswith("request-id")), None
            ),
            entity_id_header=next(
                (w for k, w in sorted(headers.items()) if k.endswith(("entity-id", "entity-ids"))),
                None,
            ),
            error_shape=shape,
            invalid_request_status=400 if "400" in statuses or not statuses else 422,
            accepted_model=accepted,
        )

    # -- operations --------------------------------------------------------------------------
    def _query_model(self, doc: Document, op_ptr: str) -> PyType | None:
        """datamodel-code-generator's model of an operation's query parameters: their wire
        names as aliases, with the spec's constraints (page_size 1..99, patterns)."""
        names = [n for n in self._classes(doc, op_ptr) if n.endswith("ParametersQuery")]
        return PyType.model(model_class(names[0])) if names else None

    def _iter_operations(self) -> list[tuple[str, str, Document, str, dict[str, Any]]]:
        result: list[tuple[str, str, Document, str, dict[str, Any]]] = []
        paths = self.data.get("paths")
        if not isinstance(paths, dict):
            return result
        for path, item in paths.items():
            doc, item_ptr, item = self.deref(self.root, jp.join("/paths", path), item)
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    result.append((path, method, doc, jp.join(item_ptr, method), op))
        return result

    def _parameters(self, doc: Document, op_ptr: str, op: dict[str, Any]) -> list[Located]:
        item_ptr = jp.parent(op_ptr)
        item = jp.resolve(doc.data, item_ptr) if item_ptr else {}
        merged: dict[tuple[str, str], Located] = {}
        for base, params in (
            (jp.join(item_ptr, "parameters"), item.get("parameters")),
            (jp.join(op_ptr, "parameters"), op.get("parameters")),
        ):
            for index, param in enumerate(params if isinstance(params, list) else []):
                located = self.deref(doc, jp.join(base, index), param)
                value = located[2]
                if isinstance(value, dict) and "name" in value and "in" in value:
                    merged[(str(value["in"]), str(value["name"]))] = located
        return list(merged.values())

    def _parameter(self, located: Located, conventions: Conventions) -> Parameter:
        doc, pointer, value = located
        wire = str(value["name"])
        location = Location(str(value["in"]))
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
        schema_at = jp.join(pointer, "schema")
        ptype = self.parameter_type(doc, schema_at, value.get("schema", {}))
        return Parameter(
            wire_name=wire,
            python_name=identifier(wire, reserved=PARAMETER_RESERVED),
            location=location,
            type=ptype,
            required=bool(value.get("required")) or location is Location.PATH,
            description=str(value.get("description") or ""),
            deprecated=bool(value.get("deprecated")),
            explode=value.get("explode", value.get("style", "form") == "form") is not False,
            role=role,
        )

    def _result(
        self, op_doc: Document, op_ptr: str, responses: dict[str, Any], errors: set[tuple[str, str]]
    ) -> tuple[list[Response], PyType, PyType | None]:
        built: list[Response] = []
        results: list[PyType] = []
        accepted: PyType | None = None
        for status, response in responses.items():
            status = str(status)
            at = jp.join(op_ptr, "responses", status)
            _, _, resolved = self.deref(op_doc, at, response)
            schemas = self._media_schemas(op_doc, at, response)
            media = None
            rtype: PyType | None = None
            if schemas:
                sdoc, sptr, schema = schemas[0]
                content = resolved.get("content", {}) if isinstance(resolved, dict) else {}
                media = next((m for m in content if _is_json(m)), None)
                rtype = (
                    self._success_type(sdoc, sptr, schema, errors)
                    if status.startswith("2")
                    else self.schema_type(sdoc, sptr, schema, "response")
                )
            code = int(status) if status.isdigit() else None
            description = (
                str(resolved.get("description") or "") if isinstance(resolved, dict) else ""
            )
            built.append(Response(status, code, rtype, description, media))
            if status == "202":
                accepted = rtype or NONE
            elif status.startswith("2"):
                results.append(rtype or NONE)
        result = PyType.one_of(*results) if results else NONE
        return built, result, accepted

    def _success_type(
        self, doc: Document, pointer: str, schema: Any, errors: set[tuple[str, str]]
    ) -> PyType:
        """The type of a 2xx body, without branches that are the API's error body: those are
        the in-band failure form (v1's HTTP 200 `success: false`), which the client raises."""
        if isinstance(schema, dict):
            for keyword in ("oneOf", "anyOf"):
                branches = schema.get(keyword)
                if not isinstance(branches, list):
                    continue
                kept: list[PyType] = []
                dropped = False
                for index, branch in enumerate(branches):
                    bptr = jp.join(pointer, keyword, index)
                    tdoc, tptr, _ = self.deref(doc, bptr, branch)
                    if (tdoc.uri, tptr) in errors:
                        dropped = True
                        continue
                    kept.append(self.schema_type(doc, bptr, branch, "response"))
                if dropped and kept:
                    return PyType.one_of(*kept)
        return self.schema_type(doc, pointer, schema, "response")

    def _pagination(
        self, op_doc: Document, op_ptr: str, op: dict[str, Any], params: list[Parameter]
    ) -> Pagination | None:
        cursor = next(
            (p for p in params if p.location is Location.QUERY and p.wire_name == "cursor"), None
        )
        if cursor is None:
            return None
        responses = mapping(op.get("responses"))
        if "200" not in responses:
            return None
        schemas = self._media_schemas(op_doc, jp.join(op_ptr, "responses", "200"), responses["200"])
        if not schemas:
            return None
        sdoc, sptr, schema = schemas[0]
        props = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(props, dict) or "next_page" not in props or "data" not in props:
            return None
        ddoc, dptr, data = self.deref(sdoc, jp.join(sptr, "properties", "data"), props["data"])
        if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
            return None
        item = self.schema_type(ddoc, jp.join(dptr, "items"), data["items"], "response")
        return Pagination(cursor=cursor.python_name, item=item)

    def build(self, package: ModuleName, spec_digest: str) -> Api:
        conventions = self.conventions()
        errors = {(d.uri, p) for d, p, _ in self._error_schemas()}
        raw = self._iter_operations()
        names = unique(
            [
                identifier(
                    str(op.get("operationId") or f"{method}_{path}"), reserved=CLIENT_RESERVED
                )
                for path, method, _, _, op in raw
            ],
            reserved=CLIENT_RESERVED,
        )
        operations: list[Operation] = []
        for (path, method, doc, op_ptr, op), name in zip(raw, names, strict=True):
            params = [self._parameter(p, conventions) for p in self._parameters(doc, op_ptr, op)]
            params = _unique_parameter_names(params)
            body = None
            if "requestBody" in op:
                _, _, request = self.deref(doc, jp.join(op_ptr, "requestBody"), op["requestBody"])
                schemas = self._media_schemas(
                    doc, jp.join(op_ptr, "requestBody"), op["requestBody"]
                )
                if schemas:
                    content = request.get("content", {})
                    body = Body(
                        type=self.schema_type(*schemas[0], direction="request"),
                        media_type=next((m for m in content if _is_json(m)), "application/json"),
                        required=bool(request.get("required")),
                        description=str(request.get("description") or ""),
                    )
            responses = mapping(op.get("responses"))
            built, result, accepted = self._result(doc, op_ptr, responses, errors)
            operations.append(
                Operation(
                    operation_id=str(op.get("operationId") or name),
                    python_name=PythonIdentifier(name),
                    method=method.upper(),
                    path=path,
                    summary=str(op.get("summary") or ""),
                    description=str(op.get("description") or ""),
                    tags=tuple(str(t) for t in op.get("tags", []) if isinstance(t, str)),
                    deprecated=bool(op.get("deprecated")),
                    parameters=tuple(params),
                    body=body,
                    responses=tuple(built),
                    result=result,
                    accepted=accepted,
                    idempotent=method.upper() in IDEMPOTENT_METHODS,
                    pagination=self._pagination(doc, op_ptr, op, params),
                    query_model=self._query_model(doc, op_ptr),
                )
            )
        operations = _without_iterator_clashes(operations)
        operations, shared_params = _server_params(operations)
        info = mapping(self.data.get("info"))
        schemes = (self.data.get("components") or {}).get("securitySchemes") or {}
        bearer = (
            any(
                (isinstance(s, dict) and str(s.get("scheme", "")).lower() == "bearer")
                or (isinstance(s, dict) and s.get("type") == "oauth2")
                for s in schemes.values()
            )
            if isinstance(schemes, dict)
            else False
        )
        return Api(
            package=package,
            title=str(info.get("title") or package),
            version=str(info.get("version") or ""),
            description=str(info.get("description") or ""),
            openapi_version=str(self.data.get("openapi", "")),
            servers=self._servers(),
            operations=tuple(operations),
            conventions=conventions,
            bearer_auth=bearer,
            spec_digest=spec_digest,
            models=tuple(model_class(c.class_name) for c in self.models.classes),
            shared_server_params=shared_params,
        )

    def _servers(self) -> tuple[Server, ...]:
        servers = self.data.get("servers")
        if not isinstance(servers, list):
            return ()
        raw = []
        for index, server in enumerate(servers):
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            label = server.get("x-apicontract-name") or (
                str(server.get("description") or "").split("(")[0].split(",")[0].strip()
                or f"server {index + 1}"
            )
            raw.append(
                (server["url"], identifier(str(label)), str(server.get("description") or ""))
            )
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


def _server_param(p: Parameter) -> ServerParam:
    return ServerParam(
        wire_name=p.wire_name,
        python_name=p.python_name,
        location=p.location,
        type=p.type,
        required=p.required,
        many=p.type.name == "list" and not p.type.union and not p.type.literals,
        argument=p.role in (Role.PLAIN, Role.ASYNC),
    )


def _server_param_order(p: ServerParam) -> tuple[str, str, str, str, bool, bool, bool]:
    return (
        p.python_name,
        p.location.value,
        p.wire_name,
        p.type.annotation,
        p.required,
        p.many,
        p.argument,
    )


def _server_params(
    operations: list[Operation],
) -> tuple[list[Operation], tuple[SharedServerParam, ...]]:
    """The server's `Param`s of every operation (transport parameters are the runtime's gzip
    options, not `Param`s). One taken by two or more operations becomes a module-level constant
    `_PARAM_<NAME>`, named from its python name (disambiguated by `unique`, in sorted order, so
    names never depend on hashing); the others stay inline. Sharing one immutable `Param`
    instance changes nothing at run time."""
    from dataclasses import replace

    per_operation = [
        [_server_param(p) for p in op.parameters if p.role is not Role.TRANSPORT]
        for op in operations
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


def _is_json(media: str) -> bool:
    base = media.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def build_api(workspace: Workspace, models: Models, package: ModuleName) -> Api:
    return IrBuilder(workspace, models).build(package, workspace.root.digest)

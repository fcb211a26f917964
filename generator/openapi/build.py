"""Build the OpenAPI model from a loaded workspace: the one walk over paths, operations,
parameters, bodies, responses, callbacks, webhooks and components.

The walk is iterative where a spec can nest without bound (schemas, callbacks), follows `$ref`s
through the workspace (so the loading policy holds), visits each (document, pointer) once, and
records what it cannot read as `Problem`s instead of skipping it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from generator.findings import Severity
from generator.load import pointer as jp
from generator.load.shape import mapping, sequence
from generator.load.swagger2 import upgrade
from generator.load.workspace import Document, Loc, RefProblem, Workspace
from generator.openapi.dialect import Dialect, dialect_of, is_swagger2, version_problem
from generator.openapi.media import classify
from generator.openapi.model import (
    DEFAULT_STYLE,
    HTTP_METHODS,
    IGNORED_HEADERS,
    STYLES_BY_LOCATION,
    Callback,
    Encoding,
    Example,
    ExampleSite,
    Header,
    Info,
    Link,
    MediaType,
    OpenApi,
    Operation,
    OperationKind,
    Parameter,
    ParameterIn,
    Problem,
    RequestBody,
    Response,
    SchemaRef,
    SchemaSite,
    SecurityRequirement,
    SecurityScheme,
    SecurityType,
    Server,
    ServerVariable,
    Style,
    normalize_status,
    status_kind,
)

#: keywords whose value is one subschema, a list of them, or a name -> subschema map
SUBSCHEMA_ONE = (
    "additionalProperties",
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
    "contentSchema",
)
SUBSCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMA_ONE = frozenset(SUBSCHEMA_ONE)
_SUBSCHEMA_LIST = frozenset(SUBSCHEMA_LIST)
_SUBSCHEMA_MAP = frozenset(SUBSCHEMA_MAP)

Direction = str  # "request" | "response" | "none"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _extensions(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if isinstance(k, str) and k.startswith("x-")}


class ModelBuilder:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.root = workspace.root
        self.problems: list[Problem] = []
        self._problem_keys: set[tuple[str, str, str]] = set()
        self.schema_sites: list[SchemaSite] = []
        self.example_sites: list[ExampleSite] = []
        self._seen: set[tuple[str, str, str]] = set()
        self._schema_todo: list[tuple[Loc, Any]] = []
        self.dialect = Dialect.OAS31
        self.security_schemes: dict[str, SecurityScheme] = {}
        self.root_security: tuple[SecurityRequirement, ...] = ()
        self.root_security_loc: Loc | None = None
        self.root_servers: tuple[Server, ...] = ()
        self._parameters: dict[tuple[str, str], Parameter | None] = {}

    # -- problems and references -------------------------------------------------------------
    def problem(
        self, loc: Loc, rule: str, message: str, severity: Severity = Severity.ERROR
    ) -> None:
        key = (loc.doc.uri, loc.pointer, rule)
        if key in self._problem_keys:
            return
        self._problem_keys.add(key)
        self.problems.append(Problem(loc.finding(rule, message, severity)))

    def deref(self, loc: Loc, value: Any) -> tuple[Loc, Any] | None:
        """Follow `value`'s `$ref` chain (if any); a chain that breaks is a Problem and None."""
        if not (isinstance(value, dict) and isinstance(value.get("$ref"), str)):
            return loc, value
        try:
            doc, pointer, target = self.ws.deref(loc.doc, loc.pointer, value)
        except RefProblem as problem:
            self.problem(loc.child("$ref"), problem.rule, problem.message)
            return None
        return Loc(doc, pointer), target

    def _object(self, loc: Loc, value: Any, what: str) -> tuple[Loc, dict[str, Any]] | None:
        """`value` after its `$ref`s, when it is an object; else a Problem and None."""
        found = self.deref(loc, value)
        if found is None:
            return None
        at, resolved = found
        if not isinstance(resolved, dict):
            self.problem(
                at, "oas-structure", f"expected {what} (an object), found {_kind(resolved)}"
            )
            return None
        return at, resolved

    # -- the document --------------------------------------------------------------------------
    def build(self) -> OpenApi:
        upgraded = None
        if is_swagger2(self.root.data):
            upgraded = str(self.root.data.get("swagger"))
            self.root.data = upgrade(self.root.data)
        data = mapping(self.root.data)
        root = Loc(self.root, "")
        version_finding = version_problem(self.root)
        if version_finding is not None:
            self.problems.append(Problem(version_finding))
        self.dialect = dialect_of(data) or Dialect.OAS31
        info = mapping(data.get("info"))
        components = mapping(data.get("components"))
        schemes_loc = root.child("components", "securitySchemes")
        for name, raw in mapping(components.get("securitySchemes")).items():
            scheme = self._security_scheme(schemes_loc.child(name), str(name), raw)
            if scheme is not None:
                self.security_schemes[str(name)] = scheme
        if "security" in data:
            self.root_security_loc = root.child("security")
            self.root_security = self._requirements(self.root_security_loc, data["security"])
        self.root_servers = self._servers(root.child("servers"), data.get("servers"))
        operations: list[Operation] = []
        for path, item in mapping(data.get("paths")).items():
            operations.extend(
                self._path_item(
                    root.child("paths", path), item, OperationKind.PATH, str(path), None
                )
            )
        webhooks: list[Operation] = []
        for name, item in mapping(data.get("webhooks")).items():
            webhooks.extend(
                self._path_item(
                    root.child("webhooks", name), item, OperationKind.WEBHOOK, str(name), str(name)
                )
            )
        self._components(root.child("components"), components)
        self._drain_schemas()
        schemas_loc = root.child("components", "schemas")
        return OpenApi(
            dialect=self.dialect,
            version=_text(data.get("openapi")),
            info=Info(
                title=_text(info.get("title")),
                version=str(info.get("version", "")),
                description=_text(info.get("description")),
                summary=_text(info.get("summary")),
            ),
            servers=self.root_servers,
            operations=tuple(operations),
            webhooks=tuple(webhooks),
            security_schemes=self.security_schemes,
            security_scheme_names=tuple(
                str(name) for name in mapping(components.get("securitySchemes"))
            ),
            security=self.root_security,
            schemas={
                str(name): schemas_loc.child(name) for name in mapping(components.get("schemas"))
            },
            extensions=_extensions(data),
            root=root,
            schema_sites=tuple(self.schema_sites),
            example_sites=tuple(self.example_sites),
            problems=tuple(self.problems),
            upgraded_from=upgraded,
        )

    def _components(self, loc: Loc, components: dict[str, Any]) -> None:
        """Components no operation uses still have schemas and examples to check."""
        handlers: dict[str, Callable[[Loc, Any], object]] = {
            "schemas": lambda at, v: self._schema(at, v),
            "parameters": lambda at, v: self._parameter(at, v),
            "headers": lambda at, v: self._header(at, str(jp.split(at.pointer)[-1]), v),
            "requestBodies": lambda at, v: self._request_body(at, v),
            "responses": lambda at, v: self._response(at, "default", v),
            "pathItems": lambda at, v: self._path_item(
                at, v, OperationKind.PATH, str(jp.split(at.pointer)[-1]), None
            ),
            "callbacks": lambda at, v: self._callback(at, str(jp.split(at.pointer)[-1]), v),
            "examples": lambda at, v: None,
        }
        for section, handler in handlers.items():
            for name, value in mapping(components.get(section)).items():
                handler(loc.child(section, name), value)

    # -- path items and operations --------------------------------------------------------------
    def _path_item(
        self, loc: Loc, value: Any, kind: OperationKind, path: str, owner: str | None
    ) -> list[Operation]:
        found = self._object(loc, value, "a path item")
        if found is None:
            return []
        item_loc, item = found
        key = (item_loc.doc.uri, item_loc.pointer, f"path-item:{kind}:{path}")
        if key in self._seen:
            return []
        self._seen.add(key)
        shared = [
            p
            for index, raw in enumerate(sequence(item.get("parameters")))
            if (p := self._parameter(item_loc.child("parameters", index), raw)) is not None
        ]
        servers = self._servers(item_loc.child("servers"), item.get("servers"))
        operations = []
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = self._operation(
                item_loc.child(method),
                item[method],
                kind,
                method,
                path,
                owner,
                item_loc,
                shared,
                servers,
            )
            if op is not None:
                operations.append(op)
        return operations

    def _operation(
        self,
        loc: Loc,
        value: Any,
        kind: OperationKind,
        method: str,
        path: str,
        owner: str | None,
        item_loc: Loc,
        shared: list[Parameter],
        item_servers: tuple[Server, ...],
    ) -> Operation | None:
        found = self._object(loc, value, "an operation")
        if found is None:
            return None
        if found[0] != loc:
            self.problem(
                loc,
                "operation-ref",
                "an operation written as a `$ref` is not OpenAPI (only path items may be "
                "referenced); it was followed",
                Severity.WARNING,
            )
        op_loc, op = found
        merged: dict[tuple[ParameterIn, str], Parameter] = {p.key: p for p in shared}
        for index, raw in enumerate(sequence(op.get("parameters"))):
            param = self._parameter(op_loc.child("parameters", index), raw)
            if param is not None:
                merged[param.key] = param
        parameters: list[Parameter] = []
        ignored: list[Parameter] = []
        for param in merged.values():
            skip = param.location is ParameterIn.HEADER and param.key[1] in IGNORED_HEADERS
            (ignored if skip else parameters).append(param)
        body = None
        if "requestBody" in op:
            body = self._request_body(op_loc.child("requestBody"), op["requestBody"])
        responses: list[Response] = []
        for status, raw in mapping(op.get("responses")).items():
            response = self._response(op_loc.child("responses", status), str(status), raw)
            if response is not None:
                responses.append(response)
        callbacks = [
            cb
            for name, raw in mapping(op.get("callbacks")).items()
            if (cb := self._callback(op_loc.child("callbacks", name), str(name), raw)) is not None
        ]
        if "security" in op:
            security_loc: Loc | None = op_loc.child("security")
            security = self._requirements(op_loc.child("security"), op["security"])
        else:
            security_loc, security = self.root_security_loc, self.root_security
        servers = self._servers(op_loc.child("servers"), op.get("servers")) or item_servers
        op_id = op.get("operationId")
        return Operation(
            kind=kind,
            method=method,
            path=path,
            operation_id=op_id if isinstance(op_id, str) and op_id.strip() else None,
            summary=_text(op.get("summary")),
            description=_text(op.get("description")),
            tags=tuple(t for t in sequence(op.get("tags")) if isinstance(t, str)),
            deprecated=op.get("deprecated") is True,
            parameters=tuple(parameters),
            ignored_parameters=tuple(ignored),
            request_body=body,
            responses=tuple(responses),
            callbacks=tuple(callbacks),
            security=security,
            security_loc=security_loc,
            servers=servers or self.root_servers,
            extensions=_extensions(op),
            loc=op_loc,
            path_item_loc=item_loc,
            owner=owner,
        )

    def _callback(self, loc: Loc, name: str, value: Any) -> Callback | None:
        found = self._object(loc, value, "a callback")
        if found is None:
            return None
        cb_loc, callback = found
        operations: list[Operation] = []
        for expression, item in callback.items():
            if isinstance(expression, str) and expression.startswith("x-"):
                continue
            operations.extend(
                self._path_item(
                    cb_loc.child(expression), item, OperationKind.CALLBACK, str(expression), name
                )
            )
        expressions = tuple(str(e) for e in callback if not str(e).startswith("x-"))
        return Callback(name, expressions, tuple(operations), cb_loc)

    # -- parameters and headers -----------------------------------------------------------------
    def _parameter(self, loc: Loc, value: Any) -> Parameter | None:
        found = self._object(loc, value, "a parameter")
        if found is None:
            return None
        at, param = found
        if at.key in self._parameters:
            built = self._parameters[at.key]
        else:
            built = self._new_parameter(at, param)
            self._parameters[at.key] = built
        if built is None or loc == at:
            return built
        return dataclasses.replace(built, listed=loc)

    def _new_parameter(self, at: Loc, param: dict[str, Any]) -> Parameter | None:
        name, where = param.get("name"), param.get("in")
        if not isinstance(name, str) or not name:
            self.problem(at, "parameter-invalid", "a parameter needs a `name`")
            return None
        try:
            location = ParameterIn(str(where))
        except ValueError:
            self.problem(
                at.child("in") if "in" in param else at,
                "parameter-invalid",
                f"parameter {name!r}: `in` must be path, query, header or cookie, found {where!r}",
            )
            return None
        style, explode, allow_reserved = self._serialization(at, param, location, name)
        schema, content, examples = self._value_description(at, param, "request", "parameter")
        if location is ParameterIn.PATH and param.get("required") is not True:
            self.problem(
                at,
                "parameter-invalid",
                f"path parameter {name!r} must say `required: true` (it is treated as required)",
                Severity.WARNING,
            )
        return Parameter(
            name=name,
            location=location,
            required=param.get("required") is True or location is ParameterIn.PATH,
            deprecated=param.get("deprecated") is True,
            description=_text(param.get("description")),
            style=style,
            explode=explode,
            allow_reserved=allow_reserved,
            allow_empty_value=param.get("allowEmptyValue") is True,
            schema=schema,
            content=content,
            examples=examples,
            extensions=_extensions(param),
            loc=at,
            style_given="style" in param,
            explode_given="explode" in param,
        )

    def _serialization(
        self, at: Loc, value: dict[str, Any], location: ParameterIn, name: str
    ) -> tuple[Style, bool, bool]:
        style = DEFAULT_STYLE[location]
        raw = value.get("style")
        if raw is not None:
            try:
                given = Style(raw)
            except ValueError:
                given = None
            if given is None or given not in STYLES_BY_LOCATION[location]:
                allowed = ", ".join(sorted(STYLES_BY_LOCATION[location]))
                self.problem(
                    at.child("style"),
                    "parameter-style-invalid",
                    f"{location} parameter {name!r} cannot use style {raw!r} "
                    f"(allowed: {allowed}); {style} is used instead",
                )
            else:
                style = given
        explode = value.get("explode")
        if not isinstance(explode, bool):
            explode = style is Style.FORM
        allow_reserved = value.get("allowReserved") is True and location is ParameterIn.QUERY
        return style, explode, allow_reserved

    def _value_description(
        self, at: Loc, value: dict[str, Any], direction: Direction, what: str
    ) -> tuple[SchemaRef | None, MediaType | None, tuple[Example, ...]]:
        """The `schema` or single `content` entry of a parameter or header, and its examples."""
        schema = None
        content = None
        if "schema" in value:
            schema = self._schema_ref(at.child("schema"), value["schema"])
        raw_content = value.get("content")
        if isinstance(raw_content, dict) and raw_content:
            if len(raw_content) != 1 or schema is not None:
                self.problem(
                    at.child("content"),
                    "parameter-invalid",
                    "`content` must hold exactly one media type, and not beside `schema`",
                )
            media, media_value = next(iter(raw_content.items()))
            content = self._media_type(
                at.child("content", media), str(media), media_value, direction
            )
        elif schema is None:
            self.problem(
                at, "parameter-invalid", "neither `schema` nor `content` describes the value"
            )
        examples = self._examples(at, value)
        if schema is not None:
            for example in examples:
                self._example_site(example, schema.at, direction, what)
        return schema, content, examples

    def _header(self, loc: Loc, name: str, value: Any) -> Header | None:
        found = self._object(loc, value, "a header")
        if found is None:
            return None
        at, header = found
        style, explode, _ = self._serialization(at, header, ParameterIn.HEADER, name)
        schema, content, _ = self._value_description(at, header, "response", "parameter")
        return Header(
            name=name,
            required=header.get("required") is True,
            deprecated=header.get("deprecated") is True,
            description=_text(header.get("description")),
            style=style,
            explode=explode,
            schema=schema,
            content=content,
            loc=at,
        )

    # -- bodies ---------------------------------------------------------------------------------
    def _request_body(self, loc: Loc, value: Any) -> RequestBody | None:
        found = self._object(loc, value, "a request body")
        if found is None:
            return None
        at, body = found
        return RequestBody(
            required=body.get("required") is True,
            description=_text(body.get("description")),
            content=self._content(at.child("content"), body.get("content"), "request"),
            loc=at,
        )

    def _response(self, loc: Loc, status: str, value: Any) -> Response | None:
        normalized = normalize_status(status)
        kind = status_kind(normalized)
        if kind is None:
            if status.startswith("x-"):
                return None
            self.problem(
                loc,
                "response-status-invalid",
                f"response key {status!r} is not a status code, a range such as 2XX, or default",
            )
            return None
        found = self._object(loc, value, "a response")
        if found is None:
            return None
        at, response = found
        headers = []
        for name, raw in mapping(response.get("headers")).items():
            if str(name).lower() == "content-type":
                continue  # OpenAPI: a Content-Type response header SHALL be ignored
            header = self._header(at.child("headers", name), str(name), raw)
            if header is not None:
                headers.append(header)
        links = []
        for name, raw in mapping(response.get("links")).items():
            link = self._object(at.child("links", name), raw, "a link")
            if link is not None:
                link_loc, data = link
                links.append(
                    Link(
                        name=str(name),
                        operation_id=data.get("operationId")
                        if isinstance(data.get("operationId"), str)
                        else None,
                        operation_ref=data.get("operationRef")
                        if isinstance(data.get("operationRef"), str)
                        else None,
                        parameters=mapping(data.get("parameters")),
                        request_body=data.get("requestBody"),
                        loc=link_loc,
                    )
                )
        return Response(
            status=normalized,
            kind=kind,
            description=_text(response.get("description")),
            headers=tuple(headers),
            content=self._content(at.child("content"), response.get("content"), "response"),
            links=tuple(links),
            loc=at,
        )

    def _content(self, loc: Loc, value: Any, direction: Direction) -> tuple[MediaType, ...]:
        return tuple(
            media
            for name, raw in mapping(value).items()
            if (media := self._media_type(loc.child(name), str(name), raw, direction)) is not None
        )

    def _media_type(
        self, loc: Loc, name: str, value: Any, direction: Direction
    ) -> MediaType | None:
        found = self._object(loc, value, "a media type object")
        if found is None:
            return None
        at, media = found
        schema = (
            self._schema_ref(at.child("schema"), media["schema"]) if "schema" in media else None
        )
        examples = self._examples(at, media)
        if schema is not None:
            for example in examples:
                self._example_site(example, schema.at, direction, "example")
        encoding: dict[str, Encoding] = {}
        for prop, raw in mapping(media.get("encoding")).items():
            enc = self._encoding(at.child("encoding", prop), str(prop), raw, direction)
            if enc is not None:
                encoding[str(prop)] = enc
        return MediaType(
            name=name,
            kind=classify(name),
            schema=schema,
            examples=examples,
            encoding=encoding,
            loc=at,
        )

    def _encoding(self, loc: Loc, prop: str, value: Any, direction: Direction) -> Encoding | None:
        found = self._object(loc, value, "an encoding object")
        if found is None:
            return None
        at, enc = found
        headers = []
        for name, raw in mapping(enc.get("headers")).items():
            if str(name).lower() == "content-type":
                continue  # governed by `contentType`
            header = self._header(at.child("headers", name), str(name), raw)
            if header is not None:
                headers.append(header)
        style, explode, _ = self._serialization(at, enc, ParameterIn.QUERY, prop)
        content_type = enc.get("contentType")
        return Encoding(
            property=prop,
            content_type=content_type if isinstance(content_type, str) else None,
            headers=tuple(headers),
            style=style,
            explode=explode,
            allow_reserved=enc.get("allowReserved") is True,
            style_given=any(k in enc for k in ("style", "explode", "allowReserved")),
            loc=at,
        )

    # -- examples -------------------------------------------------------------------------------
    def _examples(self, loc: Loc, holder: dict[str, Any]) -> tuple[Example, ...]:
        found: list[Example] = []
        if "example" in holder:
            found.append(Example(None, holder["example"], loc.child("example")))
        for name, raw in mapping(holder.get("examples")).items():
            example = self._object(loc.child("examples", name), raw, "an example object")
            if example is None:
                continue
            at, data = example
            if "value" in data:
                found.append(Example(str(name), data["value"], at.child("value")))
            elif isinstance(data.get("externalValue"), str):
                found.append(Example(str(name), None, at, external=data["externalValue"]))
        return tuple(found)

    def _example_site(self, example: Example, schema: Loc, direction: Direction, what: str) -> None:
        if example.external is not None:
            return
        key = (example.loc.doc.uri, example.loc.pointer, f"example:{schema.key}:{direction}")
        if key not in self._seen:
            self._seen.add(key)
            self.example_sites.append(
                ExampleSite(example.loc, example.value, schema, direction, what)
            )

    # -- schemas --------------------------------------------------------------------------------
    def _schema_ref(self, loc: Loc, value: Any) -> SchemaRef:
        self._schema(loc, value)
        try:
            doc, pointer, target = self.ws.deref(loc.doc, loc.pointer, value)
        except RefProblem as problem:
            self.problem(loc.child("$ref"), problem.rule, problem.message)
            return SchemaRef(loc, loc, None)
        return SchemaRef(loc, Loc(doc, pointer), target)

    def _schema(self, loc: Loc, value: Any) -> None:
        self._schema_todo.append((loc, value))

    def _drain_schemas(self) -> None:
        """Visit every schema reachable from those queued, each (document, pointer) once.
        Plain (document, pointer) pairs until a site is kept: large specs hold ~10^5 schemas."""
        todo: list[tuple[Document, str, Any]] = [
            (loc.doc, loc.pointer, value) for loc, value in self._schema_todo
        ]
        self._schema_todo = []
        seen = self._seen
        escape = jp.escape
        while todo:
            doc, pointer, schema = todo.pop()
            if not isinstance(schema, dict):
                continue
            key = (doc.uri, pointer, "schema")
            if key in seen:
                continue
            ref = schema.get("$ref")
            if isinstance(ref, str):
                try:
                    tdoc, tpointer, target = self.ws.deref(doc, pointer, schema)
                except RefProblem as problem:
                    self.problem(Loc(doc, pointer + "/$ref"), problem.rule, problem.message)
                    tdoc = None
                # targets in the root's components are visited on their own; others (in
                # another file, or elsewhere in the root, as in a bundled spec) from here
                if tdoc is not None and (
                    tdoc is not self.root or not tpointer.startswith("/components/")
                ):
                    todo.append((tdoc, tpointer, target))
            seen.add(key)
            loc = Loc(doc, pointer)
            self.schema_sites.append(SchemaSite(loc, schema))
            for keyword, sub in schema.items():
                if keyword in _SUBSCHEMA_ONE:
                    if isinstance(sub, dict):
                        todo.append((doc, f"{pointer}/{escape(keyword)}", sub))
                elif keyword in _SUBSCHEMA_LIST:
                    if isinstance(sub, list):
                        base = f"{pointer}/{keyword}/"
                        todo.extend((doc, f"{base}{i}", v) for i, v in enumerate(sub))
                elif keyword in _SUBSCHEMA_MAP:
                    if isinstance(sub, dict):
                        base = f"{pointer}/{escape(keyword)}/"
                        todo.extend((doc, base + escape(n), v) for n, v in sub.items())
                elif keyword in ("example", "default"):
                    self.example_sites.append(
                        ExampleSite(loc.child(keyword), sub, loc, "none", keyword)
                    )
                elif keyword == "examples" and isinstance(sub, list):
                    for index, value in enumerate(sub):
                        self.example_sites.append(
                            ExampleSite(loc.child("examples", index), value, loc, "none", "example")
                        )

    # -- servers and security -------------------------------------------------------------------
    def _servers(self, loc: Loc, value: Any) -> tuple[Server, ...]:
        servers = []
        for index, raw in enumerate(sequence(value)):
            at = loc.child(index)
            if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
                self.problem(at, "oas-structure", "a server needs a `url`")
                continue
            variables = {}
            for name, var in mapping(raw.get("variables")).items():
                var = mapping(var)
                default = var.get("default")
                enum_values = tuple(str(v) for v in sequence(var.get("enum")))
                if not isinstance(default, str):
                    self.problem(
                        at.child("variables", name),
                        "server-variable-invalid",
                        f"server variable {name!r} needs a string `default`",
                    )
                    default = enum_values[0] if enum_values else ""
                variables[str(name)] = ServerVariable(
                    str(name), default, enum_values, _text(var.get("description"))
                )
            servers.append(
                Server(
                    url=raw["url"],
                    description=_text(raw.get("description")),
                    variables=variables,
                    extensions=_extensions(raw),
                    loc=at,
                )
            )
        return tuple(servers)

    def _security_scheme(self, loc: Loc, name: str, value: Any) -> SecurityScheme | None:
        found = self._object(loc, value, "a security scheme")
        if found is None:
            return None
        at, raw = found
        try:
            kind = SecurityType(str(raw.get("type")))
        except ValueError:
            self.problem(
                at.child("type") if "type" in raw else at,
                "security-scheme-invalid",
                f"security scheme {name!r} has unknown type {raw.get('type')!r}",
            )
            return None
        key_location = None
        if kind is SecurityType.API_KEY:
            try:
                key_location = ParameterIn(str(raw.get("in")))
            except ValueError:
                key_location = None
            if key_location not in (ParameterIn.HEADER, ParameterIn.QUERY, ParameterIn.COOKIE):
                self.problem(
                    at,
                    "security-scheme-invalid",
                    f"apiKey scheme {name!r} must say `in: header`, `query` or `cookie`",
                )
                key_location = None
        scheme = raw.get("scheme")
        return SecurityScheme(
            name=name,
            type=kind,
            description=_text(raw.get("description")),
            scheme=scheme.lower() if isinstance(scheme, str) else None,
            bearer_format=raw.get("bearerFormat")
            if isinstance(raw.get("bearerFormat"), str)
            else None,
            key_location=key_location,
            key_name=raw.get("name") if isinstance(raw.get("name"), str) else None,
            flows={str(k): mapping(v) for k, v in mapping(raw.get("flows")).items()},
            open_id_connect_url=raw.get("openIdConnectUrl")
            if isinstance(raw.get("openIdConnectUrl"), str)
            else None,
            loc=at,
        )

    def _requirements(self, loc: Loc, value: Any) -> tuple[SecurityRequirement, ...]:
        requirements = []
        for index, raw in enumerate(sequence(value)):
            if not isinstance(raw, dict):
                continue
            schemes = tuple(
                (str(name), tuple(str(s) for s in sequence(scopes))) for name, scopes in raw.items()
            )
            requirements.append(SecurityRequirement(schemes, loc.child(index)))
        return tuple(requirements)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def build_model(workspace: Workspace) -> OpenApi:
    """Read a loaded spec into the model. Never raises for what the spec says: problems are
    carried in `OpenApi.problems`."""
    return ModelBuilder(workspace).build()


def iter_operations(model: OpenApi) -> Iterator[Operation]:
    yield from model.all_operations()

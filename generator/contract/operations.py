"""What the checker needs to know of each operation, taken from the OpenAPI model once:
parameters (with the schema pointer to validate against), request body media types, and per
documented status the response media types and headers; and which operation a request's
method and URL reach (servers with variables, at root, path or operation level)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from generator.load.workspace import Document
from generator.openapi.model import (
    Header,
    MediaType,
    OpenApi,
    Operation,
    OperationKind,
    Parameter,
    Response,
    SchemaRef,
    SecurityRequirement,
)
from generator.openapi.servers import ServerMatcher


@dataclass(frozen=True)
class ParamSpec:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema_pointer: str | None  # in the root document
    schema: dict[str, Any]
    explode: bool
    style: str
    #: the media type of a `content`-encoded parameter (its value is one text in it)
    content_type: str | None = None
    allow_empty: bool = False
    #: where the parameter (or header) object is, for findings about how it is serialized
    site: str = ""
    #: whether `style` is written there (else findings about the style point at the object)
    style_given: bool = False

    @cached_property
    def pointer(self) -> str:
        """Where findings about this parameter point: `/<name>`."""
        return "/" + self.name.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class ContentSpec:
    media_type: str
    schema_pointer: str | None
    model: MediaType | None = None


@dataclass(frozen=True)
class ResponseSpec:
    status: str
    pointer: str
    content: tuple[ContentSpec, ...]
    headers: tuple[ParamSpec, ...]


@dataclass
class OperationSpec:
    operation_id: str | None
    method: str
    path: str
    pointer: str
    parameters: tuple[ParamSpec, ...]
    body_required: bool
    body: tuple[ContentSpec, ...]
    body_pointer: str | None
    responses: dict[str, ResponseSpec]
    #: the security requirements in effect (the operation's, else the spec's), and where
    security: tuple[SecurityRequirement, ...] = ()
    security_pointer: str = "/security"
    model: Operation | None = None
    regex: re.Pattern[str] = field(init=False)
    variables: dict[str, str] = field(init=False)
    literal_segments: int = field(init=False)
    servers: ServerMatcher = field(init=False)
    _by_status: dict[int, ResponseSpec | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.regex, self.variables, self.literal_segments = compile_template(self.path)
        self.servers = ServerMatcher(self.model.servers if self.model is not None else ())

    def response_for(self, status: int) -> ResponseSpec | None:
        """Exact status, else its range (`2XX`), else `default` (remembered per status)."""
        if status in self._by_status:
            return self._by_status[status]
        chosen: ResponseSpec | None
        if self.model is not None:
            found: Response | None = self.model.response_for(status)
            chosen = None if found is None else self.responses.get(found.status)
        else:
            chosen = self.responses.get(str(status)) or self.responses.get("default")
        self._by_status[status] = chosen
        return chosen


def compile_template(path: str) -> tuple[re.Pattern[str], dict[str, str], int]:
    """`/a/{id}/b` -> a regex with one named group per variable; literal segment count ranks
    matches (a literal `/fulfillments/bulk_create` beats `/fulfillments/{fulfillment_id}`)."""
    parts: list[str] = []
    names: dict[str, str] = {}
    position = 0
    for match in re.finditer(r"\{([^{}/]+)\}", path):
        parts.append(re.escape(path[position : match.start()]))
        group = f"v{len(names)}"
        names[group] = match.group(1)
        parts.append(f"(?P<{group}>[^/]+)")
        position = match.end()
    parts.append(re.escape(path[position:]))
    literal = sum(1 for seg in path.split("/") if seg and "{" not in seg)
    regex = re.compile("^" + "".join(parts) + "/?$")
    return regex, names, literal


def path_variables(op: OperationSpec, path: str) -> dict[str, str] | None:
    """The path variables as sent (still percent-encoded: a label or matrix value is taken
    apart before it is decoded)."""
    match = op.regex.match(path)
    if match is None:
        return None
    return {op.variables[g]: v for g, v in match.groupdict().items()}


def _root_pointer(schema: SchemaRef | None, root: Document) -> str | None:
    """Where the validators find a schema: its place in the root document (the converted
    document the validators compile is the root's)."""
    if schema is None or schema.at.doc is not root:
        return None
    return schema.at.pointer


def _param(param: Parameter | Header, location: str, root: Document) -> ParamSpec:
    schema = param.schema if param.schema is not None else None
    if schema is None and param.content is not None:
        schema = param.content.schema
    value = schema.value if schema is not None and isinstance(schema.value, dict) else {}
    site = param.site if isinstance(param, Parameter) else param.loc
    given = isinstance(param, Parameter) and param.style_given
    return ParamSpec(
        param.name,
        location,
        param.required,
        _root_pointer(schema, root),
        value,
        param.explode,
        param.style.value,
        content_type=param.content.name if param.content is not None else None,
        allow_empty=isinstance(param, Parameter) and param.allow_empty_value,
        site=site.pointer if site.doc is root else "",
        style_given=given,
    )


def _content(content: tuple[MediaType, ...], root: Document) -> tuple[ContentSpec, ...]:
    return tuple(ContentSpec(m.name, _root_pointer(m.schema, root), m) for m in content)


def operation_spec(op: Operation, root: Document) -> OperationSpec:
    body = op.request_body
    responses: dict[str, ResponseSpec] = {}
    for response in op.responses:
        responses[response.status] = ResponseSpec(
            response.status,
            response.loc.pointer,
            _content(response.content, root),
            tuple(_param(h, "header", root) for h in response.headers),
        )
    return OperationSpec(
        operation_id=op.operation_id,
        method=op.method.upper(),
        path=op.path,
        pointer=op.loc.pointer,
        parameters=tuple(_param(p, p.location.value, root) for p in op.parameters),
        body_required=body is not None and body.required,
        body=_content(body.content, root) if body is not None else (),
        body_pointer=body.loc.pointer if body is not None else None,
        responses=responses,
        security=op.security,
        security_pointer=op.security_loc.pointer if op.security_loc is not None else "/security",
        model=op,
    )


class OperationIndex:
    def __init__(self, model: OpenApi) -> None:
        self.model = model
        root = model.root.doc
        self.operations: list[OperationSpec] = [
            operation_spec(op, root) for op in model.operations if op.kind is OperationKind.PATH
        ]
        self._matches: dict[tuple[str, str], tuple[OperationSpec | None, dict[str, str], bool]] = {}

    def match(self, method: str, url: str) -> tuple[OperationSpec | None, dict[str, str], bool]:
        """The operation for method + URL (an absolute URL, or only its path): its template is
        matched against what is left once one of its servers is taken off the URL, or against
        the path itself. Returns (operation, path variables, whether the path exists under
        another method). Answers are remembered: traffic repeats the same few URLs."""
        key = (method, url)
        found = self._matches.get(key)
        if found is None:
            found = self._match(method, url)
            if len(self._matches) > 65536:
                self._matches.clear()
            self._matches[key] = found
        return found[0], dict(found[1]), found[2]

    def _match(self, method: str, url: str) -> tuple[OperationSpec | None, dict[str, str], bool]:
        best: tuple[int, int, int, OperationSpec, dict[str, str]] | None = None
        path_known = False
        for op in self.operations:
            for rank_server, candidate in enumerate(reversed(op.servers.paths(url))):
                variables = path_variables(op, candidate)
                if variables is None:
                    continue
                path_known = True
                if op.method != method.upper():
                    continue
                # more literal segments first, then fewer variables, then a server that took
                # off more of the URL
                rank = (op.literal_segments, -len(variables), rank_server)
                if best is None or rank > best[:3]:
                    best = (*rank, op, variables)
        if best is None:
            return None, {}, path_known
        return best[3], best[4], True

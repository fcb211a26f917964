"""What the checker needs to know of each operation, resolved once from the spec: parameters
(with the schema pointer to validate against), request body media types, and per documented
status the response media types and headers."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from generator.load import pointer as jp
from generator.load.shape import mapping
from generator.load.walk import HTTP_METHODS
from generator.load.workspace import Document, RefProblem, Workspace


@dataclass(frozen=True)
class ParamSpec:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema_pointer: str | None  # in the root document
    schema: dict[str, Any]
    explode: bool
    style: str

    @property
    def pointer(self) -> str:
        """Where findings about this parameter point: `/<name>`."""
        return "/" + self.name.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class ContentSpec:
    media_type: str
    schema_pointer: str | None


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
    security: list[Any] | None = None
    security_pointer: str = "/security"
    regex: re.Pattern[str] = field(init=False)
    variables: dict[str, str] = field(init=False)
    literal_segments: int = field(init=False)

    def __post_init__(self) -> None:
        self.regex, self.variables, self.literal_segments = compile_template(self.path)

    def response_for(self, status: int) -> ResponseSpec | None:
        exact = self.responses.get(str(status))
        if exact is not None:
            return exact
        family = self.responses.get(f"{str(status)[0]}XX") or self.responses.get(
            f"{str(status)[0]}xx"
        )
        return family or self.responses.get("default")


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
    match = op.regex.match(path)
    if match is None:
        return None
    return {op.variables[g]: urllib.parse.unquote(v) for g, v in match.groupdict().items()}


class OperationIndex:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.root = workspace.root
        data = self.root.data if isinstance(self.root.data, dict) else {}
        self.operations: list[OperationSpec] = []
        paths = mapping(data.get("paths"))
        for path, item in paths.items():
            doc, item_ptr, item = self._deref(self.root, jp.join("/paths", path), item)
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    self.operations.append(
                        self._operation(doc, path, method, item_ptr, item, item[method])
                    )
        self.server_prefixes = _server_prefixes(data.get("servers"))
        self._matches: dict[tuple[str, str], tuple[OperationSpec | None, dict[str, str], bool]] = {}

    def _deref(self, doc: Document, pointer: str, value: Any) -> tuple[Document, str, Any]:
        try:
            return self.ws.deref(doc, pointer, value)
        except RefProblem:
            return doc, pointer, {}

    def _param(
        self,
        doc: Document,
        pointer: str,
        value: Any,
        location: str | None = None,
        name: str | None = None,
    ) -> ParamSpec | None:
        doc, pointer, value = self._deref(doc, pointer, value)
        if not isinstance(value, dict):
            return None
        where = location or value.get("in")
        wire = name or value.get("name")
        if not isinstance(where, str) or not isinstance(wire, str):
            return None
        schema_pointer = None
        schema: dict[str, Any] = {}
        if isinstance(value.get("schema"), dict):
            sdoc, sptr, schema = self._deref(doc, jp.join(pointer, "schema"), value["schema"])
            schema_pointer = jp.join(pointer, "schema") if doc is self.root else None
            del sdoc, sptr
        style = value.get("style") or ("form" if where in ("query", "cookie") else "simple")
        explode = value.get("explode", style == "form")
        return ParamSpec(
            wire,
            where,
            bool(value.get("required")) or where == "path",
            schema_pointer,
            schema if isinstance(schema, dict) else {},
            explode is not False,
            str(style),
        )

    def _content(
        self, doc: Document, pointer: str, holder: dict[str, Any]
    ) -> tuple[ContentSpec, ...]:
        content = holder.get("content")
        if not isinstance(content, dict):
            return ()
        result = []
        for media, media_object in content.items():
            schema_pointer = None
            if isinstance(media_object, dict) and "schema" in media_object and doc is self.root:
                schema_pointer = jp.join(pointer, "content", media, "schema")
            result.append(ContentSpec(str(media), schema_pointer))
        return tuple(result)

    def _operation(
        self,
        doc: Document,
        path: str,
        method: str,
        item_ptr: str,
        item: dict[str, Any],
        op: dict[str, Any],
    ) -> OperationSpec:
        op_ptr = jp.join(item_ptr, method)
        params: dict[tuple[str, str], ParamSpec] = {}
        for base, raw in (
            (jp.join(item_ptr, "parameters"), item.get("parameters")),
            (jp.join(op_ptr, "parameters"), op.get("parameters")),
        ):
            for index, value in enumerate(raw if isinstance(raw, list) else []):
                spec = self._param(doc, jp.join(base, index), value)
                if spec is not None:
                    key = (
                        spec.location,
                        spec.name.lower() if spec.location == "header" else spec.name,
                    )
                    params[key] = spec
        body: tuple[ContentSpec, ...] = ()
        body_required = False
        body_pointer = None
        if "requestBody" in op:
            bdoc, bptr, request = self._deref(
                doc, jp.join(op_ptr, "requestBody"), op["requestBody"]
            )
            if isinstance(request, dict):
                body = self._content(bdoc, bptr, request)
                body_required = bool(request.get("required"))
                body_pointer = bptr
        responses: dict[str, ResponseSpec] = {}
        raw_responses = mapping(op.get("responses"))
        for status, response in raw_responses.items():
            rdoc, rptr, resolved = self._deref(doc, jp.join(op_ptr, "responses", status), response)
            if not isinstance(resolved, dict):
                continue
            headers = []
            raw_headers = resolved.get("headers")
            for name, header in raw_headers.items() if isinstance(raw_headers, dict) else ():
                if name.lower() == "content-type":
                    continue
                spec = self._param(rdoc, jp.join(rptr, "headers", name), header, "header", name)
                if spec is not None:
                    headers.append(spec)
            responses[str(status)] = ResponseSpec(
                str(status), rptr, self._content(rdoc, rptr, resolved), tuple(headers)
            )
        op_id = op.get("operationId")
        root = self.root.data if isinstance(self.root.data, dict) else {}
        security = op.get("security", root.get("security"))
        return OperationSpec(
            security=security if isinstance(security, list) else None,
            security_pointer=jp.join(op_ptr, "security") if "security" in op else "/security",
            operation_id=op_id if isinstance(op_id, str) else None,
            method=method.upper(),
            path=path,
            pointer=op_ptr,
            parameters=tuple(params.values()),
            body_required=body_required,
            body=body,
            body_pointer=body_pointer,
            responses=responses,
        )

    def match(self, method: str, path: str) -> tuple[OperationSpec | None, dict[str, str], bool]:
        """The operation for method + path (also after removing a server's path prefix).
        Returns (operation, path variables, whether the path exists under another method).
        Answers are remembered: traffic repeats the same few paths many times."""
        key = (method, path)
        found = self._matches.get(key)
        if found is None:
            found = self._match(method, path)
            if len(self._matches) > 65536:
                self._matches.clear()
            self._matches[key] = found
        return found[0], dict(found[1]), found[2]

    def _match(self, method: str, path: str) -> tuple[OperationSpec | None, dict[str, str], bool]:
        candidates = [path]
        for prefix in self.server_prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                candidates.append(path[len(prefix) :] or "/")
        best: tuple[int, int, OperationSpec, dict[str, str]] | None = None
        path_known = False
        for candidate in candidates:
            for op in self.operations:
                variables = path_variables(op, candidate)
                if variables is None:
                    continue
                path_known = True
                if op.method != method.upper():
                    continue
                rank = (op.literal_segments, -len(variables))
                if best is None or rank > (best[0], best[1]):
                    best = (rank[0], rank[1], op, variables)
        if best is None:
            return None, {}, path_known
        return best[2], best[3], True


def _server_prefixes(servers: Any) -> list[str]:
    prefixes: set[str] = set()
    for server in servers if isinstance(servers, list) else []:
        if isinstance(server, dict) and isinstance(server.get("url"), str):
            url = re.sub(r"\{[^}]*\}", "x", server["url"])
            path = urllib.parse.urlsplit(url).path.rstrip("/")
            if path:
                prefixes.add(path)
    return sorted(prefixes, key=len, reverse=True)

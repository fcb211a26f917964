"""Walks over an OpenAPI document: where its `$ref`s are, where its schemas and examples are.

Two walks, both iterative (deep documents never hit the recursion limit):

* `iter_refs` finds every `$ref` in a document, skipping literal values (`example`, `default`,
  `enum`, `const`, example `value`s, `x-` extensions) and treating the keys of name maps such as
  `properties` as names rather than keywords.
* `OpenApiWalker` visits the spec the way OpenAPI defines it (paths -> operations -> parameters,
  bodies, responses, headers; components), following `$ref`s across documents, and reports each
  schema and each example together with the schema it must satisfy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from generator.load import pointer as jp
from generator.load.shape import sequence
from generator.load.workspace import Document, RefProblem, Workspace

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: keywords whose value is a literal, never a place for `$ref`
LITERAL_KEYWORDS = frozenset({"example", "default", "enum", "const"})
#: keywords whose value maps names to schemas (its keys are names, not keywords)
NAME_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)

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
)
SUBSCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


@dataclass(frozen=True)
class RefSite:
    doc: Document
    pointer: str  # pointer of the object holding `$ref`
    ref: str


def iter_refs(doc: Document) -> Iterator[RefSite]:
    todo: list[tuple[Any, str, bool]] = [(doc.data, "", False)]
    while todo:
        value, pointer, names = todo.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if not names and isinstance(ref, str):
                yield RefSite(doc, pointer, ref)
            for key, child in value.items():
                if names:
                    todo.append((child, jp.join(pointer, key), False))
                    continue
                if key in LITERAL_KEYWORDS or key.startswith("x-") or key == "$ref":
                    continue
                if key == "examples":
                    if isinstance(child, dict):  # map of Example objects: skip their `value`s
                        for name, example in child.items():
                            if isinstance(example, dict):
                                kept = {k: v for k, v in example.items() if k != "value"}
                                todo.append((kept, jp.join(pointer, key, name), False))
                    continue
                todo.append((child, jp.join(pointer, key), key in NAME_MAPS))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                todo.append((child, jp.join(pointer, index), False))


Direction = Literal["request", "response", "none"]


@dataclass(frozen=True)
class SchemaSite:
    doc: Document
    pointer: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ExampleSite:
    """A literal value (`at` in `doc`) that must validate against the schema at `schema_at`."""

    doc: Document
    at: str
    value: Any
    schema_doc: Document
    schema_at: str
    direction: Direction
    what: str


class OpenApiWalker:
    """Collects schema and example sites of a spec. Unresolvable refs are skipped (the ref rule
    reports them); each (document, pointer) is visited once."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.schemas: list[SchemaSite] = []
        self.examples: list[ExampleSite] = []
        self._seen: set[tuple[str, str, str]] = set()
        self._schema_todo: list[tuple[Document, str, Any]] = []

    def run(self) -> OpenApiWalker:
        root = self.ws.root
        data = root.data if isinstance(root.data, dict) else {}
        paths = data.get("paths")
        if isinstance(paths, dict):
            for path, item in paths.items():
                self._path_item(root, jp.join("/paths", path), item)
        webhooks = data.get("webhooks")
        if isinstance(webhooks, dict):
            for name, item in webhooks.items():
                self._path_item(root, jp.join("/webhooks", name), item)
        components = data.get("components")
        if isinstance(components, dict):
            self._components(root, "/components", components)
        self._drain_schemas()
        return self

    # -- following references ------------------------------------------------------------
    def _follow(
        self, doc: Document, pointer: str, value: Any, kind: str
    ) -> tuple[Document, str, Any] | None:
        try:
            doc, pointer, value = self.ws.deref(doc, pointer, value)
        except RefProblem:
            return None
        key = (doc.uri, pointer, kind)
        if key in self._seen:
            return None
        self._seen.add(key)
        return doc, pointer, value

    # -- OpenAPI objects -----------------------------------------------------------------
    def _components(self, doc: Document, pointer: str, components: dict[str, Any]) -> None:
        handlers: dict[str, Callable[[Document, str, Any], None]] = {
            "schemas": lambda d, p, v: self._schema(d, p, v),
            "parameters": lambda d, p, v: self._parameter(d, p, v, "request"),
            "headers": lambda d, p, v: self._parameter(d, p, v, "response"),
            "requestBodies": lambda d, p, v: self._body(d, p, v, "request"),
            "responses": lambda d, p, v: self._body(d, p, v, "response"),
            "pathItems": lambda d, p, v: self._path_item(d, p, v),
        }
        for section, handler in handlers.items():
            entries = components.get(section)
            if isinstance(entries, dict):
                for name, value in entries.items():
                    handler(doc, jp.join(pointer, section, name), value)

    def _path_item(self, doc: Document, pointer: str, item: Any) -> None:
        followed = self._follow(doc, pointer, item, "path")
        if followed is None:
            return
        doc, pointer, item = followed
        if not isinstance(item, dict):
            return
        for index, param in enumerate(sequence(item.get("parameters"))):
            self._parameter(doc, jp.join(pointer, "parameters", index), param, "request")
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                self._operation(doc, jp.join(pointer, method), operation)

    def _operation(self, doc: Document, pointer: str, operation: dict[str, Any]) -> None:
        for index, param in enumerate(sequence(operation.get("parameters"))):
            self._parameter(doc, jp.join(pointer, "parameters", index), param, "request")
        if "requestBody" in operation:
            self._body(doc, jp.join(pointer, "requestBody"), operation["requestBody"], "request")
        responses = operation.get("responses")
        if isinstance(responses, dict):
            for status, response in responses.items():
                self._body(doc, jp.join(pointer, "responses", status), response, "response")
        callbacks = operation.get("callbacks")
        if isinstance(callbacks, dict):
            for name, callback in callbacks.items():
                if isinstance(callback, dict):
                    for expression, item in callback.items():
                        self._path_item(doc, jp.join(pointer, "callbacks", name, expression), item)

    def _parameter(self, doc: Document, pointer: str, param: Any, direction: Direction) -> None:
        followed = self._follow(doc, pointer, param, "parameter")
        if followed is None:
            return
        doc, pointer, param = followed
        if not isinstance(param, dict):
            return
        if isinstance(param.get("schema"), dict):
            schema_at = jp.join(pointer, "schema")
            self._schema(doc, schema_at, param["schema"])
            self._examples_of(doc, pointer, param, doc, schema_at, direction, "parameter")
        content = param.get("content")
        if isinstance(content, dict):
            self._content(doc, jp.join(pointer, "content"), content, direction)

    def _body(self, doc: Document, pointer: str, body: Any, direction: Direction) -> None:
        followed = self._follow(doc, pointer, body, "body")
        if followed is None:
            return
        doc, pointer, body = followed
        if not isinstance(body, dict):
            return
        if isinstance(body.get("content"), dict):
            self._content(doc, jp.join(pointer, "content"), body["content"], direction)
        headers = body.get("headers")
        if isinstance(headers, dict):
            for name, header in headers.items():
                self._parameter(doc, jp.join(pointer, "headers", name), header, "response")

    def _content(
        self, doc: Document, pointer: str, content: dict[str, Any], direction: Direction
    ) -> None:
        for media, media_object in content.items():
            at = jp.join(pointer, media)
            if not isinstance(media_object, dict):
                continue
            schema = media_object.get("schema")
            if isinstance(schema, dict):
                schema_at = jp.join(at, "schema")
                self._schema(doc, schema_at, schema)
                self._examples_of(doc, at, media_object, doc, schema_at, direction, "example")
            encoding = media_object.get("encoding")
            if isinstance(encoding, dict):
                for name, enc in encoding.items():
                    if isinstance(enc, dict) and isinstance(enc.get("headers"), dict):
                        for header, value in enc["headers"].items():
                            self._parameter(
                                doc,
                                jp.join(at, "encoding", name, "headers", header),
                                value,
                                direction,
                            )

    def _examples_of(
        self,
        doc: Document,
        pointer: str,
        holder: dict[str, Any],
        schema_doc: Document,
        schema_at: str,
        direction: Direction,
        what: str,
    ) -> None:
        if "example" in holder:
            self.examples.append(
                ExampleSite(
                    doc,
                    jp.join(pointer, "example"),
                    holder["example"],
                    schema_doc,
                    schema_at,
                    direction,
                    what,
                )
            )
        examples = holder.get("examples")
        if isinstance(examples, dict):
            for name, example in examples.items():
                try:
                    edoc, eptr, example = self.ws.deref(
                        doc, jp.join(pointer, "examples", name), example
                    )
                except RefProblem:
                    continue
                if isinstance(example, dict) and "value" in example:
                    self.examples.append(
                        ExampleSite(
                            edoc,
                            jp.join(eptr, "value"),
                            example["value"],
                            schema_doc,
                            schema_at,
                            direction,
                            what,
                        )
                    )

    # -- schemas -------------------------------------------------------------------------
    def _schema(self, doc: Document, pointer: str, schema: Any) -> None:
        self._schema_todo.append((doc, pointer, schema))

    def _drain_schemas(self) -> None:
        while self._schema_todo:
            doc, pointer, schema = self._schema_todo.pop()
            if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
                try:
                    tdoc, _, _ = self.ws.resolve(doc, schema["$ref"])
                except RefProblem:
                    tdoc = None
                # targets inside the root's components are visited on their own; others here
                if tdoc is not None and tdoc is not self.ws.root:
                    target = self._follow(doc, pointer, schema, "schema")
                    if target is not None:
                        self._schema_todo.append((target[0], target[1], target[2]))
            key = (doc.uri, pointer, "schema-site")
            if not isinstance(schema, dict) or key in self._seen:
                continue
            self._seen.add(key)
            self.schemas.append(SchemaSite(doc, pointer, schema))
            for keyword in ("example", "default"):
                if keyword in schema:
                    self.examples.append(
                        ExampleSite(
                            doc,
                            jp.join(pointer, keyword),
                            schema[keyword],
                            doc,
                            pointer,
                            "none",
                            keyword,
                        )
                    )
            if isinstance(schema.get("examples"), list):
                for index, value in enumerate(schema["examples"]):
                    self.examples.append(
                        ExampleSite(
                            doc,
                            jp.join(pointer, "examples", index),
                            value,
                            doc,
                            pointer,
                            "none",
                            "example",
                        )
                    )
            for keyword in SUBSCHEMA_ONE:
                if isinstance(schema.get(keyword), dict):
                    self._schema_todo.append((doc, jp.join(pointer, keyword), schema[keyword]))
            for keyword in SUBSCHEMA_LIST:
                for index, sub in enumerate(sequence(schema.get(keyword))):
                    self._schema_todo.append((doc, jp.join(pointer, keyword, index), sub))
            for keyword in SUBSCHEMA_MAP:
                entries = schema.get(keyword)
                if isinstance(entries, dict):
                    for name, sub in entries.items():
                        self._schema_todo.append((doc, jp.join(pointer, keyword, name), sub))

"""Where a document's `$ref`s are: `iter_refs` finds every one, iteratively (deep documents
never hit the recursion limit), skipping literal values (`example`, `default`, `enum`, `const`,
example `value`s, `x-` extensions) and treating the keys of name maps such as `properties` as
names rather than keywords.

This is a scan of one document's JSON, not a reading of OpenAPI: what the spec means
(operations, parameters, schemas, examples) is `generator.openapi`'s model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator.load import pointer as jp
from generator.load.workspace import Document

#: keywords whose value is a literal, never a place for `$ref`
LITERAL_KEYWORDS = frozenset({"example", "default", "enum", "const"})
#: keywords whose value maps names to schemas (its keys are names, not keywords), and the
#: OpenAPI maps whose keys are names (a `default` response, a schema named `enum`)
NAME_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
    | {"paths", "webhooks", "responses", "schemas", "parameters", "requestBodies", "headers"}
    | {"securitySchemes", "links", "callbacks", "pathItems", "content", "encoding"}
    | {"variables"}
)


@dataclass(frozen=True)
class RefSite:
    doc: Document
    pointer: str  # pointer of the object holding `$ref`
    ref: str


def iter_refs(doc: Document) -> Iterator[RefSite]:
    for value, pointer in iter_objects(doc):
        ref = value.get("$ref")
        if isinstance(ref, str):
            yield RefSite(doc, pointer, ref)


def iter_objects(
    doc: Document, *, extensions: bool = False
) -> Iterator[tuple[dict[str, Any], str]]:
    """Every mapping of `doc` whose keys are keywords (not names, not inside literal values or,
    unless `extensions`, `x-` extensions), with its pointer: where a `$ref` or another keyword
    can take effect."""
    todo: list[tuple[Any, str, bool]] = [(doc.data, "", False)]
    while todo:
        value, pointer, names = todo.pop()
        if isinstance(value, dict):
            if not names:
                yield value, pointer
            for key, child in value.items():
                if names:
                    todo.append((child, jp.join(pointer, key), False))
                    continue
                if key in LITERAL_KEYWORDS or key == "$ref":
                    continue
                if key.startswith("x-") and not extensions:
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

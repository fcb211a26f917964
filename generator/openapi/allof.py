"""What an `allOf` really allows when one of the schemas it combines is closed.

Every `allOf` member must accept the whole object. A member closed by
`additionalProperties: false` refuses every property it does not declare itself, including
the ones its siblings (or the combining schema) add, so those properties can never be sent:

    FulfillmentCreateRequest:
      allOf:
        - $ref: '#/components/schemas/FulfillmentCreate'   # additionalProperties: false
        - properties:
            processing_options: {...}                       # refused by the member above

The same holds for a member closed by `unevaluatedProperties: false` (it sees only its own
annotations) and for the combining schema's own `additionalProperties: false` (it sees only its
own `properties`). Lint reports such a combination (rule `allof-closed-member`); generated models
follow this meaning rather than the class inheritance that would accept the refused properties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from generator.load import pointer as jp
from generator.load.shape import sequence
from generator.load.workspace import Document, RefProblem, Workspace


@dataclass(frozen=True)
class Part:
    """One schema that applies to the whole object: the combining schema or an allOf member
    (followed through `$ref`s and nested `allOf`s)."""

    doc: Document
    pointer: str
    schema: dict[str, Any]
    #: index of the direct allOf member it comes from; -1: the combining schema itself
    origin: int
    #: OpenAPI 3.1 (JSON Schema 2020-12, where `unevaluatedProperties` exists)
    modern: bool = False

    @property
    def closed(self) -> bool:
        return self.schema.get("additionalProperties") is False or (
            self.modern and self.origin >= 0 and self.schema.get("unevaluatedProperties") is False
        )

    @property
    def declared(self) -> list[str]:
        found = self.schema.get("properties")
        return list(found) if isinstance(found, dict) else []

    @property
    def required(self) -> list[str]:
        return [n for n in sequence(self.schema.get("required")) if isinstance(n, str)]

    def allows(self, name: str) -> bool:
        if name in self.declared:
            return True
        patterns = self.schema.get("patternProperties")
        return isinstance(patterns, dict) and any(_matches(p, name) for p in patterns)


@dataclass
class Conflict:
    """The properties an allOf's closed schemas refuse although another part declares or
    requires them."""

    #: each closed part with the names it refuses, in schema order
    refusals: list[tuple[Part, list[str]]] = field(default_factory=list)
    #: refused names that some part requires: then no object satisfies the schema at all
    required: set[str] = field(default_factory=set)

    @property
    def refused(self) -> set[str]:
        return {name for _, names in self.refusals for name in names}


def parts_of(workspace: Workspace, version: str, doc: Document, pointer: str) -> list[Part]:
    """The schema at `pointer` and every schema its `allOf` implies."""
    schema = jp.resolve(doc.data, pointer)
    parts = [Part(doc, pointer, schema, -1, version == "3.1")]
    for index, member in enumerate(sequence(schema.get("allOf"))):
        at = jp.join(pointer, "allOf", index)
        parts.extend(_flatten(workspace, version, doc, at, member, index))
    return parts


def conflict(workspace: Workspace, version: str, doc: Document, pointer: str) -> Conflict | None:
    """What the closed parts of the `allOf` at `pointer` refuse, or None when nothing is."""
    try:
        schema = jp.resolve(doc.data, pointer)
    except KeyError:
        return None
    if not isinstance(schema, dict) or not isinstance(schema.get("allOf"), list):
        return None
    parts = parts_of(workspace, version, doc, pointer)
    found = Conflict()
    for closed in (p for p in parts if p.closed):
        refused: list[str] = []
        for other in parts:
            # a member's own allOf is judged at that member
            if other is closed or (other.origin == closed.origin and other.origin >= 0):
                continue
            for name in [*other.declared, *other.required]:
                if not closed.allows(name) and name not in refused:
                    refused.append(name)
        if refused:
            found.refusals.append((closed, refused))
    wanted = {name for part in parts for name in part.required}
    found.required = found.refused & wanted
    return found if found.refusals else None


def _flatten(
    workspace: Workspace, version: str, doc: Document, pointer: str, member: Any, origin: int
) -> list[Part]:
    found: list[Part] = []
    seen: set[tuple[str, str]] = set()
    todo = [(doc, pointer, member)]
    while todo:
        doc, pointer, value = todo.pop()
        if version == "3.1" and isinstance(value, dict) and "$ref" in value:
            beside = {k: v for k, v in value.items() if k != "$ref"}
            if beside:  # 3.1: keywords beside a $ref apply as well
                found.append(Part(doc, pointer, beside, origin, modern=True))
        try:
            doc, pointer, value = workspace.deref(doc, pointer, value)
        except RefProblem:
            continue  # reported by the reference rules
        if not isinstance(value, dict) or (doc.uri, pointer) in seen:
            continue
        seen.add((doc.uri, pointer))
        found.append(Part(doc, pointer, value, origin, version == "3.1"))
        for index, inner in enumerate(sequence(value.get("allOf"))):
            todo.append((doc, jp.join(pointer, "allOf", index), inner))
    return found


def _matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return True  # an unreadable pattern is another rule's concern: assume it allows

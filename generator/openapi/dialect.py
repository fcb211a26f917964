"""OpenAPI versions: decided once, here, and 3.0 schemas brought to JSON Schema 2020-12 here.

Every engine asks `dialect_of` / `require_dialect` which dialect a document speaks (one message
for every command when it speaks none we read) and calls `schema_to_2020_12` for the one
conversion 3.0 needs, so no engine ever tests `openapi: 3.0` itself.

OpenAPI 3.0 schema objects differ from 2020-12 in four ways that matter when validating:
* `nullable: true` adds `null` to the allowed values;
* `exclusiveMinimum`/`exclusiveMaximum` are booleans qualifying `minimum`/`maximum`;
* keywords beside a `$ref` are ignored;
* `integer` means a JSON number without a fraction or exponent part (3.0 follows JSON Schema
  Wright draft 00), where 2020-12 accepts `1.0` as an integer. That is a property of the
  instance text, so it is checked by the contract engine on the raw JSON, not here.

How `nullable` combines with `enum` and with a `$ref` beside it is decided in
`schema_to_2020_12` and documented there.
"""

from __future__ import annotations

import enum
from typing import Any

from generator.findings import Finding, InputError, Severity
from generator.load.workspace import Document


class Dialect(enum.StrEnum):
    OAS30 = "3.0"
    OAS31 = "3.1"

    @property
    def json_schema(self) -> str:
        """The JSON Schema dialect URI its schemas are validated as once converted."""
        return "https://json-schema.org/draft/2020-12/schema"


#: versions `openapi:` may name, by their major.minor
_DIALECTS = {"3.0": Dialect.OAS30, "3.1": Dialect.OAS31}


def version_of(data: Any) -> str | None:
    """The `openapi` (or Swagger `swagger`) version string a document declares, if any."""
    if not isinstance(data, dict):
        return None
    raw = data.get("openapi", data.get("swagger"))
    return raw if isinstance(raw, str) else None


def is_swagger2(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("swagger", "")).startswith("2")


def dialect_of(data: Any) -> Dialect | None:
    """The dialect of an OpenAPI 3.0 or 3.1 document, None for anything else."""
    if not isinstance(data, dict):
        return None
    raw = data.get("openapi")
    if not isinstance(raw, str):
        return None
    return _DIALECTS.get(".".join(raw.split(".")[:2]))


def version_problem(doc: Document) -> Finding | None:
    """The one finding every command gives for a document that is not OpenAPI 3.0/3.1."""
    data = doc.data
    if not isinstance(data, dict):
        return doc.finding(
            "", "openapi-version", "expected an OpenAPI 3.0 or 3.1 document, found no mapping"
        )
    if dialect_of(data) is not None:
        return None
    if "openapi" in data:
        found = repr(data["openapi"])
        pointer = "/openapi"
    elif "swagger" in data:
        found = f"Swagger {data['swagger']!r}"
        pointer = ""  # the document has no `openapi` key: the finding is about the whole
    else:
        found = "no `openapi` key"
        pointer = ""
    return doc.finding(
        pointer,
        "openapi-version",
        f"expected an OpenAPI 3.0 or 3.1 document (`openapi: 3.0.x` or `3.1.x`), found {found}",
        Severity.ERROR,
    )


def require_dialect(doc: Document) -> Dialect:
    """The dialect of `doc`, or InputError (exit code 2) with the one version message."""
    problem = version_problem(doc)
    if problem is not None:
        raise InputError(problem)
    dialect = dialect_of(doc.data)
    assert dialect is not None
    return dialect


def schema_to_2020_12(schema: dict[str, Any]) -> bool:
    """Convert one OpenAPI 3.0 schema object to 2020-12 in place (children are separate schema
    objects, converted on their own). Returns True when the schema had to be wrapped as
    `anyOf: [<schema>, {type: null}]` to express `nullable` (no single `type` to widen).

    As today's engines read it: `nullable` widens a single `type` and the `enum` beside it;
    without a single `type` the schema is wrapped; beside a `$ref` it is dropped with the other
    siblings (3.0 ignores them)."""
    for bound, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
        if isinstance(schema.get(exclusive), bool):
            if schema.pop(exclusive) and bound in schema:
                schema[exclusive] = schema.pop(bound)
    nullable = schema.pop("nullable", False) is True
    if "$ref" in schema:
        ref = schema["$ref"]
        schema.clear()
        schema["$ref"] = ref
        return False
    if not nullable:
        return False
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return False
    rest = dict(schema)
    schema.clear()
    schema["anyOf"] = [rest, {"type": "null"}]
    return True

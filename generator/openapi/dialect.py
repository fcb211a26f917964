"""OpenAPI versions: decided once, here, and OpenAPI schemas brought to JSON Schema 2020-12 here.

Every engine asks `dialect_of` / `require_dialect` which dialect a document speaks (one message
for every command when it speaks none we read) and calls `schema_to_2020_12` for the one
conversion 3.0 needs, so no engine ever tests `openapi: 3.0` itself.

OpenAPI 3.0 schema objects differ from 2020-12 in four ways that matter when validating:
* `nullable: true` adds `null` to the values its `type` allows;
* `exclusiveMinimum`/`exclusiveMaximum` are booleans qualifying `minimum`/`maximum`;
* keywords beside a `$ref` are ignored;
* `integer` means a JSON number without a fraction or exponent part (3.0 follows JSON Schema
  Wright draft 00), where 2020-12 accepts `1.0` as an integer. That is a property of the
  instance text, not of its value: `schema_to_2020_12` marks such schemas with a keyword the
  caller's validator implements on what the JSON text said (the contract engine keeps `1.0`
  and `1e2` as floats and `1` as an int).

How `nullable` combines with `enum` and with a `$ref` beside it is decided in
`schema_to_2020_12`, and how a `discriminator` constrains a payload in
`discriminator_constraints`; both are documented there, with the OpenAPI text they follow.
"""

from __future__ import annotations

import enum
import urllib.parse
from collections.abc import Collection
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


#: the keyword `schema_to_2020_12` adds to a 3.0 integer schema when asked to
OAS30_INTEGER = "x-apicontract-oas30-integer"


def schema_to_2020_12(schema: dict[str, Any], integer_keyword: str | None = None) -> None:
    """Convert one OpenAPI 3.0 schema object to 2020-12 in place (children are separate schema
    objects, converted on their own). With `integer_keyword`, a schema whose `type` is
    `integer` also gets that keyword (value true), for the caller's validator to reject JSON
    numbers written with a fraction or exponent.

    Decisions, each by the text of OpenAPI 3.0.4 (whose clarifications hold for every 3.0.x:
    tools do not tell patch versions apart):

    * `nullable` "only takes effect if `type` is explicitly defined within the same Schema
      Object": `type: T, nullable: true` becomes `type: [T, "null"]`, and without a `type`
      beside it `nullable` changes nothing.
    * "Other Schema Object constraints retain their defined behavior, and therefore may
      disallow the use of `null` as a value": an `enum` that does not list `null` still
      rejects null (so does an `allOf` branch whose type is not nullable).
    * `nullable` beside a `$ref`: the object is a Reference Object, whose other properties
      "SHALL be ignored", so `nullable` (like every sibling) is dropped and the referenced
      schema alone decides; and there is no `type` in the same object for it to act on.
    """
    for bound, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
        if isinstance(schema.get(exclusive), bool):
            if schema.pop(exclusive) and bound in schema:
                schema[exclusive] = schema.pop(bound)
    nullable = schema.pop("nullable", False) is True
    if "$ref" in schema:
        ref = schema["$ref"]
        schema.clear()
        schema["$ref"] = ref
        return
    kind = schema.get("type")
    if integer_keyword is not None and kind == "integer":
        schema[integer_keyword] = True
    if nullable and isinstance(kind, str):
        schema["type"] = [kind, "null"]


def discriminator_constraints(
    schema: dict[str, Any], component_names: Collection[str]
) -> list[tuple[str, dict[str, Any]]] | None:
    """What a `discriminator` beside `oneOf`/`anyOf` asks of a payload, as 2020-12 subschemas
    the caller adds to the schema (as `allOf` entries); None when the discriminator
    is not one that constrains (no `oneOf`/`anyOf` beside it, or no usable `propertyName`).
    Each entry is (what it checks, subschema): "present", "known", or a value it selects by.

    OpenAPI (3.0.4 and 3.1.1 say the same) both says "`discriminator` MUST NOT change the
    validation outcome of the schema" and that the property "_MUST_ be present in the
    response payload", that its value "will indicate that the `Cat` schema is expected to
    match this payload", and that "if the discriminating value does not match an implicit or
    explicit mapping, no schema can be determined and validation SHOULD fail". Read together:
    the discriminator never makes valid what `oneOf`/`anyOf` reject (every branch is still
    tried, the branches' verdict stands), and it adds what the text asks of the payload:

    * the property is present;
    * its value is a `mapping` key, or the name of a component schema that one of the listed
      branches references (implicit mapping; "inline `oneOf` or `anyOf` subschemas are not
      considered");
    * the payload matches the schema that value names. So `{"petType": "dog"}` that only
      `Cat` accepts is invalid, with `Dog`'s own findings.

    A `mapping` value is a component name, or a URI reference when it holds a `/` or `#`
    (the text recommends reading an ambiguous value as a name). A `discriminator` on a parent
    schema used through `allOf` "_does not_ perform a search for child schemas", so it adds
    nothing here.
    """
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, dict):
        return None
    name = discriminator.get("propertyName")
    branches = schema.get("oneOf", schema.get("anyOf"))
    if not isinstance(name, str) or not isinstance(branches, list):
        return None
    targets: dict[str, str] = {}  # value -> JSON pointer (with `#`) of the schema it names
    referenced: set[str] = set()
    for branch in branches:
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            referenced.add(ref)
    known: set[str] = set()  # values that select a schema (one outside the document too)
    mapping = discriminator.get("mapping")
    if isinstance(mapping, dict):
        for value, target in mapping.items():
            if not isinstance(target, str):
                continue
            known.add(str(value))
            if "/" not in target and "#" not in target:
                escaped = target.replace("~", "~0").replace("/", "~1")
                target = "#/components/schemas/" + urllib.parse.quote(escaped, safe="~")
            if target.startswith("#"):
                targets[str(value)] = target
    mapped = set(targets.values())
    for ref in sorted(referenced - mapped):
        component = urllib.parse.unquote(ref[len("#/components/schemas/") :])
        plain = component.replace("~1", "/").replace("~0", "~")
        if plain in component_names:
            targets.setdefault(plain, ref)
    known.update(targets)
    constraints: list[tuple[str, dict[str, Any]]] = [("present", {"required": [name]})]
    constraints.append(("known", {"properties": {name: {"enum": sorted(known)}}}))
    for value, target in sorted(targets.items()):
        constraints.append(
            (
                value,
                {
                    "if": {"properties": {name: {"const": value}}, "required": [name]},
                    "then": {"$ref": target},
                },
            )
        )
    return constraints

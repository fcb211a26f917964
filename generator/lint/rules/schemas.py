"""Schema keywords that decide generated types have the shape their dialect requires: a `type`
that names a JSON type (`strng` is not one), `properties` as a mapping, `required` as a list of
names, `items` as a schema, non-empty `enum`/`allOf`/`anyOf`/`oneOf` lists.

openapi-spec-validator (the structure rule) finds these too, but it validates the whole document
and costs seconds on large specs; `generate` runs this check on every regeneration instead, so a
typo can never silently become a field typed `Any`. In `lint` both run and the place is reported
once. Hand-written rather than a validator call: it checks only the keywords that shape types,
over the schema sites the OpenAPI model already found, in a single pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.openapi.dialect import Dialect

JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})
#: OpenAPI 3.0 has no `null` type (it says `nullable: true`)
JSON_TYPES_30 = JSON_TYPES - {"null"}

RULE = "schema-invalid"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def check(ctx: LintContext) -> Iterator[Finding]:
    version30 = ctx.model.dialect is Dialect.OAS30
    allowed = JSON_TYPES_30 if version30 else JSON_TYPES
    for site in ctx.model.schema_sites:
        schema = site.schema
        loc = site.loc
        if "type" in schema:
            kind = schema["type"]
            names = kind if isinstance(kind, list) and not version30 else [kind]
            for index, name in enumerate(names):
                if not isinstance(name, str) or name not in allowed:
                    at = loc.child("type", index) if names is kind else loc.child("type")
                    known = ", ".join(sorted(allowed))
                    hint = " (3.0 says `nullable: true` instead)" if name == "null" else ""
                    yield at.finding(
                        RULE, f"type {name!r} is not a JSON type{hint}; expected one of {known}"
                    )
            if isinstance(kind, list) and not kind:
                yield loc.child("type").finding(RULE, "`type` lists no type")
        for keyword in ("properties", "patternProperties"):
            if keyword in schema and not isinstance(schema[keyword], dict):
                yield loc.child(keyword).finding(
                    RULE, f"`{keyword}` must map names to schemas, found {_kind(schema[keyword])}"
                )
        if "required" in schema:
            required = schema["required"]
            if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
                yield loc.child("required").finding(
                    RULE, "`required` must be a list of property names"
                )
        if "items" in schema:
            items = schema["items"]
            if not isinstance(items, dict) and not (isinstance(items, bool) and not version30):
                yield loc.child("items").finding(
                    RULE, f"`items` must be a schema, found {_kind(items)}"
                )
        if "additionalProperties" in schema and not isinstance(
            schema["additionalProperties"], (dict, bool)
        ):
            yield loc.child("additionalProperties").finding(
                RULE, "`additionalProperties` must be a schema or a boolean"
            )
        for keyword in ("enum", "allOf", "anyOf", "oneOf"):
            if keyword in schema:
                value = schema[keyword]
                if not isinstance(value, list) or not value:
                    yield loc.child(keyword).finding(
                        RULE, f"`{keyword}` must be a non-empty list, found {_kind(value)}"
                    )
        if version30 and "nullable" in schema and not isinstance(schema["nullable"], bool):
            yield loc.child("nullable").finding(RULE, "`nullable` must be true or false")

"""Compile a spec once for checking traffic: OpenAPI schemas become JSON Schema 2020-12, one
converted document per direction (readOnly/writeOnly differ), validated by jsonschema-rs
(linear-time regexes, so no pattern can backtrack catastrophically).

Conversion of OpenAPI 3.0 schemas: `nullable: true` becomes a `null` type (or enum member),
boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers, `$ref` siblings are dropped (3.0
ignores them). In both versions, a readOnly property may not appear in a request and a
writeOnly one may not appear in a response, and neither is required there.

Validators are built per schema location on first use and reused for every exchange. Error
locations are mapped back to the spec file with `$ref` names kept, by replaying each error's
evaluation path over the converted document.
"""

from __future__ import annotations

import copy
import urllib.parse
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from generator.load import pointer as jp
from generator.openapi.dialect import Dialect, schema_to_2020_12
from generator.openapi.model import OpenApi

DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass
class Converted:
    direction: str
    document: dict[str, Any]
    #: converted pointers of schemas that were wrapped as `anyOf: [schema, {type: null}]`
    wrapped: set[str]


def convert(model: OpenApi, direction: str) -> Converted:
    root = model.root.doc
    data = copy.deepcopy(root.data)
    version30 = model.dialect is Dialect.OAS30
    sites = model.schema_sites
    pointers = sorted(
        {s.pointer for s in sites if s.doc is root},
        key=lambda p: (-p.count("/"), p),  # deepest first: wrapping a parent keeps children
    )
    wrapped: set[str] = set()
    for pointer in pointers:
        try:
            schema = jp.resolve(data, pointer)
        except KeyError:
            continue
        if isinstance(schema, dict):
            if _convert_schema(schema, version30, direction, data):
                wrapped.add(pointer)
    data["$schema"] = DIALECT
    return Converted(direction, data, wrapped)


def _flag(schema: Any, data: dict[str, Any], name: str, depth: int = 0) -> bool:
    """Whether a (possibly referenced) property schema carries readOnly/writeOnly."""
    while isinstance(schema, dict) and depth < 16:
        if schema.get(name) is True:
            return True
        ref = schema.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#")):
            return False
        try:
            schema = jp.resolve(data, ref[1:])
        except KeyError:
            return False
        depth += 1
    return False


def _convert_schema(
    schema: dict[str, Any],
    version30: bool,
    direction: str,
    data: dict[str, Any],
) -> bool:
    """Convert one schema object in place; True when it had to be wrapped for `nullable`."""
    properties = schema.get("properties")
    if isinstance(properties, dict):
        hidden = "readOnly" if direction == "request" else "writeOnly"
        for name, prop in list(properties.items()):
            if _flag(prop, data, hidden):
                properties[name] = False
                required = schema.get("required")
                if isinstance(required, list) and name in required:
                    schema["required"] = [r for r in required if r != name]
    if not version30:
        return False
    return schema_to_2020_12(schema)


class SchemaIndex:
    """Validators over one converted document, built on first use per schema pointer."""

    def __init__(self, converted: Converted) -> None:
        self.converted = converted
        self._validators: dict[str, Any] = {}

    def validator(self, pointer: str) -> Any:
        found = self._validators.get(pointer)
        if found is None:
            root = dict(self.converted.document)
            root["$ref"] = "#" + urllib.parse.quote(pointer, safe="/~")
            found = jsonschema_rs.validator_for(
                root,
                validate_formats=True,
                pattern_options=jsonschema_rs.RegexOptions(),
            )
            self._validators[pointer] = found
        return found

    def schema_at(self, pointer: str) -> Any:
        try:
            return jp.resolve(self.converted.document, pointer)
        except KeyError:
            return None

    def locate(self, schema_path: list[str | int]) -> tuple[str, str]:
        """(converted pointer, spec pointer) of the keyword an error came from. jsonschema-rs
        reports absolute keyword locations (references already followed, so `$ref` names are
        kept); only the `anyOf` wrappers conversion added for `nullable` are taken out."""
        converted = original = ""
        tokens = [str(t) for t in schema_path]
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if (
                converted in self.converted.wrapped
                and token == "anyOf"
                and index + 1 < len(tokens)
                and tokens[index + 1] == "0"
            ):
                converted = jp.join(converted, "anyOf", "0")
                index += 2
                continue
            converted = jp.join(converted, token)
            original = jp.join(original, token)
            index += 1
        return converted, original

"""Compile a spec once for checking traffic: OpenAPI schemas become JSON Schema 2020-12, one
converted document per direction (readOnly/writeOnly differ), validated by jsonschema-rs
(linear-time regexes, so no pattern can backtrack catastrophically).

What the conversion adds to the spec's own schemas, each decided and documented in
`generator.openapi.dialect`:

* OpenAPI 3.0 schemas go through `schema_to_2020_12` (`nullable`, boolean exclusive bounds,
  `$ref` siblings), and a 3.0 `integer` is checked to be written without a fraction or
  exponent (a keyword implemented here, on the value the JSON text gave: `1.0` stays a float);
* a `discriminator` beside `oneOf`/`anyOf` adds what it asks of a payload
  (`discriminator_constraints`);
* the OpenAPI formats JSON Schema does not know: `int32`, `int64`, `float` and `double` are
  ranges (an added `allOf` entry with `minimum`/`maximum`), `byte` is base64 (RFC 4648, a
  format checker). `binary` is any sequence of octets: the body checks deal with it.

In both versions, a readOnly property may not appear in a request and a writeOnly one may
not appear in a response, and neither is required there.

A keyword whose value JSON Schema does not allow (a 3.0-style `exclusiveMinimum: true` in a
3.1 spec, `required: "id"`) would stop every validator that reaches its schema from
compiling. Each is found once, when the spec is compiled (the 2020-12 meta-schema judges each
schema), reported as a spec problem with its location (`Converted.problems`), and left out, so
everything else is still checked. What the meta-schema allows and still does not compile (a
`pattern` the linear-time regex engine cannot build) is left to the compile step.

The converted document is made from the spec's bundle (`generator.load.bundle`): every
document its `$ref`s reach was loaded under the workspace's policy and copied in, and every
reference made local, so jsonschema-rs never resolves anything itself. Its retriever refuses
every request anyway, as a second wall.

Validators are built per schema location and reused for every exchange. Error
locations are mapped back to the spec file with `$ref` names kept: jsonschema-rs reports
absolute keyword locations, and the subschemas the conversion added are mapped to the spec
keyword they stand for (`Converted.aliases`).
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jsonschema_rs

from generator.contract.params import Resolver
from generator.findings import Finding, Severity
from generator.load import pointer as jp
from generator.load.workspace import Document
from generator.openapi.build import SUBSCHEMA_LIST, SUBSCHEMA_MAP
from generator.openapi.dialect import (
    OAS30_INTEGER,
    Dialect,
    discriminator_constraints,
    schema_to_2020_12,
)
from generator.openapi.model import OpenApi

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_MISSING: Any = object()

#: OpenAPI's numeric formats as the ranges they name (float: IEEE 754 binary32, double:
#: binary64; the largest finite value of each)
NUMBER_FORMATS: dict[str, tuple[int | float, int | float]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "float": (-3.4028234663852886e38, 3.4028234663852886e38),
    "double": (-1.7976931348623157e308, 1.7976931348623157e308),
}

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def is_base64(value: str) -> bool:
    """OpenAPI `format: byte`: base64 as RFC 4648 section 4 writes it (padded, no line
    breaks)."""
    if len(value) % 4 or not _BASE64.fullmatch(value):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class Oas30Integer:
    """The keyword `schema_to_2020_12` marks 3.0 integer schemas with: "a JSON number without
    a fraction or exponent part". The JSON text decides, and the parsers keep it: `1` is an
    int, `1.0` and `1e2` are floats (`1e400` a Decimal). Fractional values fail `type` on
    their own; this rejects the integral ones."""

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        self.enabled = value is True

    def validate(self, instance: Any) -> None:
        if self.enabled and isinstance(instance, (float, Decimal)):
            raise ValueError(
                f"{instance!r} is not an integer: OpenAPI 3.0 integers are written without a "
                "fraction or exponent"
            )


KEYWORDS: dict[str, Any] = {OAS30_INTEGER: Oas30Integer}
FORMATS = {"byte": is_base64}


@dataclass
class Discriminator:
    """A schema whose `discriminator` constrains payloads: its property and the schema
    (converted pointer) each known value selects."""

    property: str
    targets: dict[str, str]
    #: every value it accepts (a mapping may name a schema in another document)
    known: frozenset[str] = frozenset()


@dataclass
class Converted:
    direction: str
    document: dict[str, Any]
    #: converted pointer of a subschema the conversion added -> the spec keyword it stands for
    aliases: dict[str, str] = field(default_factory=dict)
    #: schema pointer -> its discriminator, for schemas `discriminator_constraints` applied to
    discriminators: dict[str, Discriminator] = field(default_factory=dict)
    #: keywords left out because JSON Schema does not allow their value (spec problems)
    problems: list[Finding] = field(default_factory=list)


def convert(model: OpenApi, direction: str) -> Converted:
    root = model.root.doc
    data = copy.deepcopy(root.data)
    version30 = model.dialect is Dialect.OAS30
    pointers = sorted(
        {s.pointer for s in model.schema_sites if s.doc is root},
        key=lambda p: (-p.count("/"), p),  # deepest first
    )
    converted = Converted(direction, data)
    names = set(model.schemas)
    schemas: list[tuple[str, dict[str, Any]]] = []
    for pointer in pointers:
        try:
            schema = jp.resolve(data, pointer)
        except KeyError:
            continue
        if isinstance(schema, dict):
            _convert_schema(schema, version30, direction, data)
            schemas.append((pointer, schema))
    _drop_invalid_keywords(root, schemas, converted)
    for pointer, schema in schemas:
        _add_constraints(pointer, schema, names, converted)
    data["$schema"] = DIALECT
    return converted


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
) -> None:
    """Convert one schema object in place."""
    properties = schema.get("properties")
    if isinstance(properties, dict):
        hidden = "readOnly" if direction == "request" else "writeOnly"
        for name, prop in list(properties.items()):
            if _flag(prop, data, hidden):
                properties[name] = False
                required = schema.get("required")
                if isinstance(required, list) and name in required:
                    schema["required"] = [r for r in required if r != name]
    if version30:
        schema_to_2020_12(schema, OAS30_INTEGER)


def _append(schema: dict[str, Any], pointer: str, sub: dict[str, Any]) -> str:
    """Add `sub` as a new last `allOf` entry (the spec's own entries keep their indices);
    returns its converted pointer."""
    entries = schema.get("allOf")
    if not isinstance(entries, list):
        entries = schema["allOf"] = []
    entries.append(sub)
    return jp.join(pointer, "allOf", str(len(entries) - 1))


def _add_constraints(
    pointer: str, schema: dict[str, Any], names: set[str], converted: Converted
) -> None:
    form = schema.get("format")
    if isinstance(form, str) and form in NUMBER_FORMATS:
        low, high = NUMBER_FORMATS[form]
        added = _append(schema, pointer, {"minimum": low, "maximum": high})
        converted.aliases[added] = jp.join(pointer, "format")
    constraints = discriminator_constraints(schema, names)
    if constraints is None:
        return
    discriminator = schema["discriminator"]
    targets: dict[str, str] = {}
    known: frozenset[str] = frozenset()
    for what, sub in constraints:
        added = _append(schema, pointer, sub)
        if what == "present":
            converted.aliases[added] = jp.join(pointer, "discriminator", "propertyName")
        elif what == "known":
            known = frozenset(sub["properties"][discriminator["propertyName"]]["enum"])
            has_mapping = isinstance(discriminator.get("mapping"), dict)
            converted.aliases[added] = jp.join(
                pointer, "discriminator", *(["mapping"] if has_mapping else [])
            )
        else:
            targets[what] = urllib.parse.unquote(sub["then"]["$ref"][1:])
    converted.discriminators[pointer] = Discriminator(
        str(discriminator["propertyName"]), targets, known
    )


# -- keywords JSON Schema does not allow -------------------------------------------------------
def _outermost(pointers: Iterable[str]) -> list[str]:
    """The pointers not inside another one of them (each inline tree once)."""
    chosen = set(pointers)
    found = []
    for pointer in chosen:
        parts = pointer.split("/")
        if not any("/".join(parts[:n]) in chosen for n in range(1, len(parts))):
            found.append(pointer)
    return sorted(found)


def _drop_invalid_keywords(
    root: Document, schemas: list[tuple[str, dict[str, Any]]], converted: Converted
) -> None:
    """Meta-validate every schema (each inline tree once) and leave out each keyword whose value
    JSON Schema 2020-12 does not allow, as a spec problem at its location."""
    by_pointer = dict(schemas)
    for top in _outermost(by_pointer):
        schema = by_pointer[top]
        for _ in range(64):  # one keyword per round; a schema has few bad ones
            try:
                jsonschema_rs.meta.validate(schema)
                break
            except jsonschema_rs.ValidationError as exc:
                path = [str(t) for t in exc.instance_path]
                why = exc.message
            except ValueError:  # a value jsonschema-rs cannot read at all
                break
            if not _drop_at(top, schema, path, by_pointer, root, converted, why):
                break


def _drop_at(
    top: str,
    schema: dict[str, Any],
    path: list[str],
    by_pointer: dict[str, dict[str, Any]],
    root: Document,
    converted: Converted,
    why: str,
) -> bool:
    """Leave out what a meta-validation error at `path` (inside the schema at `top`) is about:
    the keyword after the deepest schema object on the way, or, when the bad value stands
    where a subschema belongs (`properties: {a: 5}`, `allOf: [5]`), that entry alone (it
    becomes `true`, so list indices stay put)."""
    holder: dict[str, Any] = schema
    holder_pointer, rest = top, path
    node: Any = schema
    pointer = top
    for index, token in enumerate(path):
        if isinstance(node, dict) and pointer in by_pointer:
            holder, holder_pointer, rest = node, pointer, path[index:]
        pointer = jp.join(pointer, token)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    if not rest or rest[0] not in holder:
        return False
    keyword = rest[0]
    container = holder[keyword]
    if len(rest) == 2 and keyword in SUBSCHEMA_MAP and isinstance(container, dict):
        at, value = jp.join(holder_pointer, *rest), container[rest[1]]
        container[rest[1]] = True
    elif (
        len(rest) == 2
        and keyword in SUBSCHEMA_LIST
        and isinstance(container, list)
        and rest[1].isdigit()
    ):
        at, value = jp.join(holder_pointer, *rest), container[int(rest[1])]
        container[int(rest[1])] = True
    else:
        at, value = jp.join(holder_pointer, keyword), holder.pop(keyword)
    name = at.rsplit("/", 1)[-1]
    converted.problems.append(
        root.finding(
            at,
            "schema-invalid",
            f"`{jp.unescape(name)}: {_short(value)}` is not valid JSON Schema 2020-12 ({why}); "
            "it is not checked",
            Severity.WARNING,
        )
    )
    return True


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 40 else text[:37] + "..."


# -- validators --------------------------------------------------------------------------------
def _validator(root: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for(
        root,
        validate_formats=True,
        formats=FORMATS,
        keywords=KEYWORDS,
        pattern_options=jsonschema_rs.RegexOptions(),
        retriever=refuse_retrieval,
    )


class RetrievalRefused(Exception):
    """jsonschema-rs asked for a resource: everything it needs was bundled, so this is refused."""


def refuse_retrieval(uri: str) -> Any:
    raise RetrievalRefused(
        f"the checker never fetches {uri} itself; references are followed only by the "
        "spec loader, under its policy"
    )


class SchemaIndex:
    """Validators over one converted document, one per schema pointer, built once (every one
    the operations use is compiled when the contract is loaded: `problems`)."""

    def __init__(self, converted: Converted) -> None:
        self.converted = converted
        self._validators: dict[str, Any] = {}
        self._schemas: dict[str, Any] = {}
        self.resolver = Resolver(self.schema_at)

    def validator(self, pointer: str) -> Any:
        found = self._validators.get(pointer)
        if found is None:
            root = dict(self.converted.document)
            root["$ref"] = "#" + urllib.parse.quote(pointer, safe="/~")
            found = _validator(root)
            self._validators[pointer] = found
        return found

    def problems(self, pointers: Iterable[str]) -> list[tuple[str, str]]:
        """What keeps the schemas at `pointers` from compiling (see `compile`), each once.
        They are compiled together first, in one validator (a fraction of the cost of one
        each); only when that fails is each compiled alone, to say which and where."""
        wanted = sorted({p for p in pointers if p})
        if not wanted:
            return []
        root = dict(self.converted.document)
        root["anyOf"] = [{"$ref": "#" + urllib.parse.quote(p, safe="/~")} for p in wanted]
        try:
            _validator(root)
            return []
        except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError):
            pass
        found = (self.compile(pointer) for pointer in wanted)
        return list(dict.fromkeys(f for f in found if f is not None))

    def compile(self, pointer: str) -> tuple[str, str] | None:
        """Build the validator of `pointer` now. None when it compiles, else where in the
        converted document the problem is and what it is."""
        try:
            self.validator(pointer)
        except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
            message = str(exc).split("\n", 1)[0].strip()
            where = jp.from_parts(getattr(exc, "instance_path", None) or ()) or pointer
            return where, message
        return None

    def schema_at(self, pointer: str) -> Any:
        found = self._schemas.get(pointer, _MISSING)
        if found is _MISSING:
            try:
                found = jp.resolve(self.converted.document, pointer)
            except KeyError:
                found = None
            self._schemas[pointer] = found
        return found

    def resolved(self, pointer: str) -> tuple[str, Any]:
        """The schema at `pointer` after its `$ref` chain (local refs), and where it is."""
        schema = self.schema_at(pointer)
        for _ in range(32):
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if not (isinstance(ref, str) and ref.startswith("#")):
                break
            pointer = urllib.parse.unquote(ref[1:])
            schema = self.schema_at(pointer)
        return pointer, schema

    def locate(self, schema_path: list[str | int]) -> tuple[str, str]:
        """(converted pointer, spec pointer) of the keyword an error came from. jsonschema-rs
        reports absolute keyword locations (references already followed, so `$ref` names are
        kept); a subschema the conversion added stands for the spec keyword it checks."""
        converted = ""
        aliases = self.converted.aliases
        original: str | None = None
        node: Any = self.converted.document
        previous: str | None = None
        for token in schema_path:
            key = str(token)
            steps = [key]
            if previous in _NAMED_SUBSCHEMAS and isinstance(node, dict) and key not in node:
                if "" in node:  # jsonschema-rs leaves out a subschema named "": put it back
                    steps = ["", key]
            for step in steps:
                converted = jp.join(converted, step)
                node = _child(node, step)
                if original is None and converted in aliases:
                    original = aliases[converted]
                previous = step
        return converted, converted if original is None else original


#: keywords whose value maps names (any string, "" included) to subschemas
_NAMED_SUBSCHEMAS = frozenset(
    {"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"}
)


def _child(node: Any, step: str) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and step.isdigit() and int(step) < len(node):
        return node[int(step)]
    return None

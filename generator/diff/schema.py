"""Schemas brought to one normal form before they are compared, so that spellings that mean
the same thing compare equal:

* `$ref` is followed (a schema behind a `$ref` equals the same schema inline); the component
  name is kept to pair up oneOf/anyOf alternatives;
* OpenAPI 3.0 `nullable: true` and a 3.1 type array with `"null"` (or a oneOf/anyOf with a
  `{type: "null"}` alternative) become the same type set;
* 3.0 boolean and 3.1 numeric exclusive bounds become one (value, exclusive) pair;
* `allOf` is merged into one schema; `const` is a one-value enum; enum order and `required`
  order do not matter; descriptions, titles, examples and key order are ignored;
* a pattern that matches every string (`''`, `.*`) is no pattern; `unevaluatedProperties` and
  `unevaluatedItems` close or constrain an object or array like `additionalProperties` and
  `items` do; `minContains: 1` is the default and the same as none;
* the JSON Schema 2020-12 applicators (`contains`, `prefixItems`, `patternProperties`,
  `dependentSchemas`, `propertyNames`, `if`/`then`/`else`, `not`, `contentSchema`) are kept as
  the locations of their subschemas, `dependentRequired` as sets of names.

`default` is kept (as canonical JSON) although it does not constrain values: callers that omit
a value get the default, so a changed default changes behaviour.

Nothing here recurses into children: properties, items and alternatives stay locations that
the comparison normalizes when it gets there, so recursive schemas are fine.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from generator.diff.model import Side
from generator.load import pointer as jp
from generator.load.workspace import Loc, RefProblem, Workspace
from generator.openapi.dialect import Dialect, dialect_of

LENGTH_MAX = ("maxLength", "maxItems", "maxProperties", "maxContains")
LENGTH_MIN = ("minLength", "minItems", "minProperties", "minContains")

#: patterns every string matches (ECMA-262 search semantics): the same as no pattern
MATCH_ALL_PATTERNS = frozenset({"", ".*", "^.*", "[\\s\\S]*"})


_NONE: Mapping[str, Any] = MappingProxyType({})


def _none() -> Mapping[str, Any]:
    """The shared empty mapping (no allocation per schema)."""
    return _NONE


class DiffInputError(Exception):
    """A spec the diff cannot read (exit code 2); the message names file and pointer."""


def side(loc: Loc) -> Side:
    """How a report shows a location: the file, the line and the pointer."""
    return Side(loc.doc.display, loc.line, loc.pointer)


@dataclass(frozen=True)
class Bound:
    value: float
    exclusive: bool


@dataclass(slots=True)
class Schema:
    loc: Loc
    name: str | None = None
    types: frozenset[str] | None = None  # None: any type
    format: str | None = None
    pattern: str | None = None
    enum: dict[str, Any] | None = None  # canonical JSON -> value, null excluded
    lengths: dict[str, int] = field(default_factory=dict)
    minimum: Bound | None = None
    maximum: Bound | None = None
    multiple_of: float | None = None
    properties: dict[str, Loc] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    closed: bool = False  # additionalProperties: false
    additional: Loc | None = None  # additionalProperties given as a schema
    items: Loc | None = None
    variants: list[Loc] | None = None  # oneOf/anyOf alternatives (null ones folded away)
    variant_keyword: str = "oneOf"
    variants_null: bool = False  # one alternative was `{type: "null"}`
    read_only: bool = False
    write_only: bool = False
    #: canonical JSON of `default`, None when there is none
    default: str | None = None
    discriminator: str | None = None
    # JSON Schema 2020-12 applicators and keywords
    contains: Loc | None = None
    # (immutable defaults: most schemas use none of these, and building them is the hot path)
    prefix_items: tuple[Loc, ...] = ()
    pattern_properties: Mapping[str, Loc] = field(default_factory=_none)
    dependent_required: Mapping[str, frozenset[str]] = field(default_factory=_none)
    dependent_schemas: Mapping[str, Loc] = field(default_factory=_none)
    property_names: Loc | None = None
    #: if/then/else triples (allOf parts each bring their own): the schema holding them
    conditionals: tuple[Loc, ...] = ()
    negations: tuple[Loc, ...] = ()  # `not`: the schema holding it
    content_schema: Loc | None = None
    content_media_type: str | None = None
    content_encoding: str | None = None
    #: no schema is written here: it stands for what applied (see `Normalizer.stand_in`)
    stand_in: bool = False
    #: some 2020-12 keyword is used (most schemas use none: comparing them skips the checks)
    extras: bool = False


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _stricter_lower(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return a or b
    if a.value != b.value:
        return a if a.value > b.value else b
    return a if a.exclusive else b


def _stricter_upper(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return a or b
    if a.value != b.value:
        return a if a.value < b.value else b
    return a if a.exclusive else b


_DOC_ONLY = frozenset(
    {
        "description",
        "summary",
        "title",
        "example",
        "examples",
        "deprecated",
        "externalDocs",
        "xml",
        "$comment",
        "default",
    }
)


class Normalizer:
    """Normal forms of the schemas of one spec, computed once per location."""

    MAX_REFS = 64
    MAX_NESTING = 100  # schemas merged inside schemas (allOf, X-or-null), through any $refs

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.version30 = dialect_of(workspace.root.data) is Dialect.OAS30
        self._cache: dict[tuple[str, str], Schema] = {}  # by the schema's own location
        self._at: dict[tuple[str, str], Schema] = {}  # by a location that leads to it
        self._busy: set[tuple[str, str]] = set()

    # -- references ---------------------------------------------------------------------------
    def deref(self, loc: Loc, value: Any) -> tuple[Loc, Any, str | None, dict[str, Any]]:
        """Follow `$ref`s. Returns the target, its value, the last component name, and (3.1)
        the sibling keywords written beside the `$ref` that still apply."""
        name: str | None = None
        siblings: dict[str, Any] = {}
        hops = 0
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            if not self.version30:
                extra = {
                    k: v
                    for k, v in value.items()
                    if k != "$ref"
                    and (k not in _DOC_ONLY or k == "default")
                    and not k.startswith("x-")
                }
                if extra:
                    siblings = {**extra, **siblings}
            hops += 1
            if hops > self.MAX_REFS:
                raise DiffInputError(
                    f"{loc.doc.display}: $ref chain at {loc.pointer or '/'} never ends"
                )
            try:
                doc, pointer, value = self.workspace.resolve(loc.doc, value["$ref"])
            except RefProblem as problem:
                line, _ = loc.doc.position(loc.pointer)
                raise DiffInputError(
                    f"{loc.doc.display}:{line}: {problem.rule}: {problem.message} [{loc.pointer}]"
                ) from None
            loc = Loc(doc, pointer)
            parts = jp.split(pointer)
            if len(parts) == 3 and parts[:2] == ["components", "schemas"]:
                name = parts[2]
            elif len(parts) == 2 and parts[0] in ("definitions", "$defs"):
                name = parts[1]
        return loc, value, name, siblings

    def stand_in(self, loc: Loc, types: frozenset[str] | None) -> Loc:
        """`loc`, where no schema is written, standing for what applied there: `true` (types
        None), `true` narrowed to `types` (the parent's, for a subschema applied in place), or
        `false` (an empty set of types)."""
        key = loc.key
        if key not in self._at:
            self._at[key] = Schema(loc=loc, types=types, stand_in=True)
        return loc

    def value(self, loc: Loc) -> Any:
        try:
            return jp.resolve(loc.doc.data, loc.pointer)
        except KeyError:
            return None

    # -- schemas ------------------------------------------------------------------------------
    def schema(self, loc: Loc, value: Any = None) -> Schema:
        if value is None:
            known = self._at.get(loc.key)
            if known is not None:
                return known
        raw = self.value(loc) if value is None else value
        target, raw, name, siblings = self.deref(loc, raw)
        key = target.key
        if not siblings and key in self._cache:
            self._at[loc.key] = self._cache[key]
            return self._cache[key]
        if key in self._busy:  # allOf/oneOf back to itself without a concrete step
            return Schema(loc=target, name=name)
        if len(self._busy) >= self.MAX_NESTING:
            line, _ = target.doc.position(target.pointer)
            raise DiffInputError(
                f"{target.doc.display}:{line}: allOf/oneOf/anyOf nest more than "
                f"{self.MAX_NESTING} levels deep here; not compared [{target.pointer}]"
            )
        self._busy.add(key)
        try:
            result = self._build(target, raw, name)
            if siblings:
                extra = self._build(target, siblings, None)
                result = self._merge(result, [extra])
                if extra.default is not None:  # the default written beside the $ref wins
                    result.default = extra.default
        finally:
            self._busy.discard(key)
        if not siblings:
            self._cache[key] = result
            self._at[loc.key] = result
        return result

    def _build(self, loc: Loc, raw: Any, name: str | None) -> Schema:
        result = Schema(loc=loc, name=name)
        if raw is False:
            result.types = frozenset()
            return result
        if not isinstance(raw, dict):
            return result
        kind = raw.get("type")
        if isinstance(kind, str):
            result.types = frozenset({kind})
        elif isinstance(kind, list) and all(isinstance(k, str) for k in kind):
            result.types = frozenset(kind)
        if isinstance(raw.get("format"), str):
            result.format = raw["format"]
        pattern = raw.get("pattern")
        if isinstance(pattern, str) and pattern not in MATCH_ALL_PATTERNS:
            result.pattern = pattern
        values: list[Any] | None = None
        if isinstance(raw.get("enum"), list):
            values = raw["enum"]
        if "const" in raw:
            values = [raw["const"]]
        if values is not None:
            result.enum = {canonical(v): v for v in values if v is not None}
            if None in values and result.types is not None and self.version30:
                result.types = result.types | {"null"}
        for keyword in (*LENGTH_MAX, *LENGTH_MIN):
            number = raw.get(keyword)
            if isinstance(number, int) and not isinstance(number, bool):
                result.lengths[keyword] = number
        if result.lengths.get("minContains") == 1:  # the default
            del result.lengths["minContains"]
        result.minimum, result.maximum = self._bounds(raw)
        result.multiple_of = _number(raw.get("multipleOf"))
        properties = raw.get("properties")
        if isinstance(properties, dict):
            result.properties = {str(k): loc.child("properties", str(k)) for k in properties}
        required = raw.get("required")
        if isinstance(required, list):
            result.required = frozenset(r for r in required if isinstance(r, str))
        for keyword in ("additionalProperties", "unevaluatedProperties"):
            additional = raw.get(keyword)
            if additional is False:
                result.closed = True
            elif isinstance(additional, dict) and additional and result.additional is None:
                result.additional = loc.child(keyword)
        for keyword in ("items", "unevaluatedItems"):  # unevaluatedItems: when items is absent
            items = raw.get(keyword)
            if isinstance(items, dict) or items is False:
                result.items = loc.child(keyword)
                break
        result.read_only = raw.get("readOnly") is True
        result.write_only = raw.get("writeOnly") is True
        if "default" in raw:
            result.default = canonical(raw["default"])
        discriminator = raw.get("discriminator")
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            result.discriminator = discriminator["propertyName"]
        if not _APPLICATORS.isdisjoint(raw):
            self._applicators(result, loc, raw)
        nullable = self.version30 and raw.get("nullable") is True
        for keyword in ("oneOf", "anyOf"):
            branches = raw.get(keyword)
            if isinstance(branches, list) and branches:
                self._variants(result, loc, keyword, branches)
                break
        if isinstance(raw.get("allOf"), list):
            parts = [
                self.schema(loc.child("allOf", i), branch) for i, branch in enumerate(raw["allOf"])
            ]
            own_keys = set(raw) - _DOC_ONLY - {"allOf", "nullable"}
            result = self._merge(result, parts)
            if len(parts) == 1 and not own_keys:
                result.name = parts[0].name if name is None else name
        if nullable and result.types is not None:
            result.types = result.types | {"null"}
        return result

    def _applicators(self, result: Schema, loc: Loc, raw: dict[str, Any]) -> None:
        """The JSON Schema 2020-12 keywords that hold subschemas (or names)."""
        result.extras = True
        for keyword, attr in _SINGLE_APPLICATORS:
            if _is_schema(raw.get(keyword)):
                setattr(result, attr, loc.child(keyword))
        if any(_is_schema(raw.get(k)) for k in ("if", "then", "else")):
            result.conditionals = (loc,)
        if _is_schema(raw.get("not")):
            result.negations = (loc,)
        prefix = raw.get("prefixItems")
        if isinstance(prefix, list):
            result.prefix_items = tuple(
                loc.child("prefixItems", i) for i, item in enumerate(prefix) if _is_schema(item)
            )
        for keyword, attr in (
            ("patternProperties", "pattern_properties"),
            ("dependentSchemas", "dependent_schemas"),
        ):
            mapping = raw.get(keyword)
            if isinstance(mapping, dict):
                found = {
                    str(k): loc.child(keyword, str(k)) for k, v in mapping.items() if _is_schema(v)
                }
                setattr(result, attr, found)
        dependent = raw.get("dependentRequired")
        if isinstance(dependent, dict):
            result.dependent_required = {
                str(k): frozenset(n for n in v if isinstance(n, str))
                for k, v in dependent.items()
                if isinstance(v, list)
            }
        for keyword, attr in (
            ("contentMediaType", "content_media_type"),
            ("contentEncoding", "content_encoding"),
        ):
            if isinstance(raw.get(keyword), str):
                setattr(result, attr, raw[keyword])

    def _bounds(self, raw: dict[str, Any]) -> tuple[Bound | None, Bound | None]:
        lower = upper = None
        minimum, maximum = _number(raw.get("minimum")), _number(raw.get("maximum"))
        ex_min, ex_max = raw.get("exclusiveMinimum"), raw.get("exclusiveMaximum")
        if minimum is not None:
            lower = Bound(minimum, ex_min is True)
        if maximum is not None:
            upper = Bound(maximum, ex_max is True)
        numeric_min, numeric_max = _number(ex_min), _number(ex_max)
        if numeric_min is not None:
            lower = _stricter_lower(lower, Bound(numeric_min, True))
        if numeric_max is not None:
            upper = _stricter_upper(upper, Bound(numeric_max, True))
        return lower, upper

    def _is_null_only(self, loc: Loc, branch: Any) -> bool:
        _, value, _, _ = self.deref(loc, branch)
        if not isinstance(value, dict):
            return False
        kind = value.get("type")
        if kind == "null" or kind == ["null"]:
            return True
        return value.get("enum") == [None] or ("const" in value and value["const"] is None)

    def _variants(self, result: Schema, loc: Loc, keyword: str, branches: list[Any]) -> None:
        kept = [
            loc.child(keyword, i)
            for i, branch in enumerate(branches)
            if not self._is_null_only(loc.child(keyword, i), branch)
        ]
        has_null = len(kept) < len(branches)
        if len(kept) == 1:  # X-or-null: the same as X with null allowed
            merged = self._merge(result, [self.schema(kept[0])])
            merged.name = merged.name or self.schema(kept[0]).name
            if has_null and merged.types is not None:
                merged.types = merged.types | {"null"}
            _copy_into(result, merged)
            return
        result.variants = kept
        result.variant_keyword = keyword
        result.variants_null = has_null

    def _merge(self, base: Schema, parts: list[Schema]) -> Schema:
        merged = Schema(loc=base.loc, name=base.name)
        _copy_into(merged, base)
        for part in parts:
            if part.types is not None:
                merged.types = part.types if merged.types is None else merged.types & part.types
            merged.format = merged.format or part.format
            merged.pattern = merged.pattern or part.pattern
            if part.enum is not None:
                merged.enum = (
                    dict(part.enum)
                    if merged.enum is None
                    else {k: v for k, v in merged.enum.items() if k in part.enum}
                )
            for keyword, number in part.lengths.items():
                have = merged.lengths.get(keyword)
                if have is None:
                    merged.lengths[keyword] = number
                elif keyword in LENGTH_MAX:
                    merged.lengths[keyword] = min(have, number)
                else:
                    merged.lengths[keyword] = max(have, number)
            merged.minimum = _stricter_lower(merged.minimum, part.minimum)
            merged.maximum = _stricter_upper(merged.maximum, part.maximum)
            merged.multiple_of = merged.multiple_of or part.multiple_of
            for prop, where in part.properties.items():
                merged.properties.setdefault(prop, where)
            merged.required = merged.required | part.required
            merged.closed = merged.closed or part.closed
            merged.additional = merged.additional or part.additional
            merged.items = merged.items or part.items
            if merged.variants is None and part.variants is not None:
                merged.variants = list(part.variants)
                merged.variant_keyword = part.variant_keyword
                merged.variants_null = part.variants_null
            merged.read_only = merged.read_only or part.read_only
            merged.write_only = merged.write_only or part.write_only
            merged.default = merged.default if merged.default is not None else part.default
            merged.discriminator = merged.discriminator or part.discriminator
            merged.extras = merged.extras or part.extras
            for attr in _FIRST_WINS:
                if getattr(merged, attr) is None:
                    setattr(merged, attr, getattr(part, attr))
            merged.prefix_items = merged.prefix_items or part.prefix_items
            merged.conditionals = merged.conditionals + part.conditionals
            merged.negations = merged.negations + part.negations
            if part.pattern_properties:
                merged.pattern_properties = {**part.pattern_properties, **merged.pattern_properties}
            if part.dependent_schemas:
                merged.dependent_schemas = {**part.dependent_schemas, **merged.dependent_schemas}
            if part.dependent_required:
                merged.dependent_required = {
                    name: merged.dependent_required.get(name, frozenset())
                    | part.dependent_required.get(name, frozenset())
                    for name in {*merged.dependent_required, *part.dependent_required}
                }
        return merged


#: 2020-12 keywords holding one subschema, and the `Schema` field each goes to
_SINGLE_APPLICATORS = (
    ("contains", "contains"),
    ("propertyNames", "property_names"),
    ("contentSchema", "content_schema"),
)
_APPLICATORS = frozenset(
    {
        *(keyword for keyword, _ in _SINGLE_APPLICATORS),
        "if",
        "then",
        "else",
        "not",
        "prefixItems",
        "patternProperties",
        "dependentSchemas",
        "dependentRequired",
        "contentMediaType",
        "contentEncoding",
    }
)
#: fields an allOf merge takes from the first part that has them
_FIRST_WINS = (
    "contains",
    "property_names",
    "content_schema",
    "content_media_type",
    "content_encoding",
)


def _is_schema(value: Any) -> bool:
    return isinstance(value, (dict, bool))


def _copy_into(target: Schema, source: Schema) -> None:
    for name in Schema.__dataclass_fields__:
        if name in ("loc",):
            continue
        value = getattr(source, name)
        if isinstance(value, dict):
            value = dict(value)
        elif isinstance(value, list):
            value = list(value)
        setattr(target, name, value)

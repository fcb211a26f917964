"""Values for the fake's answers, made from JSON Schema 2020-12 (the contract engine's converted
response document, so `nullable`, readOnly/writeOnly and `$ref`s are already settled).

Why written here rather than taken from a library: the fake needs one small, deterministic,
schema-valid value per call (the same spec and request give the same answer), fast enough to
run per request. Hypothesis-based generators (hypothesis-jsonschema, schemathesis's own) make
random values through a search meant for tests, are slow to start and are test-only
dependencies here. So this module takes the simplest value each keyword allows: an example, a
default or the first enum member where the schema gives one, else the smallest value its
type, format, bounds and pattern allow; `seed` values (what a client sent, the stored record,
an error message) are laid over it where the schema has a place for them. The caller checks the
result with the contract engine's validator before it is sent, and answers 501 naming the
operation when no valid value can be made (`CannotGenerate`).
"""

from __future__ import annotations

import base64
import importlib
import math
import re
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from generator.load import pointer as jp

#: how deep a value may nest before generation gives up (cycles of required properties)
MAX_DEPTH = 12
_NO_SEED: Any = object()


class CannotGenerate(Exception):
    """No value could be made for a schema (an unsatisfiable or unsupported combination)."""


_FORMATS: Mapping[str, str] = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri": "https://example.com/",
    "iri-reference": "https://example.com/",
    "url": "https://example.com/",
    "uri-template": "https://example.com/{id}",
    "json-pointer": "/a",
    "relative-json-pointer": "0",
    "regex": "^a$",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "byte": base64.b64encode(b"fake").decode(),
    "binary": "",
    "password": "secret",
}


class Generator:
    """Makes values for the schemas of one JSON Schema document (`$ref`s are local)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    # -- public ----------------------------------------------------------------------------
    def at(self, pointer: str, seed: Any = _NO_SEED) -> Any:
        """A value for the schema at `pointer` in the document."""
        return self.value(jp.resolve(self.document, pointer), seed)

    def value(self, schema: Any, seed: Any = _NO_SEED, depth: int = 0) -> Any:
        """A value for `schema`, taking `seed` (or its parts) where the schema allows them."""
        if depth > MAX_DEPTH:
            raise CannotGenerate("the schema nests too deep (a cycle of required properties?)")
        if schema is True or schema == {}:
            return None if seed is _NO_SEED else seed
        if schema is False:
            raise CannotGenerate("a schema that allows nothing")
        if not isinstance(schema, Mapping):
            raise CannotGenerate(f"not a schema: {schema!r}")
        schema = self._flatten(schema, depth)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            if seed is not _NO_SEED and seed in schema["enum"]:
                return seed
            return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                return self._branch(schema, key, branches, seed, depth)
        kind = self._type(schema, seed)
        if seed is not _NO_SEED and kind not in ("object", "array") and _fits(kind, seed):
            return seed
        if kind not in ("object", "array"):
            for key in ("examples", "example", "default"):
                found = schema.get(key)
                if key == "examples" and isinstance(found, list) and found:
                    found = found[0]
                elif key == "examples":
                    continue
                if found is not None and _fits(kind, found):
                    return found
        if kind == "object":
            return self._object(schema, seed, depth)
        if kind == "array":
            return self._array(schema, seed, depth)
        if kind == "string":
            return self._string(schema)
        if kind == "integer":
            return int(self._number(schema, integer=True))
        if kind == "number":
            return self._number(schema, integer=False)
        if kind == "boolean":
            return True
        return None

    # -- helpers ---------------------------------------------------------------------------
    def _resolve(self, schema: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        seen = 0
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if not ref.startswith("#"):
                raise CannotGenerate(f"a $ref outside the document: {ref}")
            try:
                target = jp.resolve(self.document, _unquote(ref[1:]))
            except KeyError:
                raise CannotGenerate(f"a $ref that does not resolve: {ref}") from None
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = (
                _merge(target, siblings) if siblings and isinstance(target, Mapping) else target
            )
            seen += 1
            if seen > 32:
                raise CannotGenerate(f"a $ref loop at {ref}")
        if not isinstance(schema, Mapping):
            if schema is True:
                return {}
            raise CannotGenerate("a schema that allows nothing")
        return schema

    def _flatten(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        """The schema with `$ref`s followed and `allOf` merged into it."""
        flat = dict(self._resolve(schema, depth))
        rounds = 0
        while isinstance(flat.get("allOf"), list) and rounds < 16:
            parts = flat.pop("allOf")
            for part in parts:
                if part is True:
                    continue
                if part is False:
                    raise CannotGenerate("an allOf branch that allows nothing")
                flat = _merge(flat, self._flatten(part, depth))
            rounds += 1
        return flat

    def _type(self, schema: Mapping[str, Any], seed: Any) -> str:
        declared = schema.get("type")
        types = declared if isinstance(declared, list) else [declared] if declared else []
        if not types:
            if "properties" in schema or "required" in schema:
                return "object"
            if "items" in schema or "prefixItems" in schema:
                return "array"
            if seed is not _NO_SEED:
                return _kind_of(seed)
            for key in ("examples", "example", "default"):
                found = schema.get(key)
                if key == "examples" and isinstance(found, list) and found:
                    return _kind_of(found[0])
                if key != "examples" and key in schema:
                    return _kind_of(found)
            if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
                return "string"
            if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
                return "number"
            return "object"
        if seed is not _NO_SEED:
            for kind in types:
                if _fits(kind, seed):
                    return str(kind)
        non_null = [t for t in types if t != "null"]
        return str(non_null[0] if non_null else types[0])

    def _branch(
        self, schema: dict[str, Any], key: str, branches: list[Any], seed: Any, depth: int
    ) -> Any:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        problems: list[str] = []
        order = list(branches)
        # a branch that is only `null` comes last: an answer with data is more useful
        order.sort(key=lambda b: isinstance(b, Mapping) and b.get("type") == "null")
        for branch in order:
            try:
                merged = _merge(rest, self._flatten(branch, depth)) if rest else branch
                return self.value(merged, seed, depth + 1)
            except CannotGenerate as exc:
                problems.append(str(exc))
        raise CannotGenerate(f"no {key} branch could be made: {'; '.join(problems)}")

    def _object(self, schema: Mapping[str, Any], seed: Any, depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        given = seed if isinstance(seed, Mapping) else {}
        result: dict[str, Any] = {}
        extra = schema.get("additionalProperties", True)
        for name, value in given.items():
            if name in properties:
                if properties[name] is False:
                    continue
                try:
                    result[name] = self.value(properties[name], value, depth + 1)
                except CannotGenerate:
                    continue
            elif extra is not False and not _pattern_closed(schema):
                if isinstance(extra, Mapping) and extra:
                    try:
                        result[name] = self.value(extra, value, depth + 1)
                    except CannotGenerate:
                        continue
                else:
                    result[name] = value
        for name in required:
            if name in result:
                continue
            sub = properties.get(name, extra if isinstance(extra, Mapping) else {})
            if sub is False:
                raise CannotGenerate(f"required property {name!r} is not allowed")
            result[name] = self.value(sub, _NO_SEED, depth + 1)
        wanted = schema.get("minProperties")
        if isinstance(wanted, int):
            for name, sub in properties.items():
                if len(result) >= wanted:
                    break
                if name not in result and sub is not False:
                    result[name] = self.value(sub, _NO_SEED, depth + 1)
            filler = 0
            while len(result) < wanted and extra is not False:
                result[f"key{filler}"] = self.value(
                    extra if isinstance(extra, Mapping) else {"type": "string"},
                    _NO_SEED,
                    depth + 1,
                )
                filler += 1
        return result

    def _array(self, schema: Mapping[str, Any], seed: Any, depth: int) -> list[Any]:
        items = schema.get("items", {})
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        result: list[Any] = []
        if isinstance(seed, list):
            for index, value in enumerate(seed):
                sub = prefix[index] if index < len(prefix) else items
                if sub is False:
                    break
                result.append(self.value(sub, value, depth + 1))
        low = schema.get("minItems", 0)
        low = low if isinstance(low, int) else 0
        high = schema.get("maxItems")
        while len(result) < low:
            index = len(result)
            sub = prefix[index] if index < len(prefix) else items
            if sub is False:
                raise CannotGenerate("minItems needs items the schema does not allow")
            result.append(self.value(sub, _NO_SEED, depth + 1))
            if schema.get("uniqueItems") and result.count(result[-1]) > 1:
                raise CannotGenerate("cannot make distinct items for uniqueItems")
        if isinstance(high, int) and len(result) > high:
            result = result[:high]
        return result

    def _string(self, schema: Mapping[str, Any]) -> str:
        low = schema.get("minLength", 0)
        low = low if isinstance(low, int) else 0
        high = schema.get("maxLength")
        high = high if isinstance(high, int) else None
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            text = example_for_pattern(pattern, low)
        elif isinstance(fmt, str) and fmt in _FORMATS:
            text = _FORMATS[fmt]
        else:
            text = "string" if (high is None or high >= 6) else ""
        if len(text) < low:
            text += "x" * (low - len(text))
        if high is not None and len(text) > high:
            text = text[:high]
        return text

    def _number(self, schema: Mapping[str, Any], *, integer: bool) -> float:
        low: float | None = None
        high: float | None = None
        if _number(schema.get("minimum")) is not None:
            low = float(schema["minimum"])
        if _number(schema.get("exclusiveMinimum")) is not None:
            bound = float(schema["exclusiveMinimum"])
            step = 1.0 if integer else max(abs(bound) * 1e-9, 1e-9)
            low = max(low, bound + step) if low is not None else bound + step
        if _number(schema.get("maximum")) is not None:
            high = float(schema["maximum"])
        if _number(schema.get("exclusiveMaximum")) is not None:
            bound = float(schema["exclusiveMaximum"])
            step = 1.0 if integer else max(abs(bound) * 1e-9, 1e-9)
            high = min(high, bound - step) if high is not None else bound - step
        value = 1.0
        if low is not None and value < low:
            value = math.ceil(low) if integer else low
        if high is not None and value > high:
            value = math.floor(high) if integer else high
        multiple = _number(schema.get("multipleOf"))
        if multiple:
            value = math.ceil(value / multiple) * multiple
            if high is not None and value > high:
                value = math.floor(high / multiple) * multiple
        if (low is not None and value < low) or (high is not None and value > high):
            raise CannotGenerate("no number meets the schema's bounds")
        return int(value) if integer or float(value).is_integer() else value


def _unquote(pointer: str) -> str:
    from urllib.parse import unquote

    return unquote(pointer)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fits(kind: str, value: Any) -> bool:
    actual = _kind_of(value)
    if kind == "number":
        return actual in ("number", "integer")
    if kind == "integer" and actual == "number":
        return float(value).is_integer()
    return actual == kind


def _pattern_closed(schema: Mapping[str, Any]) -> bool:
    return schema.get("unevaluatedProperties") is False


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Two schemas that must both hold, as one (enough of them for making values)."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties" and isinstance(value, Mapping):
            props = dict(out[key]) if isinstance(out[key], Mapping) else {}
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out[key] = props
        elif key == "required" and isinstance(value, list):
            out[key] = [*out[key], *[r for r in value if r not in out[key]]]
        elif key == "type":
            mine = out[key] if isinstance(out[key], list) else [out[key]]
            theirs = value if isinstance(value, list) else [value]
            both = [t for t in mine if t in theirs or (t == "integer" and "number" in theirs)]
            both += [t for t in theirs if t == "integer" and "number" in mine and t not in both]
            out[key] = both[0] if len(both) == 1 else both or mine
        elif key in ("minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum"):
            out[key] = max(out[key], value) if _comparable(out[key], value) else value
        elif key in ("maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum"):
            out[key] = min(out[key], value) if _comparable(out[key], value) else value
        elif key == "enum" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = [v for v in out[key] if v in value]
        elif key == "allOf" and isinstance(value, list):
            out[key] = [*out[key], *value]
        elif key in ("anyOf", "oneOf"):
            out.setdefault("allOf", []).append({key: value})
    return out


def _comparable(a: Any, b: Any) -> bool:
    return _number(a) is not None and _number(b) is not None


# -- patterns --------------------------------------------------------------------------------
def example_for_pattern(pattern: str, min_length: int = 0) -> str:
    """A short string that `pattern` (searched, as JSON Schema does) matches; raises
    CannotGenerate for a construct it does not know. Built from Python's own regex parser:
    the first alternative of each branch, the fewest repetitions, the first member of each
    class."""
    sre_parse: Any = importlib.import_module(
        "re._parser" if sys.version_info >= (3, 11) else "sre_parse"
    )
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        raise CannotGenerate(f"pattern {pattern!r} does not compile: {exc}") from None
    try:
        text = _emit(parsed, sre_parse, {})
    except (CannotGenerate, RecursionError, IndexError, TypeError) as exc:
        raise CannotGenerate(f"cannot make a value for pattern {pattern!r}: {exc}") from None
    compiled = re.compile(pattern)
    if compiled.search(text) is None:
        raise CannotGenerate(f"cannot make a value for pattern {pattern!r}")
    if len(text) < min_length:
        # longer values: repeat what a `+`/`*`/`{n,}` allows by trying a padded variant
        for pad in ("a", "0", "x", " "):
            longer = text + pad * (min_length - len(text))
            if compiled.search(longer):
                return longer
    return text


def _emit(parsed: Any, sre: Any, groups: dict[int, str]) -> str:
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_class_member(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_emit(sub, sre, groups) * int(low))
        elif name == "SUBPATTERN":
            group, _add, _del, sub = arg
            text = _emit(sub, sre, groups)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif name == "ATOMIC_GROUP":
            out.append(_emit(arg, sre, groups))
        elif name == "BRANCH":
            _, branches = arg
            out.append(_emit(branches[0], sre, groups))
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        elif name == "CATEGORY":
            out.append(_category(str(arg)))
        else:
            raise CannotGenerate(f"unsupported regex construct {name}")
    return "".join(out)


def _category(name: str) -> str:
    if "NOT_DIGIT" in name:
        return "a"
    if "DIGIT" in name:
        return "0"
    if "NOT_SPACE" in name:
        return "a"
    if "SPACE" in name:
        return " "
    if "NOT_WORD" in name:
        return "-"
    return "a"


def _class_member(items: Any) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    if negate:
        excluded: set[str] = set()
        for op, arg in items:
            if str(op) == "LITERAL":
                excluded.add(chr(arg))
            elif str(op) == "RANGE":
                excluded.update(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 256) + 1))
        for candidate in "aA0-_ x":
            if candidate not in excluded:
                return candidate
        raise CannotGenerate("a negated class excluding every simple character")
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return _category(str(arg))
    raise CannotGenerate("an empty character class")


def unique_string(schema: Mapping[str, Any], number: int) -> str:
    """A string for an id field: unique per `number`, within the schema's format, pattern and
    length where it can be."""
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.UUID(int=number, version=4))
    high = schema.get("maxLength")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        base = example_for_pattern(pattern, schema.get("minLength", 0) or 0)
        compiled = re.compile(pattern)
        for candidate in (f"{base}{number}", f"{number}{base}", _digits_into(base, number)):
            if compiled.search(candidate) and (not isinstance(high, int) or len(candidate) <= high):
                return candidate
        return base
    text = f"{number:08x}"
    low = schema.get("minLength", 0)
    if isinstance(low, int) and len(text) < low:
        text = text.rjust(low, "0")
    if isinstance(high, int) and len(text) > high:
        text = text[-high:] if high > 0 else ""
    return text


def _digits_into(base: str, number: int) -> str:
    digits = str(number)
    chars = list(base)
    positions = [i for i, c in enumerate(chars) if c.isdigit()]
    for position, digit in zip(reversed(positions), reversed(digits), strict=False):
        chars[position] = digit
    return "".join(chars)

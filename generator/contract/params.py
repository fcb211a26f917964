"""Parameters and form fields as sent -> the JSON values their schemas describe.

OpenAPI serializes a parameter by its `style` and `explode` (the tables of "Style Examples"):
path `simple` (`3,4,5`), `label` (`.3.4.5`), `matrix` (`;id=3;id=4`); query `form`
(`id=3&id=4`, `id=3,4`), `spaceDelimited` (`id=3%204`), `pipeDelimited` (`id=3|4`) and
`deepObject` (`id[role]=admin`); header `simple`; cookie `form`. Objects and arrays take the
shapes those tables give, with or without `explode`. A `content`-encoded parameter is one text
in its media type (JSON is parsed). The same rules read the fields of a form body (with its
`encoding` per property).

Reading takes the wire strings apart; `coerce` then turns the strings into the types the
schema names (`"5"` is 5 where an integer is expected, and stays a string where it is not one),
so that the schema judges values, not their spelling. What cannot be taken apart (a label
value without its `.`, a matrix value naming another parameter) is a `StyleProblem`.

Written here because the parsing has to follow OpenAPI's tables exactly and report where a
value breaks them; the generated clients' serializers (templates/runtime) are the other
direction and run in generated code, which imports nothing of the tool.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class StyleProblem(ValueError):
    """A value that is not serialized the way its style says."""

    def __init__(self, expected: str, actual: str, message: str) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual
        self.message = message


@dataclass(frozen=True)
class Wire:
    """How one value travels: its name, style, explode, and the schema it is read for.
    `keyed` is False for query values that have no key of their own (an exploded object's
    properties, a deepObject's `name[...]` keys): whether they were sent cannot be told by
    looking for the name."""

    name: str
    style: str
    explode: bool
    schema: Any
    keyed: bool = True


class Resolver:
    """Schemas of one converted document after their local `$ref`s, and the JSON types each
    allows; both remembered per schema object (the same few schemas are read for every
    exchange)."""

    def __init__(self, lookup: Callable[[str], Any]) -> None:
        self._lookup = lookup  # JSON pointer -> schema
        self._kinds: dict[int, tuple[Any, frozenset[str]]] = {}

    def __call__(self, schema: Any) -> Any:
        for _ in range(32):
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if not (isinstance(ref, str) and ref.startswith("#")):
                return schema
            schema = self._lookup(urllib.parse.unquote(ref[1:]))
        return schema

    def kinds(self, schema: Any) -> frozenset[str]:
        """The JSON types a schema allows, looking through `$ref`, `allOf`, `anyOf` and
        `oneOf` (empty: it does not say)."""
        if not isinstance(schema, dict):
            return frozenset()
        found = self._kinds.get(id(schema))
        if found is None:
            found = (schema, frozenset(self._find(schema, 0)))  # keeps `schema` alive
            self._kinds[id(schema)] = found
        return found[1]

    def _find(self, schema: Any, depth: int) -> set[str]:
        schema = self(schema)
        if not isinstance(schema, dict) or depth > 8:
            return set()
        found: set[str] = set()
        kind = schema.get("type")
        if isinstance(kind, str):
            found.add(kind)
        elif isinstance(kind, list):
            found.update(k for k in kind if isinstance(k, str))
        if not found:
            for keyword in ("allOf", "anyOf", "oneOf"):
                for branch in schema.get(keyword) or ():
                    found |= self._find(branch, depth + 1)
            if not found and isinstance(schema.get("properties"), dict):
                found.add("object")
            if not found and "items" in schema:
                found.add("array")
        return found


def kinds(schema: Any, resolve: Resolver) -> frozenset[str]:
    return resolve.kinds(schema)


def shape(schema: Any, resolve: Resolver) -> str:
    """ "object", "array" or "primitive": which row of the style tables applies."""
    found = kinds(schema, resolve) - {"null"}
    if found == {"object"}:
        return "object"
    if found == {"array"}:
        return "array"
    return "primitive"


def _pairs(items: Sequence[str], what: str) -> dict[str, str]:
    if len(items) % 2:
        raise StyleProblem(
            "name,value pairs",
            ",".join(items),
            f"{what}: an object is sent as name,value pairs; this has an odd number of parts",
        )
    return dict(zip(items[::2], items[1::2], strict=True))


def _assignments(items: Sequence[str], what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise StyleProblem(
                "name=value", item, f"{what}: {item!r} is not name=value (exploded object)"
            )
        found[key] = value
    return found


def _unquote(value: str) -> str:
    return urllib.parse.unquote(value)


# -- path ----------------------------------------------------------------------------------------
def read_path(wire: Wire, raw: str, resolve: Resolver) -> Any:
    """A path segment (still percent-encoded) in `simple`, `label` or `matrix` style."""
    form = shape(wire.schema, resolve)
    what = f"path parameter {wire.name!r} ({wire.style} style)"
    style = wire.style
    if style == "label":
        if not raw.startswith("."):
            raise StyleProblem(
                ".value",
                _unquote(raw),
                f"{what}: a label value starts with '.', this is {_unquote(raw)!r}",
            )
        body = raw[1:]
        if form == "primitive":
            return _unquote(body)
        parts = [_unquote(p) for p in body.split("." if wire.explode else ",")]
        if form == "array":
            return parts
        if wire.explode:
            return _assignments(parts, what)
        return _pairs(parts, what)
    if style == "matrix":
        if not raw.startswith(";"):
            raise StyleProblem(
                f";{wire.name}=value",
                _unquote(raw),
                f"{what}: a matrix value starts with ';', this is {_unquote(raw)!r}",
            )
        parts = raw[1:].split(";")
        if form == "object" and wire.explode:
            return _assignments([_unquote(p) for p in parts], what)
        values: list[str] = []
        for part in parts:
            key, eq, value = part.partition("=")
            if _unquote(key) != wire.name:
                raise StyleProblem(
                    f";{wire.name}=value",
                    _unquote(part),
                    f"{what}: expected ';{wire.name}=...', found ';{_unquote(part)}'",
                )
            values.append(value if eq else "")
        if form == "primitive":
            return _unquote(values[0])
        if form == "array" and wire.explode:
            return [_unquote(v) for v in values]
        items = [_unquote(v) for value in values for v in value.split(",")]
        if form == "array":
            return items
        return _pairs(items, what)
    # simple
    if form == "primitive":
        return _unquote(raw)
    parts = [_unquote(p) for p in raw.split(",")]
    if form == "array":
        return parts
    return _assignments(parts, what) if wire.explode else _pairs(parts, what)


# -- query and form bodies -----------------------------------------------------------------------
_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


def group(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Decoded query pairs by name, in order."""
    found: dict[str, list[str]] = {}
    for key, value in pairs:
        found.setdefault(key, []).append(value)
    return found


def read_query(
    wire: Wire,
    pairs: Sequence[tuple[str, str]],
    claimed: set[str],
    resolve: Resolver,
    by_name: Mapping[str, list[str]] | None = None,
) -> tuple[bool, Any]:
    """(present, value) of a query parameter (or form field) from the decoded pairs (and the
    same grouped by name, when the caller has them). `claimed` are the names other parameters
    own (an exploded object takes the rest, when its schema allows other properties)."""
    form = shape(wire.schema, resolve)
    if wire.style != "deepObject" and not (form == "object" and wire.explode):
        values = (by_name or group(pairs)).get(wire.name)
        if not values:
            return False, None
        if form == "primitive":
            return True, values[0]
    what = f"{wire.name!r} ({wire.style} style)"
    if wire.style == "deepObject":
        prefix = wire.name + "["
        found: dict[str, Any] = {}
        for key, value in pairs:
            if key.startswith(prefix) and key.endswith("]"):
                _deep_set(found, key[len(prefix) : -1].split("]["), value)
        return bool(found), found
    values = [value for key, value in pairs if key == wire.name]
    delimiter = _DELIMITERS.get(wire.style, ",")
    if form == "object" and wire.explode:
        schema = resolve(wire.schema)
        declared = schema.get("properties") if isinstance(schema, dict) else None
        declared = declared if isinstance(declared, dict) else {}
        closed = isinstance(schema, dict) and schema.get("additionalProperties") is False
        taken: dict[str, Any] = {}
        for key, value in pairs:
            if key in declared or (not closed and key not in claimed and key != wire.name):
                taken.setdefault(key, value)
        return bool(taken), taken
    if not values:
        return False, None
    if form == "array":
        if wire.explode:
            return True, values
        return True, [item for value in values for item in value.split(delimiter)]
    if form == "object":
        return True, _pairs(values[0].split(delimiter), what)
    return True, values[0]


def _deep_set(target: dict[str, Any], path: list[str], value: str) -> None:
    for key in path[:-1]:
        inner = target.setdefault(key, {})
        if not isinstance(inner, dict):
            return
        target = inner
    last = path[-1]
    if last in target:
        existing = target[last]
        target[last] = [*existing, value] if isinstance(existing, list) else [existing, value]
    else:
        target[last] = value


# -- headers and cookies -------------------------------------------------------------------------
def read_header(wire: Wire, values: Sequence[str], resolve: Resolver) -> Any:
    """Header values (several lines are one comma-separated list) in `simple` style."""
    form = shape(wire.schema, resolve)
    text = ",".join(values)
    if form == "primitive":
        return text.strip() if len(values) > 1 else values[0].strip()
    parts = [p.strip() for p in text.split(",")]
    if form == "array":
        return parts
    what = f"header {wire.name!r}"
    return _assignments(parts, what) if wire.explode else _pairs(parts, what)


def cookies(headers: Sequence[str]) -> dict[str, list[str]]:
    """`Cookie` header values -> name -> values (RFC 6265: `name=value; name2=value2`)."""
    found: dict[str, list[str]] = {}
    for header in headers:
        for part in header.split(";"):
            name, eq, value = part.strip().partition("=")
            if eq and name:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                found.setdefault(name.strip(), []).append(value)
    return found


def read_cookie(wire: Wire, values: Sequence[str], resolve: Resolver) -> Any:
    """A cookie in `form` style: arrays and objects comma-separated (`explode` has no
    defined meaning inside one cookie, so both read the same)."""
    form = shape(wire.schema, resolve)
    if form == "primitive":
        return values[0]
    if form == "array":
        return [item for value in values for item in value.split(",")]
    return _pairs(values[0].split(","), f"cookie {wire.name!r}")


# -- strings -> typed values ---------------------------------------------------------------------
def coerce(value: Any, schema: Any, resolve: Resolver, depth: int = 0) -> Any:
    """Strings read off the wire -> the types `schema` names; anything that does not parse as
    such stays a string (and the schema then says what is wrong with it)."""
    if depth > 32:
        return value
    resolved = resolve(schema)
    if isinstance(value, list):
        items = resolved.get("items") if isinstance(resolved, dict) else None
        prefix = resolved.get("prefixItems") if isinstance(resolved, dict) else None
        result = []
        for index, item in enumerate(value):
            sub = (
                prefix[index]
                if isinstance(prefix, list) and index < len(prefix)
                else (items if items is not None else {})
            )
            result.append(coerce(item, sub, resolve, depth + 1))
        return result
    if isinstance(value, dict):
        props = resolved.get("properties") if isinstance(resolved, dict) else None
        props = props if isinstance(props, Mapping) else {}
        extra = resolved.get("additionalProperties", {}) if isinstance(resolved, dict) else {}
        return {
            key: coerce(item, props.get(key, extra if isinstance(extra, dict) else {}), resolve,
                        depth + 1)
            for key, item in value.items()
        }  # fmt: skip
    if not isinstance(value, str):
        return value
    return scalar(value, resolve.kinds(schema))


def scalar(value: str, allowed: frozenset[str] | set[str]) -> Any:
    """One wire string as the first of the allowed types it spells, else the string."""
    if "string" in allowed:
        return value
    if "integer" in allowed and _INTEGER.fullmatch(value):
        return int(value)
    if "number" in allowed and _NUMBER.fullmatch(value):
        if _INTEGER.fullmatch(value):
            return int(value)
        number = float(value)
        return Decimal(value) if math.isinf(number) else number
    if "boolean" in allowed and value in ("true", "false"):
        return value == "true"
    if "null" in allowed and value in ("", "null"):
        return None
    return value

"""Direction-aware comparison of two normalized schemas.

`request` means the schema describes what callers send: the new schema must accept every value
the old one accepted. `response` means it describes what callers receive: the new schema may
produce nothing the old one ruled out. Each difference becomes a `Partial`: a rule, a path
below the compared schema (`items[].state`), both locations and a message. The operation
comparison turns partials into `Change`s.

Each pair of schemas is compared once per run (its own differences and the child pairs to go
on with), and reached breadth-first from every place that uses it, so recursive schemas end,
a change is located at the shortest path to it, and large specs that share most of their
schemas stay fast.

JSON Schema 2020-12 subschemas are compared where they apply: `contains`, `prefixItems`
positions, `patternProperties`, `dependentSchemas`, `propertyNames`, `then`/`else` and
`contentSchema` in the same direction as their parent. A subschema present on one side only is
compared against what stood there before: `true` narrowed to the parent's types (an absent
`then` accepts whatever the parent accepts), or `false` where a closed object refused the
properties a new pattern now admits. `not` flips the direction: a `not` whose inner schema
widened refuses more, so what widening would break inside it is reported as the negation
narrowing outside it.

`wire` judges parameters as they travel: a query, path, header or cookie value is text, so a
number that becomes a string keeps every old value valid, and a form-exploded query value may
become an array of such values (`?a=1` is also a one-element array).
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from generator.diff.model import Side
from generator.diff.rules import RULES, Level
from generator.diff.schema import (
    LENGTH_MAX,
    LENGTH_MIN,
    Bound,
    Normalizer,
    Schema,
    canonical,
    side,
)
from generator.load import pointer as jp
from generator.load.workspace import Loc

Direction = Literal["request", "response"]
#: how parameter values travel: None (JSON), "text" (a string on the wire), "exploded" (text,
#: and a form-exploded query value, where one value is also a one-element array)
Wire = Literal["text", "exploded"] | None
NOTHING: frozenset[str] = frozenset()

#: format changes that only widen what is accepted (old, new)
WIDER_FORMATS = frozenset({("int32", "int64"), ("float", "double")})
PairKey = tuple[tuple[str, str], tuple[str, str], str]


@dataclass
class _Level:
    """What one pair of schemas differs in by itself, and the child pairs to compare next."""

    partials: list[Partial]
    #: (path segment, old, new, whether the child sits inside a `not`)
    children: list[tuple[str, Loc, Loc, bool]]

    def child(self, segment: str, old: Loc, new: Loc, *, negated: bool = False) -> None:
        self.children.append((segment, old, new, negated))


@dataclass(frozen=True)
class Partial:
    rule: str
    path: tuple[str, ...]
    old: Side | None
    new: Side | None
    message: str


def render_path(path: tuple[str, ...]) -> str:
    text = ""
    for segment in path:
        if segment.startswith(("[", "{", "(")) or not text:
            text += segment
        else:
            text += "." + segment
    return text


def _types(types: frozenset[str] | None) -> str:
    return "any type" if types is None else "/".join(sorted(types)) or "nothing (false)"


def _flip(direction: Direction) -> Direction:
    return "response" if direction == "request" else "request"


def _negated(rule: str, message: str, outer: Direction) -> tuple[str, str]:
    """A difference found inside `not` (compared in the flipped direction), as seen outside."""
    harmful = RULES[rule].level >= Level.WARNING
    if outer == "request":
        new_rule = "request-negation-narrowed" if harmful else "request-constraint-relaxed"
    else:
        new_rule = "response-negation-widened" if harmful else "response-constraint-tightened"
    return new_rule, f"inside not: {message}"


def _accepts(wide: frozenset[str] | None, narrow: frozenset[str] | None) -> bool:
    """Whether every value of the `narrow` type set is also in the `wide` one."""
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _show(values: list[str]) -> str:
    return ", ".join(values[:8]) + (f" and {len(values) - 8} more" if len(values) > 8 else "")


class SchemaComparer:
    def __init__(self, old: Normalizer, new: Normalizer, wire: Wire = None) -> None:
        self.old = old
        self.new = new
        self.wire = wire
        self._levels: dict[PairKey, _Level] = {}
        self._results: dict[PairKey, list[Partial]] = {}
        self._structures: dict[int, dict[tuple[str, str], str | None]] = {}

    def compare(self, old: Loc, new: Loc, direction: Direction) -> list[Partial]:
        """Every difference reachable from the pair (old, new), each at the shortest path that
        reaches it. Breadth-first over schema pairs: each pair is visited once per call, so
        recursive schemas end and no nesting depth can exhaust the stack."""
        root = self._key(old, new, direction)
        if root in self._results:
            return self._results[root]
        found: list[Partial] = []
        seen: set[PairKey] = set()
        queue: deque[tuple[Loc, Loc, tuple[str, ...], bool]] = deque([(old, new, (), False)])
        flipped = _flip(direction)
        while queue:
            old_loc, new_loc, path, negated = queue.popleft()
            here = flipped if negated else direction
            key = self._key(old_loc, new_loc, here)
            if key in seen:
                continue
            seen.add(key)
            level = self._levels.get(key)
            if level is None:
                level = self._levels[key] = self._level(old_loc, new_loc, here)
            for p in level.partials:
                rule, message = p.rule, p.message
                if negated:
                    rule, message = _negated(rule, message, direction)
                found.append(Partial(rule, (*path, *p.path), p.old, p.new, message))
            for segment, child_old, child_new, flips in level.children:
                queue.append((child_old, child_new, (*path, segment), negated != flips))
        self._results[root] = found
        return found

    def _key(self, old: Loc, new: Loc, direction: Direction) -> PairKey:
        return (self.old.schema(old).loc.key, self.new.schema(new).loc.key, direction)

    def _level(self, old: Loc, new: Loc, direction: Direction) -> _Level:
        level = _Level([], [])
        self._schemas(self.old.schema(old), self.new.schema(new), direction, level)
        return level

    # -- one level ----------------------------------------------------------------------------
    def _schemas(self, o: Schema, n: Schema, d: Direction, level: _Level) -> None:
        out = level.partials

        def add(rule: str, message: str, old: Side | None = None, new: Side | None = None) -> None:
            out.append(
                Partial(
                    rule,
                    (),
                    old or _present(self.old, o.loc),
                    new or _present(self.new, n.loc),
                    message,
                )
            )

        if (o.variants is None) != (n.variants is None):
            self._variants(o, n, d, level, add)
            return
        self._type(o, n, d, add)
        self._enum(o, n, d, add)
        self._text(o, n, d, add)
        self._lengths(o, n, d, add)
        self._range(o, n, d, add)
        if o.default is not None:
            self._default(o, n, d, add)
        extras = o.extras or n.extras
        self._object(o, n, d, level, add, extras)
        self._array(o, n, d, level, add, extras)
        if extras:
            self._applied(o, n, d, level, add)
        if o.variants is not None and n.variants is not None:
            self._variants(o, n, d, level, add)

    def _type(self, o: Schema, n: Schema, d: Direction, add: _Add) -> None:
        old, new = o.types, n.types
        if o.variants is not None and n.variants is not None and o.variants_null != n.variants_null:
            old = frozenset({"null"}) if o.variants_null else frozenset()
            new = frozenset({"null"}) if n.variants_null else frozenset()
        if (
            old == new
            or (o.stand_in and old and new is None)
            or (n.stand_in and new and old is None)
        ):
            return  # an untyped subschema added in place of one typed like its parent
        change = f"type {_types(old)} became {_types(new)}"
        if d == "request":
            if not _accepts(new, old):
                if self.wire is not None and self._wire_accepts(new, old, n):
                    add("request-type-widened", f"{change}: every old value is still valid as sent")
                else:
                    add("request-type-narrowed", f"{change}: old values are refused")
            elif not _accepts(old, new):
                add("request-type-widened", change)
        else:
            if not _accepts(old, new):
                add("response-type-widened", f"{change}: callers may receive the new types")
            elif not _accepts(new, old):
                add("response-type-narrowed", change)

    def _wire_accepts(
        self, new: frozenset[str] | None, old: frozenset[str] | None, n: Schema
    ) -> bool:
        """Whether every value of the `old` types, as a parameter sends it, is valid under the
        `new` ones: text on the wire reads as a string, and a form-exploded value also as a
        one-element array."""
        if old is None or new is None:
            return new is None
        items = self.new.schema(n.items).types if n.items is not None else None
        for kind in old:
            if _accepts(new, frozenset({kind})):
                continue
            if kind in _SCALARS and "string" in new:
                continue
            if (
                self.wire == "exploded"
                and "array" in new
                and kind in _SCALARS | {"string"}
                and (items is None or kind in items or "string" in items)
            ):
                continue
            return False
        return True

    def _enum(self, o: Schema, n: Schema, d: Direction, add: _Add) -> None:
        old, new = o.enum, n.enum
        if old == new or (old is None and new is None):
            return
        if self.wire is not None and old is not None and new is not None:
            old, new = _as_sent(old), _as_sent(new)
            if old == new:
                return
        if d == "request":
            if new is None:
                add("request-constraint-relaxed", "enum removed: any value is accepted")
            elif old is None:
                add(
                    "request-enum-value-removed",
                    f"values are now restricted to the enum [{_show(sorted(new))}]",
                )
            else:
                removed = sorted(set(old) - set(new))
                added = sorted(set(new) - set(old))
                if removed:
                    add("request-enum-value-removed", f"enum no longer accepts {_show(removed)}")
                if added:
                    add("request-enum-value-added", f"enum accepts {_show(added)}")
        else:
            if old is not None and new is not None and len(old) == 1 == len(new):
                add(
                    "response-const-changed",
                    f"the value is always {next(iter(new))} instead of {next(iter(old))}",
                )
                return
            if old is None:
                add(
                    "response-constraint-tightened",
                    f"values restricted to [{_show(sorted(new or {}))}]",
                )
            elif new is None:
                add(
                    "response-enum-removed",
                    f"enum [{_show(sorted(old))}] removed: any value may arrive",
                )
            else:
                removed = sorted(set(old) - set(new))
                added = sorted(set(new) - set(old))
                if added:
                    add("response-enum-value-added", f"enum may now carry {_show(added)}")
                if removed:
                    add("response-enum-value-removed", f"enum no longer carries {_show(removed)}")

    def _text(self, o: Schema, n: Schema, d: Direction, add: _Add) -> None:
        if o.format != n.format:
            what = f"format {o.format or '(none)'} became {n.format or '(none)'}"
            wider = n.format is None or (o.format, n.format) in WIDER_FORMATS
            if d == "request":
                add("request-constraint-relaxed" if wider else "request-format-changed", what)
            else:
                add(
                    "response-constraint-tightened"
                    if o.format is None
                    else "response-format-changed",
                    what,
                )
        for keyword, was, now in (
            ("contentMediaType", o.content_media_type, n.content_media_type),
            ("contentEncoding", o.content_encoding, n.content_encoding),
        ):
            if was == now:
                continue
            what = f"{keyword} {was or '(none)'} became {now or '(none)'}"
            if d == "request":
                add("request-constraint-relaxed" if now is None else "request-format-changed", what)
            else:
                add(
                    "response-constraint-tightened" if was is None else "response-format-changed",
                    what,
                )
        if o.pattern != n.pattern:
            what = f"pattern {o.pattern or '(none)'!s} became {n.pattern or '(none)'!s}"
            if d == "request":
                add(
                    "request-constraint-relaxed"
                    if n.pattern is None
                    else "request-pattern-changed",
                    what,
                )
            else:
                add(
                    "response-constraint-tightened"
                    if o.pattern is None
                    else "response-pattern-changed",
                    what,
                )

    def _lengths(self, o: Schema, n: Schema, d: Direction, add: _Add) -> None:
        for keyword in (*LENGTH_MIN, *LENGTH_MAX):
            old, new = o.lengths.get(keyword), n.lengths.get(keyword)
            if old == new:
                continue
            if keyword in LENGTH_MAX:
                stricter = new is not None and (old is None or new < old)
            else:
                stricter = (new or 0) > (old or 0)
            if (old or 0) == (new or 0) and keyword in LENGTH_MIN:
                continue  # minLength 0 and no minLength are the same
            what = f"{keyword} {_opt(old)} became {_opt(new)}"
            if d == "request":
                add("request-length-narrowed" if stricter else "request-constraint-relaxed", what)
            else:
                add(
                    "response-constraint-tightened" if stricter else "response-length-widened", what
                )

    def _range(self, o: Schema, n: Schema, d: Direction, add: _Add) -> None:
        checks: list[tuple[str, bool]] = []
        if o.minimum != n.minimum:
            checks.append(
                (
                    f"lower bound {_bound(o.minimum, '>')} became {_bound(n.minimum, '>')}",
                    _tighter(o.minimum, n.minimum, lower=True),
                )
            )
        if o.maximum != n.maximum:
            checks.append(
                (
                    f"upper bound {_bound(o.maximum, '<')} became {_bound(n.maximum, '<')}",
                    _tighter(o.maximum, n.maximum, lower=False),
                )
            )
        if o.multiple_of != n.multiple_of:
            stricter = n.multiple_of is not None and (
                o.multiple_of is None or (n.multiple_of / o.multiple_of) % 1 != 0
            )
            checks.append((f"multipleOf {o.multiple_of} became {n.multiple_of}", stricter))
        for what, stricter in checks:
            if d == "request":
                add("request-range-narrowed" if stricter else "request-constraint-relaxed", what)
            else:
                add("response-constraint-tightened" if stricter else "response-range-widened", what)

    def _default(self, o: Schema, n: Schema, d: Direction, add: _Add) -> None:
        if o.default is None or o.default == n.default:
            return  # a default newly documented describes what already happened
        what = (
            f"default {o.default} removed"
            if n.default is None
            else f"default {o.default} became {n.default}"
        )
        if d == "request":
            add("request-default-changed", f"{what}: callers that omit it get other behaviour")
        else:
            add("response-default-changed", f"{what}: an absent value now means something else")

    def _object(
        self, o: Schema, n: Schema, d: Direction, level: _Level, add: _Add, extras: bool
    ) -> None:
        if o.closed != n.closed:
            if d == "request":
                if n.closed:
                    add("request-object-closed", "additional properties are no longer accepted")
                else:
                    add("request-constraint-relaxed", "additional properties are now accepted")
            elif o.closed:
                add("response-object-opened", "additional properties may now appear")
            else:
                add("response-constraint-tightened", "additional properties no longer appear")
        if (
            (o.additional is not None or n.additional is not None)
            and not (o.closed or n.closed)
            and (o.additional is not None or _holds(o, "object"))
            and (n.additional is not None or _holds(n, "object"))
        ):
            # a side without the keyword stands for anything, where it is an object at all
            level.child(
                "{*}",
                o.additional or self.old.stand_in(o.loc.child("additionalProperties"), None),
                n.additional or self.new.stand_in(n.loc.child("additionalProperties"), None),
            )
        if extras:
            self._keyed_subschemas(o, n, d, level, add)
        hidden = "read_only" if d == "request" else "write_only"
        old_props = self._visible(self.old, o, hidden)
        new_props = self._visible(self.new, n, hidden)
        old_required = {r for r in o.required if r in old_props or r not in o.properties}
        new_required = {r for r in n.required if r in new_props or r not in n.properties}
        for name in sorted(set(old_props) | set(new_props) | old_required | new_required):
            in_old, in_new = name in old_props, name in new_props
            was_req, is_req = name in old_required, name in new_required
            sides = (
                side(old_props[name])
                if in_old
                else (_present(self.old, o.loc) if o.stand_in else side(o.loc)),
                side(new_props[name])
                if in_new
                else (_present(self.new, n.loc) if n.stand_in else side(n.loc)),
            )
            label = repr(name)

            def prop(rule: str, message: str) -> None:
                level.partials.append(Partial(rule, (name,), *sides, message))  # noqa: B023

            if d == "request":
                if in_old and not in_new and not is_req:
                    if n.closed:
                        prop("request-property-refused", f"{label} removed from a closed object")
                    else:
                        prop("request-property-removed", f"{label} is no longer documented")
                elif is_req and not was_req:
                    if in_old or (not in_new and name in o.properties):
                        prop("request-property-became-required", f"{label} is now required")
                    else:
                        prop("request-property-added-required", f"new required property {label}")
                elif in_new and not in_old:
                    prop("request-property-added", f"new optional property {label}")
                elif was_req and not is_req:
                    prop("request-property-became-optional", f"{label} is now optional")
            elif in_old and not in_new:
                prop("response-property-removed", f"{label} was removed")
            elif in_new and not in_old:
                if o.closed:
                    prop(
                        "response-property-added-to-closed-object",
                        f"new property {label} in an object that allowed no others",
                    )
                else:
                    prop("response-property-added", f"new property {label}")
            elif was_req and not is_req:
                prop("response-property-became-optional", f"{label} is no longer required")
            elif is_req and not was_req:
                prop("response-property-became-required", f"{label} is now always present")
            if in_old and in_new:
                level.child(name, old_props[name], new_props[name])

    def _keyed_subschemas(
        self, o: Schema, n: Schema, d: Direction, level: _Level, add: _Add
    ) -> None:
        """patternProperties, propertyNames, dependentRequired and dependentSchemas."""
        for pattern in sorted(set(o.pattern_properties) | set(n.pattern_properties)):
            was, now = o.pattern_properties.get(pattern), n.pattern_properties.get(pattern)
            segment = f"{{/{pattern}/}}"
            if was is None and o.closed and o.additional is None and d == "response":
                level.partials.append(
                    Partial(
                        "response-property-added-to-closed-object",
                        (segment,),
                        _present(self.old, o.loc),
                        side(now) if now is not None else _present(self.new, n.loc),
                        f"properties matching /{pattern}/ may now appear in an object that "
                        "allowed no others",
                    )
                )
            elif now is None and n.closed and n.additional is None and d == "request":
                level.partials.append(
                    Partial(
                        "request-property-refused",
                        (segment,),
                        side(was) if was is not None else _present(self.old, o.loc),
                        _present(self.new, n.loc),
                        f"properties matching /{pattern}/ are no longer accepted (closed object)",
                    )
                )
            else:
                level.child(
                    segment,
                    was or self._unmatched(self.old, o, ("patternProperties", pattern)),
                    now or self._unmatched(self.new, n, ("patternProperties", pattern)),
                )
        if o.property_names is not None or n.property_names is not None:
            names = frozenset({"string"})
            level.child(
                "(propertyNames)",
                o.property_names or self.old.stand_in(o.loc.child("propertyNames"), names),
                n.property_names or self.new.stand_in(n.loc.child("propertyNames"), names),
            )
        self._dependencies(o, n, d, level, add)

    def _unmatched(self, norm: Normalizer, schema: Schema, where: tuple[str, str]) -> Loc:
        """What a property matching a pattern the schema does not list met: the
        additionalProperties schema, `false` in a closed object, else anything."""
        if schema.additional is not None:
            return schema.additional
        return norm.stand_in(schema.loc.child(*where), NOTHING if schema.closed else None)

    def _dependencies(self, o: Schema, n: Schema, d: Direction, level: _Level, add: _Add) -> None:
        for name in sorted(set(o.dependent_required) | set(n.dependent_required)):
            was = o.dependent_required.get(name, frozenset())
            now = n.dependent_required.get(name, frozenset())
            if now - was:
                shown = _show(sorted(repr(r) for r in now - was))
                if d == "request":
                    add(
                        "request-dependency-added",
                        f"a request with {name!r} must now also carry {shown} (dependentRequired)",
                    )
                else:
                    add(
                        "response-constraint-tightened",
                        f"{shown} now always come with {name!r} (dependentRequired)",
                    )
            if was - now:
                shown = _show(sorted(repr(r) for r in was - now))
                if d == "request":
                    add(
                        "request-constraint-relaxed",
                        f"{shown} no longer need to come with {name!r} (dependentRequired)",
                    )
                else:
                    add(
                        "response-dependency-removed",
                        f"{shown} no longer always come with {name!r} (dependentRequired)",
                    )
        for name in sorted(set(o.dependent_schemas) | set(n.dependent_schemas)):
            where = ("dependentSchemas", name)
            level.child(
                f"(dependentSchemas {name})",
                o.dependent_schemas.get(name) or self.old.stand_in(o.loc.child(*where), o.types),
                n.dependent_schemas.get(name) or self.new.stand_in(n.loc.child(*where), n.types),
            )

    def _array(
        self, o: Schema, n: Schema, d: Direction, level: _Level, add: _Add, extras: bool
    ) -> None:
        positions = max(len(o.prefix_items), len(n.prefix_items))
        if not (extras and _holds(o, "array") and _holds(n, "array")):
            positions = 0  # a side that is no array at all has no positions to compare
        for index in range(positions):
            level.child(
                f"[{index}]",
                self._position(self.old, o, index),
                self._position(self.new, n, index),
            )
        if (
            self.wire == "exploded"
            and o.items is None
            and n.items is not None
            and o.types is not None
            and "array" not in o.types
            and n.types is not None
            and "array" in n.types
        ):
            # a form-exploded value that became a list: each old value is now one item
            level.child("[]", o.loc, n.items)
        elif (
            (o.items is not None or n.items is not None)
            and (o.items is not None or _holds(o, "array"))
            and (n.items is not None or _holds(n, "array"))
        ):
            # a side without items stands for any item, where it is an array at all
            level.child(
                "[]",
                o.items or self.old.stand_in(o.loc.child("items"), None),
                n.items or self.new.stand_in(n.loc.child("items"), None),
            )
        if not extras:
            return
        if o.contains is not None and n.contains is not None:
            level.child("(contains)", o.contains, n.contains)
        elif n.contains is not None:
            if d == "request":
                add("request-contains-added", "arrays must now hold an item matching `contains`")
            else:
                add("response-constraint-tightened", "arrays now hold an item matching `contains`")
        elif o.contains is not None:
            if d == "request":
                add("request-constraint-relaxed", "`contains` removed")
            else:
                add(
                    "response-contains-removed",
                    "arrays may no longer hold an item matching the old `contains`",
                )

    @staticmethod
    def _position(norm: Normalizer, schema: Schema, index: int) -> Loc:
        """The schema item `index` of an array meets: its prefixItems entry, else items."""
        if index < len(schema.prefix_items):
            return schema.prefix_items[index]
        if schema.items is not None:
            return schema.items
        return norm.stand_in(schema.loc.child("prefixItems", index), None)

    def _applied(self, o: Schema, n: Schema, d: Direction, level: _Level, add: _Add) -> None:
        """if/then/else, not and contentSchema: subschemas applied to the value itself."""
        for index in range(max(len(o.conditionals), len(n.conditionals))):
            was = o.conditionals[index] if index < len(o.conditionals) else None
            now = n.conditionals[index] if index < len(n.conditionals) else None
            suffix = f" #{index + 1}" if index else ""
            old_if = self._present_child(self.old, was, "if")
            new_if = self._present_child(self.new, now, "if")
            if old_if is not None and new_if is not None:
                if not self._same(old_if, new_if):
                    add(
                        f"{d}-condition-changed",
                        f"the `if` condition{suffix} changed: values meet a different branch",
                        side(old_if),
                        side(new_if),
                    )
            for keyword in ("then", "else"):
                old_branch = self._present_child(self.old, was, keyword)
                new_branch = self._present_child(self.new, now, keyword)
                if old_branch is None and new_branch is None:
                    continue
                level.child(
                    f"({keyword}{suffix})",
                    old_branch or self.old.stand_in(o.loc.child(keyword), o.types),
                    new_branch or self.new.stand_in(n.loc.child(keyword), n.types),
                )
        for index in range(max(len(o.negations), len(n.negations))):
            was = o.negations[index] if index < len(o.negations) else None
            now = n.negations[index] if index < len(n.negations) else None
            if was is not None and now is not None:
                level.child("(not)", was.child("not"), now.child("not"), negated=True)
            elif now is not None:
                if d == "request":
                    add("request-negation-narrowed", "a new `not` refuses values matching it")
                else:
                    add("response-constraint-tightened", "a new `not` rules values out")
            elif was is not None:
                if d == "request":
                    add("request-constraint-relaxed", "`not` removed")
                else:
                    add(
                        "response-negation-widened",
                        "`not` removed: values it ruled out may arrive",
                    )
        if o.content_schema is not None or n.content_schema is not None:
            level.child(
                "(contentSchema)",
                o.content_schema or self.old.stand_in(o.loc.child("contentSchema"), None),
                n.content_schema or self.new.stand_in(n.loc.child("contentSchema"), None),
            )

    def _same(self, old: Loc, new: Loc) -> bool:
        """Whether two schemas are structurally identical; when one is too large to spell out,
        whether they are written the same."""
        was, now = self._structure(self.old, old), self._structure(self.new, new)
        if was is None or now is None:
            return canonical(self.old.value(old)) == canonical(self.new.value(new))
        return was == now

    @staticmethod
    def _present_child(norm: Normalizer, holder: Loc | None, keyword: str) -> Loc | None:
        if holder is None:
            return None
        loc = holder.child(keyword)
        return loc if isinstance(norm.value(loc), (dict, bool)) else None

    def _structure(self, norm: Normalizer, loc: Loc) -> str | None:
        """The schema at `loc` with every `$ref` followed and prose dropped, as canonical
        JSON: equal for structurally identical schemas. None when it is too large to spell
        out (then nothing is assumed identical)."""
        cache = self._structures.setdefault(id(norm), {})
        if loc.key in cache:
            return cache[loc.key]
        budget = [_STRUCTURE_BUDGET]

        def walk(at: Loc, value: Any, stack: tuple[tuple[str, str], ...], depth: int = 0) -> Any:
            budget[0] -= 1
            if budget[0] < 0 or depth > _STRUCTURE_DEPTH:
                raise _TooLarge
            if isinstance(value, dict) and isinstance(value.get("$ref"), str):
                target, value, _, _ = norm.deref(at, value)
                if target.key in stack:
                    return {"$cycle": len(stack) - stack.index(target.key)}
                at, stack = target, (*stack, target.key)
            if isinstance(value, dict):
                return {
                    k: walk(at.child(k), v, stack, depth + 1)
                    for k, v in value.items()
                    if k not in _PROSE and not k.startswith("x-")
                }
            if isinstance(value, list):
                return [walk(at.child(i), v, stack, depth + 1) for i, v in enumerate(value)]
            return value

        try:
            text: str | None = json.dumps(
                walk(loc, norm.value(loc), ()), sort_keys=True, default=str
            )
        except _TooLarge:
            text = None
        cache[loc.key] = text
        return text

    def _visible(self, norm: Normalizer, schema: Schema, hidden: str) -> dict[str, Loc]:
        return {
            name: loc
            for name, loc in schema.properties.items()
            if not getattr(norm.schema(loc), hidden)
        }

    def _variants(self, o: Schema, n: Schema, d: Direction, level: _Level, add: _Add) -> None:
        old = o.variants if o.variants is not None else [o.loc]
        new = n.variants if n.variants is not None else [n.loc]
        keyword = n.variant_keyword if n.variants is not None else o.variant_keyword
        pairs, lost, gained = self._pair(old, new)
        for old_loc, new_loc in pairs:
            name = self.new.schema(new_loc).name or self.old.schema(old_loc).name
            segment = f"({keyword} {name})" if name else f"({keyword} #{new.index(new_loc) + 1})"
            level.child(segment, old_loc, new_loc)
        self._exclusivity(o, n, d, old, new, pairs, add)
        for loc in lost:
            label = self.old.schema(loc).name or f"#{old.index(loc) + 1}"
            where = side(self.old.schema(loc).loc)
            if d == "request":
                add(
                    "request-variant-removed",
                    f"{keyword} alternative {label} is no longer accepted",
                    where,
                    None,
                )
            else:
                add(
                    "response-constraint-tightened",
                    f"{keyword} alternative {label} removed",
                    where,
                    None,
                )
        for loc in gained:
            label = self.new.schema(loc).name or f"#{new.index(loc) + 1}"
            where = side(self.new.schema(loc).loc)
            if d == "request":
                add(
                    "request-constraint-relaxed",
                    f"new {keyword} alternative {label} accepted",
                    None,
                    where,
                )
            else:
                twin = self._twin(loc, old)
                if twin is not None:
                    add(
                        "response-variant-duplicated",
                        f"new {keyword} alternative {label} has the shape of "
                        f"{self.old.schema(twin).name or f'#{old.index(twin) + 1}'}: nothing new "
                        "arrives",
                        None,
                        where,
                    )
                    continue
                add(
                    "response-variant-added",
                    f"new {keyword} alternative {label} may be returned",
                    None,
                    where,
                )

    def _twin(self, loc: Loc, old: list[Loc]) -> Loc | None:
        """An old alternative structurally identical to the new alternative at `loc`."""
        shape = self._structure(self.new, loc)
        if shape is None:
            return None
        return next((o for o in old if self._structure(self.old, o) == shape), None)

    def _exclusivity(
        self,
        o: Schema,
        n: Schema,
        d: Direction,
        old: list[Loc],
        new: list[Loc],
        pairs: list[tuple[Loc, Loc]],
        add: _Add,
    ) -> None:
        """oneOf refuses a value that matches two alternatives; anyOf does not."""
        was_one = o.variants is not None and o.variant_keyword == "oneOf"
        is_one = n.variants is not None and n.variant_keyword == "oneOf"
        if d == "request" and is_one and n.discriminator is None:
            image = {old.index(a): new.index(b) for a, b in pairs}
            before: set[tuple[int, int]] = set()
            if was_one and o.discriminator is None:
                for i, j in self._overlaps(self.old, old):
                    if i in image and j in image:
                        before.add((min(image[i], image[j]), max(image[i], image[j])))
            for i, j in sorted(self._overlaps(self.new, new) - before):
                if o.variants is None and not {i, j} & set(image.values()):
                    continue  # old values all meet another alternative
                add(
                    "request-variants-overlap",
                    f"oneOf alternatives {self._label(self.new, new, i)} and "
                    f"{self._label(self.new, new, j)} overlap: a request matching both is refused",
                )
            if o.variants is not None and not was_one:
                return
        if o.variants is None or n.variants is None or was_one == is_one:
            return
        if d == "request":
            add(
                "request-constraint-relaxed",
                "oneOf became anyOf: values matching several alternatives are accepted",
            )
        elif is_one:
            add("response-constraint-tightened", "anyOf became oneOf")
        elif o.discriminator is None and self._overlaps(self.new, new):
            i, j = min(self._overlaps(self.new, new))
            add(
                "response-variants-overlap",
                f"oneOf became anyOf and alternatives {self._label(self.new, new, i)} and "
                f"{self._label(self.new, new, j)} overlap: a response may match both",
            )

    @staticmethod
    def _label(norm: Normalizer, locs: list[Loc], index: int) -> str:
        return norm.schema(locs[index]).name or f"#{index + 1}"

    def _overlaps(self, norm: Normalizer, locs: list[Loc]) -> set[tuple[int, int]]:
        """Pairs of alternatives a value written as documented can match both of."""
        schemas = [norm.schema(loc) for loc in locs]
        return {
            (i, j)
            for (i, a), (j, b) in itertools.combinations(enumerate(schemas), 2)
            if _overlap(norm, a, b)
        }

    def _pair(
        self, old: list[Loc], new: list[Loc]
    ) -> tuple[list[tuple[Loc, Loc]], list[Loc], list[Loc]]:
        """Pair alternatives: by component name, then by equal shape, then in order."""
        left, right = list(old), list(new)
        pairs: list[tuple[Loc, Loc]] = []
        for match in (self._name, self._shape):
            for o in list(left):
                key = match(self.old, o)
                if key is None:
                    continue
                for n in right:
                    if match(self.new, n) == key:
                        pairs.append((o, n))
                        left.remove(o)
                        right.remove(n)
                        break
        named_left = [o for o in left if self.old.schema(o).name]
        named_right = [n for n in right if self.new.schema(n).name]
        # differently named alternatives are different things; unnamed ones pair in order
        anon_left = [o for o in left if o not in named_left]
        anon_right = [n for n in right if n not in named_right]
        for o, n in zip(anon_left, anon_right, strict=False):
            pairs.append((o, n))
        lost = named_left + anon_left[len(anon_right) :]
        gained = named_right + anon_right[len(anon_left) :]
        return pairs, lost, gained

    @staticmethod
    def _name(norm: Normalizer, loc: Loc) -> str | None:
        return norm.schema(loc).name

    @staticmethod
    def _shape(norm: Normalizer, loc: Loc) -> str | None:
        _, value, _, _ = norm.deref(loc, norm.value(loc))
        if not isinstance(value, dict):
            return None
        return canonical(_strip_docs(value))


_SCALARS = frozenset({"number", "integer", "boolean"})
_PROSE = frozenset({"description", "title", "example", "examples", "summary", "$comment"})
_STRUCTURE_BUDGET = 5000  # JSON nodes spelled out per schema before giving up
_STRUCTURE_DEPTH = 200  # and how deep (the walk recurses)


class _TooLarge(Exception):
    pass


def _holds(schema: Schema, kind: str) -> bool:
    """Whether values of the schema may be of JSON type `kind`."""
    return schema.types is None or kind in schema.types


def _disjoint_types(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    if a is None or b is None:
        return False
    return not any(t == u or {t, u} == {"integer", "number"} for t in a for u in b)


def _disjoint(norm: Normalizer, a: Schema, b: Schema) -> bool:
    """Whether no value can match both schemas, as far as their own keywords show: different
    types, enums with nothing in common, a required property whose values cannot agree (a
    discriminating const), or a closed object that refuses a property the other requires."""
    if _disjoint_types(a.types, b.types):
        return True
    if a.enum is not None and b.enum is not None and not a.enum.keys() & b.enum.keys():
        return True
    for name in a.required & b.required:
        if name in a.properties and name in b.properties:
            pa, pb = norm.schema(a.properties[name]), norm.schema(b.properties[name])
            if _disjoint_types(pa.types, pb.types):
                return True
            if pa.enum is not None and pb.enum is not None and not pa.enum.keys() & pb.enum.keys():
                return True
    for x, y in ((a, b), (b, a)):
        if x.closed and not x.pattern_properties and any(r not in x.properties for r in y.required):
            return True
    return False


def _overlap(norm: Normalizer, a: Schema, b: Schema) -> bool:
    """Whether a value that uses what one alternative documents can match the other too: they
    are not disjoint, and one's required properties are all documented by the other (an object
    carrying every property of `a` then meets `b`); scalars overlap when their types meet and
    format and pattern do not tell them apart. A heuristic: two open objects with unrelated
    required properties overlap only for values carrying undocumented properties, which is not
    reported."""
    if _disjoint(norm, a, b):
        return False
    if a.properties or b.properties or a.required or b.required:
        return b.required <= (a.properties.keys() | a.required) or a.required <= (
            b.properties.keys() | b.required
        )
    return a.format == b.format and a.pattern == b.pattern


def _as_sent(values: dict[str, Any]) -> dict[str, Any]:
    """Enum values keyed as a parameter sends them: 1 and "1" are the same text."""
    return {v if isinstance(v, str) else key: v for key, v in values.items()}


def _present(norm: Normalizer, loc: Loc) -> Side:
    """`loc` as a report shows it; a stand-in (no schema written there) shows its nearest
    written ancestor."""
    pointer = loc.pointer
    while pointer and norm.value(Loc(loc.doc, pointer)) is None:
        pointer = jp.parent(pointer)
    return side(Loc(loc.doc, pointer))


def _strip_docs(value: object) -> object:
    if isinstance(value, dict):
        return {
            k: _strip_docs(v)
            for k, v in value.items()
            if k not in ("description", "title", "example", "examples", "summary")
        }
    if isinstance(value, list):
        return [_strip_docs(v) for v in value]
    return value


def _opt(value: object) -> str:
    return "(none)" if value is None else str(value)


def _bound(bound: Bound | None, sign: str) -> str:
    if bound is None:
        return "(none)"
    return f"{sign}{'' if bound.exclusive else '='} {bound.value:g}"


def _tighter(old: Bound | None, new: Bound | None, *, lower: bool) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    if new.value != old.value:
        return new.value > old.value if lower else new.value < old.value
    return new.exclusive and not old.exclusive


class _Add(Protocol):
    def __call__(
        self, rule: str, message: str, old: Side | None = None, new: Side | None = None
    ) -> None: ...

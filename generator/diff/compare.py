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
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal, Protocol

from generator.diff.model import Side
from generator.diff.schema import (
    LENGTH_MAX,
    LENGTH_MIN,
    Bound,
    Normalizer,
    Schema,
    canonical,
    side,
)
from generator.load.workspace import Loc

Direction = Literal["request", "response"]

#: format changes that only widen what is accepted (old, new)
WIDER_FORMATS = frozenset({("int32", "int64"), ("float", "double")})
PairKey = tuple[tuple[str, str], tuple[str, str], str]


@dataclass
class _Level:
    """What one pair of schemas differs in by itself, and the child pairs to compare next."""

    partials: list[Partial]
    children: list[tuple[str, Loc, Loc]]


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
    return "any type" if types is None else "/".join(sorted(types)) or "nothing"


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
    def __init__(self, old: Normalizer, new: Normalizer) -> None:
        self.old = old
        self.new = new
        self._levels: dict[PairKey, _Level] = {}
        self._results: dict[PairKey, list[Partial]] = {}

    def compare(self, old: Loc, new: Loc, direction: Direction) -> list[Partial]:
        """Every difference reachable from the pair (old, new), each at the shortest path that
        reaches it. Breadth-first over schema pairs: each pair is visited once per call, so
        recursive schemas end and no nesting depth can exhaust the stack."""
        root = self._key(old, new, direction)
        if root in self._results:
            return self._results[root]
        found: list[Partial] = []
        seen: set[PairKey] = set()
        queue: deque[tuple[Loc, Loc, tuple[str, ...]]] = deque([(old, new, ())])
        while queue:
            old_loc, new_loc, path = queue.popleft()
            key = self._key(old_loc, new_loc, direction)
            if key in seen:
                continue
            seen.add(key)
            level = self._levels.get(key)
            if level is None:
                level = self._levels[key] = self._level(old_loc, new_loc, direction)
            for p in level.partials:
                found.append(Partial(p.rule, (*path, *p.path), p.old, p.new, p.message))
            for segment, child_old, child_new in level.children:
                queue.append((child_old, child_new, (*path, segment)))
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
            out.append(Partial(rule, (), old or side(o.loc), new or side(n.loc), message))

        if (o.variants is None) != (n.variants is None):
            self._variants(o, n, d, level, add)
            return
        self._type(o, n, d, add)
        self._enum(o, n, d, add)
        self._text(o, n, d, add)
        self._lengths(o, n, d, add)
        self._range(o, n, d, add)
        self._object(o, n, d, level, add)
        if o.items is not None and n.items is not None:
            level.children.append(("[]", o.items, n.items))
        if o.variants is not None and n.variants is not None:
            self._variants(o, n, d, level, add)

    def _type(self, o: Schema, n: Schema, d: Direction, add: _Add) -> None:
        old, new = o.types, n.types
        if o.variants is not None and n.variants is not None and o.variants_null != n.variants_null:
            old = frozenset({"null"}) if o.variants_null else frozenset()
            new = frozenset({"null"}) if n.variants_null else frozenset()
        if old == new:
            return
        change = f"type {_types(old)} became {_types(new)}"
        if d == "request":
            if not _accepts(new, old):
                add("request-type-narrowed", f"{change}: old values are refused")
            elif not _accepts(old, new):
                add("request-type-widened", change)
        else:
            if not _accepts(old, new):
                add("response-type-widened", f"{change}: callers may receive the new types")
            elif not _accepts(new, old):
                add("response-type-narrowed", change)

    def _enum(self, o: Schema, n: Schema, d: Direction, add: _Add) -> None:
        old, new = o.enum, n.enum
        if old == new or (old is None and new is None):
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

    def _object(self, o: Schema, n: Schema, d: Direction, level: _Level, add: _Add) -> None:
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
        if o.additional is not None and n.additional is not None:
            level.children.append(("{*}", o.additional, n.additional))
        hidden = "read_only" if d == "request" else "write_only"
        old_props = self._visible(self.old, o, hidden)
        new_props = self._visible(self.new, n, hidden)
        old_required = {r for r in o.required if r in old_props or r not in o.properties}
        new_required = {r for r in n.required if r in new_props or r not in n.properties}
        for name in sorted(set(old_props) | set(new_props) | old_required | new_required):
            in_old, in_new = name in old_props, name in new_props
            was_req, is_req = name in old_required, name in new_required
            sides = (
                side(old_props[name]) if in_old else side(o.loc),
                side(new_props[name]) if in_new else side(n.loc),
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
                level.children.append((name, old_props[name], new_props[name]))

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
            level.children.append((segment, old_loc, new_loc))
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
                add(
                    "response-variant-added",
                    f"new {keyword} alternative {label} may be returned",
                    None,
                    where,
                )

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

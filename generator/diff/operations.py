"""Compare two specs operation by operation: paths, parameters, bodies, responses, headers and
security, handing every schema to the direction-aware `SchemaComparer`.

Operations are paired by method and path template, with path parameter names ignored
(`/items/{id}` and `/items/{item_id}` are the same route); path parameters pair by position,
other parameters by location and name (header names case-insensitively), media types by
lower-cased name without parameters, headers by lower-cased name. A status missing in the new
spec still counts as documented when a range (`2XX`) or `default` response covers it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from generator.diff.compare import Direction, SchemaComparer, render_path
from generator.diff.model import Change, Side
from generator.diff.schema import Loc, Normalizer
from generator.load.shape import mapping, sequence
from generator.load.walk import HTTP_METHODS
from generator.load.workspace import Workspace

_TEMPLATE = re.compile(r"\{[^}/]*\}")


@dataclass(frozen=True)
class Entry:
    """A named part of an operation (parameter, body, response, header, media type) after
    `$ref`s: its name as written, where it is, and what it says."""

    name: str
    loc: Loc
    value: dict[str, Any]

    @property
    def required(self) -> bool:
        return self.value.get("required") is True

    def schema(self) -> Loc | None:
        """The schema of a parameter or header (`schema`, else the first `content` entry's)."""
        if isinstance(self.value.get("schema"), (dict, bool)):
            return self.loc.child("schema")
        content = self.value.get("content")
        if isinstance(content, dict):
            for media, entry in content.items():
                if isinstance(entry, dict) and "schema" in entry:
                    return self.loc.child("content", media, "schema")
        return None


@dataclass
class Operation:
    method: str
    path: str
    loc: Loc
    data: dict[str, Any]
    parameters: dict[tuple[str, str], Entry] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def operation_id(self) -> str | None:
        value = self.data.get("operationId")
        return value if isinstance(value, str) and value else None


def route_key(path: str) -> str:
    return _TEMPLATE.sub("{}", path.rstrip("/") or "/")


def _entries(
    norm: Normalizer, parent: Loc, mapping: Any, key: Callable[[str], str] = str.lower
) -> dict[str, Entry]:
    """The entries of a name -> object map (`$ref`s followed), keyed for pairing."""
    if not isinstance(mapping, dict):
        return {}
    found: dict[str, Entry] = {}
    for name in mapping:
        entry = _entry(norm, parent, mapping, str(name))
        if entry is not None:
            found[key(str(name))] = entry
    return found


def _entry(norm: Normalizer, parent: Loc, data: dict[str, Any], name: str) -> Entry | None:
    """`data[name]` with its `$ref`s followed, when it is an object."""
    if name not in data:
        return None
    loc, value, _, _ = norm.deref(parent.child(name), data[name])
    return Entry(name, loc, value) if isinstance(value, dict) else None


def _media_key(name: str) -> str:
    return name.split(";")[0].strip().lower()


class SpecDiff:
    def __init__(self, old: Workspace, new: Workspace) -> None:
        self.old = Normalizer(old)
        self.new = Normalizer(new)
        self.schemas = SchemaComparer(self.old, self.new)
        self.changes: list[Change] = []

    def run(self) -> list[Change]:
        old_ops = dict(self._operations(self.old))
        new_ops = dict(self._operations(self.new))
        for key in sorted(set(old_ops) | set(new_ops)):
            o, n = old_ops.get(key), new_ops.get(key)
            if o is not None and n is not None:
                _OperationDiff(self, o, n).run()
            elif o is not None:
                self.record(
                    o, "operation-removed", "", o.loc.side(), None, f"{o.endpoint} was removed"
                )
            elif n is not None:
                self.record(n, "operation-added", "", None, n.loc.side(), f"{n.endpoint} was added")
        self._servers()
        unique = {
            (c.rule, c.operation, c.location, c.message, c.old, c.new): c for c in self.changes
        }
        return sorted(unique.values(), key=Change.sort_key)

    def _servers(self) -> None:
        old, new = _servers(self.old), _servers(self.new)
        root_old, root_new = Loc(self.old.workspace.root, ""), Loc(self.new.workspace.root, "")
        for url in sorted(set(old) - set(new)):
            side_new = (new[min(new)] if new else root_new).side()
            self.changes.append(
                Change(
                    "server-removed",
                    "servers",
                    "",
                    url,
                    old[url].side(),
                    side_new,
                    f"server {url} is no longer listed",
                )
            )
        for url in sorted(set(new) - set(old)):
            side_old = (old[min(old)] if old else root_old).side()
            self.changes.append(
                Change(
                    "server-added",
                    "servers",
                    "",
                    url,
                    side_old,
                    new[url].side(),
                    f"server {url} is newly listed",
                )
            )

    def record(
        self,
        op: Operation,
        rule: str,
        location: str,
        old: Side | None,
        new: Side | None,
        message: str,
        other: Operation | None = None,
    ) -> None:
        name = op.operation_id or (other and other.operation_id) or op.endpoint
        self.changes.append(Change(rule, name, op.endpoint, location, old, new, message))

    def _operations(self, norm: Normalizer) -> Iterator[tuple[tuple[str, str], Operation]]:
        root = Loc(norm.workspace.root, "")
        paths = norm.workspace.root.data.get("paths")
        if not isinstance(paths, dict):
            return
        for path, item in paths.items():
            item_loc, item_value, _, _ = norm.deref(root.child("paths", path), item)
            if not isinstance(item_value, dict):
                continue
            for method in HTTP_METHODS:
                if not isinstance(item_value.get(method), dict):
                    continue
                op = Operation(method, str(path), item_loc.child(method), item_value[method])
                template = _TEMPLATE.findall(str(path))
                for source in (item_loc, op.loc):  # operation parameters override shared ones
                    params = norm.value(source.child("parameters"))
                    for index, raw in enumerate(params if isinstance(params, list) else []):
                        loc, value, _, _ = norm.deref(source.child("parameters", index), raw)
                        if not isinstance(value, dict):
                            continue
                        where, name = str(value.get("in", "")), str(value.get("name", ""))
                        key = (where, name.lower() if where == "header" else name)
                        if where == "path" and "{" + name + "}" in template:
                            key = ("path", str(template.index("{" + name + "}")))
                        op.parameters[key] = Entry(name, loc, value)
                yield (method, route_key(str(path))), op


class _OperationDiff:
    """The changes between one operation of the old spec and the same one of the new spec."""

    def __init__(self, spec: SpecDiff, o: Operation, n: Operation) -> None:
        self.spec, self.o, self.n = spec, o, n

    def emit(
        self, rule: str, location: str, old: Loc | None, new: Loc | None, message: str
    ) -> None:
        old_side = old.side() if old is not None else None
        new_side = new.side() if new is not None else None
        self.spec.record(self.n, rule, location, old_side, new_side, message, self.o)

    def schema(self, location: str, old: Loc, new: Loc, direction: Direction) -> None:
        for p in self.spec.schemas.compare(old, new, direction):
            where = render_path(p.path)
            full = f"{location}: {where}" if where else location
            self.spec.record(self.n, p.rule, full, p.old, p.new, p.message, self.o)

    def run(self) -> None:
        o, n = self.o, self.n
        if o.operation_id and n.operation_id and o.operation_id != n.operation_id:
            self.emit(
                "operation-id-changed",
                "",
                o.loc.child("operationId"),
                n.loc.child("operationId"),
                f"operationId {o.operation_id} became {n.operation_id}",
            )
        if n.data.get("deprecated") is True and o.data.get("deprecated") is not True:
            self.emit("operation-deprecated", "", o.loc, n.loc, f"{n.endpoint} is now deprecated")
        self.security()
        self.parameters()
        self.body()
        self.responses()

    # -- security ------------------------------------------------------------------------------
    def security(self) -> None:
        old, new = _requirements(self.spec.old, self.o), _requirements(self.spec.new, self.n)
        if old == new:
            return
        where_old, where_new = (
            _security_loc(self.spec.old, self.o),
            _security_loc(self.spec.new, self.n),
        )
        # a requirement still works when some new alternative asks for no more than it gave
        lost = set() if frozenset() in new else {r for r in old if not any(a <= r for a in new)}
        if lost:
            shown = "; ".join(
                " + ".join(sorted(r)) or "anonymous" for r in sorted(lost, key=sorted)
            )
            self.emit(
                "security-requirement-changed",
                "security",
                where_old,
                where_new,
                f"no longer accepted: {shown}",
            )
        elif new - old:
            self.emit(
                "security-requirement-relaxed",
                "security",
                where_old,
                where_new,
                "additional ways to authenticate are accepted",
            )

    # -- parameters ----------------------------------------------------------------------------
    def parameters(self) -> None:
        o, n = self.o, self.n
        for key in sorted(set(o.parameters) | set(n.parameters)):
            old, new = o.parameters.get(key), n.parameters.get(key)
            location = f"{key[0]} parameter {(new or old).name}"  # type: ignore[union-attr]
            path = key[0] == "path"  # path parameters are always required
            if old is not None and new is not None:
                if (new.required or path) and not (old.required or path):
                    self.emit(
                        "request-parameter-became-required",
                        location,
                        old.loc,
                        new.loc,
                        f"{location} is now required",
                    )
                elif old.required and not new.required and not path:
                    self.emit(
                        "request-parameter-became-optional",
                        location,
                        old.loc,
                        new.loc,
                        f"{location} is now optional",
                    )
                if _serialization(old) != _serialization(new):
                    was_style, now_style = _serialization(old), _serialization(new)
                    self.emit(
                        "request-parameter-style-changed",
                        location,
                        old.loc,
                        new.loc,
                        f"serialized as style={was_style[0]}, explode={was_style[1]}; now "
                        f"style={now_style[0]}, explode={now_style[1]}",
                    )
                old_schema, new_schema = old.schema(), new.schema()
                if old_schema is not None and new_schema is not None:
                    self.schema(location, old_schema, new_schema, "request")
            elif new is not None:
                required = new.required or path
                rule = "request-parameter-added-required" if required else "request-parameter-added"
                self.emit(
                    rule,
                    location,
                    o.loc,
                    new.loc,
                    f"new {'required' if required else 'optional'} {location}",
                )
            elif old is not None:
                self.emit(
                    "request-parameter-removed",
                    location,
                    old.loc,
                    n.loc,
                    f"{location} is no longer documented",
                )

    # -- request body --------------------------------------------------------------------------
    def body(self) -> None:
        old = _entry(self.spec.old, self.o.loc, self.o.data, "requestBody")
        new = _entry(self.spec.new, self.n.loc, self.n.data, "requestBody")
        label = "request body"
        if old is None and new is not None:
            rule = "request-body-added-required" if new.required else "request-body-added"
            self.emit(
                rule,
                label,
                self.o.loc,
                new.loc,
                "a request body is now " + ("required" if new.required else "accepted"),
            )
        elif old is not None and new is None:
            self.emit(
                "request-body-removed",
                label,
                old.loc,
                self.n.loc,
                "the request body is no longer documented",
            )
        elif old is not None and new is not None:
            if new.required and not old.required:
                self.emit(
                    "request-body-became-required",
                    label,
                    old.loc,
                    new.loc,
                    "the request body is now required",
                )
            elif old.required and not new.required:
                self.emit(
                    "request-body-became-optional",
                    label,
                    old.loc,
                    new.loc,
                    "the request body is now optional",
                )
            self.content(label, old, new, "request")

    def content(self, label: str, old: Entry, new: Entry, d: Direction) -> None:
        old_media = _entries(
            self.spec.old, old.loc.child("content"), old.value.get("content"), _media_key
        )
        new_media = _entries(
            self.spec.new, new.loc.child("content"), new.value.get("content"), _media_key
        )
        verb = "accepted" if d == "request" else "produced"
        for media in sorted(set(old_media) | set(new_media)):
            location = f"{label} {media}"
            was, now = old_media.get(media), new_media.get(media)
            if was is not None and now is not None:
                if "schema" in was.value and "schema" in now.value:
                    self.schema(location, was.loc.child("schema"), now.loc.child("schema"), d)
            elif was is not None:
                self.emit(
                    f"{d}-media-type-removed",
                    location,
                    was.loc,
                    new.loc,
                    f"{label}: {media} is no longer {verb}",
                )
            elif now is not None:
                self.emit(
                    f"{d}-media-type-added",
                    location,
                    old.loc,
                    now.loc,
                    f"{label}: {media} is now {verb}",
                )

    # -- responses -----------------------------------------------------------------------------
    def responses(self) -> None:
        o, n = self.o, self.n
        old = _entries(self.spec.old, o.loc.child("responses"), o.data.get("responses"), str.upper)
        new = _entries(self.spec.new, n.loc.child("responses"), n.data.get("responses"), str.upper)
        for code in sorted(set(old) | set(new)):
            was, now = old.get(code), new.get(code)
            label = f"response {(now or was).name}"  # type: ignore[union-attr]
            if was is not None:
                cover = now if now is not None else new.get(_covering(code, new) or "")
                if cover is None:
                    self.emit(
                        "response-status-removed",
                        label,
                        was.loc,
                        n.loc.child("responses"),
                        f"{label} is no longer documented",
                    )
                else:
                    self.headers(label, was, cover)
                    self.content(label, was, cover, "response")
            elif now is not None and _covering(code, old) is None:
                self.emit(
                    "response-status-added",
                    label,
                    o.loc.child("responses"),
                    now.loc,
                    f"{label} is newly documented",
                )

    def headers(self, label: str, old: Entry, new: Entry) -> None:
        old_h = _entries(self.spec.old, old.loc.child("headers"), old.value.get("headers"))
        new_h = _entries(self.spec.new, new.loc.child("headers"), new.value.get("headers"))
        for name in sorted(
            (set(old_h) | set(new_h)) - {"content-type"}
        ):  # OpenAPI ignores that one
            was, now = old_h.get(name), new_h.get(name)
            location = f"{label} header {(now or was).name}"  # type: ignore[union-attr]
            if was is not None and now is not None:
                if was.required and not now.required:
                    self.emit(
                        "response-header-became-optional",
                        location,
                        was.loc,
                        now.loc,
                        f"{location} may now be missing",
                    )
                old_schema, new_schema = was.schema(), now.schema()
                if old_schema is not None and new_schema is not None:
                    self.schema(location, old_schema, new_schema, "response")
            elif was is not None:
                self.emit(
                    "response-header-removed",
                    location,
                    was.loc,
                    new.loc,
                    f"{location} is no longer sent",
                )
            elif now is not None:
                self.emit(
                    "response-header-added",
                    location,
                    old.loc,
                    now.loc,
                    f"{location} is newly documented",
                )


def _serialization(param: Entry) -> tuple[str, bool]:
    """A parameter's effective style and explode, with OpenAPI's defaults filled in."""
    where = param.value.get("in")
    style = param.value.get("style")
    if not isinstance(style, str):
        style = "form" if where in ("query", "cookie") else "simple"
    explode = param.value.get("explode")
    return style, explode if isinstance(explode, bool) else style == "form"


def _servers(norm: Normalizer) -> dict[str, Loc]:
    """The root servers by URL, with `{variables}` replaced by their defaults."""
    found: dict[str, Loc] = {}
    for index, server in enumerate(sequence(norm.workspace.root.data.get("servers"))):
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        for name, variable in mapping(server.get("variables")).items():
            if isinstance(variable, dict) and "default" in variable:
                url = url.replace("{" + str(name) + "}", str(variable["default"]))
        found[url.rstrip("/")] = Loc(norm.workspace.root, f"/servers/{index}")
    return found


def _requirements(norm: Normalizer, op: Operation) -> frozenset[frozenset[str]]:
    """The operation's security alternatives; `{}` (anonymous) when none is required."""
    value = op.data.get("security", norm.workspace.root.data.get("security"))
    if not isinstance(value, list) or not value:
        return frozenset({frozenset()})
    return frozenset(frozenset(str(k) for k in req) for req in value if isinstance(req, dict))


def _security_loc(norm: Normalizer, op: Operation) -> Loc:
    if "security" in op.data:
        return op.loc.child("security")
    return Loc(norm.workspace.root, "/security")


def _covering(code: str, codes: dict[str, Entry]) -> str | None:
    """The range or default response that documents `code` when it has no entry of its own."""
    if len(code) == 3 and code[0].isdigit() and f"{code[0]}XX" in codes:
        return f"{code[0]}XX"
    return "DEFAULT" if "DEFAULT" in codes else None

"""Compare two specs operation by operation: paths, parameters, bodies, responses, headers and
security, handing every schema to the direction-aware `SchemaComparer`.

Operations are paired by method and path template, with path parameter names ignored
(`/items/{id}` and `/items/{item_id}` are the same route); path parameters pair by position,
other parameters by location and name (header names case-insensitively), media types and
headers by lower-cased name. A status missing in the new spec still counts as documented
when a range (`2XX`) or `default` response covers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from generator.diff.compare import Direction, Partial, SchemaComparer, render_path
from generator.diff.model import Change, Side
from generator.diff.schema import Loc, Normalizer
from generator.spec.load import Workspace
from generator.spec.walk import HTTP_METHODS

_TEMPLATE = re.compile(r"\{[^}/]*\}")


@dataclass
class Operation:
    method: str
    path: str
    loc: Loc
    data: dict[str, Any]
    parameters: dict[tuple[str, str], tuple[str, Loc, dict[str, Any]]] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def operation_id(self) -> str | None:
        value = self.data.get("operationId")
        return value if isinstance(value, str) and value else None


def route_key(path: str) -> str:
    return _TEMPLATE.sub("{}", path.rstrip("/") or "/")


class SpecDiff:
    def __init__(self, old: Workspace, new: Workspace) -> None:
        self.old_ws, self.new_ws = old, new
        self.old = Normalizer(old)
        self.new = Normalizer(new)
        self.schemas = SchemaComparer(self.old, self.new)
        self.changes: list[Change] = []

    # -- entry ----------------------------------------------------------------------------
    def run(self) -> list[Change]:
        old_ops = dict(self._operations(self.old))
        new_ops = dict(self._operations(self.new))
        for key in sorted(set(old_ops) | set(new_ops)):
            o, n = old_ops.get(key), new_ops.get(key)
            if o is not None and n is not None:
                self._operation(o, n)
            elif o is not None:
                self._emit(
                    "operation-removed",
                    o,
                    None,
                    "",
                    o.loc.side(),
                    None,
                    f"{o.endpoint} was removed",
                )
            elif n is not None:
                self._emit(
                    "operation-added", None, n, "", None, n.loc.side(), f"{n.endpoint} was added"
                )
        unique = {
            (c.rule, c.operation, c.location, c.message, c.old, c.new): c for c in self.changes
        }
        return sorted(unique.values(), key=Change.sort_key)

    def _operations(self, norm: Normalizer) -> Iterator[tuple[tuple[str, str], Operation]]:
        root = Loc(norm.workspace.root, "")
        paths = norm.workspace.root.data.get("paths")
        if not isinstance(paths, dict):
            return
        for path, item in paths.items():
            item_loc, item_value, _, _ = norm.deref(root.child("paths", path), item)
            if not isinstance(item_value, dict):
                continue
            shared = item_value.get("parameters")
            for method in HTTP_METHODS:
                op_value = item_value.get(method)
                if not isinstance(op_value, dict):
                    continue
                op = Operation(method, str(path), item_loc.child(method), op_value)
                template = _TEMPLATE.findall(str(path))
                for source, params in ((item_loc, shared), (op.loc, op_value.get("parameters"))):
                    if not isinstance(params, list):
                        continue
                    for index, raw in enumerate(params):
                        loc, value, _, _ = norm.deref(source.child("parameters", index), raw)
                        if not isinstance(value, dict):
                            continue
                        where, name = str(value.get("in", "")), str(value.get("name", ""))
                        key = (where, name.lower() if where == "header" else name)
                        if where == "path" and "{" + name + "}" in template:
                            key = ("path", str(template.index("{" + name + "}")))
                        op.parameters[key] = (name, loc, value)
                yield (method, route_key(str(path))), op

    # -- reporting -----------------------------------------------------------------------------
    def _emit(
        self,
        rule: str,
        o: Operation | None,
        n: Operation | None,
        location: str,
        old: Side | None,
        new: Side | None,
        message: str,
    ) -> None:
        op = n or o
        assert op is not None
        name = (n and n.operation_id) or (o and o.operation_id) or op.endpoint
        self.changes.append(Change(rule, name, op.endpoint, location, old, new, message))

    def _schema(
        self, o: Operation, n: Operation, location: str, old: Loc, new: Loc, d: Direction
    ) -> None:
        for partial in self.schemas.compare(old, new, d):
            self._partial(o, n, location, partial)

    def _partial(self, o: Operation, n: Operation, location: str, p: Partial) -> None:
        where = render_path(p.path)
        full = f"{location}: {where}" if where else location
        self._emit(p.rule, o, n, full, p.old, p.new, p.message)

    # -- one operation -------------------------------------------------------------------------
    def _operation(self, o: Operation, n: Operation) -> None:
        if o.operation_id and n.operation_id and o.operation_id != n.operation_id:
            self._emit(
                "operation-id-changed",
                o,
                n,
                "",
                o.loc.child("operationId").side(),
                n.loc.child("operationId").side(),
                f"operationId {o.operation_id} became {n.operation_id}",
            )
        if n.data.get("deprecated") is True and o.data.get("deprecated") is not True:
            self._emit(
                "operation-deprecated",
                o,
                n,
                "",
                o.loc.side(),
                n.loc.side(),
                f"{n.endpoint} is now deprecated",
            )
        self._security(o, n)
        self._parameters(o, n)
        self._body(o, n)
        self._responses(o, n)

    def _security(self, o: Operation, n: Operation) -> None:
        old, new = self._requirements(self.old, o), self._requirements(self.new, n)
        if old == new:
            return
        if frozenset() in new:  # anonymous access is allowed: nothing can be refused
            lost: set[frozenset[str]] = set()
        else:
            lost = {req for req in old if not any(alt <= req for alt in new)}
        loc_o = (
            o.loc.child("security")
            if "security" in o.data
            else Loc(self.old.workspace.root, "/security")
        )
        loc_n = (
            n.loc.child("security")
            if "security" in n.data
            else Loc(self.new.workspace.root, "/security")
        )
        if lost:
            shown = "; ".join(
                " + ".join(sorted(req)) or "anonymous" for req in sorted(lost, key=sorted)
            )
            self._emit(
                "security-requirement-changed",
                o,
                n,
                "security",
                loc_o.side(),
                loc_n.side(),
                f"no longer accepted: {shown}",
            )
        elif new - old:
            self._emit(
                "security-requirement-relaxed",
                o,
                n,
                "security",
                loc_o.side(),
                loc_n.side(),
                "additional ways to authenticate are accepted",
            )

    @staticmethod
    def _requirements(norm: Normalizer, op: Operation) -> frozenset[frozenset[str]]:
        value = op.data.get("security", norm.workspace.root.data.get("security"))
        if not isinstance(value, list) or not value:
            return frozenset({frozenset()})
        return frozenset(frozenset(str(k) for k in req) for req in value if isinstance(req, dict))

    def _parameters(self, o: Operation, n: Operation) -> None:
        for key in sorted(set(o.parameters) | set(n.parameters)):
            old, new = o.parameters.get(key), n.parameters.get(key)
            where = key[0]
            name = (new or old)[0]  # type: ignore[index]
            location = f"{where} parameter {name}"
            if old is not None and new is not None:
                was, now = old[2].get("required") is True, new[2].get("required") is True
                if where == "path":
                    was = now = True
                if now and not was:
                    self._emit(
                        "request-parameter-became-required",
                        o,
                        n,
                        location,
                        old[1].side(),
                        new[1].side(),
                        f"{location} is now required",
                    )
                elif was and not now:
                    self._emit(
                        "request-parameter-became-optional",
                        o,
                        n,
                        location,
                        old[1].side(),
                        new[1].side(),
                        f"{location} is now optional",
                    )
                old_schema = self._parameter_schema(old[1], old[2])
                new_schema = self._parameter_schema(new[1], new[2])
                if old_schema is not None and new_schema is not None:
                    self._schema(o, n, location, old_schema, new_schema, "request")
            elif new is not None:
                if new[2].get("required") is True or where == "path":
                    self._emit(
                        "request-parameter-added-required",
                        o,
                        n,
                        location,
                        o.loc.side(),
                        new[1].side(),
                        f"new required {location}",
                    )
                else:
                    self._emit(
                        "request-parameter-added",
                        o,
                        n,
                        location,
                        o.loc.side(),
                        new[1].side(),
                        f"new optional {location}",
                    )
            elif old is not None:
                self._emit(
                    "request-parameter-removed",
                    o,
                    n,
                    location,
                    old[1].side(),
                    n.loc.side(),
                    f"{location} is no longer documented",
                )

    @staticmethod
    def _parameter_schema(loc: Loc, value: dict[str, Any]) -> Loc | None:
        if isinstance(value.get("schema"), (dict, bool)):
            return loc.child("schema")
        content = value.get("content")
        if isinstance(content, dict):
            for media, entry in content.items():
                if isinstance(entry, dict) and "schema" in entry:
                    return loc.child("content", media, "schema")
        return None

    def _body(self, o: Operation, n: Operation) -> None:
        old = self._deref_child(self.old, o.loc, o.data, "requestBody")
        new = self._deref_child(self.new, n.loc, n.data, "requestBody")
        if old is None and new is None:
            return
        if old is None:
            assert new is not None
            required = new[1].get("required") is True
            self._emit(
                "request-body-added-required" if required else "request-body-added",
                o,
                n,
                "request body",
                o.loc.side(),
                new[0].side(),
                "a request body is now " + ("required" if required else "accepted"),
            )
            return
        if new is None:
            self._emit(
                "request-body-removed",
                o,
                n,
                "request body",
                old[0].side(),
                n.loc.side(),
                "the request body is no longer documented",
            )
            return
        was, now = old[1].get("required") is True, new[1].get("required") is True
        if now and not was:
            self._emit(
                "request-body-became-required",
                o,
                n,
                "request body",
                old[0].side(),
                new[0].side(),
                "the request body is now required",
            )
        elif was and not now:
            self._emit(
                "request-body-became-optional",
                o,
                n,
                "request body",
                old[0].side(),
                new[0].side(),
                "the request body is now optional",
            )
        self._content(o, n, "request body", old[0], old[1], new[0], new[1], "request")

    def _content(
        self,
        o: Operation,
        n: Operation,
        label: str,
        old_loc: Loc,
        old: dict[str, Any],
        new_loc: Loc,
        new: dict[str, Any],
        d: Direction,
    ) -> None:
        old_media = _media(old.get("content"))
        new_media = _media(new.get("content"))
        for media in sorted(set(old_media) | set(new_media)):
            location = f"{label} {media}"
            if media in old_media and media in new_media:
                old_key, new_key = old_media[media], new_media[media]
                old_entry, new_entry = old["content"][old_key], new["content"][new_key]
                if isinstance(old_entry, dict) and isinstance(new_entry, dict):
                    if "schema" in old_entry and "schema" in new_entry:
                        self._schema(
                            o,
                            n,
                            location,
                            old_loc.child("content", old_key, "schema"),
                            new_loc.child("content", new_key, "schema"),
                            d,
                        )
            elif media in old_media:
                rule = f"{d}-media-type-removed"
                self._emit(
                    rule,
                    o,
                    n,
                    location,
                    old_loc.child("content", old_media[media]).side(),
                    new_loc.side(),
                    f"{label}: {media} is no longer "
                    + ("accepted" if d == "request" else "produced"),
                )
            else:
                rule = f"{d}-media-type-added"
                self._emit(
                    rule,
                    o,
                    n,
                    location,
                    old_loc.side(),
                    new_loc.child("content", new_media[media]).side(),
                    f"{label}: {media} is now " + ("accepted" if d == "request" else "produced"),
                )

    def _deref_child(
        self, norm: Normalizer, parent: Loc, data: dict[str, Any], key: str
    ) -> tuple[Loc, dict[str, Any]] | None:
        if key not in data:
            return None
        loc, value, _, _ = norm.deref(parent.child(key), data[key])
        return (loc, value) if isinstance(value, dict) else None

    def _responses(self, o: Operation, n: Operation) -> None:
        old = o.data.get("responses") if isinstance(o.data.get("responses"), dict) else {}
        new = n.data.get("responses") if isinstance(n.data.get("responses"), dict) else {}
        assert isinstance(old, dict) and isinstance(new, dict)
        old_codes = {str(k).upper(): k for k in old}
        new_codes = {str(k).upper(): k for k in new}
        for code in sorted(set(old_codes) | set(new_codes)):
            label = f"response {new_codes.get(code, old_codes.get(code))}"
            if code in old_codes:
                counterpart = code if code in new_codes else _covering(code, new_codes)
                if counterpart is None:
                    self._emit(
                        "response-status-removed",
                        o,
                        n,
                        label,
                        o.loc.child("responses", old_codes[code]).side(),
                        n.loc.child("responses").side() if new else n.loc.side(),
                        f"{label} is no longer documented",
                    )
                    continue
                old_r = self._deref_child(self.old, o.loc.child("responses"), old, old_codes[code])
                new_r = self._deref_child(
                    self.new, n.loc.child("responses"), new, new_codes[counterpart]
                )
                if old_r is None or new_r is None:
                    continue
                self._headers(o, n, label, old_r, new_r)
                self._content(o, n, label, old_r[0], old_r[1], new_r[0], new_r[1], "response")
            elif _covering(code, old_codes) is None:
                self._emit(
                    "response-status-added",
                    o,
                    n,
                    label,
                    o.loc.child("responses").side(),
                    n.loc.child("responses", new_codes[code]).side(),
                    f"{label} is newly documented",
                )

    def _headers(
        self,
        o: Operation,
        n: Operation,
        label: str,
        old: tuple[Loc, dict[str, Any]],
        new: tuple[Loc, dict[str, Any]],
    ) -> None:
        old_h = old[1].get("headers") if isinstance(old[1].get("headers"), dict) else {}
        new_h = new[1].get("headers") if isinstance(new[1].get("headers"), dict) else {}
        assert isinstance(old_h, dict) and isinstance(new_h, dict)
        old_names = {str(k).lower(): k for k in old_h}
        new_names = {str(k).lower(): k for k in new_h}
        for name in sorted(set(old_names) | set(new_names)):
            if name == "content-type":
                continue  # OpenAPI ignores a Content-Type header definition
            location = f"{label} header {new_names.get(name, old_names.get(name))}"
            old_e = (
                self._deref_child(self.old, old[0].child("headers"), old_h, old_names[name])
                if name in old_names
                else None
            )
            new_e = (
                self._deref_child(self.new, new[0].child("headers"), new_h, new_names[name])
                if name in new_names
                else None
            )
            if old_e is not None and new_e is not None:
                if old_e[1].get("required") is True and new_e[1].get("required") is not True:
                    self._emit(
                        "response-header-became-optional",
                        o,
                        n,
                        location,
                        old_e[0].side(),
                        new_e[0].side(),
                        f"{location} may now be missing",
                    )
                old_s = self._parameter_schema(old_e[0], old_e[1])
                new_s = self._parameter_schema(new_e[0], new_e[1])
                if old_s is not None and new_s is not None:
                    self._schema(o, n, location, old_s, new_s, "response")
            elif old_e is not None:
                self._emit(
                    "response-header-removed",
                    o,
                    n,
                    location,
                    old_e[0].side(),
                    new[0].side(),
                    f"{location} is no longer sent",
                )
            elif new_e is not None:
                self._emit(
                    "response-header-added",
                    o,
                    n,
                    location,
                    old[0].side(),
                    new_e[0].side(),
                    f"{location} is newly documented",
                )


def _media(content: Any) -> dict[str, str]:
    """Media types by normalized name (lower case, parameters dropped) -> the key as written."""
    if not isinstance(content, dict):
        return {}
    return {str(k).split(";")[0].strip().lower(): k for k in content}


def _covering(code: str, codes: dict[str, Any]) -> str | None:
    """The range or default response that documents `code` when it has no entry of its own."""
    if len(code) == 3 and code[0].isdigit() and f"{code[0]}XX" in codes:
        return f"{code[0]}XX"
    if "DEFAULT" in codes:
        return "DEFAULT"
    return None

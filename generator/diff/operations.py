"""Compare two specs operation by operation: paths, parameters, bodies, responses, headers,
security, webhooks and callbacks, handing every schema to the direction-aware `SchemaComparer`.

Operations are paired by method and path template, with path parameter names ignored
(`/items/{id}` and `/items/{item_id}` are the same route); path parameters pair by position
in the template (a path parameter whose name is in no `{placeholder}` takes the first
placeholder no parameter names, as the value travels there), other parameters by location and
name (header names case-insensitively), media types by lower-cased name without parameters,
headers by lower-cased name. A status missing in the new spec still counts as documented when a
range (`2XX`) or `default` response covers it. A media type without a schema accepts anything:
one that gains (or loses) a schema is compared against that.

Webhooks pair by name and method, callbacks by the operation they belong to, their name, their
runtime expression and method. Both are sent by the provider, so direction swaps for them: their
request bodies are judged as what the caller receives (response rules), their parameters like
response headers, their responses as what the caller answers with (request rules) and the
headers of those responses like request parameters.

Parameter schemas (not `content`) are judged on the wire: see `compare.Wire`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from generator.diff.compare import Direction, SchemaComparer, Wire, render_path
from generator.diff.model import Change, Side
from generator.diff.schema import DiffInputError, Normalizer, side
from generator.load.workspace import Loc, Workspace
from generator.openapi.build import build_model
from generator.openapi.media import parse as media_parse
from generator.openapi.model import (
    Header,
    MediaType,
    OpenApi,
    OperationKind,
    Parameter,
    ParameterIn,
    Response,
    SchemaRef,
    Style,
)
from generator.openapi.model import Operation as SpecOperation

_TEMPLATE = re.compile(r"\{[^}/]*\}")


@dataclass
class Operation:
    """One side's operation, with its parameters keyed for pairing."""

    model: SpecOperation
    parameters: dict[tuple[str, str], Parameter] = field(default_factory=dict)
    #: how reports name it when it is not a path operation (webhooks and callbacks)
    name: str | None = None

    @property
    def method(self) -> str:
        return self.model.method

    @property
    def path(self) -> str:
        return self.model.path

    @property
    def loc(self) -> Loc:
        return self.model.loc

    @property
    def endpoint(self) -> str:
        return self.name or f"{self.method.upper()} {self.path}"

    @property
    def swapped(self) -> bool:
        """Sent by the provider (a webhook or callback): request and response change roles."""
        return self.model.kind is not OperationKind.PATH

    @property
    def operation_id(self) -> str | None:
        return self.model.operation_id


def route_key(path: str) -> str:
    return _TEMPLATE.sub("{}", path.rstrip("/") or "/")


def _media_key(name: str) -> str:
    return media_parse(name).essence


def _schema_loc(schema: SchemaRef | None) -> Loc | None:
    return None if schema is None else schema.at


#: model problems that leave part of a spec unread: comparing it would report what could not be
#: read as removed (a webhook behind an unresolved `$ref` as `webhook-removed`)
UNREADABLE_RULES = frozenset(
    {"ref-unresolved", "ref-cycle", "ref-outside-root", "ref-remote-refused"}
)


def _refuse_unreadable(*models: OpenApi) -> None:
    """Raise DiffInputError (exit 2) naming every reference either spec cannot follow."""
    found = [
        problem.finding.render()
        for model in models
        for problem in model.problems
        if problem.finding.rule in UNREADABLE_RULES
    ]
    if found:
        raise DiffInputError(
            "\n".join(["cannot compare: a spec has references that cannot be read", *found])
        )


class SpecDiff:
    def __init__(self, old: Workspace, new: Workspace) -> None:
        self.old = Normalizer(old)
        self.new = Normalizer(new)
        self.old_model = build_model(old)
        self.new_model = build_model(new)
        _refuse_unreadable(self.old_model, self.new_model)
        self.schemas = SchemaComparer(self.old, self.new)
        self.wire: dict[Wire, SchemaComparer] = {
            wire: SchemaComparer(self.old, self.new, wire) for wire in ("text", "exploded")
        }
        self.changes: list[Change] = []
        #: operation pairs still to compare (callbacks are found while comparing their owners)
        self.todo: list[tuple[Operation, Operation]] = []

    def run(self) -> list[Change]:
        self.pair(
            dict(_operations(self.old_model.operations)),
            dict(_operations(self.new_model.operations)),
            "operation",
        )
        self.pair(
            dict(_webhooks(self.old_model.webhooks)),
            dict(_webhooks(self.new_model.webhooks)),
            "webhook",
        )
        while self.todo:  # a worklist: callbacks may nest in callbacks without bound
            o, n = self.todo.pop()
            _OperationDiff(self, o, n).run()
        self._servers()
        unique = {
            (c.rule, c.operation, c.location, c.message, c.old, c.new): c for c in self.changes
        }
        return sorted(unique.values(), key=Change.sort_key)

    def pair(
        self,
        old_ops: dict[tuple[str, ...], Operation],
        new_ops: dict[tuple[str, ...], Operation],
        kind: str,
        old_owner: Operation | None = None,
        new_owner: Operation | None = None,
    ) -> None:
        """Pair operations by key; report those on one side only as removed or added (from
        the owning operation, for callbacks)."""
        for key in sorted(set(old_ops) | set(new_ops)):
            o, n = old_ops.get(key), new_ops.get(key)
            if o is not None and n is not None:
                self.todo.append((o, n))
            elif o is not None:
                self.record(
                    o,
                    f"{kind}-removed",
                    "",
                    side(o.loc),
                    side(new_owner.loc) if new_owner is not None else None,
                    f"{o.endpoint} was removed",
                )
            elif n is not None:
                self.record(
                    n,
                    f"{kind}-added",
                    "",
                    side(old_owner.loc) if old_owner is not None else None,
                    side(n.loc),
                    f"{n.endpoint} was added",
                )

    def _servers(self) -> None:
        old, new = _servers(self.old_model), _servers(self.new_model)
        root_old, root_new = Loc(self.old.workspace.root, ""), Loc(self.new.workspace.root, "")
        for url in sorted(set(old) - set(new)):
            side_new = side(new[min(new)] if new else root_new)
            self.changes.append(
                Change(
                    "server-removed",
                    "servers",
                    "",
                    url,
                    side(old[url]),
                    side_new,
                    f"server {url} is no longer listed",
                )
            )
        for url in sorted(set(new) - set(old)):
            side_old = side(old[min(old)] if old else root_old)
            self.changes.append(
                Change(
                    "server-added",
                    "servers",
                    "",
                    url,
                    side_old,
                    side(new[url]),
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


def _operations(
    operations: tuple[SpecOperation, ...], name: str | None = None
) -> Iterator[tuple[tuple[str, ...], Operation]]:
    for spec_op in operations:
        yield (spec_op.method, route_key(spec_op.path)), _keyed(spec_op, name)


def _webhooks(operations: tuple[SpecOperation, ...]) -> Iterator[tuple[tuple[str, ...], Operation]]:
    for spec_op in operations:
        label = f"webhook {spec_op.path} {spec_op.method.upper()}"
        yield (spec_op.path, spec_op.method), _keyed(spec_op, label)


def _callbacks(owner: Operation) -> Iterator[tuple[tuple[str, ...], Operation]]:
    for callback in owner.model.callbacks:
        for spec_op in callback.operations:
            label = (
                f"callback {callback.name} {spec_op.method.upper()} {spec_op.path} "
                f"of {owner.endpoint}"
            )
            key = (callback.name, route_key(spec_op.path), spec_op.method)
            yield key, _keyed(spec_op, label)


def _keyed(spec_op: SpecOperation, name: str | None) -> Operation:
    """The operation with its parameters keyed for pairing; path parameters by their place in
    the template."""
    op = Operation(spec_op, name=name)
    template = _TEMPLATE.findall(spec_op.path)
    named = {p.name for p in spec_op.parameters if p.location is ParameterIn.PATH}
    free = [i for i, t in enumerate(template) if t[1:-1] not in named]
    for param in spec_op.parameters:
        key = (param.location.value, param.key[1])
        if param.location is ParameterIn.PATH:
            if "{" + param.name + "}" in template:
                key = ("path", str(template.index("{" + param.name + "}")))
            elif free:  # `{id}` in the template, `testId` in the list: the same value
                key = ("path", str(free.pop(0)))
        op.parameters[key] = param
    return op


class _OperationDiff:
    """The changes between one operation of the old spec and the same one of the new spec."""

    def __init__(self, spec: SpecDiff, o: Operation, n: Operation) -> None:
        self.spec, self.o, self.n = spec, o, n
        #: the direction of what the caller sends and of what it receives
        self.sent: Direction = "response" if n.swapped else "request"
        self.received: Direction = "request" if n.swapped else "response"

    def emit(
        self, rule: str, location: str, old: Loc | None, new: Loc | None, message: str
    ) -> None:
        old_side = side(old) if old is not None else None
        new_side = side(new) if new is not None else None
        self.spec.record(self.n, rule, location, old_side, new_side, message, self.o)

    def schema(
        self,
        location: str,
        old: Loc,
        new: Loc,
        direction: Direction,
        comparer: SchemaComparer | None = None,
    ) -> None:
        for p in (comparer or self.spec.schemas).compare(old, new, direction):
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
        if n.model.deprecated and not o.model.deprecated:
            self.emit("operation-deprecated", "", o.loc, n.loc, f"{n.endpoint} is now deprecated")
        if not n.swapped or (o.model.security_loc is not None or n.model.security_loc is not None):
            self.security()
        if n.swapped:
            self.sent_parameters()
        else:
            self.parameters()
        self.body()
        self.responses()
        self.spec.pair(dict(_callbacks(o)), dict(_callbacks(n)), "callback", o, n)

    # -- security ------------------------------------------------------------------------------
    def security(self) -> None:
        old, new = _requirements(self.o), _requirements(self.n)
        if old == new:
            return
        where_old = _security_loc(self.spec.old_model, self.o)
        where_new = _security_loc(self.spec.new_model, self.n)
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
                self.serialization(location, old, new)
                self.parameter_schema(location, old, new, "request")
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

    def sent_parameters(self) -> None:
        """Parameters of a request the provider sends: what the caller receives, judged like
        response headers."""
        o, n = self.o, self.n
        for key in sorted(set(o.parameters) | set(n.parameters)):
            old, new = o.parameters.get(key), n.parameters.get(key)
            location = f"{key[0]} parameter {(new or old).name}"  # type: ignore[union-attr]
            path = key[0] == "path"
            if old is not None and new is not None:
                if (old.required or path) and not (new.required or path):
                    self.emit(
                        "response-header-became-optional",
                        location,
                        old.loc,
                        new.loc,
                        f"{location} may now be missing",
                    )
                self.serialization(location, old, new)
                self.parameter_schema(location, old, new, "response")
            elif old is not None:
                self.emit(
                    "response-header-removed",
                    location,
                    old.loc,
                    n.loc,
                    f"{location} is no longer sent",
                )
            elif new is not None:
                self.emit("response-header-added", location, o.loc, new.loc, f"new {location}")

    def serialization(self, location: str, old: Parameter, new: Parameter) -> None:
        if (old.style, old.explode) != (new.style, new.explode):
            was_style, now_style = (old.style, old.explode), (new.style, new.explode)
            self.emit(
                "request-parameter-style-changed",
                location,
                old.loc,
                new.loc,
                f"serialized as style={was_style[0]}, explode={was_style[1]}; now "
                f"style={now_style[0]}, explode={now_style[1]}",
            )

    def parameter_schema(
        self, location: str, old: Parameter, new: Parameter, direction: Direction
    ) -> None:
        old_schema = _schema_loc(old.effective_schema)
        new_schema = _schema_loc(new.effective_schema)
        if old_schema is None or new_schema is None:
            return
        comparer = None
        if direction == "request" and old.schema is not None and new.schema is not None:
            # a value as the parameter sends it: text, maybe a form-exploded list of texts
            exploded = all(
                p.style is Style.FORM and p.explode and p.location is not ParameterIn.PATH
                for p in (old, new)
            )
            comparer = self.spec.wire["exploded" if exploded else "text"]
        self.schema(location, old_schema, new_schema, direction, comparer)

    # -- request body --------------------------------------------------------------------------
    def body(self) -> None:
        old, new = self.o.model.request_body, self.n.model.request_body
        label = "request body"
        if self.n.swapped:
            self.sent_body()
            return
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
            self.content(label, old.content, old.loc, new.content, new.loc, "request")

    def sent_body(self) -> None:
        """The body of a request the provider sends: what the caller receives."""
        old, new = self.o.model.request_body, self.n.model.request_body
        label = "request body"
        old_content = old.content if old is not None else ()
        new_content = new.content if new is not None else ()
        old_at = old.loc if old is not None else self.o.loc
        new_at = new.loc if new is not None else self.n.loc
        if old is not None and new is not None:
            if old.required and not new.required:
                self.emit(
                    "callback-body-became-optional",
                    label,
                    old.loc,
                    new.loc,
                    "the request body may now be missing",
                )
            elif new.required and not old.required:
                self.emit(
                    "response-constraint-tightened",
                    label,
                    old.loc,
                    new.loc,
                    "the request body is now always sent",
                )
        self.content(label, old_content, old_at, new_content, new_at, "response")

    def content(
        self,
        label: str,
        old: tuple[MediaType, ...],
        old_holder: Loc,
        new: tuple[MediaType, ...],
        new_holder: Loc,
        d: Direction,
    ) -> None:
        old_media = {_media_key(m.name): m for m in old}
        new_media = {_media_key(m.name): m for m in new}
        verb = "accepted" if d == "request" else "produced"
        for media in sorted(set(old_media) | set(new_media)):
            location = f"{label} {media}"
            was, now = old_media.get(media), new_media.get(media)
            if was is not None and now is not None:
                if was.schema is not None or now.schema is not None:
                    # no schema: any content (a stand-in for `true` where it would be)
                    self.schema(
                        location,
                        was.schema.at
                        if was.schema
                        else self.spec.old.stand_in(was.loc.child("schema"), None),
                        now.schema.at
                        if now.schema
                        else self.spec.new.stand_in(now.loc.child("schema"), None),
                        d,
                    )
            elif was is not None:
                self.emit(
                    f"{d}-media-type-removed",
                    location,
                    was.loc,
                    new_holder,
                    f"{label}: {media} is no longer {verb}",
                )
            elif now is not None:
                self.emit(
                    f"{d}-media-type-added",
                    location,
                    old_holder,
                    now.loc,
                    f"{label}: {media} is now {verb}",
                )

    # -- responses -----------------------------------------------------------------------------
    def responses(self) -> None:
        o, n = self.o, self.n
        old = {r.status: r for r in o.model.responses}
        new = {r.status: r for r in n.model.responses}
        for code in sorted(set(old) | set(new), key=_status_order):
            was, now = old.get(code), new.get(code)
            label = f"response {code}"
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
                    if n.swapped:
                        self.answer_headers(label, was, cover)
                    else:
                        self.headers(label, was, cover)
                    self.content(
                        label, was.content, was.loc, cover.content, cover.loc, self.received
                    )
            elif now is not None and _covering(code, old) is None:
                self.emit(
                    "response-status-added",
                    label,
                    o.loc.child("responses"),
                    now.loc,
                    f"{label} is newly documented",
                )

    def headers(self, label: str, old: Response, new: Response) -> None:
        old_h = {h.key: h for h in old.headers}
        new_h = {h.key: h for h in new.headers}
        for name in sorted(set(old_h) | set(new_h)):
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
                self.header_schema(location, was, now, "response")
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

    def answer_headers(self, label: str, old: Response, new: Response) -> None:
        """Headers of the answer the caller gives a webhook or callback: what it sends,
        judged like request parameters."""
        old_h = {h.key: h for h in old.headers}
        new_h = {h.key: h for h in new.headers}
        for name in sorted(set(old_h) | set(new_h)):
            was, now = old_h.get(name), new_h.get(name)
            location = f"{label} header {(now or was).name}"  # type: ignore[union-attr]
            if was is not None and now is not None:
                if now.required and not was.required:
                    self.emit(
                        "request-parameter-became-required",
                        location,
                        was.loc,
                        now.loc,
                        f"{location} is now required",
                    )
                elif was.required and not now.required:
                    self.emit(
                        "request-parameter-became-optional",
                        location,
                        was.loc,
                        now.loc,
                        f"{location} is now optional",
                    )
                self.header_schema(location, was, now, "request")
            elif was is not None:
                self.emit(
                    "request-parameter-removed",
                    location,
                    was.loc,
                    new.loc,
                    f"{location} is no longer documented",
                )
            elif now is not None:
                rule = (
                    "request-parameter-added-required"
                    if now.required
                    else "request-parameter-added"
                )
                self.emit(
                    rule,
                    location,
                    old.loc,
                    now.loc,
                    f"new {'required' if now.required else 'optional'} {location}",
                )

    def header_schema(self, location: str, was: Header, now: Header, d: Direction) -> None:
        old_schema = was.schema or (was.content.schema if was.content else None)
        new_schema = now.schema or (now.content.schema if now.content else None)
        if old_schema is not None and new_schema is not None:
            self.schema(location, old_schema.at, new_schema.at, d)


def _servers(model: OpenApi) -> dict[str, Loc]:
    """The root servers by URL, with `{variables}` replaced by their defaults."""
    return {server.default_url.rstrip("/"): server.loc for server in model.servers}


def _requirements(op: Operation) -> frozenset[frozenset[str]]:
    """The operation's security alternatives; `{}` (anonymous) when none is required."""
    requirements = op.model.security
    if not requirements:
        return frozenset({frozenset()})
    return frozenset(frozenset(r.names) for r in requirements)


def _security_loc(model: OpenApi, op: Operation) -> Loc:
    own = op.model.security_loc
    if own is not None:
        return own
    return model.root.child("security")


def _status_order(code: str) -> tuple[int, str]:
    """Status keys in the order reports list them: exact codes and ranges by number, then
    `default` (as the spec spells it, it sorts last)."""
    return (1, code) if code == "default" else (0, code)


def _covering(code: str, codes: dict[str, Response]) -> str | None:
    """The range or default response that documents `code` when it has no entry of its own."""
    if len(code) == 3 and code.isdigit() and f"{code[0]}XX" in codes:
        return f"{code[0]}XX"
    return "default" if "default" in codes else None

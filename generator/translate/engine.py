"""Translate one exchange (or one body) from one Zuora style to the other, as the mapping says.

    translator = Translator.load()                         # the shipped mapping and specs
    result = translator.exchange(exchange, to="quickstart")
    result.translated        # None when the exchange has no counterpart at all
    result.problems          # what was dropped or could not be translated, with pointers

Nothing is invented: a target property is written only when the mapping derives it from the
source (or it is a constant of the target shape, such as v1's `success: true`). Whatever the
source carries that has no counterpart is reported, never dropped silently.

Every translation is then checked with the contract engine against the target spec, with its
objects closed (a property the target schema does not declare is reported, even where the
spec itself tolerates unknown properties, as v1 does): a value the target cannot hold (too
long, not in its enum) is dropped and reported; anything else that would not conform leaves
the exchange out of the output, with the reason.
"""

from __future__ import annotations

import copy
import dataclasses
import http
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from generator.contract.check import Contract
from generator.contract.compile import SchemaIndex
from generator.contract.exchange import NO_BODY, Exchange, Request, Response
from generator.contract.findings import Kind, Part
from generator.findings import Finding, InputError
from generator.load import pointer as jp
from generator.translate.mapping import (
    LABEL,
    STYLES,
    Endpoint,
    Mapping,
    ObjectMap,
    OperationMap,
    Path_,
    ResponseMap,
    Style,
    other,
    split_path,
    validate,
)

_CODE = re.compile(r"\d{8}")
#: target path -> source path of every value a body translation wrote
Origin = dict[tuple[str, ...], tuple[str, ...]]
#: findings about a value that can be dropped from the translation (the rest leave it out)
_PRUNABLE = frozenset(
    {
        Kind.UNEXPECTED_PROPERTY,
        Kind.WRONG_TYPE,
        Kind.NOT_IN_ENUM,
        Kind.BAD_FORMAT,
        Kind.OUT_OF_RANGE,
        Kind.PATTERN_MISMATCH,
        Kind.OTHER,
    }
)


class TranslateSetupError(Exception):
    """The mapping or a spec cannot be used (exit 2); `findings` say where and why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("\n".join(f.render() for f in findings))
        self.findings = findings


@dataclass(frozen=True)
class Problem:
    """Something of the source exchange that the translation does not carry. `pointer` is in
    the source's part (`/data/0/type` of the request body, `/async` of the headers); `left_out`
    means the whole exchange is missing from the output because of it."""

    location: str  # request | response
    part: str  # operation | path | query | header | body | status
    pointer: str
    message: str
    left_out: bool = False
    #: when the problem is about several members of the object at `pointer`: their names
    members: tuple[str, ...] = ()

    @property
    def pointers(self) -> list[str]:
        """Every source pointer the problem is about."""
        if self.members:
            return [jp.join(self.pointer, name) for name in self.members]
        return [self.pointer]

    def render(self) -> str:
        where = f"{self.location} {self.part}"
        if self.pointer:
            where += f" {self.pointer}"
        return f"{where}: {self.message}" + (" (exchange left out)" if self.left_out else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "part": self.part,
            "pointer": self.pointer,
            "message": self.message,
            "left_out": self.left_out,
            "members": list(self.members),
        }


@dataclass
class Translated:
    """The exchange in the target style."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: Any
    status: int | None
    response_headers: list[tuple[str, str]]
    response_body: Any
    operation: str

    def as_exchange(self, index: int = 0) -> Exchange:
        request = Request(
            method=self.method, url=self.url, headers=tuple(self.request_headers),
            body=self.request_body,
        )  # fmt: skip
        response = None
        if self.status is not None:
            response = Response(
                status=self.status, headers=tuple(self.response_headers), body=self.response_body
            )
        return Exchange(index, request, response)


@dataclass
class Result:
    translated: Translated | None
    problems: list[Problem] = field(default_factory=list)
    #: the source operation (`createFulfillment`), when one matched
    operation: str | None = None
    #: source body pointers of values the mapping lists as lossy (a round trip may differ)
    lossy: dict[str, list[str]] = field(default_factory=dict)


class BodyTranslation(NamedTuple):
    body: Any
    problems: list[Problem]
    lossy: list[str]
    #: the target status, for a response body
    status: int | None


class _Fatal(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# -- bodies --------------------------------------------------------------------------------------
def _get(value: Any, path: Path_) -> tuple[bool, Any]:
    for name in path:
        if not isinstance(value, dict) or name not in value:
            return False, None
        value = value[name]
    return True, value


def _set(holder: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """Put `value` at `path` in `holder` (creating objects on the way); () merges it in."""
    if not path:
        if isinstance(value, dict):
            holder.update(value)
            return holder
        return value  # type: ignore[no-any-return]
    node = holder
    for name in path[:-1]:
        nxt = node.get(name)
        if not isinstance(nxt, dict):
            nxt = node[name] = {}
        node = nxt
    node[path[-1]] = value
    return holder


class _Bodies:
    """One body's translation: the result, what was dropped, and which source pointer each
    written target pointer came from (so a later check can name the source)."""

    def __init__(
        self, mapping: Mapping, frm: Style, location: str, status_src: int, status_dst: int
    ) -> None:
        self.m = mapping
        self.frm: Style = frm
        self.to: Style = other(frm)
        self.location = location
        self.status_src = status_src
        self.status_dst = status_dst
        self.problems: list[Problem] = []
        #: target path -> source path (tokens as text), turned into pointers only when needed
        self.origin: Origin = {}
        self.lossy: list[str] = []

    def drop(
        self, pointer: Path_ | tuple[Any, ...], message: str, members: tuple[str, ...] = ()
    ) -> None:
        self.problems.append(
            Problem(self.location, "body", jp.from_parts(pointer), message, False, members)
        )

    def object(self, obj: ObjectMap, src: Any, sptr: tuple[Any, ...], tptr: tuple[Any, ...]) -> Any:
        self.origin[tuple(map(str, tptr))] = tuple(map(str, sptr))
        if not isinstance(src, dict):
            return copy.deepcopy(src)  # not an object: the target check reports it
        out: dict[str, Any] = dict(obj.constants[self.to])
        for name, rule in obj.derived[self.to].items():
            known, value = rule.value_for(self.status_dst)
            if known:
                out[name] = value
        for fmap in obj.fields:
            present, value = _get(src, fmap.paths[self.frm])
            if not present:
                continue
            sp, tp = (*sptr, *fmap.paths[self.frm]), (*tptr, *fmap.paths[self.to])
            self.origin[tuple(map(str, tp))] = tuple(map(str, sp))
            out = _set(out, fmap.paths[self.to], self.value(fmap, value, sp, tp))
        self.leftovers(obj, src, (), sptr)
        return out

    def value(self, fmap: Any, value: Any, sp: tuple[Any, ...], tp: tuple[Any, ...]) -> Any:
        if fmap.lossy:
            self.lossy.append(jp.from_parts(sp))
        if fmap.verbatim:
            return copy.deepcopy(value)
        if fmap.enum is not None:
            table = self.m.enums[fmap.enum][self.frm]
            return table.get(value, value) if isinstance(value, str) else value
        if fmap.convert == "reason_code":
            return self.reason_code(value)
        if fmap.each is not None:
            if not isinstance(value, list):
                return copy.deepcopy(value)
            element = self.m.objects[fmap.each]
            return [self.object(element, item, (*sp, i), (*tp, i)) for i, item in enumerate(value)]
        if fmap.object is not None:
            return self.object(self.m.objects[fmap.object], value, sp, tp)
        return copy.deepcopy(value)

    def reason_code(self, value: Any) -> Any:
        if self.frm == "v1":
            return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if isinstance(value, str) and _CODE.fullmatch(value):
            return int(value)
        return self.m.errors.v1_codes.get(self.status_dst, value)

    def leftovers(
        self, obj: ObjectMap, src: dict[str, Any], prefix: Path_, sptr: tuple[Any, ...]
    ) -> None:
        mapped = [f.paths[self.frm] for f in obj.fields]
        if () in mapped:
            return  # the whole body went to one field
        known = mapped + list(obj.one_sided[self.frm])
        rest: list[str] = []
        for key, value in src.items():
            path = (*prefix, key)
            if path in mapped:
                continue
            if not prefix and key in obj.constants[self.frm]:
                continue  # v1's `success`: the status and shape say the same
            if not prefix and key in obj.derived[self.frm]:
                known_value, expected = obj.derived[self.frm][key].value_for(self.status_src)
                if not known_value or value != expected:
                    self.drop(
                        (*sptr, *path),
                        f"{LABEL[self.to]} has no counterpart for {key} {value!r}: it follows "
                        f"from the status ({self.status_src})",
                    )
                continue
            if isinstance(value, dict) and any(k[: len(path)] == path and k != path for k in known):
                self.leftovers(obj, value, path, sptr)  # an object on the way to mapped fields
                continue
            reason = obj.one_sided[self.frm].get(path)
            if reason:
                self.drop((*sptr, *path), f"no {LABEL[self.to]} counterpart: {reason}")
            elif self.frm in obj.rest:
                rest.append(key)
            else:
                self.drop(
                    (*sptr, *path),
                    f"not in the mapping ({obj.name}), so it has no {LABEL[self.to]} counterpart",
                )
        if rest:  # one problem for the lot: the whole shape has no room for them
            self.drop(
                (*sptr, *prefix),
                f"no {LABEL[self.to]} counterpart for {', '.join(rest)}: {obj.rest[self.frm]}",
                tuple(rest),
            )


def _strict(contract: Contract) -> Contract:
    """A copy of `contract` whose object schemas declare every property they accept: those
    without `additionalProperties` get `unevaluatedProperties: false`."""
    root = contract.model.root.doc
    pointers = [s.pointer for s in contract.model.schema_sites if s.doc is root]
    strict = copy.copy(contract)
    for name in ("request_schemas", "response_schemas"):
        index: SchemaIndex = getattr(contract, name)
        document = copy.deepcopy(index.converted.document)
        for pointer in pointers:
            parts = jp.split(pointer)
            if len(parts) >= 2 and parts[-2] in ("anyOf", "oneOf", "allOf"):
                continue  # a branch: the schema around it decides
            try:
                schema = jp.resolve(document, pointer)
            except KeyError:
                continue
            if (
                isinstance(schema, dict)
                and isinstance(schema.get("properties"), dict)
                and "additionalProperties" not in schema
                and "unevaluatedProperties" not in schema
            ):
                schema["unevaluatedProperties"] = False
        converted = dataclasses.replace(index.converted, document=document)
        setattr(strict, name, SchemaIndex(converted))
    return strict


# -- exchanges -----------------------------------------------------------------------------------
class Translator:
    """The mapping with both specs loaded: translates exchanges and bodies either way."""

    def __init__(self, mapping: Mapping, contracts: dict[Style, Contract]) -> None:
        self.m = mapping
        self.contracts = contracts
        self.strict = {style: _strict(contracts[style]) for style in STYLES}

    @classmethod
    def load(cls, mapping: str | Path | None = None) -> Translator:
        """The mapping (the shipped one by default) and the specs it names, validated.
        Raises TranslateSetupError when they cannot be read or do not agree."""
        from generator.contract.run import load_contract

        try:
            loaded = Mapping.load(mapping)
            contracts = {s: load_contract(loaded.styles[s].spec) for s in STYLES}
        except InputError as exc:
            raise TranslateSetupError([exc.finding]) from None
        findings = validate(loaded, contracts)
        if findings:
            raise TranslateSetupError(findings)
        return cls(loaded, contracts)

    # -- bodies ------------------------------------------------------------------------------
    def operation(self, name: str) -> OperationMap:
        """An operation of the mapping by its name or by either style's operationId."""
        for opmap in self.m.operations:
            endpoints = [e for style in STYLES for e in opmap.sources(style)]
            if name == opmap.name or any(e.operation == name for e in endpoints):
                return opmap
        raise KeyError(name)

    def body(
        self, operation: str, to: Style, body: Any, *, response: int | None = None
    ) -> BodyTranslation:
        """Translate a request body (`response=None`), or the body of a response with that
        source status, of `operation` (a mapped operation's name or either style's
        operationId, `createFulfillment` included) into style `to`, checked against the
        target spec as a whole exchange is. A problem with `left_out` means the body cannot
        be given in the target style at all (the body is then NO_BODY)."""
        frm = other(to)
        endpoint = self._endpoint(operation, frm)
        names = re.findall(r"\{([^{}/]+)\}", endpoint.path)
        url = endpoint.build({name: "0" * 32 for name in names})
        if response is None:
            exchange = Exchange(0, Request(method=endpoint.method, url=url, body=body))
        else:
            exchange = Exchange(
                0, Request(method=endpoint.method, url=url), Response(status=response, body=body)
            )
        result = self.exchange(exchange, to, check_request=response is None)
        if result.translated is None:
            return BodyTranslation(NO_BODY, result.problems, [], None)
        wanted = "request" if response is None else "response"
        lossy = result.lossy.get(wanted, [])
        problems = [p for p in result.problems if p.location == wanted and p.part == "body"]
        if response is None:
            return BodyTranslation(result.translated.request_body, problems, lossy, None)
        return BodyTranslation(
            result.translated.response_body, problems, lossy, result.translated.status
        )

    def _endpoint(self, operation: str, style: Style) -> Endpoint:
        for opmap in self.m.operations:
            for endpoint in opmap.sources(style):
                if endpoint.operation == operation:
                    return endpoint
        return self.operation(operation).endpoints[style]

    # -- exchanges ---------------------------------------------------------------------------
    def exchange(self, exchange: Exchange, to: Style, *, check_request: bool = True) -> Result:
        """`exchange` translated into style `to` (the source is the other style)."""
        problems: list[Problem] = []
        try:
            return self._exchange(exchange, to, problems, check_request)
        except _Fatal as fatal:
            problems.append(fatal.problem)
            return Result(None, problems)

    def _match(
        self, frm: Style, method: str, path: str
    ) -> tuple[OperationMap, Endpoint, dict[str, str]]:
        base = self.m.styles[frm].base_path
        candidates = [path]
        if base and (path == base or path.startswith(base + "/")):
            candidates.insert(0, path[len(base) :] or "/")
        for candidate in candidates:
            for opmap in self.m.operations:
                for endpoint in opmap.sources(frm):
                    variables = endpoint.match(candidate)
                    if variables is not None and endpoint.method == method:
                        return opmap, endpoint, variables
        for candidate in candidates:
            for entry in self.m.one_sided_operations.get(frm, ()):
                if entry.endpoint.method == method and entry.endpoint.match(candidate) is not None:
                    raise _Fatal(
                        Problem(
                            "request",
                            "operation",
                            "",
                            f"{LABEL[frm]} {entry.endpoint.operation} has no counterpart: "
                            f"{entry.reason}",
                            True,
                        )
                    )
        hint = ""
        try:
            self._match_plain(other(frm), method, path)
            hint = f" (it is {LABEL[other(frm)]} traffic already)"
        except LookupError:
            pass
        raise _Fatal(
            Problem(
                "request",
                "operation",
                "",
                f"no {LABEL[frm]} operation of the mapping is {method} {path}{hint}",
                True,
            )
        )

    def _match_plain(self, style: Style, method: str, path: str) -> Endpoint:
        base = self.m.styles[style].base_path
        stripped = path[len(base) :] if base and path.startswith(base + "/") else path
        for opmap in self.m.operations:
            for endpoint in opmap.sources(style):
                if endpoint.method == method and endpoint.match(stripped) is not None:
                    return endpoint
        raise LookupError(path)

    def _exchange(
        self, exchange: Exchange, to: Style, problems: list[Problem], check_request: bool
    ) -> Result:
        frm = other(to)
        request = exchange.request
        method = request.method.upper()
        parts = urllib.parse.urlsplit(request.url)
        opmap, endpoint, variables = self._match(frm, method, parts.path or "/")
        target = opmap.endpoints[to]

        # path parameters
        mapped_vars: dict[str, str] = {}
        for name, value in variables.items():
            if name in opmap.id_only and frm == "v1" and not self.m.id_pattern.fullmatch(value):
                raise _Fatal(
                    Problem(
                        "request",
                        "path",
                        "/" + jp.escape(name),
                        f"{value!r} is a fulfillment number, not an id: Quickstart addresses "
                        "a fulfillment by its id only",
                        True,
                    )
                )
            mapped_vars[opmap.path_parameters[frm][name]] = value

        # query
        for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            rule = self.m.one_sided_query[frm].get(key)
            if rule is not None and rule.default is not None and value == rule.default:
                continue  # the default asks for nothing: leaving it out loses nothing
            why = (
                f"no {LABEL[to]} counterpart: {rule.reason}"
                if rule
                else f"not a parameter of the mapping, so it has no {LABEL[to]} counterpart"
            )
            problems.append(Problem("request", "query", "/" + jp.escape(key), why))

        # headers
        headers = self._headers(
            request.headers, frm, to, problems, "request", mapped=True, target=target
        )

        # request body
        lossy: dict[str, list[str]] = {}
        body: Any = NO_BODY
        request_origin: Origin = {}
        if request.has_body:
            source = _json_body(request, "request")
            if opmap.request is None:
                problems.append(
                    Problem("request", "body", "", f"{LABEL[to]} {target.operation} takes no body")
                )
            else:
                if endpoint.wrap is not None and isinstance(source, dict):
                    source = _wrap(source, endpoint)
                bodies = _Bodies(self.m, frm, "request", 0, 0)
                body = bodies.object(self.m.objects[opmap.request], source, (), ())
                problems.extend(_unwrap_pointers(bodies.problems, endpoint))
                request_origin = bodies.origin
                lossy["request"] = _unwrap(bodies.lossy, endpoint)

        # response
        status: int | None = None
        response_headers: list[tuple[str, str]] = []
        response_body: Any = NO_BODY
        response_origin: Origin = {}
        if exchange.response is not None:
            status, response_headers, response_body, response_origin = self._response(
                exchange.response, opmap, endpoint, frm, to, problems, lossy
            )

        path = self.m.styles[to].base_path + target.build(mapped_vars)
        url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        translated = Translated(
            method=target.method,
            url=url,
            request_headers=headers,
            request_body=body,
            status=status,
            response_headers=response_headers,
            response_body=response_body,
            operation=target.operation,
        )
        found: list[Problem] = []
        try:
            self._conform(
                translated, exchange, to, found, request_origin, response_origin, check_request
            )
        finally:
            problems.extend(_unwrap_pointers(found, endpoint))
        return Result(translated, problems, endpoint.operation, lossy)

    def _headers(
        self,
        headers: tuple[tuple[str, str], ...],
        frm: Style,
        to: Style,
        problems: list[Problem],
        location: str,
        *,
        mapped: bool,
        target: Endpoint | None = None,
    ) -> list[tuple[str, str]]:
        declared: set[str] | None = None
        if target is not None:
            spec = next(
                (
                    op
                    for op in self.contracts[to].operations.operations
                    if op.method == target.method and op.path == target.path
                ),
                None,
            )
            if spec is not None:
                declared = {p.name.lower() for p in spec.parameters if p.location == "header"}
        out: list[tuple[str, str]] = []
        for name, value in headers:
            low = name.lower()
            if low == "content-length":
                continue  # recomputed for the translated body
            if mapped and low in self.m.headers[frm]:
                wire = self.m.headers[frm][low]
                if declared is not None and wire.lower() not in declared:
                    problems.append(
                        Problem(
                            location, "header", "/" + jp.escape(name),
                            f"{LABEL[to]} {target.operation if target else ''} takes no "
                            f"{wire} header",
                        )
                    )  # fmt: skip
                    continue
                out.append((wire, value))
            elif mapped and low in self.m.one_sided_headers[frm]:
                reason = self.m.one_sided_headers[frm][low]
                problems.append(
                    Problem(
                        location, "header", "/" + jp.escape(name),
                        f"no {LABEL[to]} counterpart: {reason}",
                    )
                )  # fmt: skip
            else:
                out.append((name, value))  # HTTP's own headers mean the same in both styles
        return out

    def _response(
        self,
        response: Response,
        opmap: OperationMap,
        endpoint: Endpoint,
        frm: Style,
        to: Style,
        problems: list[Problem],
        lossy: dict[str, list[str]],
    ) -> tuple[int, list[tuple[str, str]], Any, Origin]:
        status = response.status
        errors = self.m.errors
        source: Any = _json_body(response, "response") if response.has_body else NO_BODY
        business_error = (
            frm == "v1"
            and opmap.response(frm, status) is not None
            and isinstance(source, dict)
            and source.get("success") is False
        )
        if status in errors.one_sided[frm]:
            raise _Fatal(
                Problem(
                    "response", "status", "", f"no {LABEL[to]} counterpart for status {status}: "
                    f"{errors.one_sided[frm][status]}", True,
                )
            )  # fmt: skip
        rmap: ResponseMap | None = None if business_error else opmap.response(frm, status)
        if business_error:
            target_status = self._business_status(source)
            object_name: str | None = errors.object
        elif rmap is not None:
            target_status = rmap.status[to]
            object_name = rmap.objects[to] or rmap.objects[frm]
            if endpoint.wrap is not None and isinstance(source, dict):
                source = {endpoint.wrap.into: [source]}
        elif status in errors.statuses[frm]:
            target_status = errors.statuses[frm][status]
            object_name = errors.object
        else:
            raise _Fatal(
                Problem(
                    "response", "status", "",
                    f"status {status} of {endpoint.operation} is not in the mapping", True,
                )
            )  # fmt: skip
        body: Any = NO_BODY
        origin: Origin = {}
        if object_name is not None:
            bodies = _Bodies(self.m, frm, "response", status, target_status)
            result = bodies.object(
                self.m.objects[object_name], {} if source is NO_BODY else source, (), ()
            )
            problems.extend(_unwrap_pointers(bodies.problems, endpoint))
            origin = bodies.origin
            lossy["response"] = _unwrap(bodies.lossy, endpoint)
            if rmap is None or rmap.objects[to] is not None:
                body = result
        headers = self._headers(response.headers, frm, to, problems, "response", mapped=False)
        has_type = any(n.lower() == "content-type" for n, _ in headers)
        if body is NO_BODY:
            headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
        elif not has_type:
            headers.append(("Content-Type", "application/json"))
        return target_status, headers, body, origin

    def _business_status(self, body: dict[str, Any]) -> int:
        errors = self.m.errors
        reasons = body.get("reasons")
        first = reasons[0] if isinstance(reasons, list) and reasons else None
        code = first.get("code") if isinstance(first, dict) else None
        if isinstance(code, int) and not isinstance(code, bool):
            return errors.categories.get(code % 100, errors.default_status)
        return errors.default_status

    # -- conformance -------------------------------------------------------------------------
    def _conform(
        self,
        translated: Translated,
        source: Exchange,
        to: Style,
        problems: list[Problem],
        request_origin: Origin,
        response_origin: Origin,
        check_request: bool,
    ) -> None:
        contract = self.strict[to]
        anonymous = source.request.header("Authorization") is None
        for _ in range(8):
            findings = contract.check(translated.as_exchange()).findings
            if not check_request:
                findings = [f for f in findings if f.location == "response"]
            if anonymous:  # the recording carries no credentials; the translation adds none
                findings = [f for f in findings if f.pointer != "/Authorization"]
            if not findings:
                return
            changed = False
            pruned: list[tuple[str, str, str]] = []
            for finding in sorted(findings, key=lambda f: -f.pointer.count("/")):
                key = (finding.location, finding.part.value, finding.pointer)
                if any(key[:2] == done[:2] and key[2].startswith(done[2] + "/") for done in pruned):
                    continue  # inside something already dropped
                origin = request_origin if finding.location == "request" else response_origin
                if self._prune(translated, finding):
                    pruned.append(key)
                    where = _origin_of(origin, finding.pointer)
                    problems.append(
                        Problem(
                            finding.location,
                            finding.part.value,
                            where,
                            f"the {LABEL[to]} spec has no place for it: {finding.message}"
                            + (f" (at {finding.pointer})" if where != finding.pointer else ""),
                        )
                    )
                    changed = True
            if not changed:
                finding = findings[0]
                at = f" at {finding.pointer}" if finding.pointer else ""
                raise _Fatal(
                    Problem(
                        finding.location,
                        finding.part.value,
                        "",
                        f"the {LABEL[to]} translation would not conform to its spec{at}: "
                        f"{finding.message}",
                        True,
                    )
                )
        raise _Fatal(Problem("request", "operation", "", "the translation does not settle", True))

    def _prune(self, translated: Translated, finding: Any) -> bool:
        """Drop the value a finding is about, when that leaves a well-formed message."""
        if finding.kind not in _PRUNABLE or not finding.pointer:
            return False
        if finding.part is Part.HEADER:
            name = jp.unescape(finding.pointer[1:])
            attr = "request_headers" if finding.location == "request" else "response_headers"
            before = getattr(translated, attr)
            after = [(n, v) for n, v in before if n.lower() != name.lower()]
            setattr(translated, attr, after)
            return len(after) != len(before)
        if finding.part is not Part.BODY:
            return False
        attr = "request_body" if finding.location == "request" else "response_body"
        body = getattr(translated, attr)
        tokens = jp.split(finding.pointer)
        try:
            parent = jp.resolve(body, jp.from_parts(tokens[:-1]))
        except KeyError:
            return False
        if not isinstance(parent, dict) or tokens[-1] not in parent:
            return False
        del parent[tokens[-1]]
        return True


def _json_body(message: Request | Response, location: str) -> Any:
    if message.body is not NO_BODY:
        return message.body
    try:
        return json.loads(message.raw or b"")  # text, or the bytes a HAR gave in base64
    except ValueError:
        raise _Fatal(
            Problem(location, "body", "", "the body is not JSON, so it cannot be translated", True)
        ) from None


def _wrap(body: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    """A single create's body as the bulk create's: the element in a one-element list."""
    assert endpoint.wrap is not None
    keep = {k: v for k, v in body.items() if k in endpoint.wrap.keep}
    element = {k: v for k, v in body.items() if k not in endpoint.wrap.keep}
    return {endpoint.wrap.into: [element], **keep}


def _unwrap(pointers: list[str], endpoint: Endpoint) -> list[str]:
    """Pointers into a wrapped single body, as pointers into the body the client sent."""
    if endpoint.wrap is None:
        return pointers
    prefix = "/" + jp.escape(endpoint.wrap.into) + "/0"
    return [p[len(prefix) :] if p == prefix or p.startswith(prefix + "/") else p for p in pointers]


def _unwrap_pointers(problems: list[Problem], endpoint: Endpoint) -> list[Problem]:
    """Problems about a wrapped single body, located in the body the client sent."""
    if endpoint.wrap is None:
        return problems
    pointers = _unwrap([p.pointer for p in problems], endpoint)
    return [
        Problem(p.location, p.part, pointer, p.message, p.left_out, p.members)
        for p, pointer in zip(problems, pointers, strict=True)
    ]


def _origin_of(origin: Origin, pointer: str) -> str:
    """The source pointer a target pointer came from (its nearest mapped ancestor)."""
    tokens = tuple(jp.split(pointer))
    for length in range(len(tokens), -1, -1):
        found = origin.get(tokens[:length])
        if found is not None:
            return jp.from_parts((*found, *tokens[length:]))
    return pointer


def status_text(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


__all__ = [
    "Problem",
    "Result",
    "TranslateSetupError",
    "Translated",
    "Translator",
    "split_path",
]

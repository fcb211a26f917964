"""Check exchanges against a spec: exchange -> operation -> findings. Every difference is
reported, not only the first, each located in the traffic (pointer) and in the spec
(schema_pointer).

Parameters are read by their style (`params`), bodies by their media type after their
Content-Encoding (`bodies`, `jsontext`), and both judged by the schemas `compile` converted.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.contract import bodies, jsontext, params
from generator.contract.compile import SchemaIndex, convert
from generator.contract.exchange import (
    NO_BODY,
    Exchange,
    Message,
    Request,
    Response,
    json_type,
)
from generator.contract.findings import ContractFinding, ExchangeResult, Kind, Part
from generator.contract.operations import (
    ContentSpec,
    OperationIndex,
    OperationSpec,
    ParamSpec,
    ResponseSpec,
)
from generator.findings import Finding, Severity, UnusableSpec
from generator.load import pointer as jp
from generator.load.bundle import BUNDLE_KEY, bundle
from generator.load.parse import DEFAULT_LIMITS, Limits
from generator.load.workspace import Workspace
from generator.openapi.build import build_model
from generator.openapi.dialect import OAS30_INTEGER, require_dialect
from generator.openapi.media import MediaKind, best_match, classify, is_json
from generator.openapi.model import OpenApi, ParameterIn, SecurityType

_RANGE_KEYWORDS = {
    "minimum": ">= {}",
    "maximum": "<= {}",
    "exclusiveMinimum": "> {}",
    "exclusiveMaximum": "< {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minProperties": "at least {} properties",
    "maxProperties": "at most {} properties",
    "multipleOf": "a multiple of {}",
}

_PARTS = {
    "path": Part.PATH,
    "query": Part.QUERY,
    "header": Part.HEADER,
    "cookie": Part.COOKIE,
}


class Contract:
    """A spec compiled for checking traffic. Load once, check any number of exchanges.

    `problems` are what the spec itself gets wrong that the checks had to leave out (a keyword
    JSON Schema does not allow), each once, with its location.

    Loading follows the one policy of every command (`generator.load.workspace`): relative
    `$ref`s from the spec's own folder and nothing outside it, the network only for hosts in
    `allow_remote`. A spec that makes checking meaningless (a reference that does not resolve
    or is refused, a schema the validator cannot compile) raises `UnusableSpec` with every
    such finding, before any exchange is checked."""

    def __init__(self, workspace: Workspace) -> None:
        self.bundle = bundle(workspace)  # UnusableSpec: every reference refused or unresolved
        #: the bundled spec: one document, every `$ref` in it local
        self.workspace = self.bundle.workspace
        self.model = build_model(self.workspace)
        self.spec = workspace.root.display
        self.operations = OperationIndex(self.model)
        request = convert(self.model, "request")
        response = convert(self.model, "response")
        self.request_schemas = SchemaIndex(request)
        self.response_schemas = SchemaIndex(response)
        self._plans: dict[int, list[tuple[ParamSpec, Part, params.Wire, set[str]]]] = {}
        self._header_plans: dict[int, list[tuple[ParamSpec, params.Wire]]] = {}
        notes = text_schema_problems(self.model)
        unique = {
            (f.pointer, f.message): f for f in (*request.problems, *response.problems, *notes)
        }
        self.problems: tuple[Finding, ...] = tuple(
            sorted(self._where_written(f) for f in unique.values())
        )
        self._compile()

    def _where_written(self, finding: Finding) -> Finding:
        """A finding about the bundled document, at the file and line it was written on."""
        if not finding.pointer.startswith("/" + BUNDLE_KEY + "/"):
            return finding
        doc, inner = self.bundle.origin(finding.pointer)
        return doc.finding(
            inner, finding.rule, finding.message, finding.severity, detail=finding.detail
        )

    def _compile(self) -> None:
        """Compile every schema the operations validate with now, so one jsonschema-rs cannot
        compile is reported once, at its place in the spec, and not on every exchange."""
        request: list[str] = []
        response: list[str] = []
        for op in self.operations.operations:
            request.extend(p.schema_pointer or "" for p in op.parameters)
            request.extend(c.schema_pointer or "" for c in op.body)
            for answer in op.responses.values():
                response.extend(h.schema_pointer or "" for h in answer.headers)
                response.extend(c.schema_pointer or "" for c in answer.content)
        failed = [
            *self.request_schemas.problems(request),
            *self.response_schemas.problems(response),
        ]
        problems: dict[tuple[str, str], Finding] = {}
        for where, message in failed:
            doc, inner = self.bundle.origin(where)
            problems.setdefault(
                (where, message),
                doc.finding(
                    inner,
                    "schema-uncompilable",
                    f"the traffic validator cannot compile this schema: {message}",
                ),
            )
        if problems:
            raise UnusableSpec(sorted(problems.values()))

    def describe(self, pointer: str) -> str:
        """A pointer of the bundled spec as its author wrote it (`#/...`, `file.yaml#/...`)."""
        return self.bundle.describe(pointer)

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        allow_remote: Iterable[str] = (),
        limits: Limits = DEFAULT_LIMITS,
    ) -> Contract:
        """Raises generator.findings.InputError when the spec cannot be read, parsed, or is
        not an OpenAPI 3.0/3.1 document, and its subclass UnusableSpec (with every finding)
        when it cannot be used for checking."""
        workspace = Workspace.open(Path(path), str(path), tuple(allow_remote), limits)
        require_dialect(workspace.root)
        return cls(workspace)

    def plan(self, op: OperationSpec) -> list[tuple[ParamSpec, Part, params.Wire, set[str]]]:
        """How each request parameter of `op` is read: its part, its wire (style, explode,
        converted schema) and the query names other parameters own; made once per operation."""
        found = self._plans.get(id(op))
        if found is None:
            index = self.request_schemas
            queried = {p.name for p in op.parameters if p.location == "query"}
            found = []
            for param in op.parameters:
                schema = _schema_of(index, param)
                keyed = param.content_type is not None or (
                    param.style != "deepObject"
                    and not (param.explode and params.shape(schema, index.resolver) == "object")
                )
                wire = params.Wire(param.name, param.style, param.explode, schema, keyed)
                found.append((param, _PARTS[param.location], wire, queried - {param.name}))
            self._plans[id(op)] = found
        return found

    def header_plan(self, spec: ResponseSpec) -> list[tuple[ParamSpec, params.Wire]]:
        """How each header of a documented response is read; made once per response."""
        found = self._header_plans.get(id(spec))
        if found is None:
            index = self.response_schemas
            found = [
                (h, params.Wire(h.name, "simple", h.explode, _schema_of(index, h)))
                for h in spec.headers
            ]
            self._header_plans[id(spec)] = found
        return found

    # -- public API ------------------------------------------------------------------------
    def check(self, exchange: Exchange) -> ExchangeResult:
        result = _Checker(self, exchange).run()
        if result.findings and exchange.exact is not None:
            # read fast, its integers beyond 64 bits may have become floats: judge it again
            # from an exact reading. (A body that passed read fast is not read again: an
            # integer beyond 64 bits that passes as a float could only fail, exactly, a
            # bound, enum or multipleOf closer to it than a float can tell.)
            again = exchange.exact()
            if again is not None:
                result = _Checker(self, again).run()
        return result

    def check_pair(
        self, request: Request, response: Response | None = None, index: int = 0
    ) -> ExchangeResult:
        return self.check(Exchange(index, request, response))

    def check_httpx(
        self, request: Any, response: Any | None = None, index: int = 0
    ) -> ExchangeResult:
        """Check an `httpx.Request` and (optionally) its `httpx.Response`."""
        from generator.contract.httpx_adapter import from_httpx_request, from_httpx_response

        return self.check_pair(
            from_httpx_request(request),
            from_httpx_response(response) if response is not None else None,
            index,
        )


class _Checker:
    def __init__(self, contract: Contract, exchange: Exchange) -> None:
        self.c = contract
        self.x = exchange
        self.findings: list[ContractFinding] = []
        self._seen: set[tuple[str, Part, str, Kind]] = set()
        self.op: OperationSpec | None = None

    def add(
        self,
        location: str,
        part: Part,
        pointer: str,
        kind: Kind,
        expected: Any,
        actual: Any,
        message: str,
        schema_pointer: str,
    ) -> None:
        key = (location, part, pointer, kind)
        if key in self._seen:
            return  # the same difference reached through another schema (a oneOf branch)
        self._seen.add(key)
        if len(message) > 300:  # messages quote values, which can be megabytes
            message = message[:297] + "..."
        self.findings.append(
            ContractFinding(
                self.x.index,
                self.op.operation_id if self.op else None,
                location,
                part,
                pointer,
                kind,
                expected,
                actual,
                message,
                self.c.describe(schema_pointer) if schema_pointer else "",
            )
        )

    def run(self) -> ExchangeResult:
        request = self.x.request
        parts = urllib.parse.urlsplit(request.url)
        path = parts.path or "/"
        op, variables, path_known = self.c.operations.match(request.method, request.url)
        status = self.x.response.status if self.x.response else None
        if op is None:
            why = (
                f"{path} is documented, but not for {request.method.upper()}"
                if path_known
                else f"no operation of the spec matches {request.method.upper()} {path}"
            )
            self.add(
                "request",
                Part.OPERATION,
                "",
                Kind.UNDOCUMENTED_OPERATION,
                "a documented method and path",
                f"{request.method.upper()} {path}",
                why,
                "",
            )
            return ExchangeResult(
                self.x.index, request.method.upper(), request.url, None, status, self.findings
            )
        self.op = op
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        self._request_parameters(op, variables, query, request)
        self._security(op, request, query)
        self._body(
            "request", op.body, op.body_required, op.body_pointer, request, self.c.request_schemas
        )
        if self.x.response is not None:
            self._response(op, self.x.response)
        return ExchangeResult(
            self.x.index,
            request.method.upper(),
            request.url,
            op.operation_id,
            status,
            self.findings,
        )

    # -- parameters ------------------------------------------------------------------------
    def _request_parameters(
        self,
        op: OperationSpec,
        variables: dict[str, str],
        query: list[tuple[str, str]],
        request: Request,
    ) -> None:
        index = self.c.request_schemas
        resolve = _resolver(index)
        jar: dict[str, list[str]] | None = None
        headers: dict[str, list[str]] = {}
        for name, text in request.headers:
            headers.setdefault(name.lower(), []).append(text)
        by_name = params.group(query)
        for param, part, wire, claimed in self.c.plan(op):
            # an optional parameter the request does not carry: nothing to read (an exploded
            # object or deepObject query parameter has no key of its own to look for)
            if not param.required and (
                (part is Part.HEADER and param.name.lower() not in headers)
                or (part is Part.QUERY and wire.keyed and param.name not in by_name)
            ):
                continue
            try:
                if param.location == "path":
                    present = param.name in variables
                    raw = variables.get(param.name, "")
                    if param.content_type is not None:
                        value: Any = urllib.parse.unquote(raw)
                    else:
                        value = params.read_path(wire, raw, resolve) if present else None
                elif param.location == "query":
                    if param.content_type is not None:
                        found = [v for k, v in query if k == param.name]
                        present, value = bool(found), found[0] if found else None
                    else:
                        present, value = params.read_query(wire, query, claimed, resolve, by_name)
                elif param.location == "header":
                    values = headers.get(param.name.lower(), [])
                    present = bool(values)
                    if param.content_type is not None:
                        value = ",".join(values)
                    else:
                        value = params.read_header(wire, values, resolve) if present else None
                else:
                    if jar is None:
                        jar = params.cookies(request.header_values("Cookie"))
                    values = jar.get(param.name, [])
                    present = bool(values)
                    if param.content_type is not None:
                        value = values[0] if values else None
                    else:
                        value = params.read_cookie(wire, values, resolve) if present else None
            except params.StyleProblem as problem:
                self.add(
                    "request",
                    part,
                    param.pointer,
                    Kind.BAD_FORMAT,
                    problem.expected,
                    problem.actual,
                    problem.message,
                    jp.join(param.site, "style") if param.style_given else param.site,
                )
                continue
            self._parameter("request", part, param, present, value, index)

    def _parameter(
        self,
        location: str,
        part: Part,
        param: ParamSpec,
        present: bool,
        value: Any,
        index: SchemaIndex,
    ) -> None:
        pointer = param.pointer
        if present and param.allow_empty and value == "":
            # OpenAPI: with allowEmptyValue, a zero-length value stands "in place of
            # parameters that would otherwise be omitted entirely", so it is absent; without
            # it, it is the empty string, judged by the schema
            present = False
        if not present:
            if param.required:
                what = {
                    Part.HEADER: "header",
                    Part.COOKIE: "cookie",
                }.get(part, f"{part.value} parameter")
                self.add(
                    location,
                    part,
                    pointer,
                    Kind.MISSING_PARAMETER,
                    param.name,
                    None,
                    f"required {what} {param.name!r} is missing",
                    param.site
                    or (
                        param.schema_pointer.rsplit("/schema", 1)[0] if param.schema_pointer else ""
                    ),
                )
            return
        if param.schema_pointer is None:
            return
        if param.content_type is not None:
            if is_json(param.content_type):
                try:
                    value = jsontext.loads(str(value))
                except jsontext.JsonTextError as exc:
                    self.add(
                        location,
                        part,
                        pointer,
                        Kind.INVALID_JSON,
                        f"JSON ({param.content_type})",
                        str(value)[:80],
                        f"{param.name!r} is not valid JSON: {exc.message}",
                        jp.join(param.site, "content") if param.site else "",
                    )
                    return
        else:
            value = params.coerce(value, _schema_of(index, param), _resolver(index))
        self._validate(index, param.schema_pointer, value, location, part, pointer)

    def _security(self, op: OperationSpec, request: Request, query: list[tuple[str, str]]) -> None:
        """One of the requirements in effect must be met, every scheme in it present (and an
        HTTP scheme's Authorization header naming that scheme)."""
        requirements = op.security
        if not requirements:
            return
        first_missing: tuple[Part, str, str, str] | None = None
        for requirement in requirements:
            if not requirement.schemes:
                return  # an empty requirement means anonymous access is allowed
            missing = [
                m
                for name in requirement.names
                if (m := self._credential_missing(name, request, query)) is not None
            ]
            if not missing:
                return
            if first_missing is None:
                first_missing = missing[0]
        names = [" + ".join(r.names) for r in requirements]
        assert first_missing is not None
        part, pointer, _, message = first_missing
        self.add(
            "request",
            part,
            pointer,
            Kind.MISSING_PARAMETER,
            "credentials for " + " or ".join(names),
            None,
            message,
            op.security_pointer,
        )

    def _credential_missing(
        self, name: str, request: Request, query: list[tuple[str, str]]
    ) -> tuple[Part, str, str, str] | None:
        """(part, pointer, what is expected, why) when the scheme's credential is absent."""
        scheme = self.c.model.security_schemes.get(name)
        if scheme is None:
            return None  # undefined schemes are a lint finding, not a traffic one
        if scheme.type is SecurityType.API_KEY:
            key = scheme.key_name or ""
            at = "/" + key.replace("~", "~0").replace("/", "~1")
            if scheme.key_location is ParameterIn.HEADER:
                if request.header(key) is None:
                    return Part.HEADER, at, key, f"the API key header {key!r} ({name}) is missing"
            elif scheme.key_location is ParameterIn.QUERY:
                if not any(k == key for k, _ in query):
                    return Part.QUERY, at, key, f"the API key parameter {key!r} ({name}) is missing"
            elif scheme.key_location is ParameterIn.COOKIE:
                if key not in params.cookies(request.header_values("Cookie")):
                    return Part.COOKIE, at, key, f"the API key cookie {key!r} ({name}) is missing"
            return None
        if scheme.type in (SecurityType.OAUTH2, SecurityType.OPEN_ID_CONNECT):
            # an access token: in the Authorization header (of whichever token type), or
            # in the `access_token` query parameter RFC 6750 also allows
            if request.header("Authorization") is None and not any(
                k == "access_token" for k, _ in query
            ):
                return (
                    Part.HEADER,
                    "/Authorization",
                    "an access token",
                    "the operation requires authentication and the request carries none",
                )
            return None
        if scheme.type is SecurityType.HTTP:
            wanted = scheme.scheme or "bearer"
            value = request.header("Authorization")
            if value is None:
                return (
                    Part.HEADER,
                    "/Authorization",
                    wanted,
                    "the operation requires authentication and the request carries none",
                )
            given = value.strip().split(" ", 1)[0].lower()
            if given != wanted.lower():
                return (
                    Part.HEADER,
                    "/Authorization",
                    wanted,
                    f"the Authorization header uses the {given!r} scheme where {name} needs "
                    f"{wanted!r}",
                )
        return None

    # -- bodies ----------------------------------------------------------------------------
    def _body(
        self,
        location: str,
        content: tuple[ContentSpec, ...],
        required: bool,
        holder_pointer: str | None,
        message: Message,
        index: SchemaIndex,
    ) -> None:
        holder = holder_pointer or (self.op.pointer if self.op else "")
        if not message.has_body:
            if required and content:
                self.add(
                    location,
                    Part.BODY,
                    "",
                    Kind.MISSING_REQUIRED,
                    "a body",
                    None,
                    f"the {location} has no body, but one is required",
                    holder,
                )
            return
        if not content:
            self.add(
                location,
                Part.BODY,
                "",
                Kind.OTHER,
                "no body",
                json_type(message.body) if message.body is not NO_BODY else "text",
                "a body was sent where the spec documents none",
                holder,
            )
            return
        media_type = message.header("Content-Type")
        if media_type is None:
            # a JSON value given as such needs no header; raw text does
            chosen = next((c for c in content if is_json(c.media_type)), None)
            problem = "the body has no Content-Type header" if message.body is NO_BODY else None
        else:
            names = [c.media_type for c in content]
            best = best_match(names, media_type)
            chosen = None if best is None else content[names.index(best)]
            problem = None if chosen else f"Content-Type {media_type!r} is not documented here"
        if problem is not None:
            self.add(
                location,
                Part.CONTENT_TYPE,
                "",
                Kind.WRONG_CONTENT_TYPE,
                [c.media_type for c in content],
                media_type,
                problem,
                jp.join(holder, "content"),
            )
            return
        if chosen is None:
            return
        content_pointer = (
            chosen.model.loc.pointer
            if chosen.model is not None
            else jp.join(holder, "content", chosen.media_type)
        )
        actual = media_type or chosen.media_type
        kind = classify(chosen.media_type)
        if kind is MediaKind.ANY:
            kind = classify(actual)
        if message.body is not NO_BODY:  # a value given as such: JSON
            if chosen.schema_pointer is not None:
                self._validate(index, chosen.schema_pointer, message.body, location, Part.BODY, "")
            return
        raw = message.raw or b""
        try:
            self._content_length(location, message, raw)
            data = bodies.decode_content(
                raw, message.header("Content-Encoding"), message.maybe_decoded
            )
            self._read_body(location, kind, data, actual, chosen, index, content_pointer)
        except bodies.BodyProblem as trouble:
            self.add(
                location,
                Part.BODY,
                trouble.pointer,
                Kind(trouble.kind),
                trouble.expected,
                trouble.actual,
                trouble.message,
                content_pointer,
            )

    def _content_length(self, location: str, message: Message, raw: bytes) -> None:
        declared = message.header("Content-Length")
        if declared is None or message.maybe_decoded or (message.data is None and not message.text):
            return
        if declared.strip().isdigit() and int(declared) != len(raw):
            self.add(
                location,
                Part.HEADER,
                "/Content-Length",
                Kind.OTHER,
                len(raw),
                int(declared),
                f"Content-Length says {int(declared)} bytes, the body has {len(raw)}",
                "",
            )

    def _read_body(
        self,
        location: str,
        kind: MediaKind,
        data: bytes,
        actual: str,
        chosen: ContentSpec,
        index: SchemaIndex,
        content_pointer: str,
    ) -> None:
        pointer = chosen.schema_pointer
        schema = _schema_at(index, pointer)
        resolve = _resolver(index)
        if kind is MediaKind.JSON:
            try:
                value = jsontext.loads(data)
            except jsontext.JsonTextError as exc:
                text = data[:80].decode("utf-8", "replace")
                raise bodies.BodyProblem(
                    "invalid_json",
                    "JSON",
                    text + ("..." if len(data) > 80 else ""),
                    f"the body is not valid JSON: {exc.message}",
                ) from None
            if pointer is not None:
                self._validate(index, pointer, value, location, Part.BODY, "")
            return
        if kind in (MediaKind.FORM, MediaKind.MULTIPART) and chosen.model is not None:
            if kind is MediaKind.FORM:
                read = bodies.read_form(data, chosen.model, schema, resolve)
            else:
                read = bodies.read_multipart(data, actual, chosen.model, schema, resolve)
            for problem in read.problems:
                self.add(
                    location,
                    Part.BODY,
                    problem.pointer,
                    Kind(problem.kind),
                    problem.expected,
                    problem.actual,
                    problem.message,
                    problem.schema_pointer or content_pointer,
                )
            if pointer is not None:
                self._validate(index, pointer, read.value, location, Part.BODY, "")
            return
        if kind is MediaKind.TEXT or kind is MediaKind.FORM:
            text = bodies.read_text(data, actual)
            if pointer is not None and _applies_to_text(schema, resolve):
                value = params.coerce(text, schema, resolve)
                self._validate(index, pointer, value, location, Part.BODY, "")
            return
        # binary (and multipart without a model): media type and size
        why = bodies.sniff(data, actual)
        if why is not None:
            self.add(
                location,
                Part.BODY,
                "",
                Kind.WRONG_CONTENT_TYPE,
                actual,
                data[:8].hex(" ").upper(),
                why,
                content_pointer,
            )
        target_pointer, target = index.resolved(pointer) if pointer is not None else ("", None)
        limit = bodies.size_problem(len(data), target)
        if limit is not None:
            keyword, expected, _ = limit
            self.add(
                location,
                Part.BODY,
                "",
                Kind.OUT_OF_RANGE,
                expected,
                len(data),
                f"the body has {len(data)} bytes, {expected} allowed",
                jp.join(target_pointer, keyword),
            )

    def _response(self, op: OperationSpec, response: Response) -> None:
        spec = op.response_for(response.status)
        if spec is None:
            documented = sorted(op.responses)
            self.add(
                "response",
                Part.STATUS,
                "",
                Kind.UNDOCUMENTED_STATUS,
                documented,
                response.status,
                f"status {response.status} is not documented for this operation",
                jp.join(op.pointer, "responses"),
            )
            return
        index = self.c.response_schemas
        resolve = _resolver(index)
        if spec.headers:
            sent: dict[str, list[str]] = {}
            for name, text in response.headers:
                sent.setdefault(name.lower(), []).append(text)
            for header, wire in self.c.header_plan(spec):
                values = sent.get(header.name.lower(), [])
                if header.content_type is not None:
                    value: Any = ",".join(values)
                else:
                    value = params.read_header(wire, values, resolve) if values else None
                self._parameter("response", Part.HEADER, header, bool(values), value, index)
        self._body(
            "response",
            spec.content,
            bool(spec.content) and response.status != 204 and str(response.status)[0] == "2",
            spec.pointer,
            response,
            index,
        )

    # -- schema validation -----------------------------------------------------------------
    def _validate(
        self, index: SchemaIndex, pointer: str, value: Any, location: str, part: Part, base: str
    ) -> None:
        validator = index.validator(pointer)
        try:
            if validator.is_valid(value):
                return
        except UnicodeEncodeError:
            self.add(
                location,
                part,
                base,
                Kind.INVALID_JSON,
                "valid Unicode text",
                "a lone surrogate",
                "the value holds a lone surrogate, which no JSON text sent over the wire can carry",
                "",
            )
            return
        try:
            errors = list(validator.iter_errors(value))
        except ValueError as exc:  # jsonschema-rs cannot hand back a value this deep
            if "recursion" not in str(exc).lower():
                raise
            from generator.contract import deep  # the jsonschema library: rarely needed

            errors = deep.errors(index, pointer, value)
        if not errors:
            self.add(
                location,
                part,
                base,
                Kind.OTHER,
                "a valid value",
                None,
                "the value does not match its schema, but the checker could not say where",
                pointer,
            )
        for error in errors:
            self._translate(index, error, value, location, part, base, depth=0)

    def _translate(
        self,
        index: SchemaIndex,
        error: Any,
        root_value: Any,
        location: str,
        part: Part,
        base: str,
        depth: int,
    ) -> None:
        kind = error.kind
        keyword = kind.name
        at = base + jp.from_parts(_instance_path(root_value, error))
        converted, schema_pointer = index.locate(list(error.schema_path))
        instance = error.instance
        if keyword in ("anyOf", "oneOf") and depth < 8 and getattr(kind, "context", None):
            context = [list(errors) for errors in kind.context]
            chosen = self._discriminated(index, converted, instance, context)
            if chosen is not None:
                if chosen:  # the branch the discriminator selects: its own findings
                    for inner in chosen:
                        self._translate(index, inner, root_value, location, part, base, depth + 1)
                return
            branch = _closest_branch(context, len(list(error.instance_path)))
            if branch:
                for inner in branch:
                    self._translate(index, inner, root_value, location, part, base, depth + 1)
                return
        if keyword == "oneOf" and (matched := _matching_branches(index, converted, kind)):
            discriminator = index.converted.discriminators.get(converted.rsplit("/", 1)[0])
            hint = (
                f"; its discriminator {discriminator.property!r} does not change that (OpenAPI): "
                "make the branches exclusive"
                if discriminator is not None
                else ""
            )
            self.add(
                location,
                part,
                at,
                Kind.OTHER,
                "exactly one oneOf branch",
                matched,
                f"the value matches {len(matched)} branches of oneOf ({', '.join(matched)}), "
                f"where exactly one must match{hint}",
                schema_pointer,
            )
        elif keyword == OAS30_INTEGER:
            self.add(
                location,
                part,
                at,
                Kind.WRONG_TYPE,
                "integer",
                "number",
                str(getattr(kind, "message", None) or error.message),
                schema_pointer.rsplit("/", 1)[0] + "/type",
            )
        elif keyword == "required":
            name = str(kind.property)
            self.add(
                location,
                part,
                jp.join(at, name),
                Kind.MISSING_REQUIRED,
                name,
                None,
                f"required property {name!r} is missing",
                schema_pointer,
            )
        elif keyword in ("additionalProperties", "unevaluatedProperties"):
            for name in kind.unexpected:
                actual = instance.get(name) if isinstance(instance, dict) else None
                self.add(
                    location,
                    part,
                    jp.join(at, str(name)),
                    Kind.UNEXPECTED_PROPERTY,
                    "no such property (the object is closed)",
                    actual,
                    f"property {name!r} is not allowed here",
                    schema_pointer,
                )
        elif keyword == "falseSchema":
            prop = schema_pointer.rsplit("/", 1)[-1]
            hidden = "read-only" if location == "request" else "write-only"
            self.add(
                location,
                part,
                at,
                Kind.UNEXPECTED_PROPERTY,
                f"absent ({hidden})",
                instance,
                f"{hidden} property {jp.unescape(prop)!r} must not appear in a {location}",
                schema_pointer,
            )
        elif keyword == "type":
            types = list(kind.types)
            self.add(
                location,
                part,
                at,
                Kind.WRONG_TYPE,
                types[0] if len(types) == 1 else types,
                json_type(instance),
                error.message,
                schema_pointer,
            )
        elif keyword in ("enum", "const"):
            expected = list(kind.options) if keyword == "enum" else kind.expected_value
            self.add(
                location,
                part,
                at,
                Kind.NOT_IN_ENUM,
                expected,
                instance,
                error.message,
                schema_pointer,
            )
        elif keyword == "format" or schema_pointer.endswith("/format"):
            form = kind.format if keyword == "format" else _format_at(index, converted)
            self.add(
                location,
                part,
                at,
                Kind.BAD_FORMAT,
                form,
                instance,
                error.message if keyword == "format" else f"{_short(instance)} is outside {form}",
                schema_pointer,
            )
        elif keyword == "propertyNames" and getattr(kind, "error", None) is not None:
            inner = kind.error
            name = str(inner.instance)
            mapped = {
                "pattern": Kind.PATTERN_MISMATCH,
                "enum": Kind.NOT_IN_ENUM,
                "const": Kind.NOT_IN_ENUM,
            }.get(inner.kind.name)
            if mapped is None:
                mapped = Kind.OUT_OF_RANGE if inner.kind.name in _RANGE_KEYWORDS else Kind.OTHER
            _, inner_pointer = index.locate(list(inner.schema_path))
            self.add(
                location,
                part,
                jp.join(at, name),
                mapped,
                getattr(inner.kind, "pattern", inner.kind.name),
                name,
                f"property name {name!r} is not allowed here: {inner.message}",
                inner_pointer,
            )
        elif keyword == "pattern":
            self.add(
                location,
                part,
                at,
                Kind.PATTERN_MISMATCH,
                kind.pattern,
                instance,
                error.message,
                schema_pointer,
            )
        elif keyword in _RANGE_KEYWORDS:
            limit = getattr(kind, "limit", None)
            if limit is None:
                limit = getattr(kind, "multiple_of", None)
            self.add(
                location,
                part,
                at,
                Kind.OUT_OF_RANGE,
                _RANGE_KEYWORDS[keyword].format(limit),
                instance,
                error.message,
                schema_pointer,
            )
        else:
            self.add(
                location, part, at, Kind.OTHER, keyword, instance, error.message, schema_pointer
            )

    def _discriminated(
        self, index: SchemaIndex, converted: str, instance: Any, context: list[list[Any]]
    ) -> list[Any] | None:
        """For a failed oneOf/anyOf with a discriminator: the errors to report instead. []
        when the discriminator constraints report it already: the property is missing or
        names no schema (which branch was meant is then a guess), or the branch it names
        fails. None when the discriminator does not decide: no discriminator, a value naming
        a schema in another document, or a selected branch that matches (oneOf failed for
        matching several)."""
        holder = converted.rsplit("/", 1)[0]
        found = index.converted.discriminators.get(holder)
        if found is None or not isinstance(instance, dict):
            return None
        value = instance.get(found.property)
        if not isinstance(value, str) or value not in found.known:
            return []
        if value not in found.targets:
            return None
        branches = index.schema_at(converted)
        if not isinstance(branches, list):
            return None
        target = found.targets[value]
        for position, branch in enumerate(branches):
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            pointer = urllib.parse.unquote(ref[1:]) if isinstance(ref, str) else None
            if pointer == target and position < len(context):
                if context[position]:
                    return []  # the selected branch fails: the `then` it selects reports it
                return None  # it matches, so oneOf failed for matching several: say that
        return None


def _matching_branches(index: SchemaIndex, converted: str, kind: Any) -> list[str]:
    """The branches a oneOf value matched, when it failed for matching several (each named by
    its component schema when it is a `$ref` to one, else by its position)."""
    context = getattr(kind, "context", None)
    if not context:
        return []
    branches = index.schema_at(converted)
    names = []
    for position, errors in enumerate(context):
        if list(errors):
            continue
        branch = branches[position] if isinstance(branches, list) else None
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        names.append(
            jp.unescape(urllib.parse.unquote(ref.rsplit("/", 1)[-1]))
            if isinstance(ref, str)
            else f"#{position}"
        )
    return names if len(names) > 1 else []


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _applies_to_text(schema: Any, resolve: params.Resolver) -> bool:
    """Whether a text body's schema judges the text itself (a string, a number or boolean
    written as text, or anything); an object or array schema describes XML or another
    structure the checker does not parse (`text_schema_problems` says so once)."""
    return not (resolve.kinds(schema) & {"object", "array"})


def text_schema_problems(model: OpenApi) -> list[Finding]:
    """One note per text media type whose schema is an object or array: such bodies are
    checked for media type and charset, not against the schema."""
    found = []
    for op in model.operations:
        holders = [m for r in op.responses for m in r.content]
        if op.request_body is not None:
            holders.extend(op.request_body.content)
        for media in holders:
            schema = media.schema.value if media.schema is not None else None
            if media.kind is not MediaKind.TEXT or not isinstance(schema, dict):
                continue
            if {"object", "array"} & set(_types(schema)) or "properties" in schema:
                found.append(
                    media.loc.finding(
                        "body-schema-not-applied",
                        f"{media.name} bodies are checked for their media type and charset; "
                        "their schema describes a structure (an object or array) the checker "
                        "does not read from text, so it is not applied",
                        Severity.INFO,
                    )
                )
    return found


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _format_at(index: SchemaIndex, converted: str) -> str:
    """The format a range check the conversion added stands for."""
    holder = converted.rsplit("/allOf/", 1)[0]
    schema = index.schema_at(holder)
    return str(schema.get("format")) if isinstance(schema, dict) else "format"


def _schema_at(index: SchemaIndex, pointer: str | None) -> Any:
    return index.schema_at(pointer) if pointer is not None else None


def _schema_of(index: SchemaIndex, param: ParamSpec) -> Any:
    """A parameter's schema as converted (readOnly, 3.0 nullable and the rest applied)."""
    if param.schema_pointer is None:
        return param.schema
    found = index.schema_at(param.schema_pointer)
    return found if found is not None else param.schema


def _resolver(index: SchemaIndex) -> params.Resolver:
    return index.resolver


def _instance_path(root: Any, error: Any) -> list[str | int]:
    """Where in the value an error is. jsonschema-rs leaves properties named "" out of its
    `instance_path` (`{"": "x"}` failing `type` under `additionalProperties` comes back as
    the root): when the value has such a property on the way, the path is found again by
    walking the value, adding "" where it leads to the value the error holds."""
    parts = list(error.instance_path)
    node = root
    for step in parts:
        if isinstance(node, dict) and "" in node:
            break
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return parts
    else:
        if not (isinstance(node, dict) and "" in node):
            return parts  # no property named "" on the way: the path is as given
    instance = error.instance
    stack: list[tuple[Any, int, list[str | int]]] = [(root, 0, [])]
    while stack:
        node, done, path = stack.pop()
        if done == len(parts) and _same(node, instance):
            return path
        if isinstance(node, dict) and "" in node:
            stack.append((node[""], done, [*path, ""]))
        if done < len(parts):
            try:
                stack.append((node[parts[done]], done + 1, [*path, parts[done]]))
            except (KeyError, IndexError, TypeError):
                pass
    return parts


def _same(value: Any, instance: Any) -> bool:
    """Whether a value is the one an error holds (JSON equality: true is not 1)."""
    if isinstance(value, bool) or isinstance(instance, bool):
        return value is instance
    try:
        return bool(value == instance)
    except Exception:  # values that cannot be compared are not the same
        return False


def _closest_branch(context: list[list[Any]], base_depth: int) -> list[Any] | None:
    """The branch of a failed anyOf/oneOf that came closest. A branch is further away when the
    value's own type does not fit it, or a `enum`/`const` on it or its immediate properties
    (a tag such as v1's `success`) rejects it; then fewer errors, then deeper ones, then the
    earlier branch. Depths count from the value the anyOf/oneOf judges (`base_depth` is its
    own depth in the document), wherever it sits."""
    best: tuple[int, int, int, int, int] | None = None
    chosen: list[Any] | None = None
    for position, errors in enumerate(context):
        if not errors:
            continue
        depth = [len(list(e.instance_path)) - base_depth for e in errors]
        type_miss = sum(
            1 for e, d in zip(errors, depth, strict=True) if e.kind.name == "type" and d == 0
        )
        tag_miss = sum(
            1
            for e, d in zip(errors, depth, strict=True)
            if e.kind.name in ("enum", "const") and d <= 1
        )
        rank = (type_miss, tag_miss, len(errors), -max(depth), position)
        if best is None or rank < best:
            best, chosen = rank, errors
    return chosen

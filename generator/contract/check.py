"""Check exchanges against a spec: exchange -> operation -> findings. Every difference is
reported, not only the first, each located in the traffic (pointer) and in the spec
(schema_pointer)."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import Any

import orjson

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
from generator.contract.operations import ContentSpec, OperationIndex, OperationSpec, ParamSpec
from generator.load import pointer as jp
from generator.load.parse import DEFAULT_LIMITS, Limits
from generator.load.shape import mapping
from generator.load.workspace import Workspace
from generator.openapi.build import build_model
from generator.openapi.dialect import require_dialect
from generator.openapi.media import best_match, is_json
from generator.openapi.model import OpenApi, ParameterIn, SecurityType

_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")

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


class Contract:
    """A spec compiled for checking traffic. Load once, check any number of exchanges."""

    def __init__(self, workspace: Workspace, model: OpenApi | None = None) -> None:
        self.workspace = workspace
        self.model = model if model is not None else build_model(workspace)
        self.spec = workspace.root.display
        self.operations = OperationIndex(self.model)
        self.request_schemas = SchemaIndex(convert(self.model, "request"))
        self.response_schemas = SchemaIndex(convert(self.model, "response"))

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        allow_remote: tuple[str, ...] = (),
        limits: Limits = DEFAULT_LIMITS,
    ) -> Contract:
        """Raises generator.findings.InputError when the spec cannot be read, parsed, or is
        not an OpenAPI 3.0/3.1 document."""
        workspace = Workspace.open(Path(path), str(path), allow_remote, limits)
        require_dialect(workspace.root)
        return cls(workspace)

    # -- public API ------------------------------------------------------------------------
    def check(self, exchange: Exchange) -> ExchangeResult:
        return _Checker(self, exchange).run()

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
                "#" + schema_pointer if schema_pointer else "",
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
        query: dict[str, list[str]] = {}
        for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        self._request_parameters(op, variables, query, request)
        self._security(op, request)
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
        query: dict[str, list[str]],
        request: Request,
    ) -> None:
        for param in op.parameters:
            if param.location == "path":
                values = [variables[param.name]] if param.name in variables else []
                part = Part.PATH
            elif param.location == "query":
                values = query.get(param.name, [])
                part = Part.QUERY
            elif param.location == "header":
                values = request.header_values(param.name)
                part = Part.HEADER
            else:
                continue
            self._parameter("request", part, param, values, self.c.request_schemas)

    def _parameter(
        self, location: str, part: Part, param: ParamSpec, values: list[str], index: SchemaIndex
    ) -> None:
        pointer = param.pointer
        if not values:
            if param.required:
                what = "header" if part is Part.HEADER else f"{part.value} parameter"
                self.add(
                    location,
                    part,
                    pointer,
                    Kind.MISSING_PARAMETER,
                    param.name,
                    None,
                    f"required {what} {param.name!r} is missing",
                    param.schema_pointer.rsplit("/schema", 1)[0] if param.schema_pointer else "",
                )
            return
        if param.schema_pointer is None:
            return
        value = _coerce(values, param)
        self._validate(index, param.schema_pointer, value, location, part, pointer)

    def _security(self, op: OperationSpec, request: Request) -> None:
        requirements = op.security
        if not requirements:
            return
        for requirement in requirements:
            if not requirement.schemes:
                return  # an empty requirement means anonymous access is allowed
            if all(self._credential_present(name, request) for name in requirement.names):
                return
        names = [n for r in requirements for n in r.names]
        self.add(
            "request",
            Part.HEADER,
            "/Authorization",
            Kind.MISSING_PARAMETER,
            "credentials for " + " or ".join(names),
            None,
            "the operation requires authentication and the request carries none",
            op.security_pointer,
        )

    def _credential_present(self, name: str, request: Request) -> bool:
        scheme = self.c.model.security_schemes.get(name)
        if scheme is None:
            return True  # undefined schemes are a lint finding, not a traffic one
        if scheme.type is SecurityType.API_KEY:
            key = scheme.key_name or ""
            if scheme.key_location is ParameterIn.HEADER:
                return request.header(key) is not None
            if scheme.key_location is ParameterIn.QUERY:
                query = urllib.parse.urlsplit(request.url).query
                return key in urllib.parse.parse_qs(query, keep_blank_values=True)
            return True
        if scheme.type in (SecurityType.HTTP, SecurityType.OAUTH2, SecurityType.OPEN_ID_CONNECT):
            return request.header("Authorization") is not None
        return True

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
        if chosen is None or not is_json(chosen.media_type):
            return
        value = message.body
        if value is NO_BODY:
            try:
                value = orjson.loads(message.text or "")  # strict JSON: no NaN or Infinity
            except orjson.JSONDecodeError as exc:
                text = message.text or ""
                self.add(
                    location,
                    Part.BODY,
                    "",
                    Kind.INVALID_JSON,
                    "JSON",
                    text[:80] + ("..." if len(text) > 80 else ""),
                    f"the body is not valid JSON: {exc}",
                    jp.join(holder, "content"),
                )
                return
        if chosen.schema_pointer is not None:
            self._validate(index, chosen.schema_pointer, value, location, Part.BODY, "")

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
        for header in spec.headers:
            self._parameter(
                "response",
                Part.HEADER,
                header,
                response.header_values(header.name),
                self.c.response_schemas,
            )
        self._body(
            "response",
            spec.content,
            bool(spec.content) and response.status != 204 and str(response.status)[0] == "2",
            spec.pointer,
            response,
            self.c.response_schemas,
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
        for error in validator.iter_errors(value):
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
        at = base + jp.from_parts(error.instance_path)
        converted, schema_pointer = index.locate(list(error.schema_path))
        instance = error.instance
        if keyword in ("anyOf", "oneOf") and depth < 8 and getattr(kind, "context", None):
            branch = _closest_branch(kind.context, instance)
            if branch:
                for inner in branch:
                    self._translate(index, inner, root_value, location, part, base, depth + 1)
                return
        if keyword == "required":
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
        elif keyword == "format":
            self.add(
                location,
                part,
                at,
                Kind.BAD_FORMAT,
                kind.format,
                instance,
                error.message,
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
        del converted


def _closest_branch(context: Any, instance: Any) -> list[Any] | None:
    """The branch of a failed anyOf/oneOf that came closest. A branch is further away when the
    value's own type does not fit it, or a top-level `enum`/`const` (a discriminator such as
    v1's `success`) rejects it; then fewer errors, then deeper ones, then the earlier branch."""
    best: tuple[int, int, int, int, int] | None = None
    chosen: list[Any] | None = None
    for position, errors in enumerate(context):
        errors = list(errors)
        if not errors:
            continue
        depth = [len(list(e.instance_path)) for e in errors]
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


def _coerce(values: list[str], param: ParamSpec) -> Any:
    """Wire strings to the JSON value the schema describes, so the schema can judge it."""
    schema = param.schema
    kind = _main_type(schema)
    if kind == "array":
        items = mapping(schema.get("items"))
        raw: list[str] = []
        for value in values:
            raw.extend(
                value.split(",") if not param.explode or param.location != "query" else [value]
            )
        return [_scalar(v, items) for v in raw]
    return _scalar(values[0], schema)


def _main_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _scalar(value: str, schema: dict[str, Any]) -> Any:
    kind = _main_type(schema)
    if kind == "integer" and _INTEGER.fullmatch(value):
        return int(value)
    if kind == "number" and _NUMBER.fullmatch(value):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value

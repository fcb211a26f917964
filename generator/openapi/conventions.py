"""API conventions as data: what the generated client, the generated server and the fake honour
beyond what OpenAPI itself can say (how errors are shaped, which header carries an idempotency
key, how lists are paged).

Each convention is decided once per spec, in this order:
1. `[[tool.apicontract.specs]] conventions = {...}` in pyproject.toml (for specs you do not
   own);
2. the spec's root extension `x-apicontract-conventions: {...}` (same keys);
3. a guess from names and shapes in the spec, documented below, used only when neither says
   anything. Every decision keeps where it came from (`Choice`), so guesses are shown in the
   generated manifest and by `apicontract conventions SPEC`, never hidden.

Keys (all optional), each with what is guessed when nothing says:
* `error-shape`: `typed-errors` (`{type, errors: [{code, parameter, message}], retryable}`),
  `reasons` (`{success: false, reasons: [{code, message}]}`) or `plain`; guessed from the
  properties of the 4xx/5xx JSON bodies.
* `success-field`: a boolean body field that is `false` on in-band failures (v1's HTTP 200
  `success: false`); guessed from a boolean error property whose enum is `[false]`.
* `retryable-field`: a boolean error field saying whether a retry may succeed; guessed from an
  error property `retryable`.
* `idempotency-header`: the request header carrying an idempotency key; guessed from a header
  parameter `Idempotency-Key`.
* `track-header`: a caller-chosen correlation id echoed back; guessed from a header parameter
  ending in `track-id`.
* `request-id-header`: the response header naming the request; guessed from a response header
  ending in `request-id`.
* `entity-header`: the request header naming the tenant entity acted on; guessed from a header
  parameter ending in `entity-id` or `entity-ids`.
* `pagination`: `{cursor-parameter, next-field, items-field}`: a list's next page is asked for
  with the cursor query parameter, whose value the page's `next-field` gives; its items are in
  `items-field`. Guessed from a GET taking `cursor` whose 200 body has `next_page` and `data`.

An operation may say `x-apicontract-pagination: false` to opt out of paging, or give its own
`{cursor-parameter, next-field, items-field}`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.findings import Finding, Severity
from generator.load.workspace import Loc, RefProblem, Workspace
from generator.openapi.media import MediaKind
from generator.openapi.model import OpenApi, Operation, OperationKind, ParameterIn

EXTENSION = "x-apicontract-conventions"
OPERATION_PAGINATION = "x-apicontract-pagination"


class ErrorShape(enum.StrEnum):
    TYPED_ERRORS = "typed-errors"
    REASONS = "reasons"
    PLAIN = "plain"


class Source(enum.StrEnum):
    CONFIG = "config"
    SPEC = "spec"
    GUESSED = "guessed"
    DEFAULT = "default"


@dataclass(frozen=True)
class Choice:
    """One decided convention: its key, its value (None: the API has no such thing), where
    the decision came from, and why."""

    key: str
    value: Any
    source: Source
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "source": self.source.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Pagination:
    cursor_parameter: str
    next_field: str
    items_field: str


@dataclass(frozen=True)
class Conventions:
    error_shape: ErrorShape = ErrorShape.PLAIN
    success_field: str | None = None
    retryable_field: str | None = None
    idempotency_header: str | None = None
    track_header: str | None = None
    request_id_header: str | None = None
    entity_header: str | None = None
    pagination: Pagination | None = None
    choices: tuple[Choice, ...] = ()
    problems: tuple[Finding, ...] = ()
    _operation_pagination: Mapping[tuple[str, str], Pagination | None] = field(
        default_factory=dict, repr=False
    )

    def pagination_for(self, op: Operation) -> Pagination | None:
        """The paging convention of one operation (its own extension, else the API's)."""
        key = (op.method, op.path)
        if key in self._operation_pagination:
            return self._operation_pagination[key]
        return self.pagination


KEYS = (
    "error-shape",
    "success-field",
    "retryable-field",
    "idempotency-header",
    "track-header",
    "request-id-header",
    "entity-header",
    "pagination",
)
PAGINATION_KEYS = ("cursor-parameter", "next-field", "items-field")


class _Decider:
    def __init__(self, workspace: Workspace, model: OpenApi, config: Mapping[str, Any]) -> None:
        self.ws = workspace
        self.model = model
        self.config = config
        extension = model.extensions.get(EXTENSION)
        self.spec_loc = model.root.child(EXTENSION)
        self.problems: list[Finding] = []
        self.declared: dict[str, Any] = {}
        if extension is not None:
            if isinstance(extension, dict):
                self.declared = extension
            else:
                self.problems.append(
                    self.spec_loc.finding(
                        "conventions-invalid", f"{EXTENSION} must be a mapping of conventions"
                    )
                )
        for key in self.declared:
            if key not in KEYS:
                self.problems.append(
                    self.spec_loc.child(key).finding(
                        "conventions-invalid",
                        f"unknown convention {key!r}; known: {', '.join(KEYS)}",
                    )
                )
        self.choices: list[Choice] = []

    # -- one decision ----------------------------------------------------------------------------
    def decide(self, key: str, guess: tuple[Any, str]) -> Any:
        if key in self.config:
            value, source, reason = self.config[key], Source.CONFIG, "set in [tool.apicontract]"
        elif key in self.declared:
            line = self.spec_loc.child(key).line
            value, source = self.declared[key], Source.SPEC
            reason = f"declared by {EXTENSION} ({self.model.root.doc.display}:{line})"
        else:
            value, reason = guess
            source = Source.GUESSED if value is not None else Source.DEFAULT
        self.choices.append(Choice(key, value, source, reason))
        return value

    # -- guesses ---------------------------------------------------------------------------------
    def path_operations(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.model.operations if op.kind is OperationKind.PATH)

    def error_properties(self) -> list[dict[str, Any]]:
        """The properties of every 4xx/5xx JSON body schema (refs followed)."""
        found: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for op in self.path_operations():
            for response in op.responses:
                if response.status[:1] not in ("4", "5"):
                    continue
                for media in response.content:
                    schema = media.schema
                    if media.kind is not MediaKind.JSON or schema is None:
                        continue
                    if schema.target.key in seen or not isinstance(schema.value, dict):
                        continue
                    seen.add(schema.target.key)
                    props = schema.value.get("properties")
                    if isinstance(props, dict):
                        found.append(
                            {
                                name: self.follow(schema.target.child("properties", name), prop)
                                for name, prop in props.items()
                            }
                        )
        return found

    def follow(self, loc: Loc, value: Any) -> Any:
        try:
            return self.ws.deref(loc.doc, loc.pointer, value)[2]
        except RefProblem:
            return None

    def guess_shape(self, errors: list[dict[str, Any]]) -> tuple[Any, str]:
        shape, reason = None, "no 4xx/5xx JSON body has a recognisable shape"
        for props in errors:
            if {"type", "errors", "retryable"} <= set(props):
                return "typed-errors", "an error body has `type`, `errors` and `retryable`"
            if {"success", "reasons"} <= set(props) and shape is None:
                shape, reason = "reasons", "an error body has `success` and `reasons`"
        return (shape or "plain"), reason

    def guess_flag(self, errors: list[dict[str, Any]], key: str) -> tuple[Any, str]:
        for props in errors:
            for name, prop in props.items():
                if not isinstance(prop, dict) or prop.get("type") != "boolean":
                    continue
                if key == "success-field" and prop.get("enum") == [False]:
                    return name, f"error property {name!r} is a boolean that can only be false"
                if key == "retryable-field" and name == "retryable":
                    return name, "an error body has a boolean `retryable`"
        return None, "no error body has such a field"

    def request_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for op in self.path_operations():
            for param in (*op.parameters, *op.ignored_parameters):
                if param.location is ParameterIn.HEADER:
                    headers.setdefault(param.name.lower(), param.name)
        return dict(sorted(headers.items()))

    def guess_header(self, key: str) -> tuple[Any, str]:
        headers = self.request_headers()
        if key == "idempotency-header":
            found = headers.get("idempotency-key")
            return found, f"a header parameter named {found}" if found else "no such header"
        endings = {"track-header": ("track-id",), "entity-header": ("entity-id", "entity-ids")}
        if key in endings:
            for lower, wire in headers.items():
                if lower.endswith(endings[key]):
                    return wire, f"a header parameter named {wire}"
            return None, "no such header parameter"
        names = sorted(
            {h.name for op in self.path_operations() for r in op.responses for h in r.headers}
        )
        for name in names:
            if name.lower().endswith("request-id"):
                return name, f"a response header named {name}"
        return None, "no such response header"

    def guess_pagination(self) -> tuple[Any, str]:
        for op in self.path_operations():
            if op.method != "get" or op.parameter(ParameterIn.QUERY, "cursor") is None:
                continue
            response = op.response("200")
            for media in response.content if response is not None else ():
                value = media.schema.value if media.schema is not None else None
                props = value.get("properties") if isinstance(value, dict) else None
                if isinstance(props, dict) and "next_page" in props and "data" in props:
                    return (
                        {
                            "cursor-parameter": "cursor",
                            "next-field": "next_page",
                            "items-field": "data",
                        },
                        f"{op.endpoint} takes `cursor` and answers `next_page` and `data`",
                    )
        return None, "no list takes a `cursor` and answers `next_page` with `data`"

    # -- checks ----------------------------------------------------------------------------------
    def pagination(self, value: Any, where: Loc) -> Pagination | None:
        if value is None or value is False:
            return None
        if not isinstance(value, dict) or any(
            not isinstance(value.get(k), str) for k in PAGINATION_KEYS
        ):
            self.problems.append(
                where.finding(
                    "conventions-invalid",
                    "pagination needs string `cursor-parameter`, `next-field` and `items-field`",
                )
            )
            return None
        return Pagination(value["cursor-parameter"], value["next-field"], value["items-field"])

    def string(self, key: str, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.problems.append(
            self.spec_loc.child(key).finding("conventions-invalid", f"{key} must be a string")
        )
        return None

    def run(self) -> Conventions:
        errors = self.error_properties()
        shape_value = self.decide("error-shape", self.guess_shape(errors))
        try:
            shape = ErrorShape(shape_value)
        except ValueError:
            self.problems.append(
                self.spec_loc.child("error-shape").finding(
                    "conventions-invalid",
                    f"error-shape {shape_value!r} is not one of "
                    + ", ".join(s.value for s in ErrorShape),
                )
            )
            shape = ErrorShape.PLAIN
        values = {
            key: self.string(key, self.decide(key, self.guess_flag(errors, key)))
            for key in ("success-field", "retryable-field")
        }
        for key in ("idempotency-header", "track-header", "request-id-header", "entity-header"):
            values[key] = self.string(key, self.decide(key, self.guess_header(key)))
        api_pagination = self.pagination(
            self.decide("pagination", self.guess_pagination()), self.spec_loc.child("pagination")
        )
        per_operation: dict[tuple[str, str], Pagination | None] = {}
        for op in self.path_operations():
            if OPERATION_PAGINATION in op.extensions:
                per_operation[(op.method, op.path)] = self.pagination(
                    op.extensions[OPERATION_PAGINATION], op.loc.child(OPERATION_PAGINATION)
                )
        self.check_headers(values)
        return Conventions(
            error_shape=shape,
            success_field=values["success-field"],
            retryable_field=values["retryable-field"],
            idempotency_header=values["idempotency-header"],
            track_header=values["track-header"],
            request_id_header=values["request-id-header"],
            entity_header=values["entity-header"],
            pagination=api_pagination,
            choices=tuple(self.choices),
            problems=tuple(self.problems),
            _operation_pagination=per_operation,
        )

    def check_headers(self, values: dict[str, str | None]) -> None:
        """A declared header the spec never mentions is a typo more often than not."""
        request = {h.lower() for h in self.request_headers()}
        response = {
            h.name.lower() for op in self.path_operations() for r in op.responses for h in r.headers
        }
        for key in ("idempotency-header", "track-header", "entity-header", "request-id-header"):
            name = values[key]
            known = response if key == "request-id-header" else request
            choice = next(c for c in self.choices if c.key == key)
            if (
                name is not None
                and choice.source is not Source.GUESSED
                and name.lower() not in known
            ):
                self.problems.append(
                    self.spec_loc.child(key).finding(
                        "conventions-invalid",
                        f"{key} names {name!r}, which no operation of the spec "
                        f"{'answers' if key == 'request-id-header' else 'takes'}",
                        Severity.WARNING,
                    )
                )


def decide_conventions(
    workspace: Workspace, model: OpenApi, config: Mapping[str, Any] | None = None
) -> Conventions:
    """The conventions of one spec: configured, declared, else guessed (see the module doc)."""
    return _Decider(workspace, model, config or {}).run()

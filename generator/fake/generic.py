"""The fake's answers for any spec: stateful resources where the paths are resource-shaped,
the spec's examples (else data made from the response schema) everywhere else.

The spec is read through the shared OpenAPI model and the contract engine (its operations and
its converted response schemas), never walked here. A resource is a collection path taking a
POST (`/pets`, `/users/{user}/keys`) with an item path below it ending in one variable
(`/pets/{petId}`): the POST creates an item with a generated id (of the id field's type and
format), GET/PUT/PATCH/DELETE on the item path act on it (unknown ids get the documented 404),
and GET on the collection lists what was created, paged by the spec's pagination convention
where it has one (`generator.openapi.conventions`).

Every answer is checked against the documented response schema (the contract engine's
validator) before it is handed to the generated server, which checks it again. An operation
for which no conforming answer can be made raises NotImplementedError, which the generated
server answers with 501 naming the operation; `Plan.unanswerable` lists such operations at
start-up.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from generator.contract.check import Contract
from generator.contract.operations import OperationSpec
from generator.fake.datagen import CannotGenerate, Generator, unique_string
from generator.openapi.conventions import Conventions, Pagination
from generator.openapi.media import MediaKind
from generator.openapi.model import Operation, OperationKind, ParameterIn

#: query parameters read as a page size (the first one an operation takes)
PAGE_SIZE_PARAMETERS = ("page_size", "pageSize", "limit", "per_page", "perPage", "size")
DEFAULT_PAGE_SIZE = 20
#: error body properties (lower-cased) that get the HTTP status, and those that get the message
STATUS_FIELDS = frozenset({"status", "code", "status_code", "statuscode", "http_status"})
MESSAGE_FIELDS = frozenset(
    {"message", "title", "detail", "error", "description", "error_description", "msg"}
)
_ROLES_ON_ITEM = {"get": "read", "put": "replace", "patch": "update", "delete": "delete"}


@dataclass
class Resource:
    """A collection path and the item path below it."""

    collection: str
    item: str
    id_param: str
    #: the property of an item holding its id (None: the item schema has none)
    id_field: str | None = None
    #: the (converted) schema ids are made for
    id_schema: Mapping[str, Any] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


@dataclass
class Answer:
    """A precomputed answer: status, body (None: none), media type (None: JSON)."""

    status: int
    body: Any = None
    media: str | None = None


@dataclass
class OpPlan:
    model: Operation
    spec: OperationSpec
    role: str  # create | list | read | replace | update | delete | other
    resource: Resource | None
    success: int
    #: the answer of a stateless operation (and the fallback of a stateful one)
    static: Answer | None = None
    #: why no answer can be made (the operation is answered 501)
    unanswerable: str | None = None
    pagination: Pagination | None = None


def _success_status(op: Operation) -> int:
    for response in op.responses:
        if response.is_success and response.code is not None and response.code != 202:
            return response.code
    for response in op.responses:
        if response.is_success:
            return response.code or 200
    for response in op.responses:
        if response.code is not None:
            return response.code
    return 200


class Plan:
    """What the fake of one spec does per operation; built once per spec, shared by fakes."""

    def __init__(self, contract: Contract, conventions: Conventions | None = None) -> None:
        self.contract = contract
        self.conventions = conventions
        self.schemas = contract.response_schemas
        self._warm = False
        self.gen = Generator(self.schemas.converted.document)
        specs = {(s.method, s.path): s for s in contract.operations.operations}
        ops = [op for op in contract.model.operations if op.kind is OperationKind.PATH]
        self.resources = self._resources(ops)
        self.by_endpoint: dict[tuple[str, str], OpPlan] = {}
        for op in ops:
            spec = specs[(op.method.upper(), op.path)]
            role, resource = self._role(op)
            plan = OpPlan(op, spec, role, resource, _success_status(op))
            if conventions is not None and role == "list":
                paging = conventions.pagination_for(op)
                # paged only where the list takes the cursor (the convention is API-wide)
                if paging is not None and op.parameter(ParameterIn.QUERY, paging.cursor_parameter):
                    plan.pagination = paging
            try:
                plan.static = self._static(plan)
            except CannotGenerate as exc:
                plan.unanswerable = str(exc)
            self.by_endpoint[(op.method.upper(), op.path)] = plan
        for resource in self.resources.values():
            self._id_of(resource)

    # -- the resources -----------------------------------------------------------------------
    @staticmethod
    def _resources(ops: list[Operation]) -> dict[str, Resource]:
        methods: dict[str, set[str]] = {}
        for op in ops:
            methods.setdefault(op.path, set()).add(op.method)
        found: dict[str, Resource] = {}
        for path in sorted(methods):
            parent, _, last = path.rstrip("/").rpartition("/")
            if not (last.startswith("{") and last.endswith("}")) or not parent:
                continue
            if "post" not in methods.get(parent, set()):
                continue
            if not methods[path] & set(_ROLES_ON_ITEM):
                continue
            found[parent] = Resource(parent, path, last[1:-1])
        return found

    def _role(self, op: Operation) -> tuple[str, Resource | None]:
        if op.path in self.resources and op.method in ("post", "get"):
            return ("create" if op.method == "post" else "list"), self.resources[op.path]
        parent = op.path.rstrip("/").rpartition("/")[0]
        resource = self.resources.get(parent)
        if resource is not None and resource.item == op.path and op.method in _ROLES_ON_ITEM:
            return _ROLES_ON_ITEM[op.method], resource
        return "other", None

    def _id_of(self, resource: Resource) -> None:
        """The id field (a property of the item named like the path variable, or `id`) and
        the schema its values are made for."""
        item_schema: Mapping[str, Any] = {}
        for plan in self.by_endpoint.values():
            if plan.resource is resource and plan.role in ("read", "create"):
                schema = self.body_schema(plan, plan.success)
                if schema is not None:
                    try:
                        item_schema = self.gen._flatten(schema, 0)
                    except CannotGenerate:
                        continue
                    if plan.role == "read":
                        break
        properties = item_schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        name = resource.id_param
        stripped = name[:-2] if name.endswith("Id") else name[:-3] if name.endswith("_id") else ""
        for candidate in (name, "id", stripped + "_id", stripped + "Id"):
            if candidate in properties:
                resource.id_field = candidate
                try:
                    resource.id_schema = self.gen._flatten(properties[candidate], 0)
                except CannotGenerate:
                    resource.id_schema = {}
                return
        for plan in self.by_endpoint.values():
            if plan.resource is resource and plan.role == "read":
                param = plan.model.parameter(ParameterIn.PATH, name)
                schema = param.effective_schema if param is not None else None
                if schema is not None and isinstance(schema.value, Mapping):
                    resource.id_schema = schema.value
                return

    def new_id(self, resource: Resource) -> Any:
        number = next(resource.counter)
        schema = resource.id_schema
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "integer" in kinds or "number" in kinds:
            low = schema.get("minimum")
            start = int(low) if isinstance(low, int | float) and low > 1 else 1
            return start + number - 1
        try:
            return unique_string(schema, number)
        except CannotGenerate:
            return str(number)

    # -- schemas -----------------------------------------------------------------------------
    def body_schema(self, plan: OpPlan, status: int) -> Any:
        """The converted JSON schema of the (first JSON) body documented for `status`."""
        response = plan.spec.response_for(status)
        if response is None:
            return None
        for content in response.content:
            if _is_json(content.media_type) and content.schema_pointer is not None:
                return self.schemas.schema_at(content.schema_pointer)
        return None

    def conforms(self, plan: OpPlan, status: int, body: Any) -> bool:
        response = plan.spec.response_for(status)
        if response is None:
            return False
        pointers = [
            c.schema_pointer
            for c in response.content
            if _is_json(c.media_type) and c.schema_pointer is not None
        ]
        if not pointers:
            return True  # no schema to meet
        return any(self.schemas.validator(p).is_valid(body) for p in pointers)

    def make(self, plan: OpPlan, status: int, seed: Any = None) -> Any:
        """A conforming JSON body for `status`, seeded (None when no body is documented);
        raises CannotGenerate when none can be made."""
        schema = self.body_schema(plan, status)
        if schema is None:
            return None
        attempts = [seed, None] if seed is not None else [None]
        for attempt in attempts:
            try:
                value = (
                    self.gen.value(schema) if attempt is None else self.gen.value(schema, attempt)
                )
            except CannotGenerate:
                continue
            if self.conforms(plan, status, value):
                return value
        raise CannotGenerate(f"no value made for the {status} body conforms to its schema")

    def error_seed(self, plan: OpPlan, status: int, message: str) -> dict[str, Any]:
        """What an error body made from the schema documented for `status` should say: the
        status in the properties that name one, the message in those that carry one."""
        schema = self.body_schema(plan, status)
        try:
            flat = self.gen._flatten(schema, 0) if isinstance(schema, Mapping) else {}
        except CannotGenerate:
            flat = {}
        properties = flat.get("properties")
        seed: dict[str, Any] = {}
        for name, sub in properties.items() if isinstance(properties, Mapping) else ():
            try:
                kind = self.gen._flatten(sub, 0).get("type") if isinstance(sub, Mapping) else None
            except CannotGenerate:
                continue
            kinds = kind if isinstance(kind, list) else [kind]
            lower = name.lower()
            if lower in STATUS_FIELDS:
                seed[name] = status if "integer" in kinds or "number" in kinds else str(status)
            elif lower in MESSAGE_FIELDS and ("string" in kinds or kind is None):
                seed[name] = message
        return seed

    def error_body(self, plan: OpPlan, status: int, message: str, given: Any = None) -> Any:
        """An error body for `status` conforming to what `plan` documents for it: `given` when
        it conforms, else made from the documented schema and `error_seed`; `given` when no
        body is documented (raises CannotGenerate when none can be made)."""
        if plan.spec.response_for(status) is None or self.body_schema(plan, status) is None:
            return given
        if given is not None and self.conforms(plan, status, given):
            return given
        return self.make(plan, status, self.error_seed(plan, status, message))

    def _static(self, plan: OpPlan) -> Answer:
        """The answer of an operation from the spec's example, else made from its schema."""
        op, status = plan.model, plan.success
        response = op.response_for(status)
        if response is None or not response.content or status in (204, 304):
            return Answer(status)
        json_media = [m for m in response.content if m.kind is MediaKind.JSON]
        for media in json_media:
            for example in media.examples:
                if example.external is None and self.conforms(plan, status, example.value):
                    return Answer(status, copy.deepcopy(example.value))
        if json_media:
            return Answer(status, self.make(plan, status))
        for media in response.content:
            if media.schema is None or "*" in media.name:
                continue  # the generated server sends no body it has no type for
            for example in media.examples:
                if example.external is None and isinstance(example.value, str):
                    return Answer(status, example.value, media.name)
            plain = media.name.split(";")[0].strip().lower()
            if media.kind is MediaKind.TEXT and plain.startswith("text/") and plain != "text/html":
                schema = media.schema.value
                text = self.gen.value(schema) if isinstance(schema, Mapping) and schema else ""
                return Answer(status, text if isinstance(text, str) else str(text), media.name)
            if media.kind is MediaKind.BINARY:
                return Answer(status, b"", media.name)
        names = ", ".join(m.name for m in response.content)
        raise CannotGenerate(f"no example and no way to make a {names} body for {status}")

    def warm_up(self) -> None:
        """Compile the validators of every request part (once per plan): the first request
        of an operation is then checked as fast as the others."""
        if self._warm:
            return
        index = self.contract.request_schemas
        for plan in self.by_endpoint.values():
            pointers = [p.schema_pointer for p in plan.spec.parameters]
            pointers += [c.schema_pointer for c in plan.spec.body]
            for pointer in pointers:
                if pointer is not None:
                    index.validator(pointer)
        self._warm = True

    @property
    def unanswerable(self) -> list[OpPlan]:
        return [p for p in self.by_endpoint.values() if p.unanswerable is not None]


def _is_json(media_type: str) -> bool:
    from generator.openapi.media import is_json

    return bool(is_json(media_type))


class State:
    """The fake's records: per resource collection (and parent ids), in creation order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.collections: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}

    def collection(self, resource: Resource, parents: tuple[str, ...]) -> dict[str, Any]:
        return self.collections.setdefault((resource.collection, parents), {})

    def reset(self, plan: Plan) -> None:
        with self.lock:
            self.collections.clear()
            for resource in plan.resources.values():
                resource.counter = itertools.count(1)


def _plain(value: Any) -> Any:
    """A parsed request value as JSON data (models by alias, as the client sent them)."""
    import pydantic

    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text.startswith("o") or not text[1:].isdigit():
        return None
    return int(text[1:])


class GenericHandlers:
    """The generated server's `Handlers` for any spec: one coroutine per operation (looked up
    by its handler name), answering from `plan` over `state`."""

    def __init__(self, plan: Plan, state: State, server: ModuleType) -> None:
        self.plan = plan
        self.state = state
        self.server = server
        self.ops: dict[str, tuple[OpPlan, Any]] = {}
        for server_op in server.SPEC.operations:
            found = plan.by_endpoint.get((server_op.method.upper(), server_op.path))
            if found is not None and server_op.handler:
                self.ops[server_op.handler] = (found, server_op)

    def __getattr__(self, name: str) -> Any:
        ops = self.__dict__.get("ops", {})
        if name not in ops:
            raise AttributeError(name)
        plan, server_op = ops[name]

        async def handle(request: Any) -> Any:
            return self.answer(plan, server_op, request)

        return handle

    # -- answering ---------------------------------------------------------------------------
    def answer(self, plan: OpPlan, server_op: Any, request: Any) -> Any:
        if plan.unanswerable is not None:
            raise NotImplementedError(plan.unanswerable)
        try:
            if plan.resource is not None and plan.role != "other":
                return self._stateful(plan, server_op, request)
            return self._reply(plan.static)
        except CannotGenerate as exc:
            raise NotImplementedError(str(exc)) from None

    def _reply(self, answer: Answer | None) -> Any:
        assert answer is not None
        return self.server.Reply(answer.status, copy.deepcopy(answer.body), media_type=answer.media)

    def _path_values(self, server_op: Any, request: Any) -> dict[str, str]:
        return {
            p.wire: str(getattr(request, p.name, ""))
            for p in server_op.params
            if p.location == "path" and p.argument
        }

    def _stateful(self, plan: OpPlan, server_op: Any, request: Any) -> Any:
        resource = plan.resource
        assert resource is not None
        values = self._path_values(server_op, request)
        parents = tuple(
            values.get(name.strip("{}"), "")
            for name in resource.collection.split("/")
            if name.startswith("{")
        )
        body = _plain(getattr(request, "body", None)) if server_op.body is not None else None
        with self.state.lock:
            records = self.state.collection(resource, parents)
            if plan.role == "create":
                return self._create(plan, resource, records, body)
            if plan.role == "list":
                return self._list(plan, server_op, request, records)
            key = values.get(resource.id_param, "")
            record = records.get(key)
            if record is None:
                return self._not_found(plan, resource, key)
            if plan.role == "read":
                return self._send(plan, plan.success, record)
            if plan.role == "delete":
                del records[key]
                return self._send(plan, plan.success, record)
            changed = {**record, **body} if isinstance(body, dict) else dict(record)
            if resource.id_field is not None:
                changed[resource.id_field] = record.get(resource.id_field)
            records[key] = changed
            return self._send(plan, plan.success, changed)

    def _send(self, plan: OpPlan, status: int, record: Any) -> Any:
        if status in (204, 304) or self.plan.body_schema(plan, status) is None:
            if plan.static is not None and plan.static.status == status:
                return self._reply(plan.static)
            return self.server.Reply(status)
        return self.server.Reply(status, self.plan.make(plan, status, record))

    def _create(self, plan: OpPlan, resource: Resource, records: dict[str, Any], body: Any) -> Any:
        seed = dict(body) if isinstance(body, dict) else {}
        chosen = seed.get(resource.id_field) if resource.id_field is not None else None
        # an id the client chose (a body that carries one) is kept, else one is made
        new_id = chosen if chosen is not None else self.plan.new_id(resource)
        if resource.id_field is not None:
            seed[resource.id_field] = new_id
        status = plan.success
        record = seed
        made = None
        if self.plan.body_schema(plan, status) is not None:
            made = self.plan.make(plan, status, seed)
            if isinstance(made, dict) and (
                resource.id_field is None or made.get(resource.id_field) == new_id
            ):
                record = {**seed, **made}
        records[str(new_id)] = record
        if made is None:
            return self._send(plan, status, record)
        return self.server.Reply(status, made)

    def _list(self, plan: OpPlan, server_op: Any, request: Any, records: dict[str, Any]) -> Any:
        items = list(records.values())
        size = None
        for name in PAGE_SIZE_PARAMETERS:
            for p in server_op.params:
                if p.wire == name and p.location == "query":
                    value = getattr(request, p.name, None)
                    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                        size = value
                    break
            if size is not None:
                break
        schema = self.plan.body_schema(plan, plan.success)
        if schema is None:
            return self._send(plan, plan.success, None)
        flat = self.plan.gen._flatten(schema, 0)
        pagination = plan.pagination
        if pagination is not None:
            offset = 0
            cursor = next(
                (
                    getattr(request, p.name, None)
                    for p in server_op.params
                    if p.wire == pagination.cursor_parameter and p.location == "query"
                ),
                None,
            )
            if cursor:
                decoded = _decode_cursor(str(cursor))
                if decoded is None:
                    return self._invalid(
                        plan, f"{pagination.cursor_parameter}: not a cursor this API issued"
                    )
                offset = decoded
            size = size or DEFAULT_PAGE_SIZE
            page = items[offset : offset + size]
            following = _encode_cursor(offset + size) if offset + size < len(items) else None
            seed = {pagination.items_field: page, pagination.next_field: following}
            return self.server.Reply(plan.success, self.plan.make(plan, plan.success, seed))
        if size is not None:
            items = items[:size]
        if flat.get("type") == "array" or "items" in flat:
            return self.server.Reply(plan.success, self.plan.make(plan, plan.success, items))
        properties = flat.get("properties")
        arrays = [
            name
            for name, sub in (properties.items() if isinstance(properties, Mapping) else ())
            if isinstance(sub, Mapping) and self.plan.gen._flatten(sub, 0).get("type") == "array"
        ]
        chosen = next((n for n in ("data", "items", "results") if n in arrays), None)
        chosen = chosen or (arrays[0] if len(arrays) == 1 else None)
        seed = {chosen: items} if chosen else {}
        return self.server.Reply(plan.success, self.plan.make(plan, plan.success, seed))

    def _error(self, plan: OpPlan, status: int, message: str) -> Any:
        """The API's error answer for `status`, conforming to what the operation documents
        for it (the generated server's error shape, else data made from the schema)."""
        reply = self.server.error_reply(status, message)
        if self.plan.body_schema(plan, status) is None:
            return self.server.Reply(status)
        return self.server.Reply(status, self.plan.error_body(plan, status, message, reply.body))

    def _not_found(self, plan: OpPlan, resource: Resource, key: str) -> Any:
        if plan.spec.response_for(404) is None:
            # the spec documents no failure here: answer as it documents, statelessly
            return self._reply(plan.static)
        return self._error(plan, 404, f"No item of {resource.collection} has the id {key!r}.")

    def _invalid(self, plan: OpPlan, message: str) -> Any:
        for status in (400, 422):
            if plan.spec.response_for(status) is not None:
                return self._error(plan, status, message)
        return self._reply(plan.static)


def plan_for(contract: Contract, conventions: Conventions | None) -> Plan:
    return Plan(contract, conventions)


__all__ = ["GenericHandlers", "Plan", "State", "plan_for"]

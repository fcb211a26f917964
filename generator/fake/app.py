"""Build the fake's ASGI app from the GENERATED server package of a spec: the stubs' own
routing, parsing and error shapes, with the fake's handlers plugged in, plus a middleware for
auth (`--token`), RateLimit-* headers and Idempotency-Key replay."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib
import importlib.util
import itertools
import json
import sys
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Literal

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from generator.contract.check import Contract
from generator.fake.control import Control, ControlApp, mount
from generator.fake.datagen import CannotGenerate
from generator.fake.generic import GenericHandlers, Plan, State
from generator.fake.quickstart import QuickstartHandlers
from generator.fake.service import Service
from generator.fake.store import Store
from generator.fake.v1 import V1Handlers

Style = Literal["v1", "quickstart", "generic"]
ROOT = Path(__file__).resolve().parents[2]
#: a source checkout has specs/ beside generator/; a wheel may carry them as generator/specs
_SPECS = next(
    (d for d in (ROOT / "specs", ROOT / "generator" / "specs") if d.is_dir()), ROOT / "specs"
)
SHIPPED: Mapping[str, Path] = {
    "v1": _SPECS / "v1" / "fulfillments.yaml",
    "quickstart": _SPECS / "quickstart" / "fulfillments.yaml",
}
_GENERATED: Mapping[str, Path] = {
    "v1": ROOT / "generated" / "zuora_v1",
    "quickstart": ROOT / "generated" / "zuora_quickstart",
}
_counter = itertools.count()
_import_lock = threading.Lock()

RATE_LIMIT = 10_000
RATE_WINDOW = 60
_LIMIT_BYTES = str(RATE_LIMIT).encode()


class FakeSetupError(Exception):
    """The spec cannot be served (unknown style, generation failed, bad seed)."""


def detect_style(spec: Path) -> Style:
    """By the spec's paths: `/v1/fulfillments` -> v1, `/fulfillments/bulk_create` ->
    quickstart, anything else -> generic (the fake for any spec). The spec is read by the safe
    loader and the OpenAPI model, like everywhere else."""
    from generator.findings import InputError
    from generator.load.workspace import Workspace
    from generator.openapi.build import build_model

    try:
        model = build_model(Workspace.open(spec))
    except InputError as exc:
        raise FakeSetupError(exc.finding.render()) from None
    paths = {op.path for op in model.operations}
    if "/v1/fulfillments" in paths:
        return "v1"
    if "/fulfillments/bulk_create" in paths:
        return "quickstart"
    return "generic"


_servers: dict[tuple[str, int, int, str, tuple[str, ...]], ModuleType] = {}


def _file_version(spec: Path) -> tuple[str, int, int]:
    """What identifies one version of a spec file (path, mtime, size): the caches' key."""
    try:
        stat = spec.stat()
    except OSError as exc:
        raise FakeSetupError(f"{spec}: cannot read: {exc.strerror}") from None
    return (str(spec.resolve()), stat.st_mtime_ns, stat.st_size)


def load_server(
    spec: Path, style: Style, cache_dir: Path | None = None, allow_remote: tuple[str, ...] = ()
) -> ModuleType:
    """The generated `server` module for `spec`, imported under a unique package name (once
    per spec file version, policy and process: the module is stateless, every fake shares it).
    The spec is loaded under the one policy: its `$ref`s reach the network only for
    `allow_remote`."""
    key = (*_file_version(spec), style, allow_remote)
    with _import_lock:
        found = _servers.get(key)
    if found is None:
        found = _load_server(spec, style, cache_dir, allow_remote)
        with _import_lock:
            _servers[key] = found
    return found


def _load_server(
    spec: Path, style: Style, cache_dir: Path | None, allow_remote: tuple[str, ...]
) -> ModuleType:
    shipped = _GENERATED.get(style)
    if (
        style in SHIPPED
        and shipped is not None
        and spec.resolve() == SHIPPED[style].resolve()
        and (shipped / "server.py").is_file()
    ):
        return _import_package(shipped)
    from generator.cache import default_cache_dir
    from generator.generate import build_package_cached

    package = f"apicontract_fake_{style}"
    result = build_package_cached(spec, package, allow_remote=allow_remote)
    if not result.ok or "server.py" not in result.files:
        problems = [f.render() for f in result.findings if f.severity == "error"][:20]
        raise FakeSetupError("\n".join([f"{spec}: cannot generate the server package:", *problems]))
    base = (cache_dir or default_cache_dir()) / "fake" / (result.digest or "nodigest")[:16]
    target = base / package
    target.mkdir(parents=True, exist_ok=True)
    for name, text in result.files.items():
        path = target / name
        if not path.is_file() or path.read_text("utf-8") != text:
            path.parent.mkdir(exist_ok=True)  # models/ is a sub-package
            path.write_text(text, "utf-8")
    return _import_package(target)


def _import_package(folder: Path) -> ModuleType:
    with _import_lock:
        name = f"_apicontract_fake_{folder.name}_{next(_counter)}"
        spec = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        if spec is None or spec.loader is None:
            raise FakeSetupError(f"{folder}: cannot import the generated package")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return importlib.import_module(f"{name}.server")


def load_seed(path: Path | None) -> dict[str, float] | None:
    """The seed file, read by the one loader: size and nesting limits hold (a deeply nested
    file is refused with its line, never a RecursionError)."""
    if path is None:
        return None
    from generator.fake.service import parse_seed
    from generator.findings import InputError
    from generator.load.workspace import load_document

    try:
        data = load_document(Path(path)).data
    except InputError as exc:
        raise FakeSetupError(f"bad seed file: {exc.finding.render()}") from None
    try:
        return parse_seed(data)
    except ValueError as exc:
        raise FakeSetupError(f"bad seed file: {path}: {exc}") from None


def build_app(
    spec_path: str | Path,
    style: Style | None = None,
    db: str | Path = ":memory:",
    token: str | None = None,
    seed: str | Path | dict[str, float] | None = None,
    *,
    allow_edit_booked: bool = False,
    allow_remote: tuple[str, ...] = (),
) -> ControlApp:
    """The fake of `spec_path` (its generated server, with the fake's handlers) over the SQLite
    file `db`, inside its control layer (`generator.fake.control`). `style`: v1 or
    quickstart (Zuora's business rules for the operations the style knows, the generic fake
    for the rest of the spec) or generic (any spec: `generator.fake.generic`). `token`: the
    only bearer token accepted (any when None), by the fake and its control API. `seed`: the
    known order line items (a JSON file or `{id: ordered quantity}`). `allow_edit_booked`: the
    tenant grants Zuora's "Allow Edit Of Booked Order Line Items" permission, so fields other
    than `state` may be edited while a fulfillment is booked, not only while it is accepted.
    `allow_remote`: hosts the spec's `$ref`s may be fetched from."""
    spec = Path(spec_path)
    style = style or detect_style(spec)
    engine = load_engine(spec, allow_remote)
    if not engine.by_endpoint:
        raise FakeSetupError(f"{spec}: the spec has no operation to fake (its paths are empty)")
    server = load_server(spec, style, allow_remote=allow_remote)
    seeds = seed if isinstance(seed, dict) or seed is None else load_seed(Path(seed))
    store = Store(db if style != "generic" else ":memory:")
    service = Service(store, seed=seeds, allow_edit_booked=allow_edit_booked)
    state = State()
    app = _style_app(style, server, service, store, token, engine, state)

    def reset() -> None:
        state.reset(engine)
        store.reset()

    strict = style == "generic"
    if strict:
        engine.warm_up()  # compiled now, not while the first requests wait
    where = mount("", engine.contract, _error_body(engine, server), strict=strict)
    control = Control([where], reset, token)
    wrapped = ControlApp(app, control)
    wrapped.state.fake_store = store
    wrapped.state.fake_style = style
    wrapped.state.fake_plan = engine
    return wrapped


_plans: dict[tuple[str, int, int, tuple[str, ...]], Plan] = {}


def load_engine(spec: Path, allow_remote: tuple[str, ...] = ()) -> Plan:
    """The generic fake's plan of `spec` (its contract, resources and static answers), once
    per spec file version, policy and process. The spec is loaded under the one policy, as
    `check` loads it."""
    from generator.findings import InputError, UnusableSpec
    from generator.openapi.conventions import decide_conventions

    key = (*_file_version(spec), allow_remote)
    with _import_lock:
        found = _plans.get(key)
    if found is not None:
        return found
    try:
        contract = Contract.load(spec, allow_remote=allow_remote)
    except InputError as exc:  # also UnusableSpec: every refused or unresolved reference
        findings = exc.findings if isinstance(exc, UnusableSpec) else [exc.finding]
        raise FakeSetupError("\n".join(f.render() for f in findings[:20])) from None
    plan = Plan(contract, decide_conventions(contract.workspace, contract.model))
    with _import_lock:
        _plans[key] = plan
    return plan


def _error_body(plan: Plan, server: ModuleType) -> Callable[[str, str, int, str, Any], Any]:
    """The API's error body for a status of an operation, conforming to what the operation
    documents for that status when it does: `given` when it conforms, else the generated
    server's error body, else data made from the documented schema seeded with the message
    (for injected faults, the generated server's refusals and the 501 safety net)."""

    def make(method: str, template: str, status: int, message: str, given: Any) -> Any:
        body = server.error_reply(status, message).body
        op = plan.by_endpoint.get((method.upper(), template))
        if op is None or op.spec.response_for(status) is None:
            return given if given is not None else body
        for candidate in (given, body):
            if candidate is not None and plan.conforms(op, status, candidate):
                return candidate
        try:
            made = plan.error_body(op, status, message)
        except CannotGenerate:
            made = None
        if made is not None:
            return made
        return given if given is not None else body

    return make


class _StyleHandlers:
    """Zuora's business rules (`style`) for the operations the style's own spec has, with the
    same operationId, method and path; the generic fake for every other operation."""

    def __init__(self, style_handlers: Any, generic: GenericHandlers, own: set[str]) -> None:
        self._style = style_handlers
        self._generic = generic
        self._own = own

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._own:
            found = getattr(self._style, name, None)
            if found is not None:
                return found
        return getattr(self._generic, name)


def _own_operations(style: Style, server: ModuleType) -> set[str]:
    """The handler names of `server`'s operations that the style's shipped spec has too."""
    shipped = load_server(SHIPPED[style], style)
    known = {(op.operation_id, op.method, op.path) for op in shipped.SPEC.operations}
    return {
        op.handler
        for op in server.SPEC.operations
        if (op.operation_id, op.method, op.path) in known
    }


def _style_app(
    style: Style,
    server: ModuleType,
    service: Service,
    store: Store,
    token: str | None,
    plan: Plan,
    state: State,
) -> FastAPI:
    """One style's generated app with the fake's handlers and middleware, over `service`."""
    generic = GenericHandlers(plan, state, server)
    handlers: Any
    if style == "generic":
        handlers = generic
    else:
        own = (
            QuickstartHandlers(service, server)
            if style == "quickstart"
            else V1Handlers(service, server)
        )
        handlers = _StyleHandlers(own, generic, _own_operations(style, server))
    app: FastAPI = server.create_app(handlers)
    # innermost: sees plain (never gzipped) answers, below the request-id and gzip layers
    app.user_middleware.append(
        Middleware(
            FakeMiddleware,
            store=store,
            server=server,
            token=token,
            idempotency_header=server.SPEC.idempotency_header,
            entity_header=server.SPEC.entity_header,
            max_body=server.MAX_BODY_SIZE,
        )
    )
    return app


#: where `--style both` serves Quickstart: its servers' base path (v1's paths carry /v1)
QUICKSTART_BASE = "/v2"


class BothStyles:
    """One tenant in both styles: Quickstart under `/v2/...` (its real base path, stripped
    before its generated app routes), everything else to the v1 app (whose paths start with
    `/v1`). Both apps share one store and one service, so records, numbering, idempotency and
    the lifecycle rules are the same whichever style a call uses."""

    def __init__(self, v1: ASGIApp, quickstart: ASGIApp, store: Store) -> None:
        self.v1 = v1
        self.quickstart = quickstart
        self.state = SimpleNamespace(fake_store=store, fake_style="both")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] in ("http", "websocket") else ""
        if path == QUICKSTART_BASE or path.startswith(QUICKSTART_BASE + "/"):
            inner = dict(scope)
            inner["path"] = path[len(QUICKSTART_BASE) :] or "/"
            raw = scope.get("raw_path")
            if isinstance(raw, bytes) and raw.startswith(QUICKSTART_BASE.encode()):
                inner["raw_path"] = raw[len(QUICKSTART_BASE) :] or b"/"
            await self.quickstart(inner, receive, send)
            return
        await self.v1(scope, receive, send)


def build_both_app(
    db: str | Path = ":memory:",
    token: str | None = None,
    seed: str | Path | dict[str, float] | None = None,
    *,
    allow_edit_booked: bool = False,
) -> ControlApp:
    """The shipped v1 and Quickstart fakes over ONE store (`serve --style both`): a
    fulfillment created in either style is read, changed and deleted in the other, with the
    same id and number."""
    seeds = seed if isinstance(seed, dict) or seed is None else load_seed(Path(seed))
    store = Store(db)
    service = Service(store, seed=seeds, allow_edit_booked=allow_edit_booked)
    state = State()
    apps: dict[str, ASGIApp] = {}
    mounts = []
    plans = []
    styles: tuple[Style, ...] = ("v1", "quickstart")
    for style in styles:
        server = load_server(SHIPPED[style], style)
        plan = load_engine(SHIPPED[style])
        plans.append(plan)
        apps[style] = _style_app(style, server, service, store, token, plan, state)
        prefix = QUICKSTART_BASE if style == "quickstart" else ""
        mounts.append(mount(prefix, plan.contract, _error_body(plan, server)))

    def reset() -> None:
        for plan in plans:
            state.reset(plan)
        store.reset()

    both = BothStyles(apps["v1"], apps["quickstart"], store)
    return ControlApp(both, Control(mounts, reset, token), both.state)


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credentials = value.strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


class _RateLimiter:
    def __init__(self) -> None:
        self.window = 0
        self.used: dict[str, int] = {}

    def take(self, who: str) -> tuple[int, int]:
        """(remaining after this request, seconds until the window resets)."""
        now = time.time()
        window = int(now // RATE_WINDOW)
        if window != self.window:
            self.window, self.used = window, {}
        self.used[who] = self.used.get(who, 0) + 1
        return RATE_LIMIT - self.used[who], int((window + 1) * RATE_WINDOW - now) + 1


class FakeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store: Store,
        server: ModuleType,
        token: str | None,
        idempotency_header: str | None,
        entity_header: str | None,
        max_body: int,
    ) -> None:
        self.app = app
        self.store = store
        self.server = server
        self.token = token
        self.idempotency_header = idempotency_header
        self.entity_header = entity_header
        self.max_body = max_body
        self.limiter = _RateLimiter()
        self._idempotency_key = (
            idempotency_header.lower().encode("latin-1") if idempotency_header else None
        )

    def _error(self, status: int, message: str, code: str | int | None = None) -> tuple[int, bytes]:
        reply = self.server.error_reply(status, message, code=code)
        return reply.status, json.dumps(reply.body, separators=(",", ":")).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = key = None
        idempotency = self._idempotency_key
        for name, value in scope["headers"]:  # the first of each, as Headers.get answers
            name = name.lower()
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == idempotency and key is None:
                key = value.decode("latin-1")
        given = _bearer(authorization)
        remaining, reset = self.limiter.take(given or "")
        extra = [
            (b"ratelimit-limit", _LIMIT_BYTES),
            (b"ratelimit-remaining", b"%d" % max(remaining, 0)),
            (b"ratelimit-reset", b"%d" % reset),
        ]

        async def send_limited(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        if remaining < 0:
            status, body = self._error(429, "Too many requests; wait for the rate limit window.")
            await _send_json(send_limited, status, body)
            return
        if self.token is not None and not hmac.compare_digest(
            (given or "").encode(), self.token.encode()
        ):
            status, body = self._error(401, "The access token is missing, invalid or expired.")
            await _send_json(send_limited, status, body)
            return
        if key is None or scope["method"] not in ("POST", "PATCH"):
            await self.app(scope, receive, send_limited)
            return
        await self._idempotent(scope, receive, send_limited, Headers(scope=scope), key)

    async def _idempotent(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, key: str
    ) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body + 1024 * 1024:
                # far too large to remember: let the server refuse it with its own 413
                chunks.append(chunk)
                break
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        entity = (headers.get(self.entity_header) or "") if self.entity_header else ""
        entity = entity.split(",")[0].strip()
        route = f"{scope['method']} {scope.get('path', '')}"
        digest = hashlib.sha256(
            b"\0".join(
                [
                    self._plain(raw, headers),
                    scope.get("query_string", b""),
                    (headers.get("async") or "").encode(),
                ]
            )
        ).hexdigest()
        deadline = time.monotonic() + 60
        while True:
            record = self.store.idem_claim(entity, key, route, digest)
            if record is None:
                break
            if record.body_hash != digest:
                status, body = self._error(
                    400,
                    "This Idempotency-Key was already used with a different request body.",
                    code="idempotency_key_reused"
                    if self.server.SPEC.success_flag is None
                    else 53100050,
                )
                await _send_json(send, status, body)
                return
            if record.status is not None:
                await _send_json(send, record.status, record.body or b"", record.content_type)
                return
            if time.monotonic() > deadline:
                status, body = self._error(
                    429, "A request with this Idempotency-Key is still in progress."
                )
                await _send_json(send, status, body)
                return
            await asyncio.sleep(0.005)

        start: Message | None = None
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        done = False
        try:
            await self.app(scope, replay_receive, capture)
            body = b"".join(parts)
            status = start["status"] if start else 500
            content_type = None
            for name, value in (start or {}).get("headers", []):
                if name.lower() == b"content-type":
                    content_type = value.decode("latin-1")
            if status < 500:
                self.store.idem_complete(entity, key, route, status, content_type, body)
                done = True
        finally:
            if not done:
                self.store.idem_release(entity, key, route)
        if start is not None:
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})

    def _plain(self, raw: bytes, headers: Headers) -> bytes:
        """The body as the server will read it (gunzipped, within the size limit)."""
        if headers.get("content-encoding", "").strip().lower() not in ("gzip", "x-gzip"):
            return raw
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return inflater.decompress(raw, self.max_body + 1)
        except zlib.error:
            return raw


async def _send_json(send: Send, status: int, body: bytes, content_type: str | None = None) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", (content_type or "application/json").encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


__all__ = ["BothStyles", "FakeSetupError", "build_app", "build_both_app", "detect_style"]

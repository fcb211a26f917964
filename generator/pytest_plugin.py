"""pytest plugin: check the traffic of integration tests against an OpenAPI spec.

Registered through the `pytest11` entry point (`apicontract`), or loaded explicitly with
`-p generator.pytest_plugin`; loading it both ways is harmless (it is registered once).

    def test_get_fulfillment(apicontract):
        api = apicontract.load("specs/quickstart/fulfillments.yaml")  # or apicontract.default
        with api.client(base_url=URL, headers={"Authorization": "Bearer t"}) as client:
            client.get("/fulfillments/abc")          # checked and recorded by the hook
        api.assert_conforms(httpx.get(URL + "/fulfillments/abc", headers=AUTH))

What it offers:

* the `apicontract` fixture (function scope). `load(spec)` returns a `ContractChecker`; specs
  are compiled once per session (cached by resolved path). `default` is the checker of the
  default spec: the `apicontract(spec=...)` marker of the test (relative to its file), else
  `--apicontract-spec` (relative to the invocation directory), else the `apicontract_spec`
  ini option (relative to the ini file). `results` lists every exchange checked during the
  test; `check`, `assert_conforms`, `client` and `async_client` are shortcuts to `default`.
* `ContractChecker.check(response) -> ExchangeResult` (the response's own `.request` is the
  request), `assert_conforms(response)` which raises `AssertionError` whose message is the
  readable diff of every finding, and `client(**kwargs)` / `async_client(**kwargs)`: an
  `httpx.Client` / `httpx.AsyncClient` whose response hook reads, checks and records every
  exchange.
* strict clients (the default; `client(strict=False)` or the marker's `strict=False` turn it
  off) do not interrupt the test: every non-conforming exchange is collected and the test
  fails once its body has finished, with the diff of all of them. If the test already failed
  on its own, the diff is added to its report as an `apicontract` section instead; exchanges
  made after the body (in a fixture's teardown) fail the teardown.
* `--apicontract-record=FILE.har` writes every exchange checked through the plugin (client
  hooks, `check`, `assert_conforms`; each response once) to a HAR 1.2 file when the session
  ends, atomically (under pytest-xdist each worker writes FILE.<worker id>.har), through the
  project's one HAR writer (`generator.contract.traffic.record`). Credentials are redacted
  (`Authorization`, cookies, the spec's apiKey parameters: see
  `generator.contract.traffic.redact`) unless `--apicontract-keep-secrets` is given.

* the `apicontract_fake` fixture (function scope): `apicontract_fake(style="quickstart")` or
  `apicontract_fake(spec="path/to/spec.yaml")` starts a fresh fake of the API for the test
  (127.0.0.1, a free port, a background thread, an in-memory store; stopped after the test)
  and returns a `FakeApi` with `url`, `fail(method=, path=, status=, times=, headers=, ...)`
  (see `generator.fake.control`), `reset()` and `requests`. Every request the fake receives is
  checked against its spec; one that breaks it fails the test with the diff, as strict
  clients do.

PYTEST_DONT_REWRITE (nothing here needs assertion rewriting; this also keeps pytest quiet when
the module was imported before pytest marks it for rewriting)
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the engine is imported on first use, so loading the plugin stays cheap
    import httpx

    from generator.contract.check import Contract
    from generator.contract.findings import ExchangeResult
    from generator.contract.traffic.record import HarWriter
    from generator.contract.traffic.redact import Redactor

__all__ = ["ApiContract", "ContractChecker", "FakeApi"]

#: the names this module may be registered under (entry point, `-p` module name)
_NAMES = ("apicontract", __name__)
_MARKER = "apicontract"


# -- session state -------------------------------------------------------------------------
class _Session:
    """Compiled contracts (one per spec file) and the exchanges to record, for one session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.contracts: dict[Path, Contract] = {}
        self.redactors: dict[int, Redactor] = {}
        self.recorded: weakref.WeakSet[Any] = weakref.WeakSet()
        self.keep_secrets = bool(config.getoption("apicontract_keep_secrets", False))
        self.writer: HarWriter | None = None
        record = config.getoption("apicontract_record", None)
        self.record_path: Path | None = None
        if record:
            path = Path(record)
            if not path.is_absolute():
                path = config.invocation_params.dir / path
            worker = getattr(config, "workerinput", {}).get("workerid")
            if worker:
                path = path.with_name(f"{path.stem}.{worker}{path.suffix}")
            self.record_path = path
        self.written: int | None = None
        hosts = [
            *(config.getoption("apicontract_allow_remote", None) or []),
            *config.getini("apicontract_allow_remote"),
        ]
        #: hosts the specs' `$ref`s may be fetched from (none unless named)
        self.allow_remote = tuple(dict.fromkeys(h.strip() for h in hosts if h.strip()))

    def resolve(self, spec: str | os.PathLike[str], base: Path | None = None) -> Path:
        path = Path(spec).expanduser()
        if path.is_absolute():
            return path.resolve()
        for root in (base, self.config.invocation_params.dir, self.config.rootpath):
            if root is not None and (root / path).exists():
                return (root / path).resolve()
        return ((base or self.config.invocation_params.dir) / path).resolve()

    def contract(self, path: Path) -> Contract:
        with self.lock:
            found = self.contracts.get(path)
        if found is not None:
            return found
        from generator.contract.check import Contract
        from generator.findings import InputError

        try:
            compiled = Contract.load(path, allow_remote=self.allow_remote)
        except InputError as exc:  # every finding, with its file, line and rule id
            pytest.fail(f"apicontract: cannot load spec {path}:\n{exc}", pytrace=False)
        with self.lock:
            return self.contracts.setdefault(path, compiled)

    def _redactor(self, contract: Contract) -> Redactor:
        from generator.contract.traffic.redact import Credentials, Redactor

        with self.lock:
            found = self.redactors.get(id(contract))
            if found is None:
                credentials = Credentials.of_model(contract.model)
                found = self.redactors[id(contract)] = Redactor(credentials, self.keep_secrets)
            return found

    def record(
        self,
        response: httpx.Response,
        result: ExchangeResult | None,
        spec: str,
        contract: Contract,
    ) -> None:
        if self.record_path is None:
            return
        from generator.contract.traffic.record import HarWriter, har_entry

        with self.lock:
            if response in self.recorded:
                return
            self.recorded.add(response)
            if self.writer is None:
                self.writer = HarWriter(self.record_path, "apicontract")
            writer = self.writer
        extra = None
        if result is not None:
            extra = {
                "spec": spec,
                "operation": result.operation,
                "conforms": result.conforms,
                "findings": [f.to_json() for f in result.findings],
            }
        writer.add(
            har_entry(response.request, response, redactor=self._redactor(contract), extra=extra)
        )

    def write(self) -> None:
        if self.record_path is None:
            return
        from generator.contract.traffic.record import HarWriter

        with self.lock:
            if self.writer is None:
                self.writer = HarWriter(self.record_path, "apicontract")
            writer = self.writer
        self.record_path.parent.mkdir(parents=True, exist_ok=True)
        writer.write()
        self.written = len(writer)


_SESSION = pytest.StashKey[_Session]()
_STATE = pytest.StashKey["_TestState"]()


@dataclass
class _TestState:
    """What one test's checkers saw: every result, and the strict failures not yet reported."""

    results: list[ExchangeResult] = field(default_factory=list)
    failures: list[tuple[str, ExchangeResult]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_failures(self) -> list[tuple[str, ExchangeResult]]:
        with self.lock:
            failures, self.failures = self.failures, []
        return failures


# -- the readable diff ---------------------------------------------------------------------
def render_result(result: ExchangeResult, spec: str) -> str:
    """One exchange's findings as a diff: where (`@`), what the spec expects (`-`), what the
    traffic has (`+`)."""
    from generator.report.check.text import detail, finding_lines
    from generator.report.escape import clean

    header = clean(f"{result.method} {result.url} ({detail(result)}) does not conform to {spec}")
    lines = [header]
    for finding in result.findings:
        lines.extend(finding_lines(finding))
    return "\n".join(lines)


def render_failures(failures: list[tuple[str, ExchangeResult]]) -> str:
    count = len(failures)
    head = f"{count} exchange{'s' if count != 1 else ''} did not conform to the API contract"
    return "\n\n".join([head + ":"] + [render_result(r, spec) for spec, r in failures])


# -- public API ----------------------------------------------------------------------------
class ContractChecker:
    """One spec, used by one test: check responses, or get httpx clients that check them."""

    def __init__(
        self, contract: Contract, spec: Path, session: _Session, state: _TestState, strict: bool
    ) -> None:
        self.contract = contract
        self.spec = spec
        self.strict = strict
        self._session = session
        self._state = state

    def __repr__(self) -> str:
        return f"ContractChecker({str(self.spec)!r})"

    @property
    def _display(self) -> str:
        try:
            return str(self.spec.relative_to(self._session.config.rootpath))
        except ValueError:
            return str(self.spec)

    def check(self, response: httpx.Response) -> ExchangeResult:
        """Check `response` and the request it answers (`response.request`); records it."""
        with self._state.lock:
            index = len(self._state.results)
        result = self.contract.check_httpx(response.request, response, index)
        with self._state.lock:
            self._state.results.append(result)
        self._session.record(response, result, self._display, self.contract)
        return result

    def assert_conforms(self, response: httpx.Response) -> ExchangeResult:
        """Check the exchange; raise AssertionError with the diff of every finding if it does
        not conform. Returns the (conforming) result."""
        __tracebackhide__ = True
        result = self.check(response)
        if not result.conforms:
            raise AssertionError(render_result(result, self._display))
        return result

    def _observe(self, response: httpx.Response, strict: bool) -> None:
        result = self.check(response)
        if strict and not result.conforms:
            with self._state.lock:
                self._state.failures.append((self._display, result))

    def client(self, *, strict: bool | None = None, **kwargs: Any) -> httpx.Client:
        """An `httpx.Client(**kwargs)` whose response hook reads, checks and records every
        exchange. Strict (default: the checker's `strict`) collects non-conforming exchanges
        to fail the test when it ends."""
        import httpx

        mode = self.strict if strict is None else strict

        def hook(response: httpx.Response) -> None:
            response.read()
            self._observe(response, mode)

        return httpx.Client(event_hooks=_with_hook(kwargs.pop("event_hooks", None), hook), **kwargs)

    def async_client(self, *, strict: bool | None = None, **kwargs: Any) -> httpx.AsyncClient:
        """The `httpx.AsyncClient` counterpart of `client`."""
        import httpx

        mode = self.strict if strict is None else strict

        async def hook(response: httpx.Response) -> None:
            await response.aread()
            self._observe(response, mode)

        return httpx.AsyncClient(
            event_hooks=_with_hook(kwargs.pop("event_hooks", None), hook), **kwargs
        )


def _with_hook(hooks: Any, hook: Any) -> dict[str, list[Any]]:
    merged = {key: list(value) for key, value in (hooks or {}).items()}
    merged.setdefault("request", [])
    merged["response"] = [*merged.get("response", []), hook]
    return merged


class ApiContract:
    """The `apicontract` fixture: checkers for specs, compiled once per session."""

    def __init__(self, request: pytest.FixtureRequest, session: _Session) -> None:
        self._session = session
        self._state = _TestState()
        self._checkers: dict[Path, ContractChecker] = {}
        marker = request.node.get_closest_marker(_MARKER)
        args = marker.args if marker else ()
        kwargs = marker.kwargs if marker else {}
        self._marker_spec: Any = kwargs.get("spec", args[0] if args else None)
        self._marker_base = Path(str(request.node.path)).parent
        self.strict = bool(kwargs.get("strict", True))

    def __repr__(self) -> str:
        return f"<apicontract fixture: {len(self._checkers)} spec(s) loaded, strict={self.strict}>"

    def load(self, spec_path: str | os.PathLike[str]) -> ContractChecker:
        """The checker of `spec_path` (absolute, or relative to the invocation directory or the
        rootdir)."""
        path = self._session.resolve(spec_path)
        return self._checker(path)

    def _checker(self, path: Path) -> ContractChecker:
        checker = self._checkers.get(path)
        if checker is None:
            contract = self._session.contract(path)
            checker = ContractChecker(contract, path, self._session, self._state, self.strict)
            self._checkers[path] = checker
        return checker

    @property
    def default(self) -> ContractChecker:
        """The checker of the default spec (marker, --apicontract-spec, ini apicontract_spec)."""
        config = self._session.config
        if self._marker_spec:
            return self._checker(self._session.resolve(self._marker_spec, self._marker_base))
        option = config.getoption("apicontract_spec", None)
        if option:
            return self._checker(self._session.resolve(option, config.invocation_params.dir))
        ini = config.getini("apicontract_spec")
        if ini:
            base = config.inipath.parent if config.inipath else config.rootpath
            return self._checker(self._session.resolve(str(ini), base))
        pytest.fail(
            "apicontract: no default spec; pass --apicontract-spec, set the apicontract_spec "
            "ini option, mark the test with @pytest.mark.apicontract(spec=...), "
            "or call apicontract.load(path)",
            pytrace=False,
        )

    @property
    def results(self) -> list[ExchangeResult]:
        """Every exchange checked during this test, in order."""
        with self._state.lock:
            return list(self._state.results)

    # shortcuts to the default spec
    def check(self, response: httpx.Response) -> ExchangeResult:
        return self.default.check(response)

    def assert_conforms(self, response: httpx.Response) -> ExchangeResult:
        __tracebackhide__ = True
        return self.default.assert_conforms(response)

    def client(self, **kwargs: Any) -> httpx.Client:
        return self.default.client(**kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return self.default.async_client(**kwargs)


@pytest.fixture
def apicontract(request: pytest.FixtureRequest) -> Generator[ApiContract, None, None]:
    """Check HTTP exchanges against an OpenAPI spec: `apicontract.load(path)` or
    `apicontract.default` gives a checker with `check`, `assert_conforms`, `client` and
    `async_client`."""
    handle = ApiContract(request, request.config.stash[_SESSION])
    request.node.stash[_STATE] = handle._state
    yield handle
    left = handle._state.take_failures()  # exchanges made after the test body (teardown)
    if left:
        pytest.fail(render_failures(left), pytrace=False)


# -- the fake ------------------------------------------------------------------------------
class FakeApi:
    """A running fake of an API for one test (`apicontract_fake(...)`): `url`, `fail(...)`,
    `reset()`, `requests`. Every request it receives is checked against its spec; one that
    breaks the spec fails the test with the diff (`violations`)."""

    def __init__(self, app: Any, server: Any, spec: str) -> None:
        self._app = app
        self._server = server
        self._control = app.state.fake_control
        self.spec = spec
        self.url: str = server.url
        self._reported = 0

    def __repr__(self) -> str:
        return f"<apicontract fake of {self.spec} at {self.url}>"

    def fail(
        self,
        method: str | None = None,
        path: str = "/",
        status: int | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
        *,
        body: Any = ...,
        delay_ms: int = 0,
        reset_connection: bool = False,
    ) -> None:
        """Make the next `times` requests matching `method` (None: any) and `path` (concrete,
        or a template like `/pets/{petId}`) fail with `status` (and `headers`, `body`; the
        API's own error body when `body` is not given), after `delay_ms`, or by dropping the
        connection (`reset_connection`)."""
        data: dict[str, Any] = {"method": method, "path": path, "times": times,
                                "headers": headers or {}, "delay_ms": delay_ms,
                                "reset_connection": reset_connection}  # fmt: skip
        if status is not None:
            data["status"] = status
        if body is not ...:
            data["body"] = body
        from generator.fake.control import FaultError

        try:
            self._control.add_fault(data)
        except FaultError as exc:
            raise ValueError(f"apicontract_fake.fail: {exc}") from None

    def reset(self) -> None:
        """Empty the fake's state, its faults and its request log."""
        self._control.reset()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """What the fake received, in order (credentials redacted)."""
        return [
            {k: v for k, v in entry.items() if not k.startswith("_")}
            for entry in self._control.logged()
        ]

    def violations(self) -> list[tuple[str, ExchangeResult]]:
        """The requests received so far that break the spec."""
        return [
            (self.spec, entry["_result"])
            for entry in self._control.logged()
            if entry.get("_result") is not None and entry["_result"].findings
        ]

    def take_violations(self) -> list[tuple[str, ExchangeResult]]:
        found = self.violations()
        new, self._reported = found[self._reported :], len(found)
        return new

    def stop(self) -> None:
        self._server.stop()


_FAKES = pytest.StashKey[list[FakeApi]]()


@pytest.fixture
def apicontract_fake(request: pytest.FixtureRequest) -> Generator[Any, None, None]:
    """Start a fresh fake of an API for this test: `apicontract_fake(style="quickstart")`
    (a shipped Zuora spec) or `apicontract_fake(spec="path/to/spec.yaml")` (any spec, relative
    to the test's file) -> `FakeApi` on 127.0.0.1 with a fresh in-memory store. Requests
    that break the spec fail the test with the diff."""
    from generator.fake.app import SHIPPED, FakeSetupError, build_app
    from generator.fake.serve import ThreadServer

    session = request.config.stash[_SESSION]
    started: list[FakeApi] = []
    request.node.stash[_FAKES] = started
    base = Path(str(request.path)).parent if getattr(request, "path", None) else None

    def start(
        spec: str | os.PathLike[str] | None = None,
        *,
        style: str | None = None,
        token: str | None = None,
        seed: dict[str, float] | None = None,
    ) -> FakeApi:
        if spec is None and style not in SHIPPED:
            raise ValueError("apicontract_fake: give spec=PATH or style='v1'|'quickstart'")
        path = session.resolve(spec, base) if spec is not None else SHIPPED[str(style)]
        try:
            app = build_app(path, style, ":memory:", token, seed)  # type: ignore[arg-type]
        except FakeSetupError as exc:
            pytest.fail(f"apicontract_fake: {exc}", pytrace=False)
        server = ThreadServer(app).start()
        fake = FakeApi(app, server, str(spec) if spec is not None else f"the {style} spec")
        started.append(fake)
        return fake

    try:
        yield start
    finally:
        for fake in started:
            fake.stop()
    left = [v for fake in started for v in fake.take_violations()]
    if left:
        pytest.fail(render_failures(left), pytrace=False)


# -- hooks ---------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apicontract", "check HTTP traffic against an OpenAPI spec")
    group.addoption(
        "--apicontract-spec",
        dest="apicontract_spec",
        metavar="SPEC",
        default=None,
        help="default OpenAPI spec of the apicontract fixture (overrides the ini option)",
    )
    group.addoption(
        "--apicontract-record",
        dest="apicontract_record",
        metavar="FILE.har",
        default=None,
        help="write every exchange checked by the apicontract fixture to a HAR 1.2 file "
        "(credentials redacted)",
    )
    group.addoption(
        "--apicontract-keep-secrets",
        dest="apicontract_keep_secrets",
        action="store_true",
        default=False,
        help="record Authorization, cookies and the spec's apiKey parameters verbatim instead "
        "of REDACTED (the HAR then holds credentials: do not publish it)",
    )
    group.addoption(
        "--apicontract-allow-remote",
        dest="apicontract_allow_remote",
        metavar="HOST",
        action="append",
        default=[],
        help="allow the spec's $refs to fetch from HOST (repeatable); network refs are "
        "refused otherwise",
    )
    parser.addini(
        "apicontract_spec",
        "default OpenAPI spec of the apicontract fixture (relative to the ini file)",
        default="",
    )
    parser.addini(
        "apicontract_allow_remote",
        "hosts the specs' $refs may be fetched from (one per line)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "apicontract(spec=None, strict=True): the default spec of the apicontract fixture in "
        "this test, and whether its clients fail the test on non-conforming exchanges",
    )
    config.stash[_SESSION] = _Session(config)


def pytest_plugin_registered(plugin: object, plugin_name: str, manager: Any) -> None:
    """Registered under one name (entry point `apicontract` or `-p generator.pytest_plugin`),
    block the other, so the module is never registered twice (pluggy would refuse)."""
    if plugin is not sys.modules[__name__]:
        return
    for name in _NAMES:
        if name != plugin_name and not manager.has_plugin(name) and not manager.is_blocked(name):
            manager.set_blocked(name)


def _take_failures(item: pytest.Item) -> list[tuple[str, ExchangeResult]]:
    state = item.stash.get(_STATE, None)
    failures = state.take_failures() if state else []
    for fake in item.stash.get(_FAKES, []):
        failures.extend(fake.take_violations())
    return failures


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    try:
        outcome = yield
    except BaseException:
        failures = _take_failures(item)
        if failures:
            item.add_report_section("call", "apicontract", render_failures(failures))
        raise
    failures = _take_failures(item)
    if failures:
        pytest.fail(render_failures(failures), pytrace=False)
    return outcome


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_SESSION, None)
    if state is not None:
        state.write()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(_SESSION, None)
    if state is not None and state.record_path is not None and state.written is not None:
        terminalreporter.write_line(
            f"apicontract: recorded {state.written} exchange"
            f"{'s' if state.written != 1 else ''} to {state.record_path}"
        )

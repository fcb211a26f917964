"""Run the fake (or the checking proxy) with uvicorn: print the URL once listening, stop
cleanly (exit 0) on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol


class _Coalesced:
    """A transport that sends what is written to it in one turn of the event loop as one write.

    uvicorn writes a response's head and its body separately; on loopback each send() runs
    the whole TCP path (and wakes the client) and costs as much as a good part of answering
    the request. Joined, one send carries both. Writes go out at the end of the current turn
    (before the loop waits for anything), on close, or with write_eof."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._pending is None:
            self._pending = [bytes(data)]
            self._loop.call_soon(self._flush)
        else:
            self._pending.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        pending = sum(len(data) for data in self._pending or ())
        return int(self._transport.get_write_buffer_size()) + pending

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


#: the SQLite file of the Zuora styles when --db is not given
DEFAULT_DB = "apicontract-fake.db"
#: seconds an idle keep-alive connection is kept open after an answer
KEEP_ALIVE_TIMEOUT = 5.0
#: seconds a client has to send a complete request head, from connecting or from the first
#: byte of a head on a kept-alive connection; then the connection is closed (slowloris)
HEADER_TIMEOUT = 10.0


class _HttpProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP/1.1 protocol (httptools when installed, else h11) over `_Coalesced`,
    with a deadline for request heads.

    uvicorn closes a kept-alive connection `timeout_keep_alive` seconds after an answer, but
    sets no deadline before the first request nor while a head trickles in: a client holding
    sockets open without ever finishing a head keeps them forever. Here a connection that has
    not completed a head `header_timeout` seconds after it opened (or after the first byte of a
    later head) is closed. Between a complete head and the end of its answer there is no
    deadline (the application owns that time)."""

    header_timeout: float = HEADER_TIMEOUT

    def connection_made(self, transport: Any) -> None:
        self._raw_transport = transport
        super().connection_made(_Coalesced(transport, asyncio.get_running_loop()))
        self._head_deadline: asyncio.TimerHandle | None = None
        self._arm_head_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # how the control API drops a connection on purpose (a fault's reset_connection)
        scope = getattr(self, "scope", None)
        if isinstance(scope, dict):
            scope.setdefault("extensions", {})["apicontract.abort"] = self._reset_connection

    def _reset_connection(self) -> None:
        """Close the connection with a TCP reset (SO_LINGER 0), as a crashed peer would."""
        sock = self._raw_transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._raw_transport.abort()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for_head():
            if self._head_deadline is None:  # the first bytes of a new head
                self._arm_head_deadline()
        else:
            self._disarm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # idle again: uvicorn's keep-alive timeout runs until the next head starts
        self._disarm_head_deadline()

    def _waiting_for_head(self) -> bool:
        cycle = getattr(self, "cycle", None)
        return cycle is None or bool(cycle.response_complete)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        loop = asyncio.get_running_loop()
        self._head_deadline = loop.call_later(self.header_timeout, self._head_too_slow)

    def _disarm_head_deadline(self) -> None:
        handle = getattr(self, "_head_deadline", None)
        if handle is not None:
            handle.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.close()


def _protocol(timeout: float) -> type[_HttpProtocol]:
    class Protocol(_HttpProtocol):
        header_timeout = timeout

    return Protocol


class _Server(uvicorn.Server):
    """uvicorn's server without re-raising the stop signal after a graceful shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        signals = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def _handle_stop_signals(server: uvicorn.Server) -> dict[int, Any]:
    """Route SIGINT and SIGTERM to uvicorn's graceful exit; returns the handlers replaced."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, server.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}


def run(
    app: Any,
    host: str,
    port: int,
    label: str,
    *,
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    header_timeout: float = HEADER_TIMEOUT,
) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: without it a keep-alive client waits for delayed
    # ACKs (about 40 ms per request) between a response's header and body writes
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        print(f"apicontract serve: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        sock.close()
        return 2
    sock.listen(128)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        access_log=False,
        http=_protocol(header_timeout),
        timeout_keep_alive=keep_alive_timeout,  # type: ignore[arg-type]
    )
    server = _Server(config)
    # the stop signals are handled from before the URL is printed: a SIGTERM sent as soon as
    # a script reads it must stop the server cleanly too (exit 0), not kill the process
    original = _handle_stop_signals(server)
    print(f"apicontract {label} listening on http://{shown}:{actual}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in original.items():
            signal.signal(sig, handler)
        sock.close()
        store = getattr(app.state, "fake_store", None)
        if store is not None:
            store.close()
    print("apicontract serve: stopped", file=sys.stderr, flush=True)
    return 0


def _list_unanswerable(app: Any) -> None:
    """Say at start-up which operations the fake cannot answer (they get 501 naming them)."""
    plan = getattr(app.state, "fake_plan", None)
    missing = plan.unanswerable if plan is not None else []
    if not missing:
        return
    print(
        f"apicontract serve: {len(missing)} operation{'s' if len(missing) != 1 else ''} "
        "cannot be answered and will get 501:",
        file=sys.stderr,
    )
    for found in missing:
        name = found.model.operation_id or "(no operationId)"
        print(f"  {name} ({found.model.endpoint}): {found.unanswerable}", file=sys.stderr)
    sys.stderr.flush()


def serve(
    spec: Path | None,
    *,
    style: str | None,
    host: str,
    port: int,
    db: str | None,
    token: str | None,
    seed: Path | None,
    proxy: str | None = None,
    record: Path | None = None,
    allow_edit_booked: bool = False,
    keep_secrets: bool = False,
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    header_timeout: float = HEADER_TIMEOUT,
    allow_remote: tuple[str, ...] = (),
) -> int:
    """Build the app and serve it; 2 when the spec cannot be served.

    `allow_edit_booked` plays a tenant granting Zuora's "Allow Edit Of Booked Order Line Items"
    permission: fields other than `state` may then be edited while a fulfillment is booked too.
    `allow_remote` names the hosts the spec's `$ref`s may be fetched from (none by default).
    """
    from generator.fake.app import FakeSetupError, build_app, build_both_app, detect_style

    db_path = db if db is not None else DEFAULT_DB

    try:
        if style == "both":
            both = build_both_app(db_path, token, seed, allow_edit_booked=allow_edit_booked)
            return run(
                both,
                host,
                port,
                "fake (both: v1 under /v1, Quickstart under /v2)",
                keep_alive_timeout=keep_alive_timeout,
                header_timeout=header_timeout,
            )
        assert spec is not None
        if proxy is not None:  # any spec: the proxy checks traffic, it fakes nothing
            from generator.fake.proxy import build_proxy_app

            app: Any = build_proxy_app(
                spec, proxy, record, keep_secrets=keep_secrets, allow_remote=allow_remote
            )
            label = f"proxy -> {proxy}"
        else:
            chosen = style or detect_style(spec)
            if chosen == "generic" and db not in (None, ":memory:"):
                print(
                    f"apicontract serve: {spec} is served by the generic fake, which keeps its "
                    f"state in memory: --db {db} is not used",
                    file=sys.stderr,
                    flush=True,
                )
            app = build_app(
                spec,
                chosen,  # type: ignore[arg-type]
                db_path,
                token,
                seed,
                allow_edit_booked=allow_edit_booked,
                allow_remote=allow_remote,
            )
            label = f"fake ({chosen})"
            _list_unanswerable(app)
    except FakeSetupError as exc:
        print(f"apicontract serve: {exc}", file=sys.stderr)
        return 2
    return run(
        app,
        host,
        port,
        label,
        keep_alive_timeout=keep_alive_timeout,
        header_timeout=header_timeout,
    )


#: seconds a stopping fake gives requests in flight to finish
SHUTDOWN_GRACE = 5.0


class _WakeableServer(_Server):
    """uvicorn's server whose main loop a stop request wakes at once (uvicorn polls for it
    every 0.1 s, which would be most of the time a fake per test takes)."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown (its version pinned in requirements.lock) without its
        fixed 0.1 s pauses, which would be most of what a fake per test costs: stop
        listening, ask every connection to finish, wait (polling every millisecond, at most
        `SHUTDOWN_GRACE` seconds) for connections and tasks to end, then cancel what is left."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        deadline = time.monotonic() + SHUTDOWN_GRACE
        while (state.connections or state.tasks) and time.monotonic() < deadline:
            if self.force_exit:
                break
            await asyncio.sleep(0.001)
        for task in list(state.tasks):
            task.cancel(msg="the fake stopped")
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()

    def stop_soon(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(wake.set)


class ThreadServer:
    """`app` served by uvicorn (with this module's protocol: coalesced writes, head deadline,
    connection resets on request) in a background thread on a free port of 127.0.0.1; what
    the pytest fixture `apicontract_fake` starts per test."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind((host, 0))
        self.sock.listen(128)
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            http=_protocol(HEADER_TIMEOUT),
            timeout_keep_alive=KEEP_ALIVE_TIMEOUT,  # type: ignore[arg-type]
        )
        self.server = _WakeableServer(config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.sock]},
            name="apicontract-fake",
            daemon=True,
        )

    def start(self, timeout: float = 10.0) -> ThreadServer:
        self.thread.start()
        started = self.thread.is_alive
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not started() or time.monotonic() > deadline:
                raise RuntimeError("the fake's server did not start")
            time.sleep(0.001)
        return self

    def stop(self) -> None:
        self.server.stop_soon()
        self.thread.join(10)
        self.sock.close()
        store = getattr(getattr(self.app, "state", None), "fake_store", None)
        if store is not None:
            store.close()

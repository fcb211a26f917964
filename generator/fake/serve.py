"""Run the fake (or the checking proxy) with uvicorn: print the URL once listening, stop
cleanly (exit 0) on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

import uvicorn


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


def run(app: Any, host: str, port: int, label: str) -> int:
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
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = _Server(config)
    print(f"apicontract {label} listening on http://{shown}:{actual}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        store = getattr(app.state, "fake_store", None)
        if store is not None:
            store.close()
    print("apicontract serve: stopped", file=sys.stderr, flush=True)
    return 0


def serve(
    spec: Path,
    *,
    style: str | None,
    host: str,
    port: int,
    db: str,
    token: str | None,
    seed: Path | None,
    proxy: str | None = None,
    record: Path | None = None,
) -> int:
    """Build the app and serve it; 2 when the spec cannot be served."""
    from generator.fake.app import FakeSetupError, build_app, detect_style

    try:
        chosen = style or detect_style(spec)
        if proxy is not None:
            from generator.fake.proxy import build_proxy_app

            app = build_proxy_app(spec, proxy, record)
            label = f"proxy ({chosen}) -> {proxy}"
        else:
            app = build_app(spec, chosen, db, token, seed)  # type: ignore[arg-type]
            label = f"fake ({chosen})"
    except FakeSetupError as exc:
        print(f"apicontract serve: {exc}", file=sys.stderr)
        return 2
    return run(app, host, port, label)

"""`serve` and `serve --proxy` load specs under the one policy every command follows: a `$ref`
outside the spec's folder is refused, the network only with `--allow-remote HOST`, and a spec
split over files works. Real processes, a real server for the network reference."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fake.conftest import ROOT
from tests.fake.test_serve_cli import Served
from tests.spec_policy import SECRET, RefServer, Variants, line_of, make_variants, ref_server

AUTH = {"Authorization": "Bearer t"}


@pytest.fixture
def server() -> Iterator[RefServer]:
    yield from ref_server()


@pytest.fixture
def specs(tmp_path: Path, server: RefServer) -> Variants:
    return make_variants(tmp_path / "specs", server)


@pytest.fixture
def upstream() -> Iterator[str]:
    """An upstream whose every answer carries a state the spec's enum does not have."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"id": "abc", "state": "cancelled"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def refused(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "serve", *map(str, args), "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "APICONTRACT_CACHE_DIR": str(tmp_path / "cache")},
    )


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[Served]]:
    processes: list[Served] = []
    yield processes
    for served in processes:
        if served.proc.poll() is None:
            served.stop(signal.SIGKILL)


@pytest.mark.parametrize("mode", ["fake", "proxy"])
def test_a_file_ref_outside_the_folder_is_refused(
    tmp_path: Path, specs: Variants, upstream: str, mode: str
) -> None:
    extra = ["--proxy", upstream] if mode == "proxy" else ["--db", ":memory:"]
    done = refused(tmp_path, specs.secret, *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    line = line_of(specs.secret, specs.secret_file.as_uri())
    assert f"{specs.secret}:{line}:" in done.stderr
    assert "error ref-outside-root:" in done.stderr
    assert "Traceback" not in done.stderr and "listening" not in done.stdout


@pytest.mark.parametrize("mode", ["fake", "proxy"])
def test_a_network_ref_is_refused_unless_allowed(
    tmp_path: Path, specs: Variants, server: RefServer, upstream: str, mode: str
) -> None:
    extra = ["--proxy", upstream] if mode == "proxy" else ["--db", ":memory:"]
    done = refused(tmp_path, specs.remote, *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{specs.remote}:{line_of(specs.remote, server.url)}:" in done.stderr
    assert "error ref-remote-refused:" in done.stderr
    assert "--allow-remote 127.0.0.1" in done.stderr
    assert server.hits == [], "a refused reference must not touch the network"


def test_proxy_fetches_from_an_allowed_host_and_checks_with_it(
    tmp_path: Path,
    specs: Variants,
    server: RefServer,
    upstream: str,
    started: list[Served],
) -> None:
    proxy = Served(
        specs.remote, "--proxy", upstream, "--allow-remote", "127.0.0.1", cache=tmp_path / "c"
    )
    started.append(proxy)
    assert server.hits == ["/parts.json"]
    answer = httpx.get(proxy.url + "/fulfillments/abc", headers=AUTH, timeout=30)
    assert answer.json()["state"] == "cancelled"
    assert proxy.stop(signal.SIGTERM) == 0
    assert "cancelled" in proxy.stderr and "is not one of" in proxy.stderr


def test_proxy_checks_with_a_spec_split_over_files(
    tmp_path: Path, specs: Variants, upstream: str, started: list[Served]
) -> None:
    proxy = Served(specs.sibling, "--proxy", upstream, cache=tmp_path / "c")
    started.append(proxy)
    httpx.get(proxy.url + "/fulfillments/abc", headers=AUTH, timeout=30)
    assert proxy.stop(signal.SIGTERM) == 0
    assert "response body /state" in proxy.stderr and "cancelled" in proxy.stderr
    assert "cannot check" not in proxy.stderr and "No base URI" not in proxy.stderr


def _create(url: str, state: str) -> httpx.Response:
    body = {
        "order_line_item_id": "a" * 32,
        "fulfillment_date": "2025-01-01",
        "quantity": 1,
        "state": state,
    }
    return httpx.post(url + "/fulfillments", json=body, headers=AUTH, timeout=30)


@pytest.mark.slow
def test_fake_serves_a_spec_split_over_files(
    tmp_path: Path, specs: Variants, started: list[Served]
) -> None:
    """The fake is generated from the multi-file spec: the enum in parts.json is enforced."""
    fake = Served(specs.sibling, "--db", ":memory:", cache=tmp_path / "c")
    started.append(fake)
    assert _create(fake.url, "booked").status_code == 201
    wrong = _create(fake.url, "cancelled")
    assert wrong.status_code == 400 and "state" in wrong.text
    assert fake.stop(signal.SIGTERM) == 0


@pytest.mark.slow
def test_fake_fetches_from_an_allowed_host(
    tmp_path: Path, specs: Variants, server: RefServer, started: list[Served]
) -> None:
    fake = Served(
        specs.remote, "--db", ":memory:", "--allow-remote", "127.0.0.1", cache=tmp_path / "c"
    )
    started.append(fake)
    # fetched from the allowed host and nothing else (the fake's contract check and the
    # generated server each load the spec under the policy: once or twice)
    assert set(server.hits) == {"/parts.json"} and len(server.hits) <= 2, server.hits
    assert _create(fake.url, "booked").status_code == 201
    assert _create(fake.url, "cancelled").status_code == 400
    assert fake.stop(signal.SIGTERM) == 0

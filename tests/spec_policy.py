"""Hostile variants of the Quickstart spec for the loading-policy tests of every entry point
(`check`, `Contract.load`, the pytest plugin, `serve`, the proxy).

* `secret`: a schema `$ref`s `file:///.../secret.json`, a file outside the spec's folder
  holding `SECRET`; no output may ever contain it.
* `remote`: `FulfillmentState` lives at `http://127.0.0.1:PORT/parts.json` (a real server
  that counts requests): refused unless the host is allowed.
* `sibling`: `FulfillmentState` lives in `parts.json` beside the spec, as multi-file specs
  are written: it must work everywhere.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

SECRET = "TOPSECRET-7f3a9c-do-not-leak"
QUICKSTART = ROOT / "specs/quickstart/fulfillments.yaml"


def quickstart() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(QUICKSTART.read_text("utf-8"))
    return data


def states() -> dict[str, Any]:
    return {"FulfillmentState": quickstart()["components"]["schemas"]["FulfillmentState"]}


class RefServer:
    """Serves `parts.json` (the FulfillmentState schema) on 127.0.0.1 and records every path
    asked for."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        body = json.dumps(states()).encode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def ref_server() -> Iterator[RefServer]:
    server = RefServer()
    try:
        yield server
    finally:
        server.close()


@dataclass(frozen=True)
class Variants:
    secret: Path
    remote: Path
    sibling: Path
    secret_file: Path


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), "utf-8")
    return path


def make_variants(root: Path, server: RefServer) -> Variants:
    secret_file = _write(root / "outside" / "secret.json", {"type": "string", "enum": [SECRET]})

    secret = quickstart()
    revenue = secret["components"]["schemas"]["Revenue"]
    revenue["properties"]["leak"] = {"$ref": secret_file.as_uri()}

    remote = quickstart()
    remote["components"]["schemas"]["FulfillmentState"] = {
        "$ref": f"{server.url}/parts.json#/FulfillmentState"
    }

    sibling = quickstart()
    sibling["components"]["schemas"]["FulfillmentState"] = {"$ref": "parts.json#/FulfillmentState"}
    _write(root / "sibling" / "parts.json", states())
    return Variants(
        secret=_write(root / "secret" / "api.json", secret),
        remote=_write(root / "remote" / "api.json", remote),
        sibling=_write(root / "sibling" / "api.json", sibling),
        secret_file=secret_file,
    )


def line_of(spec: Path, needle: str) -> int:
    """The 1-based line of the first line of `spec` containing `needle`."""
    for number, line in enumerate(spec.read_text("utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {spec}")


#: one exchange whose response carries a state the spec's enum does not have
BAD_STATE = {
    "request": {
        "method": "GET",
        "url": "/fulfillments/abc",
        "headers": {"Authorization": "Bearer t"},
    },
    "response": {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": {"id": "abc", "state": "cancelled"},
    },
}

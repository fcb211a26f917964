"""A real HTTP server on 127.0.0.1 for recording tests: it serves `data/credentials.yaml`'s
API, echoes the credentials it is sent (as careless servers do) and answers with bodies whose
bytes are easy to lose: binary, latin-1, gzip-compressed."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SPEC = Path(__file__).parent / "data" / "credentials.yaml"

#: credentials the tests send; none of them may appear in a redacted recording
BEARER = "tok-3f9a1c2b7d8e4f60"
API_KEY = "key-8d1e55a0c4b2"
QUERY_KEY = "qk-a7c3e9f1b2d4"
SESSION = "sid-5be07a9c1d3f"
NEW_SESSION = "sid-new-91c0ffee4d2a"
SECRETS = (BEARER, API_KEY, QUERY_KEY, SESSION, NEW_SESSION)

BINARY = bytes(range(256)) * 3
LATIN = "Café crème, 10 €".encode("cp1252")
ZIPPED_JSON = {"things": ["compressed", "x" * 200]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: bytes, headers: dict[str, Any] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            for one in value if isinstance(value, list) else [value]:
                self.send_header(name, one)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/things":
            key = self.headers.get("X-Api-Key", "")
            body = json.dumps({"things": [f"seen {key}"]}).encode()
            self._send(200, body, {"Content-Type": "application/json", "X-Seen-Key": key or "none"})
        elif path == "/session":
            cookies = [f"sid={NEW_SESSION}; Path=/; HttpOnly", "theme=dark; Path=/"]
            self._send(
                200, b'{"ok": true}', {"Content-Type": "application/json", "Set-Cookie": cookies}
            )
        elif path == "/gzip":
            body = gzip.compress(json.dumps(ZIPPED_JSON).encode())
            self._send(200, body, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        elif path == "/latin":
            self._send(200, LATIN, {"Content-Type": "text/plain; charset=windows-1252"})
        elif path == "/binary":
            self._send(200, BINARY, {"Content-Type": "application/octet-stream"})
        else:
            self._send(404, b'{"error": "no such thing"}', {"Content-Type": "application/json"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        kind = self.headers.get("Content-Type", "application/octet-stream")
        self._send(201, body, {"Content-Type": kind})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def upstream() -> Iterator[str]:
    """The server's base URL while the block runs."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def exchange_all(client: Any) -> list[Any]:
    """The same exchanges for every recorder (an `httpx.Client` on the upstream or a proxy in
    front of it): credentials in every place the spec names, and hard-to-keep bodies."""
    bearer = {"Authorization": f"Bearer {BEARER}"}
    return [
        client.get("/things", headers={**bearer, "X-Api-Key": API_KEY}),
        client.get("/things", params={"api_key": QUERY_KEY, "page": "2"}, headers=bearer),
        client.get("/things", headers=bearer),  # no key: the security requirement fails
        client.get("/session", headers={**bearer, "Cookie": f"sid={SESSION}; theme=light"}),
        client.post(
            "/things",
            content=BINARY,
            headers={**bearer, "Content-Type": "application/octet-stream"},
        ),
        client.get("/gzip", headers=bearer),
        client.get("/latin", headers=bearer),
        client.get("/binary", headers=bearer),
    ]

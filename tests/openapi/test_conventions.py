"""API conventions are data: configured, declared in the spec, or guessed (and then shown)."""

from __future__ import annotations

import http.server
import importlib
import json
import sys
import textwrap
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from generator.load.workspace import Workspace
from generator.openapi import build_model
from generator.openapi.conventions import ErrorShape, Source, decide_conventions
from tests.conftest import CliRunner

BOOKS = """\
openapi: 3.1.0
info: {title: Books, version: '1'}
x-apicontract-conventions:
  idempotency-header: X-Request-Key
  pagination: {cursor-parameter: pageToken, next-field: nextPageToken, items-field: books}
paths:
  /shelves/{shelfId}/books:
    get:
      operationId: listBooks
      parameters:
        - {name: shelfId, in: path, required: true, schema: {type: string}}
        - {name: pageToken, in: query, schema: {type: string}}
        - {name: genre, in: query, schema: {type: string}}
      responses:
        '200':
          description: one page
          content:
            application/json:
              schema:
                type: object
                required: [books]
                properties:
                  books: {type: array, items: {$ref: '#/components/schemas/Book'}}
                  nextPageToken: {type: [string, 'null']}
  /shelves/{shelfId}/all:
    get:
      operationId: allBooks
      x-apicontract-pagination: false
      parameters:
        - {name: shelfId, in: path, required: true, schema: {type: string}}
        - {name: pageToken, in: query, schema: {type: string}}
      responses:
        '200':
          description: one page
          content:
            application/json:
              schema:
                type: object
                properties:
                  books: {type: array, items: {$ref: '#/components/schemas/Book'}}
                  nextPageToken: {type: [string, 'null']}
  /books:
    post:
      operationId: createBook
      parameters:
        - {name: X-Request-Key, in: header, schema: {type: string}}
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Book'}}}
      responses:
        '201': {description: made}
components:
  schemas:
    Book:
      type: object
      properties:
        title: {type: string}
"""


def decided(tmp_path: Path, text: str, config: dict[str, Any] | None = None) -> Any:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    workspace = Workspace.open(path)
    return decide_conventions(workspace, build_model(workspace), config)


def test_declared_conventions_win_over_guesses_and_config_wins_over_both(tmp_path: Path) -> None:
    conventions = decided(tmp_path, BOOKS)
    sources = {c.key: (c.value, c.source) for c in conventions.choices}
    assert sources["idempotency-header"] == ("X-Request-Key", Source.SPEC)
    assert sources["error-shape"] == ("plain", Source.GUESSED)
    assert sources["track-header"] == (None, Source.DEFAULT)
    assert conventions.pagination is not None
    assert conventions.pagination.cursor_parameter == "pageToken"
    ops = {
        op.operation_id: op for op in build_model(Workspace.open(tmp_path / "spec.yaml")).operations
    }
    assert conventions.pagination_for(ops["allBooks"]) is None  # the operation opts out
    configured = decided(tmp_path, BOOKS, {"idempotency-header": "Idem", "error-shape": "reasons"})
    assert configured.idempotency_header == "Idem"
    assert configured.error_shape is ErrorShape.REASONS
    assert {c.key: c.source for c in configured.choices}["idempotency-header"] is Source.CONFIG


def test_guesses_name_their_reason(tmp_path: Path) -> None:
    conventions = decided(
        tmp_path,
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        paths:
          /x:
            get:
              parameters: [{name: Idempotency-Key, in: header, schema: {type: string}}]
              responses:
                '400':
                  description: bad
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          type: {type: string}
                          errors: {type: array}
                          retryable: {type: boolean}
        """,
    )
    reasons = {c.key: (c.value, c.source, c.reason) for c in conventions.choices}
    assert reasons["error-shape"] == (
        "typed-errors",
        Source.GUESSED,
        "an error body has `type`, `errors` and `retryable`",
    )
    assert reasons["idempotency-header"][:2] == ("Idempotency-Key", Source.GUESSED)
    assert reasons["retryable-field"][:2] == ("retryable", Source.GUESSED)


def test_bad_declarations_are_findings(tmp_path: Path) -> None:
    conventions = decided(
        tmp_path,
        """
        openapi: 3.1.0
        info: {title: t, version: '1'}
        x-apicontract-conventions:
          error-shap: plain
          error-shape: odd
          track-header: X-Nope
          pagination: {cursor-parameter: c}
        paths: {}
        """,
    )
    assert [(f.rule, f.pointer, f.severity.value) for f in conventions.problems] == [
        ("conventions-invalid", "/x-apicontract-conventions/error-shap", "error"),
        ("conventions-invalid", "/x-apicontract-conventions/error-shape", "error"),
        ("conventions-invalid", "/x-apicontract-conventions/pagination", "error"),
        ("conventions-invalid", "/x-apicontract-conventions/track-header", "warning"),
    ]


def test_lint_reports_bad_declarations_with_their_line(cli: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"
        "x-apicontract-conventions:\n  pagnation: {}\npaths: {}\n"
    )
    done = cli("lint", spec)
    assert done.returncode == 1
    assert f"{spec}:4:3: error conventions-invalid: unknown convention 'pagnation'" in done.stdout


def test_conventions_command_shows_every_decision(cli: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "books.yaml"
    spec.write_text(BOOKS)
    text = cli("conventions", spec, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert 'idempotency-header: "X-Request-Key"  (spec: declared by x-apicontract-conventions' in (
        text.stdout
    )
    assert "track-header: -  (default: no such header parameter)" in text.stdout
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [[tool.apicontract.specs]]
            path = "books.yaml"
            package = "books"
            conventions = { track-header = "X-Request-Key" }
            """
        )
    )
    data = json.loads(cli("conventions", spec, "--format", "json", cwd=tmp_path).stdout)
    track = next(c for c in data["conventions"] if c["key"] == "track-header")
    assert track == {
        "key": "track-header",
        "value": "X-Request-Key",
        "source": "config",
        "reason": "set in [tool.apicontract]",
    }
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.apicontract.specs]]\npath = "books.yaml"\nconventions = { pages = "x" }\n'
    )
    refused = cli("conventions", spec, cwd=tmp_path)
    assert refused.returncode == 2
    assert "unknown convention 'pages'" in refused.stderr


class _Shelf(http.server.BaseHTTPRequestHandler):
    """Three pages of books on shelf `s1`, paged by `pageToken`."""

    pages: ClassVar[dict[str | None, tuple[list[str], str | None]]] = {
        None: (["a", "b"], "p2"),
        "p2": (["c"], "p3"),
        "p3": (["d"], None),
    }
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        type(self).seen.append(self.path)
        token = urllib.parse.parse_qs(url.query).get("pageToken", [None])[0]
        if url.path != "/shelves/s1/books" or token not in self.pages:
            self.send_response(404)
            self.end_headers()
            return
        titles, following = self.pages[token]
        body = json.dumps({"books": [{"title": t} for t in titles], "nextPageToken": following})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def shelf_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Shelf)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Shelf.seen.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_generated_iterator_follows_the_declared_fields_and_keeps_path_parameters(
    cli: CliRunner, tmp_path: Path, shelf_server: str
) -> None:
    spec = tmp_path / "books.yaml"
    spec.write_text(BOOKS)
    done = cli("generate", spec, "--out", tmp_path / "out", "--package", "books_client")
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((tmp_path / "out/books_client/.apicontract-manifest.json").read_text())
    pagination = next(c for c in manifest["conventions"] if c["key"] == "pagination")
    assert pagination["source"] == "spec" and pagination["value"]["items-field"] == "books"
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        client_module = importlib.import_module("books_client.client")
        with client_module.Client(base_url=shelf_server, max_retries=0) as client:
            titles = [book.title for book in client.iter_list_books("s1", genre="sf")]
            assert not hasattr(client, "iter_all_books")  # opted out of paging
    finally:
        sys.path.remove(str(tmp_path / "out"))
        for name in [n for n in sys.modules if n.split(".")[0] == "books_client"]:
            del sys.modules[name]
    assert titles == ["a", "b", "c", "d"]
    assert _Shelf.seen == [
        "/shelves/s1/books?genre=sf",
        "/shelves/s1/books?pageToken=p2&genre=sf",
        "/shelves/s1/books?pageToken=p3&genre=sf",
    ]

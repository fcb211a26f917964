"""Safe loading: hostile files are refused with a clear finding, quickly, without a traceback."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from generator.lint import LintOptions, lint_file
from generator.load.parse import Limits, ParseError, parse_yaml
from tests.conftest import CliRunner

HEADER = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        name, prev = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    result = cli("lint", bomb, timeout=30)
    assert result.returncode == 2
    assert "error alias-limit:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "loop.yaml"
    spec.write_text(HEADER + "x-loop: &l [*l]\n")
    report = lint_file(spec, LintOptions(use_cache=False))
    assert report.unreadable
    assert [f.rule for f in report.findings] == ["yaml-recursive-alias"]
    assert report.findings[0].line == 4


def test_deep_nesting_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    for name, text in [
        ("deep.yaml", "x: " + "[" * 5000 + "]" * 5000 + "\n"),
        ("deep.json", '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ]:
        spec = tmp_path / name
        spec.write_text(text)
        result = cli("lint", spec, timeout=60)
        assert result.returncode == 2, name
        assert "error nesting-limit:" in result.stdout, result.stdout
        assert "Traceback" not in result.stdout + result.stderr


def test_size_limit(tmp_path: Path) -> None:
    spec = tmp_path / "big.yaml"
    spec.write_text(HEADER + "x-pad: " + "a" * 5000 + "\n")
    report = lint_file(spec, LintOptions(use_cache=False, limits=Limits(max_bytes=1000)))
    assert report.unreadable
    assert report.findings[0].rule == "size-limit"
    assert "limit is 1,000 bytes" in report.findings[0].message


def test_binary_file_is_unreadable(cli: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"\xff\xfe\x00garbage\x80")
    result = cli("lint", spec)
    assert result.returncode == 2 and "not UTF-8" in result.stdout


def test_symlink_out_of_the_spec_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text("Order: {type: object}\n")
    folder = tmp_path / "spec"
    folder.mkdir()
    (folder / "link.yaml").symlink_to(outside)
    spec = folder / "spec.yaml"
    spec.write_text(HEADER + "components:\n  schemas:\n    Order: {$ref: 'link.yaml#/Order'}\n")
    report = lint_file(spec, LintOptions(use_cache=False))
    assert [(f.rule, f.pointer) for f in report.findings] == [
        ("ref-outside-root", "/components/schemas/Order/$ref")
    ]


def test_absolute_file_ref_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(HEADER + "components:\n  schemas:\n    P: {$ref: 'file:///etc/passwd#/x'}\n")
    report = lint_file(spec, LintOptions(use_cache=False))
    assert [f.rule for f in report.findings] == ["ref-outside-root"]


class _Schemas(http.server.BaseHTTPRequestHandler):
    body = b"Order:\n  type: object\n  properties:\n    id: {type: string}\n"
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/yaml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def schema_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Schemas)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Schemas.hits.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_network_ref_refused_unless_host_allowed(
    cli: CliRunner, tmp_path: Path, schema_server: str
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        HEADER + "components:\n  schemas:\n"
        f"    Order: {{$ref: '{schema_server}/order.yaml#/Order'}}\n"
        "    Line: {type: object, properties: {order: {$ref: '#/components/schemas/Order'}},"
        " example: {order: {id: 7}}}\n"
    )
    refused = cli("lint", spec)
    assert refused.returncode == 1
    assert "error ref-remote-refused:" in refused.stdout
    assert "--allow-remote 127.0.0.1" in refused.stdout
    assert _Schemas.hits == [], "a refused reference must not touch the network"

    allowed = cli("lint", "--allow-remote", "127.0.0.1", spec)
    assert _Schemas.hits == ["/order.yaml"]
    # the fetched schema is really used: the example's id must be a string
    assert allowed.returncode == 1
    assert (
        "error example-invalid:" in allowed.stdout and "7 is not of type 'string'" in allowed.stdout
    )
    assert "ref-remote-refused" not in allowed.stdout


def test_json_spec_with_positions(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(
        '{\n  "openapi": "3.0.3",\n  "info": {"title": "t", "version": "1"},\n'
        '  "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}\n}\n'
    )
    report = lint_file(spec, LintOptions(use_cache=False))
    assert [(f.rule, f.line, f.pointer) for f in report.findings] == [
        ("operation-id-missing", 4, "/paths/~1a/get")
    ]


def test_json_duplicate_keys_are_found(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(
        '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},\n "paths": {}, "paths": {}}\n'
    )
    report = lint_file(spec, LintOptions(use_cache=False))
    assert [(f.rule, f.line, f.pointer) for f in report.findings] == [
        ("yaml-duplicate-key", 2, "/paths")
    ]


def test_nesting_limit_whichever_layer_refuses_first() -> None:
    """Our own depth limit and libyaml's (bundled with newer PyYAML wheels) are one rule."""
    deep = "x: " + "[" * 3000 + "]" * 3000 + "\n"
    for limits in (Limits(max_depth=50), Limits(max_depth=1_000_000)):
        with pytest.raises(ParseError) as caught:
            parse_yaml(deep, limits)
        assert caught.value.rule == "nesting-limit", (limits, caught.value.message)

"""`apicontract lint` driven as a user drives it: the real command in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SPECS, CliRunner

CORPUS = Path(__file__).parent / "corpus"
LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|info) "
    r"(?P<rule>[a-z0-9-]+): (?P<msg>.+) \[(?P<pointer>[^\]]*)\]$"
)


def test_shipped_specs_lint_clean(cli: CliRunner) -> None:
    assert len(SPECS) == 2
    result = cli("lint", *SPECS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("2 files checked: 0 errors, 0 warnings, 0 info")


def test_no_argument_lints_every_spec_under_specs(cli: CliRunner) -> None:
    result = cli("lint", cwd=ROOT)
    assert result.returncode == 0
    assert "2 files checked" in result.stdout


def test_text_output_lines_and_exit_1(cli: CliRunner) -> None:
    case = CORPUS / "example_invalid_media.yaml"
    result = cli("lint", case)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    match = LINE.match(lines[0])
    assert match, lines[0]
    assert match["file"] == str(case)
    assert (match["line"], match["col"], match["rule"]) == ("21", "17", "example-invalid")
    assert (
        match["pointer"]
        == "/paths/~1orders/get/responses/200/content/application~1json/example/quantity"
    )
    assert "'two' is not of type 'number'" in match["msg"]
    assert lines[-1] == "1 file checked: 1 error, 0 warnings, 0 info"
    assert result.stderr == ""


def test_json_output(cli: CliRunner) -> None:
    cases = [CORPUS / "ref_cycle.yaml", CORPUS / "security_undefined.yaml"]
    result = cli("lint", "--format", "json", *cases)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert list(document) == ["findings"]
    findings = document["findings"]
    assert [f["rule"] for f in findings] == ["ref-cycle", "security-scheme-undefined"]
    for finding in findings:
        assert set(finding) == {"file", "line", "column", "pointer", "severity", "rule", "message"}
        assert finding["severity"] == "error"
    assert findings[1]["pointer"] == "/paths/~1orders/get/security/0/oauth"
    assert (findings[1]["line"], findings[1]["column"]) == (11, 11)


def test_json_output_clean(cli: CliRunner) -> None:
    result = cli("lint", "--format", "json", *SPECS)
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"findings": []}


def test_unreadable_file_exits_2_without_traceback(cli: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\npaths:\n  /a: [unclosed\n")
    for target, rule in [
        (tmp_path / "missing.yaml", "file-unreadable"),
        (broken, "yaml-syntax"),
        (tmp_path, "file-unreadable"),
    ]:
        result = cli("lint", target)
        assert result.returncode == 2, target
        assert "Traceback" not in result.stdout + result.stderr
        assert f"error {rule}:" in result.stdout
    result = cli("lint", broken)
    assert result.stdout.startswith(f"{broken}:4:1: error yaml-syntax:")


def test_unreadable_wins_over_findings(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("lint", CORPUS / "ref_cycle.yaml", tmp_path / "missing.yaml")
    assert result.returncode == 2
    assert "ref-cycle" in result.stdout and "file-unreadable" in result.stdout


def test_module_entry_point_and_console_script_agree(cli: CliRunner, cache_dir: Path) -> None:
    script = Path(sys.executable).with_name("apicontract")
    assert script.exists(), "console script not installed next to the interpreter"
    case = CORPUS / "operation_id_missing.yaml"
    env = {**os.environ, "APICONTRACT_CACHE_DIR": str(cache_dir)}
    direct = subprocess.run(
        [script, "lint", "--no-cache", case], capture_output=True, text=True, env=env
    )
    module = cli("lint", "--no-cache", case)
    assert (
        (direct.returncode, direct.stdout)
        == (module.returncode, module.stdout)
        == (1, module.stdout)
    )
    assert "operation-id-missing" in direct.stdout


def test_unknown_option_exits_2(cli: CliRunner) -> None:
    result = cli("lint", "--bogus")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_cache_answers_unchanged_specs_and_notices_changes(cli: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    shared = tmp_path / "shared.yaml"
    shared.write_text("Order: {type: object, properties: {id: {type: string}}}\n")
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
        "components:\n  schemas:\n    Order: {$ref: './shared.yaml#/Order'}\n"
        "    Line: {type: object, properties: {order: {$ref: '#/components/schemas/Order'}},"
        " example: {order: {id: x}}}\n"
    )
    first = cli("lint", spec)
    assert first.returncode == 0 and "from cache" not in first.stdout
    second = cli("lint", spec)
    assert second.returncode == 0
    assert "1 file checked (1 unchanged, from cache in " in second.stdout
    # a change in a referenced file invalidates the cached answer
    shared.write_text("Order: {type: object, properties: {id: {type: integer}}}\n")
    third = cli("lint", spec)
    assert third.returncode == 1 and "from cache" not in third.stdout
    assert "example-invalid" in third.stdout
    # and the cached answer keeps its findings
    fourth = cli("lint", spec)
    assert fourth.returncode == 1 and "from cache" in fourth.stdout
    assert fourth.stdout.splitlines()[0] == third.stdout.splitlines()[0]
    assert "from cache" not in cli("lint", "--no-cache", spec).stdout

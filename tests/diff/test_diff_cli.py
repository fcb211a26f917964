"""`apicontract diff OLD NEW` as a user runs it: the shipped Quickstart spec against edited
copies, every format and exit code, the ignore file, git revisions, unreadable input."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from generator.diff import RULES
from generator.report.diff import report_schema
from tests.conftest import ROOT, CliRunner

QS = ROOT / "specs" / "quickstart" / "fulfillments.yaml"
KEYS = {"rule", "severity", "operation", "location", "pointer_old", "pointer_new", "message"}
LIST_OPS = {"listFulfillmentItems", "listFulfillments"}
#: the Quickstart spec takes page_size on every one of its ten operations
PAGED = 10


def edited(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    text = QS.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SMALLER_PAGE = (
    "        minimum: 1\n        maximum: 99\n",
    "        minimum: 1\n        maximum: 50\n",
)
NEW_STATE = (
    "        - complete\n        - canceled\n",
    "        - complete\n        - canceled\n        - on_hold\n",
)


@pytest.fixture
def breaking(tmp_path: Path) -> Path:
    return edited(tmp_path, "breaking.yaml", SMALLER_PAGE, NEW_STATE)


@pytest.fixture
def warning_only(tmp_path: Path) -> Path:
    return edited(tmp_path, "warning.yaml", NEW_STATE)


def test_text_report_names_rule_operation_file_and_line(cli: CliRunner, breaking: Path) -> None:
    done = cli("diff", QS, breaking)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "breaking request-range-narrowed: listFulfillments (GET /fulfillments)" in out
    assert "at  query parameter page_size" in out
    line = breaking.read_text().splitlines().index("        maximum: 50") + 1
    schema_line = line - 3  # the `schema:` the bound belongs to
    assert f"new {breaking}:{schema_line} /components/parameters/PageSize/schema" in out
    assert "warning response-enum-value-added" in out and '"on_hold"' in out
    assert re.search(r"summary: \d+ breaking, \d+ warning, \d+ info; \d+ at or above breaking", out)
    # breaking first
    assert out.index("breaking request-range") < out.index("warning response-enum")


def test_json_report(cli: CliRunner, breaking: Path) -> None:
    done = cli("diff", QS, breaking, "--format", "json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    jsonschema.validate(report, report_schema())
    changes = report["changes"]
    assert changes and all(KEYS <= set(c) for c in changes)
    narrowed = [c for c in changes if c["rule"] == "request-range-narrowed"]
    assert LIST_OPS <= {c["operation"] for c in narrowed} and len(narrowed) == PAGED
    assert {c["severity"] for c in narrowed} == {"breaking"}
    assert {c["pointer_old"] for c in narrowed} == {"/components/parameters/PageSize/schema"}
    states = [c for c in changes if c["rule"] == "response-enum-value-added"]
    assert states and all(c["severity"] == "warning" for c in states)
    requests = [c for c in changes if c["rule"] == "request-enum-value-added"]
    assert requests and all(c["severity"] == "info" for c in requests)
    assert report["summary"]["breaking"] == len([c for c in changes if c["severity"] == "breaking"])


def test_junit_report_fails_one_case_per_change_at_the_threshold(
    cli: CliRunner, breaking: Path
) -> None:
    done = cli("diff", QS, breaking, "--format", "junit")
    assert done.returncode == 1
    suite = ET.fromstring(done.stdout).find("testsuite")
    assert suite is not None
    failures = suite.findall("testcase/failure")
    assert int(suite.get("failures", "-1")) == len(failures) == PAGED
    assert {f.get("type") for f in failures} == {"request-range-narrowed"}
    assert int(suite.get("tests", "0")) > len(failures)


def test_github_annotations(cli: CliRunner, breaking: Path) -> None:
    done = cli("diff", QS, breaking, "--format", "github")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == PAGED
    assert all(f"file={breaking}" in line.replace("%3A", ":") for line in errors)
    assert all(re.search(r",line=\d+,title=request-range-narrowed \(\w+\)::", e) for e in errors)
    assert any(line.startswith("::warning ") for line in lines)
    assert any(line.startswith("::notice ") for line in lines)


def test_fail_on_threshold(cli: CliRunner, breaking: Path, warning_only: Path) -> None:
    assert cli("diff", QS, warning_only).returncode == 0
    assert cli("diff", QS, warning_only, "--fail-on", "warning").returncode == 1
    assert cli("diff", QS, breaking, "--fail-on", "never").returncode == 0
    assert cli("diff", QS, QS, "--fail-on", "info").returncode == 0


def test_output_file(cli: CliRunner, breaking: Path, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "diff.json"
    done = cli("diff", QS, breaking, "--format", "json", "--output", target)
    assert done.returncode == 1 and done.stdout == ""
    assert json.loads(target.read_text())["changes"]


def test_ignore_file_accepts_known_changes_with_a_reason(
    cli: CliRunner, breaking: Path, tmp_path: Path
) -> None:
    (tmp_path / ".apicontract-ignore.yaml").write_text(
        "ignore:\n"
        "  - rule: request-range-narrowed\n"
        "    operation: '*'\n"
        "    location: query parameter page_size\n"
        "    reason: Zuora refuses 50+ in practice (TICKET-7)\n"
        "  - rule: operation-removed\n"
        "    operation: deleteFulfillment\n"
        "    reason: not yet\n"
    )
    done = cli("diff", QS, breaking, cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert f"({PAGED} ignored)" in done.stdout
    assert "ignore entry for operation-removed / deleteFulfillment matched no change" in done.stdout
    report = json.loads(cli("diff", QS, breaking, "--format", "json", cwd=tmp_path).stdout)
    jsonschema.validate(report, report_schema())
    assert {c["reason"] for c in report["ignored"]} == {"Zuora refuses 50+ in practice (TICKET-7)"}
    assert all(c["rule"] != "request-range-narrowed" for c in report["changes"])
    # an explicit --ignore file wins; a bad one is unreadable input naming the line
    bad = tmp_path / "bad.yaml"
    bad.write_text("ignore:\n  - rule: no-such-rule\n    operation: x\n    reason: y\n")
    done = cli("diff", QS, breaking, "--ignore", bad, cwd=tmp_path)
    assert done.returncode == 2
    assert f"{bad}:2: unknown rule 'no-such-rule'" in done.stderr
    bad.write_text("ignore:\n  - rule: operation-removed\n    operation: x\n")
    done = cli("diff", QS, breaking, "--ignore", bad)
    assert done.returncode == 2 and "`reason` is required" in done.stderr


def test_unreadable_input_exits_2_naming_the_file(cli: CliRunner, tmp_path: Path) -> None:
    missing = cli("diff", QS, tmp_path / "nope.yaml")
    assert (
        missing.returncode == 2
        and "nope.yaml" in missing.stderr
        and "no such file" in missing.stderr
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\npaths:\n  /a: [unclosed\n")
    done = cli("diff", broken, QS)
    assert done.returncode == 2 and f"{broken}:" in done.stderr
    assert "Traceback" not in done.stderr
    other = tmp_path / "other.yaml"
    other.write_text("name: not a spec\n")
    done = cli("diff", QS, other)
    assert done.returncode == 2 and "expected an OpenAPI 3.0 or 3.1 document" in done.stderr
    refs = tmp_path / "refs.yaml"
    refs.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json:\n              schema: {$ref: '#/components/schemas/Nope'}\n"
    )
    done = cli("diff", refs, refs)
    assert done.returncode == 2 and "ref-unresolved" in done.stderr and f"{refs}:11" in done.stderr
    assert cli("diff", QS).returncode == 2


def test_spec_text_cannot_drive_the_terminal(cli: CliRunner, tmp_path: Path) -> None:
    red = (NEW_STATE[0], NEW_STATE[0] + '        - "\\e[31mred"\n')
    done = cli("diff", QS, edited(tmp_path, "red.yaml", red))
    assert done.returncode == 0 and "response-enum-value-added" in done.stdout
    assert "\x1b" not in done.stdout and "31mred" in done.stdout


def test_list_rules_and_readme_document_every_rule(cli: CliRunner) -> None:
    done = cli("diff", "--list-rules")
    assert done.returncode == 0
    listed = [line.split()[0] for line in done.stdout.splitlines()]
    assert listed == list(RULES)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"| `{rule.id}` | {rule.level.label} |" in readme, rule.id


# -- git revisions ---------------------------------------------------------------------------------
def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_git_revisions_with_refs_to_sibling_files(cli: CliRunner, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    api = repo / "api"
    api.mkdir(parents=True)
    (api / "spec.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /things:\n    get:\n"
        "      operationId: listThings\n      responses:\n        '200':\n"
        "          description: ok\n"
        "          content:\n            application/json:\n"
        "              schema: {$ref: 'schemas.yaml#/Thing'}\n"
    )
    schemas = api / "schemas.yaml"
    schemas.write_text(
        "Thing:\n  type: object\n  properties:\n    name: {type: string}\n"
        "    size: {type: integer}\n"
    )
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    schemas.write_text("Thing:\n  type: object\n  properties:\n    name: {type: string}\n")
    git(repo, "commit", "-q", "-am", "two")
    schemas.write_text("Thing:\n  type: object\n  properties: {}\n")

    done = cli("diff", "git:HEAD~1:api/spec.yaml", "git:HEAD:api/spec.yaml", cwd=repo)
    assert done.returncode == 1, done.stderr
    assert "breaking response-property-removed: listThings" in done.stdout
    assert "'size'" in done.stdout
    assert "old git:HEAD~1:api/schemas.yaml:5 /Thing/properties/size" in done.stdout
    # the working tree against the last commit
    done = cli("diff", "git:HEAD:api/spec.yaml", "api/spec.yaml", "--format", "github", cwd=repo)
    assert done.returncode == 1
    assert "::error file=api/schemas.yaml,line=" in done.stdout and "'name'" in done.stdout
    # unknown revision or path: unreadable input
    done = cli("diff", "git:no-such-rev:api/spec.yaml", "api/spec.yaml", cwd=repo)
    assert done.returncode == 2 and "git:no-such-rev:api/spec.yaml" in done.stderr
    done = cli("diff", "git:HEAD:api/missing.yaml", "api/spec.yaml", cwd=repo)
    assert done.returncode == 2 and "missing.yaml" in done.stderr
    done = cli("diff", "git:--output=x:api/spec.yaml", "api/spec.yaml", cwd=repo)
    assert done.returncode == 2 and not (repo / "x").exists()

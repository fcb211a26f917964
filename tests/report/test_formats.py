"""Every command offers the same five formats (text, json, junit, github, sarif), driven as a
user drives them: the real CLI in a subprocess. SARIF logs are validated against the official
OASIS schema; annotations must land on the spec line the finding is about."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from generator.report import CHECK_FORMATS, FORMATS
from tests.conftest import ROOT, CliRunner
from tests.contract.test_check_cli import QS_BAD, QS_FORMATS, QS_GOOD, QS_TEAPOT, jsonl
from tests.report.conftest import assert_valid_sarif

CORPUS = ROOT / "tests" / "lint" / "corpus"
QS = "specs/quickstart/fulfillments.yaml"
LINT_CASES = [
    CORPUS / "example_invalid_media.yaml",
    CORPUS / "ref_cycle.yaml",
    CORPUS / "security_undefined.yaml",
    CORPUS / "path_param_unused.yaml",
]
COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def parse_command(line: str) -> dict[str, str]:
    match = COMMAND.match(line)
    assert match, line
    props = dict(p.split("=", 1) for p in match["props"].split(","))
    return {"level": match["level"], "message": match["message"], **props}


def sarif_results(text: str) -> list[dict[str, Any]]:
    document = json.loads(text)
    assert_valid_sarif(document)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:  # ruleIndex points at the rule it names
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    results: list[dict[str, Any]] = run["results"]
    return results


def region(result: dict[str, Any]) -> tuple[str, int, int | None]:
    physical = result["locations"][0]["physicalLocation"]
    where = physical["region"]
    return physical["artifactLocation"]["uri"], where["startLine"], where.get("startColumn")


def test_the_formats_are_the_same_for_every_command(cli: CliRunner) -> None:
    assert FORMATS == ("text", "json", "junit", "github", "sarif")
    for command in ("lint", "diff", "check"):
        usage = cli(command, "--help").stdout
        offered = re.search(r"--format \{([a-z,]+)\}", usage)
        assert offered, usage
        expected = CHECK_FORMATS if command == "check" else FORMATS
        assert tuple(offered[1].split(",")) == expected


# -- lint ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lint_findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    from generator.lint import LintOptions, lint_file

    reports = [lint_file(p, LintOptions(use_cache=False), display=str(p)) for p in LINT_CASES]
    findings = [f.to_json() for report in reports for f in report.findings]
    assert {f["severity"] for f in findings} >= {"error"} and len(findings) >= 4
    return findings


def test_lint_sarif_has_every_finding_on_its_line(
    cli: CliRunner, lint_findings: list[dict[str, Any]]
) -> None:
    done = cli("lint", *LINT_CASES, "--format", "sarif")
    assert done.returncode == 1, done.stderr
    results = sarif_results(done.stdout)
    assert len(results) == len(lint_findings)
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for result, finding in zip(results, lint_findings, strict=True):
        assert result["ruleId"] == finding["rule"]
        assert result["level"] == levels[finding["severity"]]
        uri, line, column = region(result)
        assert uri.endswith(Path(finding["file"]).name) and uri.startswith("file:///")
        assert (line, column) == (finding["line"], finding["column"])
        assert finding["message"] in result["message"]["text"]


def test_lint_github_annotations_sit_on_the_findings_lines(
    cli: CliRunner, lint_findings: list[dict[str, Any]]
) -> None:
    done = cli("lint", *LINT_CASES, "--format", "github")
    assert done.returncode == 1
    *commands, summary = done.stdout.splitlines()
    assert summary.startswith("apicontract lint: 4 files checked:")
    assert len(commands) == len(lint_findings)
    for line, finding in zip(commands, lint_findings, strict=True):
        command = parse_command(line)
        assert command["file"] == finding["file"].replace(":", "%3A")
        assert (command["line"], command["col"]) == (str(finding["line"]), str(finding["column"]))
        assert command["title"] == f"apicontract lint%3A {finding['rule']}"


def test_lint_junit_fails_a_case_per_error(
    cli: CliRunner, lint_findings: list[dict[str, Any]], tmp_path: Path
) -> None:
    target = tmp_path / "out" / "lint.xml"
    done = cli("lint", *LINT_CASES, "--format", "junit", "--output", target)
    assert (done.returncode, done.stdout) == (1, "")
    root = ET.parse(target).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [str(p) for p in LINT_CASES]
    cases = root.findall(".//testcase")
    assert len(cases) == len(lint_findings)
    errors = sum(1 for f in lint_findings if f["severity"] == "error")
    assert len(root.findall(".//failure")) == errors == int(root.get("failures", "-1"))


def test_lint_clean_and_unreadable_specs_in_junit_and_sarif(cli: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\ninfo: [unclosed\n")
    done = cli("lint", ROOT / QS, broken, "--format", "junit")
    assert done.returncode == 2
    root = ET.fromstring(done.stdout)
    clean_suite, broken_suite = root.findall("testsuite")
    assert clean_suite.find("testcase/failure") is None  # a clean spec is one passing case
    assert len(clean_suite.findall("testcase")) == 1
    assert broken_suite.find("testcase/error") is not None
    assert root.get("errors") == "1"
    done = cli("lint", broken, "--format", "sarif")
    (result,) = sarif_results(done.stdout)
    assert result["ruleId"] == "yaml-syntax" and region(result)[1] >= 2


# -- diff ------------------------------------------------------------------------------------
@pytest.fixture
def changed_spec(tmp_path: Path) -> Path:
    text = (ROOT / QS).read_text(encoding="utf-8")
    for old, new in [
        ("        minimum: 1\n        maximum: 99\n", "        minimum: 1\n        maximum: 50\n"),
        (
            "        - complete\n        - canceled\n",
            "        - complete\n        - canceled\n        - on_hold\n",
        ),
    ]:
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path / "new.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_diff_sarif_points_at_the_new_spec_and_keeps_accepted_changes(
    cli: CliRunner, changed_spec: Path, tmp_path: Path
) -> None:
    ignore = tmp_path / "accepted.yaml"
    ignore.write_text(
        "ignore:\n  - rule: response-enum-value-added\n    operation: '*'\n"
        "    reason: clients map unknown states to other\n"
    )
    report = json.loads(
        cli("diff", QS, changed_spec, "--format", "json", "--ignore", ignore).stdout
    )
    done = cli("diff", QS, changed_spec, "--format", "sarif", "--ignore", ignore)
    assert done.returncode == 1, done.stderr
    results = sarif_results(done.stdout)
    open_results = [r for r in results if "suppressions" not in r]
    accepted = [r for r in results if "suppressions" in r]
    assert len(open_results) == len(report["changes"]) > 0
    assert len(accepted) == len(report["ignored"]) > 0
    for result in accepted:
        assert result["ruleId"] == "response-enum-value-added"
        (suppression,) = result["suppressions"]
        assert suppression == {
            "kind": "external",
            "justification": "clients map unknown states to other",
        }
    lines = changed_spec.read_text().splitlines()
    for result, change in zip(open_results, report["changes"], strict=True):
        assert result["ruleId"] == change["rule"]
        assert (
            result["level"]
            == {"breaking": "error", "warning": "warning", "info": "note"}[change["severity"]]
        )
        uri, line, _ = region(result)
        assert uri.endswith("new.yaml") and line == change["line_new"]
        assert lines[line - 1].strip()  # a real line of the new spec


# -- check -----------------------------------------------------------------------------------
@pytest.fixture
def traffic(tmp_path: Path) -> Path:
    hostile = {
        "request": {
            "method": "GET",
            "url": "/nowhere%0A::error::forged\n::warning file=x::y,z",
            "headers": {},
        }
    }
    path = tmp_path / "traffic.jsonl"
    path.write_text(
        jsonl(QS_GOOD, QS_BAD, QS_TEAPOT, QS_FORMATS, QS_BAD, hostile, "{broken", QS_BAD)
    )
    return path


def test_check_sarif_folds_findings_onto_spec_lines(cli: CliRunner, traffic: Path) -> None:
    report = json.loads(cli("check", QS, traffic, "--format", "json").stdout)
    done = cli("check", QS, traffic, "--format", "sarif")
    assert done.returncode == 1, done.stderr
    results = sarif_results(done.stdout)
    assert sum(r.get("occurrenceCount", 1) for r in results) == len(report["findings"])
    assert len(results) < len(report["findings"])  # QS_BAD three times: folded
    spec_lines = (ROOT / QS).read_text().splitlines()
    placed = 0
    for result in results:
        kind = result["ruleId"]
        if kind == "invalid_input":  # the recording's own fault: no place in the spec
            assert "locations" not in result
            continue
        uri, line, _ = region(result)
        assert uri == QS
        pointer = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        last = pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        if last.isdigit():
            continue
        assert last in spec_lines[line - 1], (pointer, line, spec_lines[line - 1])
        placed += 1
    assert placed >= 6
    by_kind = {r["ruleId"]: r for r in results}
    bad = by_kind["wrong_type"]
    assert bad["occurrenceCount"] == 3 and bad["properties"]["exchanges"] == 3
    assert "- expected: number" in bad["message"]["text"]
    assert by_kind["undocumented_operation"]["locations"]  # a path missing from the spec


def test_check_github_annotations_are_one_line_each(cli: CliRunner, traffic: Path) -> None:
    sarif = sarif_results(cli("check", QS, traffic, "--format", "sarif").stdout)
    done = cli("check", QS, traffic, "--format", "github")
    assert done.returncode == 1
    *commands, summary = done.stdout.splitlines()
    assert summary.startswith("apicontract check: 8 exchanges, 1 conforming,")
    assert len(commands) == len(sarif)  # the forged `::error` in a URL stayed inside a message
    for line, result in zip(commands, sarif, strict=True):
        command = parse_command(line)
        assert command["level"] == "error"
        if "locations" in result:
            uri, spec_line, column = region(result)
            assert (command["file"], command["line"], command["col"]) == (
                uri,
                str(spec_line),
                str(column),
            )
        else:
            assert "file" not in command and "line" not in command
    forged = next(c for c in commands if "nowhere" in c)
    assert "%0A::error::forged%0A" in forged or "%250A" in forged

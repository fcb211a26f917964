"""Each file in corpus/ carries exactly one defect, named on its first line:

    # expect: RULE LINE:COLUMN POINTER      (or `# expect: nothing`)

Linting it must report exactly that finding and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.findings import Severity
from generator.lint import LintOptions, lint_file

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*.yaml"))


def expectation(path: Path) -> set[tuple[str, int, int, str]]:
    header = path.read_text("utf-8").splitlines()[0]
    assert header.startswith("# expect: "), f"{path.name} lacks its expectation header"
    words = header.removeprefix("# expect: ").split()
    if words[0] == "nothing":
        return set()
    rule, position = words[0], words[1]
    pointer = words[2] if len(words) > 2 and not words[2].startswith("(") else ""
    line, column = (int(n) for n in position.split(":"))
    return {(rule, line, column, pointer)}


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_corpus_case_reports_exactly_its_defect(case: Path) -> None:
    report = lint_file(case, LintOptions(use_cache=False))
    found = {(f.rule, f.line, f.column, f.pointer) for f in report.findings}
    assert found == expectation(case)
    assert all(f.severity is Severity.ERROR for f in report.findings)
    assert all(f.file == str(case) for f in report.findings)


def test_corpus_covers_every_rule() -> None:
    rules = {rule for case in CASES for rule, *_ in expectation(case)}
    assert rules >= {
        "oas-structure",
        "openapi-version",
        "example-invalid",
        "ref-unresolved",
        "ref-cycle",
        "ref-remote-refused",
        "ref-outside-root",
        "operation-id-missing",
        "operation-id-duplicate",
        "path-parameter-undeclared",
        "path-parameter-unused",
        "security-scheme-undefined",
        "required-undefined",
        "yaml-duplicate-key",
    }

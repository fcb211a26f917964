"""Spec pairs from oasdiff's test suite (tests/data/public/oasdiff, Apache-2.0), run through
`apicontract diff` as CI runs it: the exit code is oasdiff's breaking / not-breaking verdict,
and the rules that carry it are apicontract's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliRunner

DATA = ROOT / "tests" / "data" / "public" / "oasdiff"

# (old, new, breaking by oasdiff's tests, (rule, severity) pairs apicontract reports, among
# them every breaking one)
PAIRS: list[tuple[str, str, bool, list[tuple[str, str]]]] = [
    (
        "checker/request_property_one_of_wrapped_base.yaml",
        "checker/request_property_one_of_wrapped_revision.yaml",
        True,
        [("request-variants-overlap", "breaking")],
    ),
    (
        "checker/not_base.yaml",
        "checker/not_revision.yaml",
        True,
        [("request-negation-narrowed", "breaking")],
    ),
    (
        "checker/sub_schema_traversal_base.yaml",
        "checker/sub_schema_traversal_revision.yaml",
        True,
        [
            ("request-condition-changed", "breaking"),
            ("request-length-narrowed", "breaking"),
            ("request-range-narrowed", "breaking"),
        ],
    ),
    (
        "checker/webhook_base.yaml",
        "checker/webhook_revision.yaml",
        True,
        [("webhook-removed", "breaking"), ("webhook-added", "info")],
    ),
    (
        "checker/request_param_multitype_to_array_31_base.yaml",
        "checker/request_param_multitype_to_array_31_revision.yaml",
        False,
        [("request-type-widened", "info")],
    ),
    (
        "checker/request_parameter_property_type_changed_base_num.yaml",
        "checker/request_parameter_property_type_changed_revision.yaml",
        False,
        [("request-type-widened", "info")],
    ),
    (
        "checker/response_property_const_changed_base.yaml",
        "checker/response_property_const_changed_revision.yaml",
        True,
        [("response-const-changed", "breaking")],
    ),
    (
        "checker/response_property_any_of_added_base.yaml",
        "checker/response_property_any_of_added_revision.yaml",
        False,
        [("response-variant-duplicated", "info")],
    ),
    (
        "checker/contains_added_base.yaml",
        "checker/contains_added_revision.yaml",
        True,
        [("request-contains-added", "breaking"), ("response-constraint-tightened", "info")],
    ),
    (
        "checker/request_property_pattern_added_or_changed_base.yaml",
        "checker/request_property_pattern_added_or_changed_revision.yaml",
        False,
        [("request-constraint-relaxed", "info")],
    ),
    (
        "pattern-base.yaml",
        "pattern-modified.yaml",
        False,
        [("response-pattern-changed", "warning")],
    ),
    (
        "new_endpoints/base_with_path_param.yaml",
        "new_endpoints/revision_with_path_param.yaml",
        False,
        [("operation-added", "info")],
    ),
    (
        "media-type-schema/base.yaml",
        "media-type-schema/revision.yaml",
        True,
        [("request-type-narrowed", "breaking"), ("response-type-narrowed", "info")],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "breaking", "expected"),
    [pytest.param(*p, id=Path(p[0]).stem) for p in PAIRS],
)
def test_oasdiff_pair(
    cli: CliRunner, old: str, new: str, breaking: bool, expected: list[tuple[str, str]]
) -> None:
    done = cli("diff", DATA / old, DATA / new, "--format", "json")
    assert done.returncode == (1 if breaking else 0), done.stdout + done.stderr
    changes = json.loads(done.stdout)["changes"]
    found = {(c["rule"], c["severity"]) for c in changes}
    assert set(expected) <= found, changes
    # the verdict is carried by the rules named, nothing else breaks
    assert {f for f in found if f[1] == "breaking"} <= set(expected), changes


def test_the_path_parameter_pair_reports_no_parameter_change(cli: CliRunner) -> None:
    done = cli(
        "diff",
        DATA / "new_endpoints/base_with_path_param.yaml",
        DATA / "new_endpoints/revision_with_path_param.yaml",
    )
    assert done.returncode == 0
    assert "parameter" not in done.stdout

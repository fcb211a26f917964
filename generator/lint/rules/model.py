"""What the OpenAPI model could not read, reported rather than dropped: parameters without a
usable name, location, style or value description, response keys that are no status, server
variables without a default, security schemes of unknown type, operations written as `$ref`.

Broken references and unsupported versions are the reference and structure rules' findings
(they locate them better), so they are not repeated here; `lint_workspace` also drops one of
these findings where another rule already reports the same place.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.findings import Finding
from generator.lint.context import LintContext

#: model problems another rule reports already
_REPORTED_ELSEWHERE = ("ref-", "openapi-version", "yaml-")

#: rule ids this module can yield
RULE_IDS = frozenset(
    {
        "parameter-invalid",
        "parameter-style-invalid",
        "response-status-invalid",
        "server-variable-invalid",
        "security-scheme-invalid",
        "operation-ref",
        "oas-structure",
    }
)


def check(ctx: LintContext) -> Iterator[Finding]:
    for problem in ctx.model.problems:
        if not problem.finding.rule.startswith(_REPORTED_ELSEWHERE):
            yield problem.finding

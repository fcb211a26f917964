"""The spec's `x-apicontract-conventions` declaration is usable: known keys, values of the right
kind, and headers that some operation really takes or answers (see
`generator.openapi.conventions`)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.openapi.conventions import EXTENSION, OPERATION_PAGINATION, decide_conventions


def check(ctx: LintContext) -> Iterator[Finding]:
    model = ctx.model
    declared = EXTENSION in model.extensions or any(
        OPERATION_PAGINATION in op.extensions for op in model.operations
    )
    if declared:
        yield from decide_conventions(ctx.ws, model).problems

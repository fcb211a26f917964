"""Every operation has an operationId, and no two share one (generated method names need them).

Missing ids are reported for the operations under `paths`; uniqueness holds across every
operation the spec describes, webhooks and callbacks included (OpenAPI requires it)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.openapi.model import OperationKind


def check(ctx: LintContext) -> Iterator[Finding]:
    first: dict[str, tuple[str, str]] = {}
    for op in ctx.all_operations:
        if op.operation_id is None:
            if op.kind is OperationKind.PATH:
                yield op.loc.finding("operation-id-missing", f"{op.endpoint} has no operationId")
            continue
        at = op.loc.child("operationId")
        if op.operation_id in first:
            other_label, other_pointer = first[op.operation_id]
            yield at.finding(
                "operation-id-duplicate",
                f"operationId {op.operation_id!r} of {op.endpoint} is already used by "
                f"{other_label} [{other_pointer}]",
            )
        else:
            first[op.operation_id] = (op.endpoint, at.pointer)

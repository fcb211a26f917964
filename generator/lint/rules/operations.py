"""Every operation has an operationId, and no two share one (generated method names need them)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.load import pointer as jp


def check(ctx: LintContext) -> Iterator[Finding]:
    first: dict[str, tuple[str, str]] = {}
    for op in ctx.operations:
        op_id = op.value.get("operationId")
        label = f"{op.method.upper()} {op.path}"
        if not isinstance(op_id, str) or not op_id.strip():
            yield op.doc.finding(op.pointer, "operation-id-missing", f"{label} has no operationId")
            continue
        if op_id in first:
            other_label, other_pointer = first[op_id]
            yield op.doc.finding(
                jp.join(op.pointer, "operationId"),
                "operation-id-duplicate",
                f"operationId {op_id!r} of {label} is already used by {other_label} "
                f"[{other_pointer}]",
            )
        else:
            first[op_id] = (label, jp.join(op.pointer, "operationId"))

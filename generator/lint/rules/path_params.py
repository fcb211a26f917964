"""Path templates and path parameters agree: each `{name}` is declared `in: path`, and each
declared path parameter appears in the template."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.findings import Finding
from generator.lint.context import LintContext, Operation
from generator.load import pointer as jp
from generator.load.workspace import Document, RefProblem

_VARIABLE = re.compile(r"\{([^{}/]+)\}")


def _declared(ctx: LintContext, op: Operation) -> dict[str, tuple[Document, str]]:
    """Path parameters in effect for an operation: path-level ones, overridden by its own."""
    found: dict[str, tuple[Document, str]] = {}
    sources: list[tuple[str, Any]] = [
        (jp.join(op.path_item_pointer, "parameters"), op.path_item.get("parameters")),
        (jp.join(op.pointer, "parameters"), op.value.get("parameters")),
    ]
    for base, params in sources:
        if not isinstance(params, list):
            continue
        for index, param in enumerate(params):
            pointer = jp.join(base, index)
            try:
                _, _, value = ctx.ws.deref(op.doc, pointer, param)
            except RefProblem:
                continue
            if (
                isinstance(value, dict)
                and value.get("in") == "path"
                and isinstance(value.get("name"), str)
            ):
                found[value["name"]] = (op.doc, pointer)
    return found


def check(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        variables = _VARIABLE.findall(op.path)
        declared = _declared(ctx, op)
        label = f"{op.method.upper()} {op.path}"
        for name in variables:
            if name not in declared:
                yield op.doc.finding(
                    op.pointer,
                    "path-parameter-undeclared",
                    f"{label}: path variable {{{name}}} is not declared as an `in: path` parameter",
                )
        for name, (doc, pointer) in declared.items():
            if name not in variables:
                yield doc.finding(
                    pointer,
                    "path-parameter-unused",
                    f"{label}: path parameter {name!r} does not appear in the path template",
                )

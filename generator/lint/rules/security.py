"""Every security requirement names a scheme defined in components.securitySchemes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.load import pointer as jp
from generator.load.workspace import Document


def check(ctx: LintContext) -> Iterator[Finding]:
    data = ctx.root.data if isinstance(ctx.root.data, dict) else {}
    components = data.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    defined = set(schemes) if isinstance(schemes, dict) else set()
    yield from _requirements(ctx.root, "/security", data.get("security"), defined)
    for op in ctx.operations:
        yield from _requirements(
            op.doc, jp.join(op.pointer, "security"), op.value.get("security"), defined
        )


def _requirements(doc: Document, pointer: str, value: Any, defined: set[str]) -> Iterator[Finding]:
    if not isinstance(value, list):
        return
    for index, requirement in enumerate(value):
        if not isinstance(requirement, dict):
            continue
        for name in requirement:
            if name not in defined:
                known = ", ".join(sorted(defined)) or "none"
                yield doc.finding(
                    jp.join(pointer, index, name),
                    "security-scheme-undefined",
                    f"security requirement names {name!r}, which is not in "
                    f"components.securitySchemes (defined: {known})",
                )

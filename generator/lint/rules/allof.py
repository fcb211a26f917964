"""The allOf trap: a closed schema combined in `allOf` with schemas that add properties, which
can then never be sent (see `generator.openapi.allof` for what such an allOf really allows).

Closing a combined object belongs to `unevaluatedProperties: false` on the combining schema
(OpenAPI 3.1), or to a single schema that lists every property (3.0).
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.load import pointer as jp
from generator.openapi.allof import conflict

RULE = "allof-closed-member"


def check(ctx: LintContext) -> Iterator[Finding]:
    for site in ctx.model.schema_sites:
        if not isinstance(site.schema.get("allOf"), list):
            continue
        found = conflict(ctx.ws, ctx.version, site.doc, site.pointer)
        if found is None:
            continue
        described = "; ".join(
            f"{_where(part.doc.display, part.pointer, site.doc.display)} refuses "
            + ", ".join(repr(n) for n in names)
            for part, names in found.refusals
        )
        consequence = (
            f"no object satisfies it ({', '.join(repr(n) for n in sorted(found.required))} "
            "required)"
            if found.required
            else "those properties can never be sent"
        )
        remedy = (
            "close the combination with unevaluatedProperties: false here instead"
            if ctx.version == "3.1"
            else "declare every property in the closed schema (3.0 cannot close an allOf)"
        )
        yield site.doc.finding(
            jp.join(site.pointer, "allOf"),
            RULE,
            "allOf combines a closed schema (additionalProperties: false) with properties it "
            f"does not declare, so {consequence}: {described}; {remedy}",
        )


def _where(display: str, pointer: str, here: str) -> str:
    return pointer if display == here else f"{display}#{pointer}"

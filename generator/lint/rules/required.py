"""In a closed object (`additionalProperties: false`), every `required` name must be a declared
property (or match a `patternProperties` pattern): otherwise no value can ever be valid."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.load import pointer as jp


def check(ctx: LintContext) -> Iterator[Finding]:
    for site in ctx.model.schema_sites:
        schema = site.schema
        required = schema.get("required")
        if schema.get("additionalProperties") is not False or not isinstance(required, list):
            continue
        properties = schema.get("properties")
        names = set(properties) if isinstance(properties, dict) else set()
        patterns = schema.get("patternProperties")
        regexes = []
        for pattern in patterns if isinstance(patterns, dict) else ():
            try:
                regexes.append(re.compile(pattern))
            except re.error:
                continue
        for index, name in enumerate(required):
            if not isinstance(name, str) or name in names:
                continue
            if any(r.search(name) for r in regexes):
                continue
            yield site.doc.finding(
                jp.join(site.pointer, "required", index),
                "required-undefined",
                f"required property {name!r} is not in `properties` of a closed object, "
                "so no value can satisfy this schema",
            )

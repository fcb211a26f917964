"""Every security requirement names a scheme defined in components.securitySchemes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.openapi.model import SecurityRequirement


def check(ctx: LintContext) -> Iterator[Finding]:
    model = ctx.model
    defined = set(model.security_scheme_names)
    yield from _requirements(model.security, defined)
    for op in ctx.all_operations:
        own = op.security_loc
        if own is not None and own.doc is op.loc.doc and own.pointer.startswith(op.loc.pointer):
            yield from _requirements(op.security, defined)


def _requirements(
    requirements: Iterable[SecurityRequirement], defined: set[str]
) -> Iterator[Finding]:
    for requirement in requirements:
        for name in requirement.names:
            if name not in defined:
                known = ", ".join(sorted(defined)) or "none"
                yield requirement.loc.child(name).finding(
                    "security-scheme-undefined",
                    f"security requirement names {name!r}, which is not in "
                    f"components.securitySchemes (defined: {known})",
                )

"""Path templates and path parameters agree: each `{name}` is declared `in: path`, and each
declared path parameter appears in the template."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.openapi.model import ParameterIn

_VARIABLE = re.compile(r"\{([^{}/]+)\}")


def check(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        variables = _VARIABLE.findall(op.path)
        declared = {p.name: p for p in op.parameters_in(ParameterIn.PATH)}
        for name in variables:
            if name not in declared:
                yield op.loc.finding(
                    "path-parameter-undeclared",
                    f"{op.endpoint}: path variable {{{name}}} is not declared as an "
                    "`in: path` parameter",
                )
        for name, param in declared.items():
            if name not in variables:
                yield param.site.finding(
                    "path-parameter-unused",
                    f"{op.endpoint}: path parameter {name!r} does not appear in the path template",
                )

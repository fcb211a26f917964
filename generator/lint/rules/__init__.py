"""Lint rules: each module checks one idea and yields findings. Order here is report order only."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.lint.rules import (
    allof,
    conventions,
    examples,
    model,
    operations,
    path_params,
    refs,
    required,
    schemas,
    security,
    structure,
)

Rule = Callable[[LintContext], Iterable[Finding]]

RULES: tuple[Rule, ...] = (
    refs.check_unresolved,
    refs.check_cycles,
    structure.check,
    operations.check,
    path_params.check,
    security.check,
    required.check,
    allof.check,
    examples.check,
    conventions.check,
    schemas.check,
    model.check,
)

#: rules that restate, cheaply, what the structure rule may also find: where another rule
#: reports the same place, their finding is dropped (`lint_workspace`)
SECONDARY_RULES: tuple[Rule, ...] = (schemas.check, model.check)

#: what `generate` insists on before it writes code: references resolve, no endless cycle, a
#: version it reads, and nothing that would change the generated types (a malformed schema
#: keyword, a parameter the model cannot read); the full lint stays `apicontract lint`'s job
GATE_RULES: tuple[Rule, ...] = (
    refs.check_unresolved,
    refs.check_cycles,
    structure.check_version,
    schemas.check,
    model.check,
)

"""Lint rules: each module checks one idea and yields findings. Order here is report order only."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.lint.rules import (
    conventions,
    examples,
    model,
    operations,
    path_params,
    refs,
    required,
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
    examples.check,
    conventions.check,
    model.check,
)

#: what `generate` insists on before it writes code
GATE_RULES: tuple[Rule, ...] = (refs.check_unresolved, refs.check_cycles, structure.check_version)

"""Structural validation by openapi-spec-validator (OpenAPI 3.0 and 3.1), turned into findings.

It reads `$ref`s through this workspace (so the folder and network policies hold), and the checks
that other rules here do better (defaults, operationIds, path parameters, `required` names) are
switched off or dropped so each problem is reported once, by the rule that locates it precisely.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from jsonschema_path import SchemaPath
from openapi_spec_validator.validation import (
    OpenAPIV30SpecValidator,
    OpenAPIV31SpecValidator,
    keywords,
)
from openapi_spec_validator.validation.exceptions import (
    DuplicateOperationIDError,
    ExtraParametersError,
    UnresolvableParameterError,
)

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.lint.rules import refs
from generator.load import pointer as jp
from generator.load.workspace import RefProblem
from generator.openapi.dialect import version_problem

_COVERED_ELSEWHERE = (DuplicateOperationIDError, ExtraParametersError, UnresolvableParameterError)


class _NoDefaultCheck(keywords.KeywordValidator):
    """`default` values are checked by the examples rule, with their location."""

    def __call__(self, schema: Any, value: Any) -> Iterator[ValidationError]:
        return iter(())


def _without_default_check(base: type[Any]) -> type[Any]:
    return type(
        base.__name__,
        (base,),
        {"keyword_validators": {**base.keyword_validators, "default": _NoDefaultCheck}},
    )


_VALIDATORS = {
    "3.0": _without_default_check(OpenAPIV30SpecValidator),
    "3.1": _without_default_check(OpenAPIV31SpecValidator),
}


def check_version(ctx: LintContext) -> Iterator[Finding]:
    root = ctx.root
    if not isinstance(root.data, dict):
        yield root.finding("", "oas-structure", "a spec must be a mapping at the top level")
        return
    problem = version_problem(root)
    if problem is not None:
        yield problem


def check(ctx: LintContext) -> Iterator[Finding]:
    root = ctx.root
    problems = list(check_version(ctx))
    if problems:
        yield from problems
        return
    validator_cls = _VALIDATORS[ctx.version]

    def handler(uri: str) -> Any:
        return ctx.ws.document(uri.partition("#")[0]).data

    handlers = {"file": handler, "http": handler, "https": handler}
    path = SchemaPath.from_dict(root.data, base_uri=root.uri, handlers=handlers)
    seen: set[tuple[str, str]] = set()
    try:
        for error in validator_cls(path).iter_errors():
            if isinstance(error, _COVERED_ELSEWHERE):
                continue
            detail = _most_specific(error)
            pointer = jp.from_parts(detail.absolute_path)
            message = detail.message
            if len(message) > 300:
                message = message[:297] + "..."
            if (pointer, message) in seen:
                continue
            seen.add((pointer, message))
            yield root.finding(pointer, "oas-structure", message)
    except RefProblem:
        return  # the reference rules report it, with its location
    except Exception as exc:
        if ctx.ws.failures or _has_unresolved(ctx) or any(refs.check_cycles(ctx)):
            return  # explained by the reference rules, which locate the cause
        yield root.finding("", "oas-structure", f"structural validation stopped: {exc}")


def _most_specific(error: ValidationError) -> ValidationError:
    """Descend into `oneOf`/`anyOf` failures, preferring the branch that is not "use a $ref":
    a response without a description should say so, not that it is no Reference object."""
    while error.context:
        branches = [
            e for e in error.context if not (e.validator == "required" and "'$ref'" in e.message)
        ]
        error = best_match(branches or error.context)
        if error is None:  # pragma: no cover - best_match of a non-empty list
            break
    return error


def _has_unresolved(ctx: LintContext) -> bool:
    for site in ctx.ref_sites:
        try:
            ctx.ws.resolve(site.doc, site.ref)
        except RefProblem:
            return True
    return False

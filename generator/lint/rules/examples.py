"""Every `example`, `examples` entry and `default` validates against the schema it illustrates;
every violation is reported, each at the value that breaks the schema.

Schemas are checked with the OpenAPI dialect of their spec (3.0: nullable, read/write context;
3.1: JSON Schema 2020-12) and formats are asserted, through a registry that holds every loaded
document so `$ref`s resolve exactly as the spec writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30Validator,
    OAS30WriteValidator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4, DRAFT202012

from generator.findings import Finding, Severity
from generator.lint.context import LintContext
from generator.lint.message import one_line
from generator.load import pointer as jp
from generator.load.workspace import RefProblem
from generator.openapi.model import ExampleSite


def check(ctx: LintContext) -> Iterator[Finding]:
    sites = ctx.model.example_sites
    if not sites or ctx.version not in ("3.0", "3.1"):
        return
    spec = DRAFT4 if ctx.version == "3.0" else DRAFT202012

    def retrieve(uri: str) -> Resource[Any]:
        try:
            doc = ctx.ws.document(uri)
        except RefProblem as problem:
            raise Unresolvable(ref=uri) from problem
        return spec.create_resource(doc.data)

    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    for doc in list(ctx.ws.documents.values()):
        registry = registry.with_resource(doc.uri, spec.create_resource(doc.data))

    validators: dict[tuple[str, str, str], Any] = {}
    for site in sites:
        key = (site.schema_doc.uri, site.schema_at, site.direction)
        validator = validators.get(key)
        if validator is None:
            if ctx.version == "3.0":
                cls = {"request": OAS30WriteValidator, "response": OAS30ReadValidator}.get(
                    site.direction, OAS30Validator
                )
                checker = oas30_format_checker
            else:
                cls, checker = OAS31Validator, oas31_format_checker
            schema = {"$ref": f"{site.schema_doc.uri}#{site.schema_at}"}
            validator = cls(schema, registry=registry, format_checker=checker)
            validators[key] = validator
        if site.what == "default" and site.value is None:
            schema_value = _schema_value(site.schema_doc.data, site.schema_at)
            if isinstance(schema_value, dict) and schema_value.get("nullable") is True:
                continue
        try:
            errors = list(validator.iter_errors(site.value))
        except (Unresolvable, RefProblem):
            continue  # reported by the reference rules
        except RecursionError:
            continue  # reported by the cycle rule
        if not errors:
            continue
        yield from _violations(ctx, site, errors)


def _violations(
    ctx: LintContext, site: ExampleSite, errors: list[ValidationError]
) -> Iterator[Finding]:
    """One finding per violation, each at the offending value, all naming their example.

    An example written beside a `$ref` in OpenAPI 3.0 is ignored by the specification (a
    Reference Object's siblings mean nothing), so tools showing it are not bound by it: its
    violations are still real data errors and are reported, as warnings of their own rule."""
    beside_ref = ctx.version == "3.0" and _beside_ref(site)
    rule, severity = (
        ("example-beside-ref-invalid", Severity.WARNING)
        if beside_ref
        else ("example-invalid", Severity.ERROR)
    )
    what = f"{site.what} beside a $ref (ignored by OpenAPI 3.0)" if beside_ref else site.what
    found: dict[tuple[str, str], ValidationError] = {}
    for error in errors:
        for leaf in _unexpected(_specific(error)):
            found.setdefault((jp.from_parts(leaf.absolute_path), leaf.message), leaf)
    ordered = sorted(found.items(), key=lambda item: _position(site, item[0][0]))
    schema = _schema_shown(ctx, site)
    for number, ((where, _), error) in enumerate(ordered, 1):
        reason, full = one_line(error.message, error.instance)
        inner = f" at {where}" if where else ""
        count = f"; {number} of {len(ordered)} in this {site.what}" if len(ordered) > 1 else ""
        yield site.doc.finding(
            site.at + where,
            rule,
            f"{what} does not match its schema{inner}: {reason} (schema {schema}{count})",
            severity,
            detail=full,
        )


def _schema_shown(ctx: LintContext, site: ExampleSite) -> str:
    """The schema an example must satisfy, as the user finds it: a `$ref` is followed to the
    schema it names (in another file: `file#pointer`)."""
    value = _schema_value(site.schema_doc.data, site.schema_at)
    try:
        doc, pointer, _ = ctx.ws.deref(site.schema_doc, site.schema_at, value)
    except RefProblem:
        return site.schema_at
    return pointer if doc is site.doc else f"{doc.display}#{pointer}"


def _specific(error: ValidationError) -> ValidationError:
    """Inside an `anyOf`/`oneOf` that no branch satisfies, the reason of the closest branch."""
    while error.context:
        closest = best_match(error.context)
        if closest is None:  # pragma: no cover - best_match of a non-empty list
            break
        error = closest
    return error


def _unexpected(error: ValidationError) -> list[ValidationError]:
    """A closed object's unexpected properties, one violation each at the property itself
    (jsonschema names them all in one error placed at the object)."""
    if error.validator not in ("additionalProperties", "unevaluatedProperties"):
        return [error]
    if error.validator_value is not False or not isinstance(error.instance, dict):
        return [error]
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    found = schema.get("properties")
    declared: dict[str, Any] = found if isinstance(found, dict) else {}
    found = schema.get("patternProperties")
    patterns: list[str] = list(found) if isinstance(found, dict) else []
    extras = [
        key
        for key in error.instance
        if key not in declared and not any(_search(p, key) for p in patterns)
    ]
    if error.validator == "unevaluatedProperties" or not extras:
        return [error]  # which ones were evaluated elsewhere is jsonschema's to say
    return [
        ValidationError(
            f"property {key!r} is not allowed here (the object is closed)",
            validator=error.validator,
            path=[*error.absolute_path, key],
            instance=error.instance[key],
            validator_value=False,
        )
        for key in extras
    ]


def _search(pattern: str, key: str) -> bool:
    import re

    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False


def _position(site: ExampleSite, where: str) -> tuple[int, int, str]:
    line, column = site.doc.position(site.at + where)
    return line, column, where


def _beside_ref(site: ExampleSite) -> bool:
    """Whether the value sits next to a `$ref` in the schema it illustrates."""
    if jp.parent(site.at) != site.schema_at or site.schema_doc is not site.doc:
        return False
    holder = _schema_value(site.schema_doc.data, site.schema_at)
    return isinstance(holder, dict) and "$ref" in holder


def _schema_value(data: Any, pointer: str) -> Any:
    try:
        return jp.resolve(data, pointer)
    except KeyError:
        return None

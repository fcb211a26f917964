"""Every `example`, `examples` entry and `default` validates against the schema it illustrates.

Schemas are checked with the OpenAPI dialect of their spec (3.0: nullable, read/write context;
3.1: JSON Schema 2020-12) and formats are asserted, through a registry that holds every loaded
document so `$ref`s resolve exactly as the spec writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema.exceptions import best_match
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

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.load import pointer as jp
from generator.load.workspace import RefProblem


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
        error = best_match(errors)
        where = jp.from_parts(error.absolute_path)
        at = site.at + where
        inner = f" at {where}" if where else ""
        yield site.doc.finding(
            at,
            "example-invalid",
            f"{site.what} does not match its schema{inner}: {_short(error.message)} "
            f"(schema {site.schema_at})",
        )


def _schema_value(data: Any, pointer: str) -> Any:
    try:
        return jp.resolve(data, pointer)
    except KeyError:
        return None


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "..."

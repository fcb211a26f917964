"""Structural validation by openapi-spec-validator (OpenAPI 3.0 and 3.1), turned into findings.

It reads `$ref`s through this workspace (so the folder and network policies hold), and the checks
that other rules here do better (defaults, operationIds, path parameters, `required` names) are
switched off or dropped so each problem is reported once, by the rule that locates it precisely.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from jsonschema.validators import validator_for
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
from generator.lint.message import one_line
from generator.lint.rules import refs
from generator.load import pointer as jp
from generator.load.workspace import Document, RefProblem
from generator.openapi.dialect import version_problem

_COVERED_ELSEWHERE = (DuplicateOperationIDError, ExtraParametersError, UnresolvableParameterError)


class _NoDefaultCheck(keywords.KeywordValidator):
    """`default` values are checked by the examples rule, with their location."""

    def __call__(self, schema: Any, value: Any) -> Iterator[ValidationError]:
        return iter(())


def _located_schema_check(base: type[Any]) -> type[Any]:
    """The `schema` keyword validator, except that a schema failing its meta-schema carries the
    schema object it checked: that error's path is relative to the schema, which may sit in
    another file or behind a `$ref`, so the rule needs the object to find its real place."""

    def _validate_schema_meta(self: Any, schema: Any, schema_value: Any) -> Any:
        error = base._validate_schema_meta(self, schema, schema_value)
        if error is not None:
            error.apicontract_schema = schema_value
        return error

    return type(base.__name__, (base,), {"_validate_schema_meta": _validate_schema_meta})


def _without_default_check(base: type[Any]) -> type[Any]:
    keyword_validators = {
        **base.keyword_validators,
        "default": _NoDefaultCheck,
        "schema": _located_schema_check(base.keyword_validators["schema"]),
    }
    return type(base.__name__, (base,), {"keyword_validators": keyword_validators})


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
    found: dict[tuple[str, str, str], Finding] = {}
    explained: set[Finding] = set()
    validator = validator_cls(path)
    places = _SchemaPlaces(ctx)
    try:
        for error in chain(validator.iter_errors(), _other_files(ctx, validator, handlers)):
            if isinstance(error, _COVERED_ELSEWHERE):
                continue
            finding, precise = _finding(ctx, error, places)
            found.setdefault((finding.file, finding.pointer, finding.message), finding)
            if precise:
                explained.add(finding)
    except RefProblem:
        return  # the reference rules report it, with its location
    except Exception as exc:
        if ctx.ws.failures or _has_unresolved(ctx) or any(refs.check_cycles(ctx)):
            return  # explained by the reference rules, which locate the cause
        message, detail = one_line(f"structural validation stopped: {exc}")
        yield root.finding("", "oas-structure", message, detail=detail)
    yield from _without_duplicates(list(found.values()), explained)


def _other_files(
    ctx: LintContext, validator: Any, handlers: dict[str, Any]
) -> Iterator[ValidationError]:
    """openapi-spec-validator checks a schema against the JSON Schema meta-schema only where it
    is written inline; a schema `$ref`'d from another file is never checked. Check every such
    schema the walk found that its run did not visit, with the same schema validator."""
    schema_check = validator.keyword_validators_registry["schema"]
    checked = set(schema_check.meta_checked_schema_ids or ())
    # a schema written inline inside a checked one was checked with it
    covered: dict[str, list[str]] = {}
    for site in ctx.model.schema_sites:
        if id(site.schema) in checked:
            covered.setdefault(site.doc.uri, []).append(site.pointer + "/")
    for site in ctx.model.schema_sites:  # parents come before the schemas nested in them
        if site.doc is ctx.root or id(site.schema) in checked:
            continue
        if any(site.pointer.startswith(p) for p in covered.get(site.doc.uri, ())):
            continue
        path = SchemaPath.from_dict(site.doc.data, base_uri=site.doc.uri, handlers=handlers)
        for token in jp.split(site.pointer):
            path = path / token
        yield from schema_check(path)
        checked.add(id(site.schema))
        covered.setdefault(site.doc.uri, []).append(site.pointer + "/")


def _finding(
    ctx: LintContext, error: ValidationError, places: _SchemaPlaces
) -> tuple[Finding, bool]:
    """The finding for one validator error, placed in the document and at the line where the
    offending value is written (a `$ref`'d schema's own file, not the root's first line), and
    whether it was explained against the OpenAPI meta-schema (see `_without_duplicates`)."""
    detail = _most_specific(error)
    relative = jp.from_parts(detail.absolute_path)
    doc, pointer = ctx.root, relative
    schema = getattr(error, "apicontract_schema", None)
    if schema is not None:
        located = places.of(schema)
        if located is not None:
            doc, pointer = located[0], located[1] + relative
    instance: Any = detail.instance
    full = detail.message
    explained: ValidationError | None = None
    if detail is error and not isinstance(error.validator, str):
        # converted from the Rust validator: no instance and no branches of its own. Ask
        # jsonschema again, for this value only, to say which branch failed and where.
        try:
            instance = jp.resolve(doc.data, pointer)
        except KeyError:
            instance = None
        explained = _explain(error, instance)
        if explained is not None:
            detail = explained
            instance = explained.instance
            pointer += jp.from_parts(explained.absolute_path)
    message, _ = one_line(detail.message, instance)
    finding = doc.finding(pointer, "oas-structure", message, detail=full if full != message else "")
    return finding, explained is not None


def _explain(error: ValidationError, instance: Any) -> ValidationError | None:
    """The most specific reason `instance` fails the meta-schema keyword `error` names, by
    jsonschema (which keeps `oneOf` branches), or None when that cannot be told."""
    root = error.schema
    keyword_path = list(error.schema_path)[:-1]
    if not isinstance(root, dict) or not error.schema_path:
        return None
    try:
        schema: Any = root
        for token in keyword_path:
            schema = schema[token]
        validator = validator_for(root)(root).evolve(schema=schema)
        found = best_match(validator.iter_errors(instance))
    except Exception:  # a meta-schema this cannot navigate: keep the message as it was
        return None
    return None if found is None else _most_specific(found)


class _SchemaPlaces:
    """Where each schema object of the spec is written (its document and pointer), found by
    identity: a schema failing its meta-schema is known only as the object that was checked."""

    def __init__(self, ctx: LintContext) -> None:
        self.ctx = ctx
        self.index: dict[int, tuple[Document, str]] | None = None

    def of(self, schema: Any) -> tuple[Document, str] | None:
        if self.index is None:  # built on the first error only
            self.index = {id(s.schema): (s.doc, s.pointer) for s in self.ctx.model.schema_sites}
        return self.index.get(id(schema))


def _without_duplicates(findings: list[Finding], explained: set[Finding]) -> Iterator[Finding]:
    """One finding per problem. A bad schema keyword fails both the OpenAPI meta-schema (as
    explained above, in the OpenAPI version's own terms: 3.0 has no type 'null') and the JSON
    Schema meta-schema, at the same place: keep the OpenAPI one. Where the OpenAPI meta-schema could
    only say "not valid under any of the schemas listed in the 'oneOf'", keep that vague finding
    only when nothing more precise was found inside it."""
    places = {(f.file, f.pointer) for f in explained}
    for finding in findings:
        if finding not in explained and (finding.file, finding.pointer) in places:
            continue
        vague = "is not valid under any of the" in finding.message
        inside = finding.pointer + "/"
        if vague and any(
            other.file == finding.file and other.pointer.startswith(inside) for other in findings
        ):
            continue
        yield finding


def _most_specific(error: ValidationError) -> ValidationError:
    """Descend into `oneOf`/`anyOf` failures, preferring the branch that is not "use a $ref":
    a response without a description should say so, not that it is no Reference object."""
    while error.context:
        branches = [
            e for e in error.context if not (e.validator == "required" and "'$ref'" in e.message)
        ]
        enums = _one_enum(branches)
        if enums is not None:
            return enums
        error = best_match(branches or error.context)
        if error is None:  # pragma: no cover - best_match of a non-empty list
            break
    return error


def _one_enum(branches: list[ValidationError]) -> ValidationError | None:
    """Branches that each allow one value for the same key (`in: path`, `in: query`, ...)
    are one choice: say "'quer' is not one of ['path', 'query', ...]" once."""
    enums = [e for e in branches if e.validator in ("enum", "const") and e.absolute_path]
    paths = {tuple(e.absolute_path) for e in enums}
    if len(enums) < 2 or len(paths) != 1:
        return None
    allowed: list[Any] = []
    for e in enums:
        raw: Any = e.validator_value
        values = raw if e.validator == "enum" and isinstance(raw, list) else [raw]
        allowed.extend(v for v in values if v not in allowed)
    first = enums[0]
    return ValidationError(
        f"{first.instance!r} is not one of {allowed!r}",
        validator="enum",
        path=first.absolute_path,
        instance=first.instance,
        validator_value=allowed,
    )


def _has_unresolved(ctx: LintContext) -> bool:
    for site in ctx.ref_sites:
        try:
            ctx.ws.resolve(site.doc, site.ref)
        except RefProblem:
            return True
    return False

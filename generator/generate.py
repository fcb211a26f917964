"""`apicontract generate`: spec -> lint -> IR -> rendered package, in memory and cached by
content. Writing, the manifest and `--check` live in `generator.write`."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.cache import ContentCache, default_cache_dir, local_dependencies
from generator.findings import Finding, InputError, Severity, UnusableSpec
from generator.load.parse import DEFAULT_LIMITS, Limits
from generator.naming import ModuleName, module_name
from generator.openapi.model import OpenApi, OperationKind


@dataclass
class PackageResult:
    spec: str
    package: ModuleName
    files: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    cached: bool = False
    digest: str = ""
    #: the API conventions the code follows, each with where it came from (for the manifest)
    conventions: list[dict[str, Any]] = field(default_factory=list)
    #: refused by the gate for errors that would change the generated code (`--force` skips)
    refused: bool = False
    _documents: dict[str, Any] | None = None
    _root_uri: str = ""

    @property
    def ok(self) -> bool:
        return not self.unreadable and not any(f.severity is Severity.ERROR for f in self.findings)


def build_package(
    spec: Path,
    package: str,
    *,
    display: str | None = None,
    allow_remote: tuple[str, ...] = (),
    limits: Limits = DEFAULT_LIMITS,
    conventions: Mapping[str, Any] | None = None,
    force: bool = False,
) -> PackageResult:
    """Generate one package's files in memory. A spec with errors that would change the
    generated code produces no files unless `force`; unresolvable references and unreadable
    versions always stop it. `conventions` are the configured API conventions
    (generator.openapi.conventions)."""
    # imported here: a cached answer needs none of the heavy machinery
    from generator.ir.build import build_api
    from generator.lint.engine import gate_workspace
    from generator.load.bundle import bundle
    from generator.load.workspace import Workspace
    from generator.render.format import FormatError
    from generator.render.models import (
        ModelGenerationError,
        generate_models,
        remove_python_extensions,
    )
    from generator.render.names import tidy, used_classes
    from generator.render.package import render_package

    shown = display if display is not None else str(spec)
    result = PackageResult(shown, module_name(package))
    try:
        workspace = Workspace.open(spec, shown, allow_remote, limits)
    except InputError as exc:
        result.findings = [exc.finding]
        result.unreadable = True
        return result
    from generator.load.swagger2 import upgrade
    from generator.openapi.build import build_model
    from generator.openapi.conventions import decide_conventions
    from generator.openapi.dialect import is_swagger2

    if is_swagger2(workspace.root.data):
        workspace.root.data = upgrade(workspace.root.data)
        result.findings.append(
            Finding(
                shown,
                1,
                1,
                "/swagger",
                Severity.INFO,
                "swagger2-upgraded",
                "Swagger 2.0 document upgraded to OpenAPI 3.0 for generation",
            )
        )
    result.digest = workspace.root.digest
    result._documents = workspace.documents
    result._root_uri = workspace.root.uri
    gate = gate_workspace(workspace)
    result.findings.extend(gate)
    blocking = [f for f in gate if f.severity is Severity.ERROR]
    if any(f.rule not in CHANGES_CODE for f in blocking):
        return result
    if blocking and not force:
        result.refused = True
        return result
    if blocking:  # --force: go on, and say so under each finding
        result.findings = [
            _forced(f) if f.severity is Severity.ERROR else f for f in result.findings
        ]
    single = workspace
    bundled = None
    if len(workspace.documents) > 1:  # the gate loaded every document a reference reaches
        try:
            # one self-contained document: the libraries below never resolve a reference
            bundled = bundle(workspace)
        except UnusableSpec as unusable:  # the gate reports these first; not reached in practice
            result.findings.extend(unusable.findings)
            return result
        single = bundled.workspace
    # spec text never chooses an import: before any library reads the spec
    result.findings.extend(remove_python_extensions(bundled or single))
    model = build_model(single)
    result.findings.extend(not_generated(model))
    decided = decide_conventions(single, model, conventions)
    result.findings.extend(decided.problems)
    result.conventions = [choice.to_json() for choice in decided.choices]
    if not result.ok:
        return result
    try:
        models = generate_models(model, single)
        result.findings.extend(
            Finding(shown, 1, 1, "", Severity.WARNING, "generate-fallback", note)
            for note in models.notes
        )
        api = build_api(single, model, decided, models.index, result.package)
        tidied = tidy(models, used_classes(api))
        if tidied.classes != models.classes:  # dropped or renamed: the IR names them again
            models = tidied
            api = build_api(single, model, decided, models.index, result.package)
        result.files = render_package(api, models)
    except (ModelGenerationError, FormatError) as exc:
        result.findings.append(
            Finding(shown, 1, 1, "", Severity.ERROR, "generate-failed", str(exc))
        )
    return result


#: gate rules whose errors change the generated code without making generation impossible
CHANGES_CODE = frozenset(
    {
        "schema-invalid",
        "parameter-invalid",
        "parameter-style-invalid",
        "response-status-invalid",
        "server-variable-invalid",
        "security-scheme-invalid",
        "oas-structure",
    }
)


def _forced(finding: Finding) -> Finding:
    """An error generation went past with --force: still shown, no longer blocking."""
    return dataclasses.replace(
        finding,
        severity=Severity.WARNING,
        message=f"{finding.message} (generated anyway: --force)",
    )


def not_generated(model: OpenApi) -> list[Finding]:
    """What the spec describes that the generated package has no code for, said out loud."""
    found: list[Finding] = []
    for op in model.all_operations():
        if op.kind is OperationKind.PATH:
            continue
        what = "webhook" if op.kind is OperationKind.WEBHOOK else f"callback {op.owner!r}"
        found.append(
            op.loc.finding(
                "not-generated",
                f"{what} {op.endpoint}: the API calls you here; no client or server code is "
                "generated for it (its schemas are in `models` when components name them)",
                Severity.INFO,
            )
        )
    return found


@functools.cache
def _toolchain_digest() -> str:
    """Everything besides the spec that shapes the output: templates and library versions."""
    from importlib.metadata import version

    from generator.render.environment import template_root

    hasher = hashlib.sha256()
    package_root = Path(__file__).resolve().parent
    for root, pattern in ((template_root(), "*"), (package_root, "*.py")):
        for path in sorted(p for p in root.rglob(pattern) if p.is_file()):
            hasher.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    for dist in ("datamodel-code-generator", "ruff", "pydantic"):
        hasher.update(f"{dist}={version(dist)}".encode())
    return hasher.hexdigest()


def _cache_slot(
    spec: Path,
    package: str,
    shown: str,
    allow_remote: tuple[str, ...],
    cache_dir: Path | None,
    conventions: Mapping[str, Any] | None = None,
) -> tuple[ContentCache, str] | None:
    """Where a package's answer lives in the content cache (None when the spec is unreadable:
    building reports that properly)."""
    try:
        raw = spec.read_bytes()
    except OSError:
        return None
    cache = ContentCache(cache_dir or default_cache_dir(), "generate")
    settings = json.dumps(conventions or {}, sort_keys=True)
    return cache, cache.key(
        raw, package, shown, repr(sorted(allow_remote)), settings, _toolchain_digest()
    )


def _from_cache(
    slot: tuple[ContentCache, str] | None, shown: str, package: str
) -> PackageResult | None:
    hit = slot[0].get(slot[1]) if slot is not None else None
    if not isinstance(hit, dict):
        return None
    return PackageResult(
        shown,
        module_name(package),
        files=dict(hit["files"]),
        findings=[Finding.from_json(f) for f in hit["findings"]],
        cached=True,
        digest=str(hit["digest"]),
        conventions=list(hit.get("conventions", [])),
    )


def build_package_cached(
    spec: Path,
    package: str,
    *,
    display: str | None = None,
    allow_remote: tuple[str, ...] = (),
    use_cache: bool = True,
    cache_dir: Path | None = None,
    conventions: Mapping[str, Any] | None = None,
    force: bool = False,
) -> PackageResult:
    """`build_package`, answered from the content cache when the spec (and every file it
    references), the templates, the toolchain and the settings are unchanged."""
    shown = display if display is not None else str(spec)
    slot = (
        _cache_slot(spec, package, shown, allow_remote, cache_dir, conventions)
        if use_cache and not force
        else None
    )
    hit = _from_cache(slot, shown, package)
    if hit is not None:
        return hit
    result = build_package(
        spec,
        package,
        display=display,
        allow_remote=allow_remote,
        conventions=conventions,
        force=force,
    )
    if slot is not None and result.ok and result._documents is not None:
        deps = local_dependencies(result._documents, result._root_uri)
        if deps is not None:
            slot[0].put(
                slot[1],
                deps,
                {
                    "files": result.files,
                    "digest": result.digest,
                    "findings": [f.to_json() for f in result.findings],
                    "conventions": result.conventions,
                },
            )
    return result


@dataclass(frozen=True)
class Job:
    spec: Path
    package: str
    display: str
    allow_remote: tuple[str, ...] = ()
    use_cache: bool = True
    cache_dir: Path | None = None
    conventions: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    force: bool = False


def _run_job(job: Job) -> PackageResult:
    result = build_package_cached(
        job.spec,
        job.package,
        display=job.display,
        allow_remote=job.allow_remote,
        use_cache=job.use_cache,
        cache_dir=job.cache_dir,
        conventions=job.conventions,
        force=job.force,
    )
    result._documents = None  # not needed by the caller, and not picklable cheaply
    return result


def _cached(job: Job) -> PackageResult | None:
    if not job.use_cache or job.force:
        return None
    slot = _cache_slot(
        job.spec, job.package, job.display, job.allow_remote, job.cache_dir, job.conventions
    )
    return _from_cache(slot, job.display, job.package)


def build_many(jobs: list[Job]) -> list[PackageResult]:
    """Build several packages: cached ones straight away, the rest in parallel processes when
    there is more than one (forked after the heavy imports, so each child starts warm).
    Results come back in the order of `jobs`, so output never depends on scheduling."""
    results: list[PackageResult | None] = [_cached(job) for job in jobs]
    todo = [i for i, r in enumerate(results) if r is None]
    methods = __import__("multiprocessing").get_all_start_methods()
    if len(todo) > 1 and (os.cpu_count() or 1) > 1 and "fork" in methods:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        import datamodel_code_generator  # noqa: F401 - warm the parent before forking

        import generator.lint.engine
        import generator.render.package  # noqa: F401

        context = multiprocessing.get_context("fork")
        workers = min(len(todo), os.cpu_count() or 1)
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                for index, result in zip(
                    todo, pool.map(_run_job, [jobs[i] for i in todo]), strict=True
                ):
                    results[index] = result
            todo = []
        except (OSError, RuntimeError):
            pass  # no process support here: build in this process below
    for index in todo:
        results[index] = _run_job(jobs[index])
    return [r for r in results if r is not None]

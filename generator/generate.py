"""`apicontract generate`: spec -> lint -> IR -> rendered package, in memory and cached by
content. Writing, the manifest and `--check` live in `generator.write`."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.cache import ContentCache, default_cache_dir, local_dependencies
from generator.findings import Finding, InputError, Severity
from generator.naming import ModuleName, module_name
from generator.spec.parse import DEFAULT_LIMITS, Limits


@dataclass
class PackageResult:
    spec: str
    package: ModuleName
    files: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    cached: bool = False
    digest: str = ""
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
) -> PackageResult:
    """Generate one package's files in memory. A spec with lint errors produces no files."""
    # imported here: a cached answer needs none of the heavy machinery
    from generator.ir.build import build_api
    from generator.lint.engine import gate_workspace
    from generator.render.format import FormatError
    from generator.render.models import ModelGenerationError, generate_models
    from generator.render.package import render_package
    from generator.spec.load import Workspace

    shown = display if display is not None else str(spec)
    result = PackageResult(shown, module_name(package))
    try:
        workspace = Workspace.open(spec, shown, allow_remote, limits)
    except InputError as exc:
        result.findings = [exc.finding]
        result.unreadable = True
        return result
    result.digest = workspace.root.digest
    result._documents = workspace.documents
    result._root_uri = workspace.root.uri
    findings = gate_workspace(workspace)
    result.findings = findings
    if not result.ok:
        return result
    try:
        models = generate_models(workspace)
        api = build_api(workspace, models, result.package)
        result.files = render_package(api, models)
    except (ModelGenerationError, FormatError) as exc:
        result.findings.append(
            Finding(shown, 1, 1, "", Severity.ERROR, "generate-failed", str(exc))
        )
    return result


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


def build_package_cached(
    spec: Path,
    package: str,
    *,
    display: str | None = None,
    allow_remote: tuple[str, ...] = (),
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> PackageResult:
    """`build_package`, answered from the content cache when the spec (and every file it
    references), the templates and the toolchain are unchanged."""
    if not use_cache:
        return build_package(spec, package, display=display, allow_remote=allow_remote)
    shown = display if display is not None else str(spec)
    cache = ContentCache(cache_dir or default_cache_dir(), "generate")
    try:
        raw = spec.read_bytes()
    except OSError:
        return build_package(spec, package, display=display, allow_remote=allow_remote)
    key = cache.key(raw, package, shown, repr(sorted(allow_remote)), _toolchain_digest())
    hit = cache.get(key)
    if isinstance(hit, dict):
        return PackageResult(
            shown,
            module_name(package),
            files=dict(hit["files"]),
            findings=[Finding.from_json(f) for f in hit["findings"]],
            cached=True,
            digest=str(hit["digest"]),
        )
    result = build_package(spec, package, display=display, allow_remote=allow_remote)
    if result.ok and result._documents is not None:
        deps = local_dependencies(result._documents, result._root_uri)
        if deps is not None:
            cache.put(
                key,
                deps,
                {
                    "files": result.files,
                    "digest": result.digest,
                    "findings": [f.to_json() for f in result.findings],
                },
            )
    return result

"""`apicontract generate`: spec -> lint -> IR -> rendered package (in memory). Writing, the
manifest and `--check` live in `generator.write`; caching in `generator.lint.cache`'s sibling."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.findings import Finding, Severity
from generator.ir.build import build_api
from generator.lint.engine import lint_workspace
from generator.naming import ModuleName, module_name
from generator.render.format import FormatError
from generator.render.models import ModelGenerationError, generate_models
from generator.render.package import render_package
from generator.spec.load import Workspace
from generator.spec.parse import DEFAULT_LIMITS, Limits


@dataclass
class PackageResult:
    spec: str
    package: ModuleName
    files: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False

    @property
    def ok(self) -> bool:
        return not self.unreadable and not any(
            f.severity is Severity.ERROR for f in self.findings
        )


def build_package(
    spec: Path,
    package: str,
    *,
    display: str | None = None,
    allow_remote: tuple[str, ...] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> PackageResult:
    """Generate one package's files in memory. A spec with lint errors produces no files."""
    from generator.findings import InputError

    shown = display if display is not None else str(spec)
    result = PackageResult(shown, module_name(package))
    try:
        workspace = Workspace.open(spec, shown, allow_remote, limits)
    except InputError as exc:
        result.findings = [exc.finding]
        result.unreadable = True
        return result
    findings = lint_workspace(workspace)
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

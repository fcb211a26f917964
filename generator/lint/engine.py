"""Runs the lint rules over one spec file and returns its findings, from the cache if unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.cache import ContentCache, default_cache_dir, local_dependencies
from generator.findings import Finding, InputError, Severity
from generator.lint.context import LintContext
from generator.lint.rules import GATE_RULES, RULES, SECONDARY_RULES, Rule
from generator.load.parse import DEFAULT_LIMITS, Limits
from generator.load.workspace import Workspace


@dataclass(frozen=True)
class LintOptions:
    allow_remote: tuple[str, ...] = ()
    limits: Limits = DEFAULT_LIMITS
    use_cache: bool = True
    cache_dir: Path | None = None

    def fingerprint(self) -> str:
        return repr((sorted(self.allow_remote), self.limits))


@dataclass
class LintReport:
    file: str
    findings: list[Finding]
    cached: bool = False
    unreadable: bool = False

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)


def lint_file(
    path: Path, options: LintOptions = LintOptions(), display: str | None = None
) -> LintReport:
    shown = display if display is not None else str(path)
    cache = (
        ContentCache(options.cache_dir or default_cache_dir(), "lint")
        if options.use_cache
        else None
    )
    key = None
    if cache is not None:
        try:
            raw = path.read_bytes() if path.stat().st_size <= options.limits.max_bytes else None
        except OSError:
            raw = None
        if raw is not None:
            key = cache.key(raw, shown, options.fingerprint())
            hit = cache.get(key)
            if hit is not None:
                return LintReport(shown, [Finding.from_json(f) for f in hit], cached=True)
    try:
        workspace = Workspace.open(path, shown, options.allow_remote, options.limits)
    except InputError as exc:
        return LintReport(shown, [exc.finding], unreadable=True)

    findings = lint_workspace(workspace)
    if cache is not None and key is not None and not workspace.failures:
        deps = local_dependencies(workspace.documents, workspace.root.uri)
        if deps is not None:
            cache.put(key, deps, [f.to_json() for f in findings])
    return LintReport(shown, findings)


def lint_workspace(workspace: Workspace, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    ctx = LintContext(workspace)
    findings: set[Finding] = set(workspace.root.problems)
    from_model: set[Finding] = set()
    for rule in rules:
        (from_model if rule in SECONDARY_RULES else findings).update(rule(ctx))
    for doc in workspace.documents.values():
        if doc is not workspace.root:
            findings.update(doc.problems)
    # a place another rule reports already is not reported again from the model
    located = {(f.file, f.pointer) for f in findings}
    findings.update(f for f in from_model if (f.file, f.pointer) not in located)
    return sorted(findings, key=lambda f: (f.file, f.line, f.column, f.rule, f.pointer, f.message))


def gate_workspace(workspace: Workspace) -> list[Finding]:
    """The checks generation cannot do without (references resolve within the policy, no
    endless cycles, a supported OpenAPI version). The full lint stays `apicontract lint`'s job,
    so a large spec is not validated twice on every regeneration."""
    return lint_workspace(workspace, GATE_RULES)

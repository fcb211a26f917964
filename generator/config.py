"""`[tool.apicontract]` in pyproject.toml: which specs, their package names, the output folder.

    [tool.apicontract]
    output = "generated"

    [[tool.apicontract.specs]]
    path = "specs/v1/fulfillments.yaml"
    package = "zuora_v1"
    conventions = { idempotency-header = "Idempotency-Key" }   # optional

Specs not listed get a package name from their folder and file name (`v1_fulfillments`).
`conventions` overrides what the spec declares or what would be guessed; its keys are those of
`generator.openapi.conventions`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.naming import module_name


class ConfigError(Exception):
    pass


#: the keys `[tool.apicontract]` and each `[[tool.apicontract.specs]]` entry understand
SECTION_KEYS = ("output", "specs")
SPEC_KEYS = ("path", "package", "conventions")


@dataclass(frozen=True)
class SpecEntry:
    path: Path
    package: str
    #: API conventions set for this spec (`conventions = {...}`), see generator.openapi.conventions
    conventions: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Config:
    output: Path
    specs: tuple[SpecEntry, ...]
    source: Path | None = None

    def package_for(self, spec: Path) -> str:
        entry = self.entry_for(spec)
        return entry.package if entry is not None else default_package(spec)

    def entry_for(self, spec: Path) -> SpecEntry | None:
        wanted = spec.resolve()
        return next((e for e in self.specs if e.path.resolve() == wanted), None)


def default_package(spec: Path) -> str:
    return module_name(f"{spec.resolve().parent.name}_{spec.stem}")


def load_config(directory: Path) -> Config:
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return Config(output=directory / "generated", specs=discover_specs(directory))
    try:
        data = tomllib.loads(pyproject.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read [tool.apicontract]: {exc}") from None
    section = data.get("tool", {}).get("apicontract")
    if section is None:
        return Config(output=directory / "generated", specs=discover_specs(directory))
    if not isinstance(section, dict):
        raise ConfigError(f"{pyproject}: [tool.apicontract] must be a table")
    _known_keys(pyproject, "tool.apicontract", section, SECTION_KEYS)
    output = section.get("output", "generated")
    if not isinstance(output, str):
        raise ConfigError(f"{pyproject}: tool.apicontract.output must be a string")
    listed = section.get("specs", [])
    if not isinstance(listed, list):
        raise ConfigError(
            f"{pyproject}: tool.apicontract.specs must be an array of tables "
            "([[tool.apicontract.specs]])"
        )
    entries = []
    for index, raw in enumerate(listed):
        where = f"{pyproject}: tool.apicontract.specs[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise ConfigError(f"{where} needs a `path` string")
        _known_keys(pyproject, f"tool.apicontract.specs[{index}]", raw, SPEC_KEYS)
        path = directory / raw["path"]
        package = raw.get("package", default_package(path))
        if not isinstance(package, str) or module_name(package) != package:
            raise ConfigError(f"{where}: package {package!r} is not a valid Python package name")
        conventions = raw.get("conventions", {})
        problem = conventions_problem(conventions)
        if problem is not None:
            raise ConfigError(f"{where}.conventions: {problem}")
        entries.append(SpecEntry(path, package, dict(conventions)))
    specs = tuple(entries) if entries else discover_specs(directory)
    return Config(output=directory / output, specs=specs, source=pyproject)


def _known_keys(
    pyproject: Path, where: str, table: dict[str, object], keys: tuple[str, ...]
) -> None:
    """A misspelt key would otherwise be ignored silently (and `[[tool.apicontract.spec]]` end
    in "no spec given"): name it, and the valid key it most resembles."""
    import difflib

    for key in table:
        if key in keys:
            continue
        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise ConfigError(
            f"{pyproject}{_line_of(pyproject, key)}: unknown key `{where}.{key}`: {hint}"
            f"(valid keys: {', '.join(keys)})"
        )


def _line_of(pyproject: Path, key: str) -> str:
    """`:LINE` where `key` is written under [tool.apicontract] (a table header naming it, or
    `key =` inside the section), or nothing when it cannot be told."""
    import re

    header = re.compile(r"^\s*\[\[?\s*tool\.apicontract(\.[^\]]*)?\s*\]\]?")
    assignment = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    inside = False
    try:
        lines = pyproject.read_text("utf-8").splitlines()
    except OSError:
        return ""
    for number, line in enumerate(lines, 1):
        match = header.match(line)
        if match:
            if (match.group(1) or "").lstrip(".").split(".")[0] == key:
                return f":{number}"
            inside = True
        elif line.lstrip().startswith("["):
            inside = False
        elif inside and assignment.match(line):
            return f":{number}"
    return ""


def discover_specs(directory: Path) -> tuple[SpecEntry, ...]:
    root = directory / "specs"
    found = sorted(p for ext in ("yaml", "yml", "json") for p in root.glob(f"*/*.{ext}"))
    return tuple(SpecEntry(p, default_package(p)) for p in found)


def conventions_problem(value: Any) -> str | None:
    """Why a `conventions` table is unusable (None when it is fine)."""
    from generator.openapi.conventions import KEYS, PAGINATION_KEYS

    if not isinstance(value, dict):
        return "must be a table"
    for key, setting in value.items():
        if key not in KEYS:
            return f"unknown convention {key!r}; known: {', '.join(KEYS)}"
        if key == "pagination":
            if setting is False:
                continue
            if not isinstance(setting, dict) or any(
                not isinstance(setting.get(k), str) for k in PAGINATION_KEYS
            ):
                return "pagination needs strings " + ", ".join(PAGINATION_KEYS)
        elif not isinstance(setting, str):
            return f"{key} must be a string"
    return None

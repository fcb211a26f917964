"""`[tool.apicontract]` in pyproject.toml: which specs, their package names, the output folder.

    [tool.apicontract]
    output = "generated"

    [[tool.apicontract.specs]]
    path = "specs/v1/fulfillments.yaml"
    package = "zuora_v1"

Specs not listed get a package name from their folder and file name (`v1_fulfillments`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from generator.naming import module_name


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class SpecEntry:
    path: Path
    package: str


@dataclass(frozen=True)
class Config:
    output: Path
    specs: tuple[SpecEntry, ...]
    source: Path | None = None

    def package_for(self, spec: Path) -> str:
        wanted = spec.resolve()
        for entry in self.specs:
            if entry.path.resolve() == wanted:
                return entry.package
        return default_package(spec)


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
    output = section.get("output", "generated")
    if not isinstance(output, str):
        raise ConfigError(f"{pyproject}: tool.apicontract.output must be a string")
    entries = []
    for index, raw in enumerate(section.get("specs", [])):
        where = f"{pyproject}: tool.apicontract.specs[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise ConfigError(f"{where} needs a `path` string")
        path = directory / raw["path"]
        package = raw.get("package", default_package(path))
        if not isinstance(package, str) or module_name(package) != package:
            raise ConfigError(f"{where}: package {package!r} is not a valid Python package name")
        entries.append(SpecEntry(path, package))
    specs = tuple(entries) if entries else discover_specs(directory)
    return Config(output=directory / output, specs=specs, source=pyproject)


def discover_specs(directory: Path) -> tuple[SpecEntry, ...]:
    root = directory / "specs"
    found = sorted(p for ext in ("yaml", "yml", "json") for p in root.glob(f"*/*.{ext}"))
    return tuple(SpecEntry(p, default_package(p)) for p in found)

"""requirements.lock is what every install goes through: it must pin every dependency
pyproject names, inside pyproject's ranges, and this environment must be exactly it."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, _, pinned = line.partition("==")
        assert pinned, f"requirements.lock: {line!r} is not an exact pin"
        pins[canonicalize_name(name)] = pinned
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        declared.extend(Requirement(r) for r in extra)
    return declared


def test_every_declared_dependency_is_pinned_inside_its_range() -> None:
    pins = _lock()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {requirement.name}=={pins[name]}, "
            f"outside pyproject's {requirement.specifier}"
        )


def test_this_environment_is_the_lock() -> None:
    """dev.py installs through the lock, so what runs the suite is exactly what it pins."""
    wrong = []
    for name, pinned in _lock().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # an extra this environment does not install
        if installed != pinned:
            wrong.append(f"{name}: installed {installed}, locked {pinned}")
    assert not wrong, "environment differs from requirements.lock:\n" + "\n".join(wrong)

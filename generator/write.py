"""Writing generated packages: confined to the output folder, atomic per file, with a manifest so
files the generator no longer produces are removed (and nothing else is ever touched).
`check_package` is the `--check` mode: it writes nothing and returns the drift as a diff."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__
from generator.atomic import write_text
from generator.naming import is_valid_identifier

MANIFEST = ".apicontract-manifest.json"


class UnsafeOutputError(Exception):
    pass


@dataclass
class WriteReport:
    package_dir: Path
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def manifest_text(
    files: dict[str, str], spec_digest: str, conventions: Sequence[Mapping[str, Any]] = ()
) -> str:
    """The manifest: what was generated from what, and the API conventions the code follows
    with where each came from (configured, declared in the spec, or guessed)."""
    entries = {
        name: hashlib.sha256(text.encode()).hexdigest() for name, text in sorted(files.items())
    }
    document: dict[str, Any] = {
        "generator": "apicontract",
        "version": __version__,
        "spec_sha256": spec_digest,
        "files": entries,
    }
    if conventions:
        document["conventions"] = list(conventions)
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def package_dir(out_dir: Path, package: str) -> Path:
    """The package folder, refusing anything that could leave `out_dir`."""
    if not is_valid_identifier(package):
        raise UnsafeOutputError(f"package name {package!r} is not a Python identifier")
    root = out_dir.resolve()
    target = (out_dir / package).resolve()
    if target.parent != root:
        raise UnsafeOutputError(f"{out_dir / package} resolves outside {root} (a symlink?)")
    return target


def _safe_file(folder: Path, name: str) -> Path:
    """The path of a generated file: a plain name, or `sub/name` inside a sub-package whose
    folder name is an identifier (the models package); never anything leaving `folder`."""
    parts = name.split("/")
    if (
        "\\" in name
        or len(parts) > 2
        or any(p in ("", ".", "..") or p.startswith("..") for p in parts)
        or (len(parts) == 2 and not is_valid_identifier(parts[0]))
    ):
        raise UnsafeOutputError(f"refusing to write file name {name!r}")
    parent = folder / parts[0] if len(parts) == 2 else folder
    if parent != folder and (parent.is_symlink() or parent.resolve().parent != folder):
        raise UnsafeOutputError(f"refusing to write through {parent} (leaves {folder})")
    path = folder / name
    if path.is_symlink() or path.resolve().parent != parent.resolve():
        raise UnsafeOutputError(f"refusing to write through {path} (leaves {folder})")
    return path


def _previous_files(folder: Path) -> set[str]:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
        return {str(n) for n in data.get("files", {})}
    except (OSError, ValueError, AttributeError):
        return set()


def planned(
    files: dict[str, str], spec_digest: str, conventions: Sequence[Mapping[str, Any]] = ()
) -> dict[str, str]:
    return {**files, MANIFEST: manifest_text(files, spec_digest, conventions)}


@dataclass
class Plan:
    """Every file one package run would write or remove, each target already checked."""

    folder: Path
    writes: list[tuple[str, Path, str]]
    removals: list[tuple[str, Path]]


def plan_package(
    out_dir: Path,
    package: str,
    files: dict[str, str],
    spec_digest: str,
    conventions: Sequence[Mapping[str, Any]] = (),
) -> Plan:
    """Check every target of a package before anything is written: UnsafeOutputError names
    the first one that could leave the output folder (a symlink, a path-like name), and then
    nothing at all has been written."""
    folder = package_dir(out_dir, package)
    everything = planned(files, spec_digest, conventions)
    # the manifest goes last: a run cut short leaves the old manifest naming what to clean up
    order = sorted(everything, key=lambda n: n == MANIFEST)
    writes = [(name, _safe_file(folder, name), everything[name]) for name in order]
    stale = sorted(_previous_files(folder) - set(files))
    return Plan(folder, writes, [(name, _safe_file(folder, name)) for name in stale])


def write_package(
    out_dir: Path,
    package: str,
    files: dict[str, str],
    spec_digest: str,
    conventions: Sequence[Mapping[str, Any]] = (),
) -> WriteReport:
    return write_plan(plan_package(out_dir, package, files, spec_digest, conventions))


def write_plan(plan: Plan) -> WriteReport:
    plan.folder.mkdir(parents=True, exist_ok=True)
    report = WriteReport(plan.folder)
    for name, path, text in plan.writes:
        try:
            if path.read_text("utf-8") == text:
                report.unchanged.append(name)
                continue
        except (OSError, UnicodeDecodeError):
            pass
        path.parent.mkdir(exist_ok=True)
        write_text(path, text, durable=False)
        report.written.append(name)
    for name, path in plan.removals:
        if path.is_file():
            path.unlink()
            report.removed.append(name)
    return report


def check_package(
    out_dir: Path,
    package: str,
    files: dict[str, str],
    spec_digest: str,
    shown_dir: str,
    conventions: Sequence[Mapping[str, Any]] = (),
) -> list[str]:
    """Unified diffs of every difference between what would be written and what is there."""
    folder = package_dir(out_dir, package)
    everything = planned(files, spec_digest, conventions)
    diffs: list[str] = []
    for name in sorted(everything):
        path = folder / name
        try:
            current = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        wanted = everything[name]
        if current == wanted:
            continue
        label = f"{shown_dir}/{package}/{name}"
        diffs.append(
            "".join(
                difflib.unified_diff(
                    (current or "").splitlines(keepends=True),
                    wanted.splitlines(keepends=True),
                    fromfile=f"a/{label}" if current is not None else "/dev/null",
                    tofile=f"b/{label}",
                )
            )
            or f"--- a/{label}\n+++ b/{label}\n(differs in encoding)\n"
        )
    for name in sorted(_previous_files(folder) - set(files)):
        if (folder / name).is_file():
            diffs.append(
                f"--- a/{shown_dir}/{package}/{name}\n+++ /dev/null\n(no longer generated)\n"
            )
    return diffs

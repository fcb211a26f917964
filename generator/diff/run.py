"""`apicontract diff OLD NEW`: open both specs, compare them, apply the ignore file, render.

Exit codes: 0 when no change reaches `--fail-on`, 1 when one does, 2 when an input (either
spec, a git revision, the ignore file) cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from generator.diff.ignore import DEFAULT_IGNORE_FILE, IgnoreEntry, load_ignores
from generator.diff.model import DiffResult
from generator.diff.operations import SpecDiff
from generator.diff.rules import Level
from generator.diff.schema import DiffInputError
from generator.diff.source import open_spec
from generator.report.diff import RENDERERS
from generator.report.output import OutputError, write_report

FAIL_ON = {"breaking": Level.BREAKING, "warning": Level.WARNING, "info": Level.INFO, "never": None}


def diff(old: str, new: str, allow_remote: tuple[str, ...] = ()) -> DiffResult:
    """Compare two specs (paths or git:REV:PATH). Raises DiffInputError for unreadable input."""
    with open_spec(old, allow_remote) as old_ws, open_spec(new, allow_remote) as new_ws:
        try:
            changes = SpecDiff(old_ws, new_ws).run()
        except RecursionError:  # a safety net: the known deep paths are bounded and reported
            raise DiffInputError(f"{old} / {new}: schemas nest too deeply to compare") from None
    return DiffResult(old, new, changes)


def apply_ignores(result: DiffResult, entries: list[IgnoreEntry]) -> DiffResult:
    kept, ignored, used = [], [], set()
    for change in result.changes:
        entry = next((e for e in entries if e.matches(change)), None)
        if entry is None:
            kept.append(change)
        else:
            ignored.append((change, entry))
            used.add(entry)
    unused = [e for e in entries if e not in used]
    return DiffResult(result.old, result.new, kept, ignored, unused)


def run_diff(
    old: str,
    new: str,
    *,
    fmt: str = "text",
    fail_on: str = "breaking",
    ignore_file: str | None = None,
    output: str | None = None,
    allow_remote: tuple[str, ...] = (),
    out: TextIO | None = None,
) -> int:
    entries: list[IgnoreEntry] = []
    if ignore_file is not None:
        entries = load_ignores(Path(ignore_file), ignore_file)
    elif Path(DEFAULT_IGNORE_FILE).is_file():
        entries = load_ignores(Path(DEFAULT_IGNORE_FILE), DEFAULT_IGNORE_FILE)
    result = apply_ignores(diff(old, new, allow_remote), entries)
    level = FAIL_ON[fail_on]
    text = RENDERERS[fmt](result, level)
    try:
        write_report(text, output, fmt, out)
    except OutputError as exc:
        raise DiffInputError(str(exc)) from None
    return 1 if result.failing(level) else 0

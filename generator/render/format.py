"""ruff makes generated code clean: imports sorted, unused ones dropped, then formatted."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

RUFF_ARGS = ("--isolated", "--target-version", "py311")


class FormatError(Exception):
    pass


def format_sources(files: dict[str, str], package: str) -> dict[str, str]:
    """Return the `.py` entries of `files` fixed and formatted by ruff (others unchanged).
    They are laid out as `package/` so import sorting sees the layout users will have."""
    python = {name: text for name, text in files.items() if name.endswith(".py")}
    if not python:
        return dict(files)
    ruff = find_ruff_bin()
    with tempfile.TemporaryDirectory(prefix="apicontract-format-") as tmp:
        root = Path(tmp) / package
        for name, text in python.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, "utf-8")
        steps = [
            [
                ruff,
                "check",
                *RUFF_ARGS,
                "--select",
                "I,F401,UP,RUF022",
                "--fix-only",
                "--exit-zero",
                "--quiet",
                package,
            ],
            [ruff, "format", *RUFF_ARGS, "--quiet", package],
        ]
        for step in steps:
            done = subprocess.run(
                step, cwd=root.parent, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise FormatError(f"ruff failed: {done.stderr.strip() or done.stdout.strip()}")
        result = dict(files)
        for name in python:
            result[name] = (root / name).read_text("utf-8")
    return result

"""Peers from the npm registry, installed on first use under benchmarks/.data/NAME."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"


def npm_binary(name: str, package: str, binary: str) -> Path | None:
    """The `binary` of npm `package`, installed into benchmarks/.data/`name` when missing;
    None when npm or the package is unavailable (the caller skips that peer, saying so)."""
    folder = DATA / name
    found = folder / "node_modules" / ".bin" / binary
    if found.exists():
        return found
    if shutil.which("npm") is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    print(f"  (installing {package} from the npm registry)")
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", package],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    return found if done.returncode == 0 and found.exists() else None

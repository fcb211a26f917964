"""Content-hash cache of lint results: an unchanged spec (and unchanged referenced files) is not
linted again. Entries are keyed by the tool version, the options and the root file's bytes, and
remember the digest of every other file the result depended on."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from generator import __version__
from generator.findings import Finding


def default_cache_dir() -> Path:
    explicit = os.environ.get("APICONTRACT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "apicontract"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LintCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory / "lint"

    def key(self, root_bytes: bytes, display: str, options: str) -> str:
        return digest(
            b"\0".join([__version__.encode(), options.encode(), display.encode(), root_bytes])
        )

    def get(self, key: str) -> list[Finding] | None:
        path = self.directory / f"{key}.json"
        try:
            entry: dict[str, Any] = json.loads(path.read_text("utf-8"))
            for dep, expected in entry["deps"].items():
                if digest(Path(dep).read_bytes()) != expected:
                    return None
            return [Finding.from_json(f) for f in entry["findings"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, deps: dict[str, str], findings: list[Finding]) -> None:
        entry = {"deps": deps, "findings": [f.to_json() for f in findings]}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:
            pass  # a cache that cannot be written only costs time

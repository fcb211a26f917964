"""Content-hash cache: answers for unchanged inputs are not computed again.

An entry is keyed by the tool version, a namespace, the options and the root file's bytes, and
remembers the digest of every other file the answer depended on; a change in any of them is a
miss. Lint results and generated packages both live here.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from generator import __version__
from generator.atomic import atomic_text


def default_cache_dir() -> Path:
    explicit = os.environ.get("APICONTRACT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "apicontract"


def shown_cache_dir(directory: Path | None = None) -> str:
    """The cache folder as messages name it (`~` for the home directory): an answer taken from
    the cache says where it came from, since the cache is shared by every clone and project of
    this user, so even a first run in a fresh clone can be answered from it."""
    folder = directory or default_cache_dir()
    try:
        return "~/" + folder.resolve().relative_to(Path.home().resolve()).as_posix()
    except (ValueError, RuntimeError):
        return str(folder)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ContentCache:
    def __init__(self, directory: Path, namespace: str) -> None:
        self.directory = directory / namespace

    def key(self, *parts: str | bytes) -> str:
        encoded = [p.encode() if isinstance(p, str) else p for p in (__version__, *parts)]
        return digest(b"\0".join(encoded))

    def get(self, key: str) -> Any | None:
        path = self.directory / f"{key}.json"
        try:
            entry: dict[str, Any] = json.loads(path.read_text("utf-8"))
            for dep, expected in entry["deps"].items():
                if digest(Path(dep).read_bytes()) != expected:
                    return None
            return entry["value"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, deps: dict[str, str], value: Any) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with atomic_text(self.directory / f"{key}.json", durable=False) as handle:
                json.dump({"deps": deps, "value": value}, handle)
        except OSError:
            pass  # a cache that cannot be written only costs time


def local_dependencies(documents: dict[str, Any], root_uri: str) -> dict[str, str] | None:
    """Digests of the files (other than the root) a result depended on; None when one of them
    came from the network (such results are never cached)."""
    import urllib.parse
    import urllib.request

    deps: dict[str, str] = {}
    for uri in documents:
        if uri == root_uri:
            continue
        parts = urllib.parse.urlsplit(uri)
        if parts.scheme != "file":
            return None
        path = urllib.request.url2pathname(parts.path)
        try:
            deps[path] = digest(Path(path).read_bytes())
        except OSError:
            return None
    return deps

"""What every lint rule receives: the loaded workspace and the walks over it, computed once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from generator.load.walk import HTTP_METHODS, OpenApiWalker, RefSite, iter_refs
from generator.load.workspace import Document, Workspace


@dataclass(frozen=True)
class Operation:
    doc: Document
    pointer: str
    path: str
    method: str
    value: dict[str, Any]
    path_item: dict[str, Any]
    path_item_pointer: str


class LintContext:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    @property
    def root(self) -> Document:
        return self.ws.root

    @cached_property
    def version(self) -> str:
        data = self.root.data
        raw = data.get("openapi") if isinstance(data, dict) else None
        return str(raw)[:3] if isinstance(raw, str) else ""

    @cached_property
    def walker(self) -> OpenApiWalker:
        return OpenApiWalker(self.ws).run()

    @cached_property
    def ref_sites(self) -> list[RefSite]:
        """Every `$ref` in the root and in each document it reaches (loaded on the way)."""
        sites: list[RefSite] = []
        done: set[str] = set()
        todo = [self.root]
        while todo:
            doc = todo.pop()
            if doc.uri in done:
                continue
            done.add(doc.uri)
            for site in iter_refs(doc):
                sites.append(site)
                try:
                    target, _ = self.ws.target(doc, site.ref)
                except Exception:
                    continue
                if target.uri not in done:
                    todo.append(target)
        return sites

    @cached_property
    def operations(self) -> list[Operation]:
        found: list[Operation] = []
        data = self.root.data
        paths = data.get("paths") if isinstance(data, dict) else None
        if not isinstance(paths, dict):
            return found
        for path, item in paths.items():
            item_pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1")
            doc = self.root
            if isinstance(item, dict) and isinstance(item.get("$ref"), str):
                try:
                    doc, item_pointer, item = self.ws.deref(doc, item_pointer, item)
                except Exception:
                    continue
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    found.append(
                        Operation(
                            doc, f"{item_pointer}/{method}", path, method, op, item, item_pointer
                        )
                    )
        return found

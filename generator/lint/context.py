"""What every lint rule receives: the loaded workspace, the OpenAPI model read from it and the
`$ref` sites of every document, each computed once."""

from __future__ import annotations

from functools import cached_property

from generator.load.refs import RefSite, iter_refs
from generator.load.workspace import Document, RefProblem, Workspace
from generator.openapi.build import build_model
from generator.openapi.dialect import dialect_of
from generator.openapi.model import OpenApi, Operation, OperationKind

__all__ = ["LintContext", "Operation"]


class LintContext:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    @property
    def root(self) -> Document:
        return self.ws.root

    @cached_property
    def model(self) -> OpenApi:
        return build_model(self.ws)

    @cached_property
    def version(self) -> str:
        """ "3.0" or "3.1" when the document is one we read, else ""."""
        dialect = dialect_of(self.root.data)
        return dialect.value if dialect is not None else ""

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
                except RefProblem:
                    continue
                if target.uri not in done:
                    todo.append(target)
        return sites

    @cached_property
    def operations(self) -> tuple[Operation, ...]:
        """The operations under `paths` (webhooks and callbacks are in `all_operations`)."""
        return tuple(op for op in self.model.operations if op.kind is OperationKind.PATH)

    @cached_property
    def all_operations(self) -> tuple[Operation, ...]:
        return self.model.all_operations()

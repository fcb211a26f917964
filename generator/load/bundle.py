"""One self-contained document from a spec and every document its `$ref`s reach.

The libraries that consume a spec (jsonschema-rs for checking traffic, datamodel-code-generator
for models) resolve a `$ref` they are handed by themselves: they read `file://` URLs, fetch
`http://` ones, and resolve relative ones against the working directory or not at all. None of
that goes through the loading policy (`generator.load.workspace`). So they are never handed a
reference they would have to follow: every document the workspace loaded (under the policy) is
copied into the root under `x-apicontract-bundle/<key>`, and every `$ref` (in the root and in
those copies) is rewritten to a local `#/...` pointer. Local references of the root that already
point into the root are left exactly as written, so a single-file spec bundles to itself.

Written here rather than taken from a library: jsonschema-rs's `bundle` only knows JSON Schema
resources (not OpenAPI path items, parameters or responses) and resolves through its own
retriever; the same goes for the Python `referencing` package. Bundling through the workspace
is what keeps one policy.

A reference that does not resolve, or that the policy refuses, makes the spec unusable:
`bundle` raises `UnusableSpec` with one finding per such reference (the rule ids and messages
of lint's reference rule), after looking at every one.
"""

from __future__ import annotations

import copy
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from generator.findings import Finding, UnusableSpec
from generator.load import pointer as jp
from generator.load.refs import RefSite, iter_refs
from generator.load.workspace import Document, RefProblem, Workspace

#: the root key holding the copies of the other documents (an OpenAPI extension key)
BUNDLE_KEY = "x-apicontract-bundle"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Bundle:
    """The bundled spec as a one-document workspace, and the way back to the original files."""

    #: one document, every `$ref` in it local; same display name and digest as the root
    workspace: Workspace
    #: the original, multi-document workspace
    original: Workspace
    #: document uri -> pointer prefix of its copy ("" for the root)
    prefixes: dict[str, str]
    #: bundle key -> original document
    keys: dict[str, Document]

    @property
    def data(self) -> Any:
        return self.workspace.root.data

    def locate(self, doc: Document, pointer: str) -> str:
        """Where `pointer` of the original `doc` sits in the bundled document."""
        return self.prefixes[doc.uri] + pointer

    def origin(self, pointer: str) -> tuple[Document, str]:
        """The original document and pointer behind a pointer of the bundled document."""
        tokens = jp.split(pointer) if pointer.startswith("/") else []
        if len(tokens) >= 2 and tokens[0] == BUNDLE_KEY and tokens[1] in self.keys:
            return self.keys[tokens[1]], jp.from_parts(tokens[2:])
        return self.original.root, pointer

    def describe(self, pointer: str) -> str:
        """A bundled pointer as the spec's author wrote it: `#/...` in the root spec,
        `schemas.yaml#/...` in another file."""
        doc, inner = self.origin(pointer)
        if doc is self.original.root:
            return "#" + inner
        return f"{_relative(self.original, doc)}#{inner}"


def reached_documents(
    workspace: Workspace,
) -> tuple[list[Document], list[RefSite], list[Finding]]:
    """The root and every document reached through `$ref` from it (loaded on the way, under
    the policy), every reference site found in them, and a finding for each reference that
    does not resolve or is refused."""
    docs: list[Document] = []
    sites: list[RefSite] = []
    problems: list[Finding] = []
    seen: set[str] = set()
    todo = [workspace.root]
    while todo:
        doc = todo.pop()
        if doc.uri in seen:
            continue
        seen.add(doc.uri)
        docs.append(doc)
        for site in iter_refs(doc):
            try:
                target, _, _ = workspace.resolve(doc, site.ref)
            except RefProblem as problem:
                at = jp.join(site.pointer, "$ref")
                problems.append(doc.finding(at, problem.rule, problem.message))
                continue
            sites.append(site)
            if target.uri not in seen:
                todo.append(target)
    return docs, sites, problems


def bundle(workspace: Workspace) -> Bundle:
    """Copy every reached document into the root and make every reference local. Raises
    UnusableSpec when a reference does not resolve or is refused."""
    docs, sites, problems = reached_documents(workspace)
    if problems:
        raise UnusableSpec(sorted(set(problems)))
    root = workspace.root
    others = sorted((d for d in docs if d is not root), key=lambda d: d.uri)
    prefixes = {root.uri: ""}
    keys: dict[str, Document] = {}
    for doc in others:
        key = _key_for(workspace, doc, keys)
        keys[key] = doc
        prefixes[doc.uri] = jp.join("", BUNDLE_KEY, key)
    data = copy.deepcopy(root.data)
    if keys:
        if not isinstance(data, dict):  # a root that is a list or a scalar refers out
            raise UnusableSpec(
                [root.finding("", "oas-structure", "a spec must be a mapping at the top level")]
            )
        data[BUNDLE_KEY] = {key: copy.deepcopy(doc.data) for key, doc in keys.items()}
    for site in sites:
        target, fragment = workspace.target(site.doc, site.ref)
        if site.doc is root and target is root and site.ref.startswith("#"):
            continue  # already local: keep it as written
        holder = jp.resolve(data, prefixes[site.doc.uri] + site.pointer)
        holder["$ref"] = "#" + urllib.parse.quote(prefixes[target.uri] + fragment, safe="/~")
    bundled = Document(
        uri=root.uri,
        display=root.display,
        data=data,
        digest=root.digest,
        text=root.text,
        _positions=root._positions,
    )
    single = Workspace(
        root=bundled,
        root_dir=workspace.root_dir,
        allow_remote=frozenset(),
        limits=workspace.limits,
    )
    return Bundle(single, workspace, prefixes, keys)


def _relative(workspace: Workspace, doc: Document) -> str:
    parts = urllib.parse.urlsplit(doc.uri)
    if parts.scheme == "file":
        prefix = workspace.root.uri.rsplit("/", 1)[0] + "/"
        if doc.uri.startswith(prefix):
            return urllib.parse.unquote(doc.uri[len(prefix) :])
    return doc.uri


def _key_for(workspace: Workspace, doc: Document, taken: dict[str, Document]) -> str:
    """A readable, pointer-safe key: the file's path from the spec's folder (or the URL)."""
    base = _UNSAFE.sub("_", _relative(workspace, doc).split("://", 1)[-1]).strip("_") or "doc"
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}-{number}"
    return key

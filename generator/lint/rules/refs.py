"""`$ref` rules: every reference resolves (within the policy), and none loops without end.

A cycle is only a defect when it can never reach a concrete schema: following `$ref`, `allOf`,
`anyOf`, `oneOf` and `not` keeps validating the *same* value, so a loop made only of those edges
never terminates. A recursive schema whose loop passes through `properties` or `items` is fine:
each step descends into a smaller value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.findings import Finding
from generator.lint.context import LintContext
from generator.load import pointer as jp
from generator.load.workspace import Document, RefProblem

_SAME_VALUE_LISTS = ("allOf", "anyOf", "oneOf")


def check_unresolved(ctx: LintContext) -> Iterator[Finding]:
    for site in ctx.ref_sites:
        try:
            ctx.ws.resolve(site.doc, site.ref)
        except RefProblem as problem:
            yield site.doc.finding(jp.join(site.pointer, "$ref"), problem.rule, problem.message)


Node = tuple[str, str]  # (document uri, pointer)


def check_cycles(ctx: LintContext) -> Iterator[Finding]:
    docs: dict[str, Document] = {}
    edges: dict[Node, list[Node]] = {}

    def value_at(node: Node) -> Any:
        doc = docs[node[0]]
        try:
            return jp.resolve(doc.data, node[1])
        except KeyError:
            return None

    def successors(node: Node) -> list[Node]:
        if node in edges:
            return edges[node]
        value = value_at(node)
        out: list[Node] = []
        if isinstance(value, dict):
            doc = docs[node[0]]
            ref = value.get("$ref")
            if isinstance(ref, str):
                try:
                    target, pointer, _ = ctx.ws.resolve(doc, ref)
                    docs.setdefault(target.uri, target)
                    out.append((target.uri, pointer))
                except RefProblem:
                    pass
            for keyword in _SAME_VALUE_LISTS:
                branches = value.get(keyword)
                if isinstance(branches, list):
                    out.extend(
                        (node[0], jp.join(node[1], keyword, i)) for i in range(len(branches))
                    )
            if isinstance(value.get("not"), dict):
                out.append((node[0], jp.join(node[1], "not")))
        edges[node] = out
        return out

    starts: list[Node] = []
    for site in ctx.ref_sites:
        docs.setdefault(site.doc.uri, site.doc)
        starts.append((site.doc.uri, site.pointer))

    # iterative DFS with colours; a back edge closes a cycle
    colour: dict[Node, int] = {}
    reported: set[frozenset[Node]] = set()
    for start in starts:
        if colour.get(start):
            continue
        stack: list[tuple[Node, Iterator[Node]]] = [(start, iter(successors(start)))]
        path: list[Node] = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            state = colour.get(child, 0)
            if state == 0:
                colour[child] = 1
                stack.append((child, iter(successors(child))))
                path.append(child)
            elif state == 1:
                cycle = path[path.index(child) :]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    yield _cycle_finding(docs, cycle)


def _cycle_finding(docs: dict[str, Document], cycle: list[Node]) -> Finding:
    first = min(cycle, key=lambda n: (n[0], n[1]))
    doc = docs[first[0]]
    names = " -> ".join(
        _short(n[1]) for n in cycle[cycle.index(first) :] + cycle[: cycle.index(first)]
    )
    return doc.finding(
        first[1],
        "ref-cycle",
        f"reference cycle never reaches a concrete schema: {names} -> {_short(first[1])}",
    )


def _short(pointer: str) -> str:
    return "#" + pointer

"""The models as a package loaded piece by piece: `models/__init__.py` names every model, and a
model's module is imported only when the name is first used (PEP 562 `__getattr__`).

datamodel-code-generator writes one module; importing it creates (and pydantic builds) every
class of the spec, which takes seconds for a large API. Here that module is cut into one module
per group of classes that refer to each other in a cycle (a strongly connected component of
the "uses" graph, so every import between modules goes one way), each importing only the
modules it uses. Every model class defers building its validator until it is first used
(`defer_build=True`), and the generator's module-level `model_rebuild()` calls are dropped:
pydantic resolves a forward reference itself when the model is first used. Type checkers and
editors see every name through `TYPE_CHECKING` imports in `models/__init__.py`.

No library does this cut (datamodel-code-generator's modular output follows dotted schema
names, not use), hence this module; it reads the code with `ast` and moves statements as they
are written, so no spec text is re-rendered here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from generator.naming import identifier
from generator.render.models import ModelGenerationError

#: a string literal that may be a quoted forward reference (`'Customer'`, `'list[Customer]'`)
_QUOTED_TYPE = re.compile(r"^[\w\[\], |.]+$")
_IDENTIFIERS = re.compile(r"[A-Za-z_]\w*")
_MODEL_BASES = ("BaseModel", "RootModel")


class SplitError(ModelGenerationError):
    """Model code this module cannot cut (reported like any model generation failure)."""


@dataclass(frozen=True)
class _Definition:
    names: tuple[str, ...]
    start: int  # first line (1-based, decorators included)
    end: int  # last line
    uses: frozenset[str]
    #: line (1-based) before which `model_config = ConfigDict(defer_build=True)` goes, and
    #: its indentation; 0 when the class needs none (not a model, or it has a config)
    config_at: int = 0
    #: the line holding `ConfigDict(` of the class's own config, to add `defer_build` to
    config_line: int = 0
    #: the item type of a `RootModel[list[X]]` (its instances become iterable and indexable)
    list_item: str = ""


@dataclass(frozen=True)
class ModelCode:
    """datamodel-code-generator's module, read: its imports, docstring and top-level
    definitions, and which definition uses which (`edges`, by index)."""

    lines: list[str]
    imports: list[str]
    docstring: str
    definitions: list[_Definition]
    edges: list[list[int]]

    def owner(self) -> dict[str, int]:
        return {name: n for n, d in enumerate(self.definitions) for name in d.names}


def read_models(source: str) -> ModelCode:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise SplitError(f"datamodel-code-generator wrote invalid Python: {exc}") from None
    lines = source.split("\n")
    imports: list[str] = []
    definitions: list[_Definition] = []
    docstring = ""
    for index, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(_segment(lines, node.lineno, node.end_lineno or node.lineno))
        elif _is_rebuild(node):
            continue
        elif (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docstring = _segment(lines, node.lineno, node.end_lineno or node.lineno)
        elif isinstance(node, ast.ClassDef):
            definitions.append(_class(node))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            assigned = tuple(t.id for t in targets if isinstance(t, ast.Name))
            if not assigned:
                raise SplitError(f"unexpected statement at line {node.lineno} of the models")
            definitions.append(
                _Definition(assigned, node.lineno, node.end_lineno or node.lineno, _uses(node))
            )
        else:
            raise SplitError(f"unexpected statement at line {node.lineno} of the models")
    owner = {name: n for n, d in enumerate(definitions) for name in d.names}
    edges = [
        sorted({owner[n] for n in d.uses if n in owner} - {number})
        for number, d in enumerate(definitions)
    ]
    return ModelCode(lines, imports, docstring, definitions, edges)


def split_models(source: str, header: str) -> dict[str, str]:
    """`models/...` files (names relative to the package) for the one-module `source`."""
    code = read_models(source)
    lines, imports, docstring = code.lines, code.imports, code.docstring
    definitions, edges = code.definitions, code.edges
    groups = _merged(_components(edges), edges)
    module_of: dict[int, str] = {}
    taken: set[str] = {"__init__"}
    for group, named_after in groups:
        first = definitions[named_after].names[0]
        base = "_" + identifier(first).strip("_")[:60].rstrip("_")
        name, counter = base, 1
        while name in taken:
            counter += 1
            name = f"{base}_{counter}"
        taken.add(name)
        for number in group:
            module_of[number] = name
    files: dict[str, str] = {}
    exported: dict[str, str] = {}
    future = [i for i in imports if i.startswith("from __future__")]
    others = [i for i in imports if not i.startswith("from __future__")]
    for group, _ in groups:
        module = module_of[group[0]]
        wanted: dict[str, set[str]] = {}
        body: list[str] = []
        for number in group:
            definition = definitions[number]
            for dep in edges[number]:
                if module_of[dep] != module:
                    used = set(definitions[dep].names) & definition.uses
                    wanted.setdefault(module_of[dep], set()).update(used)
            body.append(_with_deferred_build(lines, definition))
            for name in definition.names:
                exported[name] = module
        local = [
            f"from .{other} import {', '.join(sorted(names))}"
            for other, names in sorted(wanted.items())
        ]
        files[f"{module}.py"] = "\n".join(
            [
                header,
                "",
                *future,
                "",
                *others,
                "from collections.abc import Iterator",
                "from pydantic import ConfigDict",
                *local,
                "",
                "",
                "\n\n\n".join(body),
                "",
            ]
        )
    files["__init__.py"] = _package_init(header, docstring, exported)
    return files


def _segment(lines: list[str], start: int, end: int) -> str:
    return "\n".join(lines[start - 1 : end])


def _is_rebuild(node: ast.stmt) -> bool:
    """`X.model_rebuild()` (datamodel-code-generator resolves forward references with it)."""
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr in ("model_rebuild", "update_forward_refs")
    )


def _uses(node: ast.AST) -> frozenset[str]:
    found: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif (
            isinstance(child, ast.Constant)
            and isinstance(child.value, str)
            and len(child.value) < 200
            and _QUOTED_TYPE.match(child.value)
        ):
            found.update(_IDENTIFIERS.findall(child.value))
    return frozenset(found)


def _class(node: ast.ClassDef) -> _Definition:
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    is_model = any(
        (isinstance(b, ast.Name) and b.id in _MODEL_BASES)
        or (
            isinstance(b, ast.Subscript)
            and isinstance(b.value, ast.Name)
            and b.value.id in _MODEL_BASES
        )
        for b in node.bases
    )
    config_at = config_line = 0
    if is_model:
        config = next(
            (
                s
                for s in node.body
                if isinstance(s, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "model_config" for t in s.targets)
            ),
            None,
        )
        if (
            config is not None
            and isinstance(config.value, ast.Call)
            and isinstance(config.value.func, ast.Name)
            and config.value.func.id == "ConfigDict"
        ):
            config_line = config.value.func.lineno
        elif config is None:
            first = node.body[0]
            has_doc = (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            )
            config_at = (first.end_lineno or first.lineno) + 1 if has_doc else first.lineno
    list_item = ""
    for base in node.bases:
        if (
            isinstance(base, ast.Subscript)
            and isinstance(base.value, ast.Name)
            and base.value.id == "RootModel"
            and isinstance(base.slice, ast.Subscript)
            and isinstance(base.slice.value, ast.Name)
            and base.slice.value.id == "list"
        ):
            list_item = ast.unparse(base.slice.slice)
    return _Definition(
        (node.name,),
        start,
        node.end_lineno or node.lineno,
        _uses(node),
        config_at,
        config_line,
        list_item,
    )


def _with_deferred_build(lines: list[str], definition: _Definition) -> str:
    """The definition's source, a model class told to build its validator on first use."""
    chunk = lines[definition.start - 1 : definition.end]
    if definition.config_line:
        at = definition.config_line - definition.start
        chunk[at] = chunk[at].replace("ConfigDict(", "ConfigDict(defer_build=True, ", 1)
    elif definition.config_at:
        at = definition.config_at - definition.start
        if at < len(chunk):
            line = chunk[at]
            indent = line[: len(line) - len(line.lstrip())] or "    "
        else:
            indent = "    "
        chunk.insert(at, f"{indent}model_config = ConfigDict(defer_build=True)")
    if definition.list_item:
        item = definition.list_item
        chunk.extend(
            [
                "",
                f"    def __iter__(self) -> Iterator[{item}]:  # type: ignore[override]",
                "        return iter(self.root)",
                "",
                f"    def __getitem__(self, index: int) -> {item}:",
                "        return self.root[index]",
                "",
                "    def __len__(self) -> int:",
                "        return len(self.root)",
            ]
        )
    return "\n".join(chunk)


def _components(edges: list[list[int]]) -> list[list[int]]:
    """Strongly connected components (Tarjan, iterative), each sorted, in the order of their
    first definition so the output follows the source."""
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    found: list[list[int]] = []
    counter = 0
    for root in range(len(edges)):
        if root in index_of:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index_of[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for offset in range(position, len(edges[node])):
                target = edges[node][offset]
                if target not in index_of:
                    work.append((node, offset + 1))
                    work.append((target, 0))
                    recurse = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index_of[target])
            if recurse:
                continue
            if low[node] == index_of[node]:
                component: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(found, key=lambda c: c[0])


def _merged(components: list[list[int]], edges: list[list[int]]) -> list[tuple[list[int], int]]:
    """Fewer, larger modules: a component used by exactly one other component (a nested
    object's class, an enum of one model) joins that component's module. Contracting the only
    edge into a node keeps the graph acyclic, so imports between modules still go one way.
    Each module comes with the definition it is named after (its using-most component's)."""
    component_of = {n: i for i, members in enumerate(components) for n in members}
    users: list[set[int]] = [set() for _ in components]
    for number, targets in enumerate(edges):
        for target in targets:
            if component_of[target] != component_of[number]:
                users[component_of[target]].add(component_of[number])
    parent = list(range(len(components)))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for index, used_by in enumerate(users):
        if len(used_by) == 1:
            parent[index] = next(iter(used_by))
    members: dict[int, list[int]] = {}
    for index, component in enumerate(components):
        members.setdefault(find(index), []).extend(component)
    return sorted(
        ((sorted(found), components[root][0]) for root, found in members.items()),
        key=lambda item: item[0][0],
    )


def _package_init(header: str, docstring: str, exported: dict[str, str]) -> str:
    by_module: dict[str, list[str]] = {}
    for name, module in exported.items():
        by_module.setdefault(module, []).append(name)
    checking = [
        f"    from .{module} import {', '.join(f'{n} as {n}' for n in sorted(names))}"
        for module, names in sorted(by_module.items())
    ]
    where = [f"    {name!r}: {module!r}," for name, module in sorted(exported.items())]
    listed = [f"    {name!r}," for name in sorted(exported)]
    return "\n".join(
        [
            header,
            docstring
            or '"""The models of the API: each is loaded from its module on first use."""',
            "",
            "from __future__ import annotations",
            "",
            "from importlib import import_module",
            "from typing import TYPE_CHECKING, Any",
            "",
            "if TYPE_CHECKING:",
            *(checking or ["    pass"]),
            "",
            "#: the module defining each name",
            "_WHERE: dict[str, str] = {",
            *where,
            "}",
            "",
            "__all__ = [",
            *listed,
            "]",
            "",
            "if not TYPE_CHECKING:",
            "",
            "    def __getattr__(name: str) -> Any:",
            "        module = _WHERE.get(name)",
            "        if module is None:",
            '            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")',
            '        value = getattr(import_module(f"{__name__}.{module}"), name)',
            "        globals()[name] = value",
            "        return value",
            "",
            "",
            "def __dir__() -> list[str]:",
            "    return sorted({*globals(), *_WHERE})",
            "",
        ]
    )

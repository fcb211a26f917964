"""The models as a package loaded piece by piece: `models/__init__.py` names every model, and a
model's module is imported only when the name is first used (PEP 562 `__getattr__`).

datamodel-code-generator writes one module; importing it creates (and pydantic builds) every
class of the spec, which takes seconds for a large API. Here that module is cut into modules
along the imports that must be real when a module is imported (base classes, enums, type
aliases, discriminated union members): those never form a cycle. A model class names the
models of other modules lazily (`_lazy.model(...)`, templates/runtime/_lazy.py), so a module is
imported, and a validator built, only when a value needs it. Every model class defers
building its validator until it is first used (`defer_build=True`), and the generator's
module-level `model_rebuild()` calls are dropped. Type checkers and editors see every name
through `TYPE_CHECKING` imports.

No library does this cut (datamodel-code-generator's modular output follows dotted schema
names, not use), hence this module; it reads the code with `ast` and moves statements as they
are written, so no spec text is re-rendered here.
"""

from __future__ import annotations

import ast
import dataclasses
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
class _Site:
    """Where a definition writes a name of the module: a name, or a quoted forward reference
    (`quote` is its quote character), at a 1-based line and character columns."""

    line: int
    start: int
    end: int
    name: str
    quote: str = ""


@dataclass(frozen=True)
class _Definition:
    names: tuple[str, ...]
    start: int  # first line (1-based, decorators included)
    end: int  # last line
    uses: frozenset[str]
    #: where it writes names defined by the module (renaming a class edits these)
    sites: tuple[_Site, ...] = ()
    #: line (1-based) before which `model_config = ConfigDict(defer_build=True)` goes, and
    #: its indentation; 0 when the class needs none (not a model, or it has a config)
    config_at: int = 0
    #: the line holding `ConfigDict(` of the class's own config, to add `defer_build` to
    config_line: int = 0
    #: the item type of a `RootModel[list[X]]` (its instances become iterable and indexable)
    list_item: str = ""
    #: a pydantic model class (directly: based on BaseModel or RootModel)
    is_model: bool = False
    #: names it needs as real objects when its module is imported: base classes, decorators,
    #: and the members of a discriminated union (pydantic reads their fields to build it)
    eager: frozenset[str] = frozenset()
    #: names written in its base classes
    bases: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ModelCode:
    """datamodel-code-generator's module, read: its imports, docstring and top-level
    definitions, and which definition uses which (`edges`, by index)."""

    lines: list[str]
    imports: list[str]
    docstring: str
    definitions: list[_Definition]
    edges: list[list[int]]
    #: whether the definitions' name sites match `lines` (false once renamed)
    sited: bool = True

    def owner(self) -> dict[str, int]:
        return {name: n for n, d in enumerate(self.definitions) for name in d.names}

    def renamed(self, dropped: set[str], renames: dict[str, str]) -> ModelCode:
        """This code without the definitions of `dropped` and with every use of a renamed
        name written the new way (attribute names after a `.` are left alone), read again
        without parsing: renames keep every definition on its lines. The result has no
        sites, so it is renamed once."""
        if not self.sited:
            raise SplitError("model code renamed twice")
        lines = list(self.lines)
        kept: list[_Definition] = []
        for definition in self.definitions:
            if any(name in dropped for name in definition.names):
                for line in range(definition.start - 1, definition.end):
                    lines[line] = ""
                continue
            edits = sorted(
                (site for site in definition.sites if site.name in renames),
                key=lambda site: (site.line, site.start),
                reverse=True,
            )
            for site in edits:
                text = lines[site.line - 1]
                new = site.quote + renames[site.name] + site.quote
                lines[site.line - 1] = text[: site.start] + new + text[site.end :]
            kept.append(
                dataclasses.replace(
                    definition,
                    names=tuple(renames.get(n, n) for n in definition.names),
                    uses=frozenset(renames.get(n, n) for n in definition.uses),
                    eager=frozenset(renames.get(n, n) for n in definition.eager),
                    bases=frozenset(renames.get(n, n) for n in definition.bases),
                    sites=(),
                    list_item=_IDENTIFIERS.sub(
                        lambda m: renames.get(m.group(), m.group()), definition.list_item
                    ),
                )
            )
        owner = {name: n for n, d in enumerate(kept) for name in d.names}
        return ModelCode(
            lines, self.imports, self.docstring, kept, _edges(kept, owner), sited=False
        )

    def reached(self, names: set[str] | frozenset[str]) -> set[str]:
        """`names` (those the module defines) and every name of the module their definitions
        use, through any depth."""
        owner = self.owner()
        seen: set[int] = set()
        todo = [owner[n] for n in names if n in owner]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(self.edges[node])
        return {n for node in seen for n in self.definitions[node].names}


def read_models(source: str) -> ModelCode:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise SplitError(f"datamodel-code-generator wrote invalid Python: {exc}") from None
    lines = source.split("\n")
    imports: list[str] = []
    definitions: list[_Definition] = []
    scans: list[_Scan] = []
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
            definition, scan = _class(node, lines)
            definitions.append(definition)
            scans.append(scan)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            assigned = tuple(t.id for t in targets if isinstance(t, ast.Name))
            if not assigned:
                raise SplitError(f"unexpected statement at line {node.lineno} of the models")
            scan = _scan(node, _Scan())
            scans.append(scan)
            definitions.append(
                _Definition(assigned, node.lineno, node.end_lineno or node.lineno, _uses(scan))
            )
        else:
            raise SplitError(f"unexpected statement at line {node.lineno} of the models")
    owner = {name: n for n, d in enumerate(definitions) for name in d.names}
    definitions = [
        dataclasses.replace(d, sites=(*d.sites, *_sites(scan, lines, owner)))
        for d, scan in zip(definitions, scans, strict=True)
    ]
    return ModelCode(lines, imports, docstring, definitions, _edges(definitions, owner))


def _edges(definitions: list[_Definition], owner: dict[str, int]) -> list[list[int]]:
    return [
        sorted({owner[n] for n in d.uses if n in owner} - {number})
        for number, d in enumerate(definitions)
    ]


#: the module of the generated package holding `LazyType` (templates/runtime/_lazy.py)
LAZY_MODULE = "_lazy"
#: the module naming the models only the generated server uses (`models._server`)
SERVER_MODULE = "_server"


def split_models(
    source: str,
    header: str,
    code: ModelCode | None = None,
    server_only: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """`models/...` files (names relative to the package) for the one-module `source`
    (`code`: the same source already read), `_lazy.py` aside. The classes of `server_only`
    (query parameter models) are named by `models/_server.py` for the generated server, and
    neither they nor what only they use are names of `models`: its names are what clients
    use.

    A model class names the model classes of other modules through `_lazy.model(...)` (its
    module is imported on first use); only what a module needs when it is imported (base
    classes, enums, type aliases, discriminated union members) is imported for real. Modules
    are cut along those real imports, so they never form a cycle."""
    code = code if code is not None else read_models(source)
    lines, imports, docstring = code.lines, code.imports, code.docstring
    definitions, edges = code.definitions, code.edges
    owner = code.owner()
    models = _model_names(definitions)
    eager = [
        sorted(
            {owner[n] for n in d.uses if n in owner and (n in d.eager or n not in models)}
            - {number}
        )
        for number, d in enumerate(definitions)
    ]
    groups = _merged(_components(eager), edges)
    module_of: dict[int, str] = {}
    taken: set[str] = {"__init__", LAZY_MODULE, SERVER_MODULE}
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
        real: dict[str, set[str]] = {}
        lazy: dict[str, str] = {}
        body: list[str] = []
        for number in group:
            definition = definitions[number]
            needed = set(eager[number])
            for dep in edges[number]:
                if module_of[dep] == module:
                    continue
                used = set(definitions[dep].names) & definition.uses
                if dep in needed:
                    real.setdefault(module_of[dep], set()).update(used)
                else:
                    lazy.update(dict.fromkeys(used, module_of[dep]))
            body.append(_with_deferred_build(lines, definition))
            for name in definition.names:
                exported[name] = module
        imported = {n for names in real.values() for n in names}
        lazy = {n: m for n, m in lazy.items() if n not in imported}
        local = [
            f"from .{other} import {', '.join(sorted(names))}"
            for other, names in sorted(real.items())
        ]
        deferred: list[str] = []
        if lazy:
            deferred = [
                "from typing import TYPE_CHECKING",
                f"from . import {LAZY_MODULE}",
                "",
                "if TYPE_CHECKING:",
                *(f"    from .{m} import {n}" for n, m in sorted(lazy.items())),
                "else:",
                *(
                    f'    {n} = {LAZY_MODULE}.model(__package__, ".{m}", "{n}")'
                    for n, m in sorted(lazy.items())
                ),
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
                *deferred,
                "",
                "",
                "\n\n\n".join(body),
                "",
            ]
        )
    for_server = code.reached(server_only)
    hidden = for_server - code.reached(set(owner) - for_server)
    public = {n: m for n, m in exported.items() if n not in hidden}
    server = {n: m for n, m in exported.items() if n in server_only}
    files["__init__.py"] = _package_init(header, docstring, public)
    if server:
        files[f"{SERVER_MODULE}.py"] = _server_init(header, server)
    return files


def _server_init(header: str, server: dict[str, str]) -> str:
    return "\n".join(
        [
            header,
            '"""Models only the generated server uses (the query parameters of operations)."""',
            "",
            *(f"from .{m} import {n}" for n, m in sorted(server.items())),
            "",
            "__all__ = [",
            *(f"    {n!r}," for n in sorted(server)),
            "]",
            "",
        ]
    )


def _model_names(definitions: list[_Definition]) -> set[str]:
    """Names of the pydantic model classes: based on BaseModel/RootModel, or on such a class."""
    found = {n for d in definitions if d.is_model for n in d.names}
    changed = True
    while changed:
        changed = False
        for d in definitions:
            if d.names[0] not in found and d.bases & found:
                found.update(d.names)
                changed = True
    return found


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


def _column(lines: list[str], line: int, offset: int) -> int:
    """The character column of `ast`'s UTF-8 byte `offset` on a 1-based line."""
    text = lines[line - 1]
    return offset if text.isascii() else len(text.encode("utf-8")[:offset].decode("utf-8"))


class _Scan:
    """What one walk over a definition found: its names, the string constants that may be
    quoted forward references, and whether a `discriminator=` keyword is among them."""

    __slots__ = ("discriminated", "names", "quoted")

    def __init__(self) -> None:
        self.names: list[ast.Name] = []
        self.quoted: list[ast.Constant] = []
        self.discriminated = False


def _scan(node: ast.AST, into: _Scan) -> _Scan:
    """Walk `node` (the common expression nodes by hand: `ast.walk` costs twice as much on
    the megabytes of a large API's models)."""
    stack: list[ast.AST] = [node]
    names, quoted = into.names, into.quoted
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is ast.Name:
            names.append(current)  # type: ignore[arg-type]
        elif kind is ast.Constant:
            value = current.value  # type: ignore[attr-defined]
            if isinstance(value, str) and len(value) < 200 and _QUOTED_TYPE.match(value):
                quoted.append(current)  # type: ignore[arg-type]
        elif kind is ast.Subscript:
            stack.append(current.value)  # type: ignore[attr-defined]
            stack.append(current.slice)  # type: ignore[attr-defined]
        elif kind is ast.BinOp:
            stack.append(current.left)  # type: ignore[attr-defined]
            stack.append(current.right)  # type: ignore[attr-defined]
        elif kind is ast.Call:
            stack.append(current.func)  # type: ignore[attr-defined]
            stack.extend(current.args)  # type: ignore[attr-defined]
            for word in current.keywords:  # type: ignore[attr-defined]
                if word.arg == "discriminator":
                    into.discriminated = True
                stack.append(word.value)
        elif kind is ast.Tuple or kind is ast.List:
            stack.extend(current.elts)  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            stack.append(current.value)  # type: ignore[attr-defined]
        else:
            if kind is ast.keyword and current.arg == "discriminator":  # type: ignore[attr-defined]
                into.discriminated = True
            stack.extend(ast.iter_child_nodes(current))
    return into


def _uses(scan: _Scan) -> frozenset[str]:
    found = {n.id for n in scan.names}
    for constant in scan.quoted:
        found.update(_IDENTIFIERS.findall(str(constant.value)))
    return frozenset(found)


def _sites(scan: _Scan, lines: list[str], owner: dict[str, int]) -> list[_Site]:
    """Where the scanned code writes a name of the module (`owner`)."""
    sites: list[_Site] = []
    for name in scan.names:
        if name.id in owner:
            end = name.end_col_offset if name.end_col_offset is not None else 0
            sites.append(
                _Site(
                    name.lineno,
                    _column(lines, name.lineno, name.col_offset),
                    _column(lines, name.lineno, end),
                    name.id,
                )
            )
    for constant in scan.quoted:
        value = constant.value
        if value in owner and constant.end_lineno == constant.lineno:
            start = _column(lines, constant.lineno, constant.col_offset)
            end = _column(lines, constant.lineno, constant.end_col_offset or 0)
            written = lines[constant.lineno - 1][start:end]
            if len(written) == len(value) + 2 and written[0] in "'\"":
                sites.append(_Site(constant.lineno, start, end, value, written[0]))
    return sites


def _class(node: ast.ClassDef, lines: list[str]) -> tuple[_Definition, _Scan]:
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
    scan = _Scan()
    for base in node.bases:
        _scan(base, scan)
    bases = frozenset(n.id for n in scan.names)
    for part in (*node.keywords, *node.decorator_list):
        _scan(part, scan)
    eager = {n.id for n in scan.names}
    for statement in node.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # the docstring
        found = _scan(statement, _Scan())
        if found.discriminated and isinstance(statement, ast.AnnAssign):
            eager.update(n.id for n in found.names)
        scan.names.extend(found.names)
        scan.quoted.extend(found.quoted)
    text = lines[node.lineno - 1]
    at = text.find(node.name, _column(lines, node.lineno, node.col_offset) + len("class"))
    if at < 0:
        raise SplitError(f"class {node.name!r} is not written as named")
    own = _Site(node.lineno, at, at + len(node.name), node.name)
    definition = _Definition(
        (node.name,),
        start,
        node.end_lineno or node.lineno,
        _uses(scan),
        (own,),
        config_at,
        config_line,
        list_item,
        is_model,
        frozenset(eager),
        bases,
    )
    return definition, scan


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
    object's class, an enum of one model) joins that component's module. `components` are
    those of the real imports and `edges` every use: a component's real importers are among
    its users, so contracting the only edge into it keeps the real imports acyclic. Each
    module comes with the definition it is named after (the first of a component that is
    not merged into another, else its first definition)."""
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
            a, b = find(index), find(next(iter(used_by)))
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = {}
    named: dict[int, int] = {}
    for index, component in enumerate(components):
        root = find(index)
        members.setdefault(root, []).extend(component)
        if len(users[index]) != 1 and root not in named:
            named[root] = component[0]
    return sorted(
        ((sorted(found), named.get(root, min(found))) for root, found in members.items()),
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

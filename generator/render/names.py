"""Model names as the spec gives them, after datamodel-code-generator's request/response split.

The split makes a `Request` and a `Response` class of every schema with readOnly or writeOnly
properties somewhere below it, whether or not the API uses it both ways: `FulfillmentList`,
only ever an answer, became `FulfillmentListResponse` plus a `FulfillmentListRequest` nothing
uses, and a schema already named `CreateFulfillmentsRequest` became
`CreateFulfillmentsRequestRequest`. Here, once the IR says which classes the operations use,
the variants nothing reaches are dropped (so are classes made for an operation's inline
schema that the operation does not use) and a schema left with one class gets its own name
back (`models.CreateFulfillmentsRequest`). A schema used both ways keeps both classes.
"""

from __future__ import annotations

import dataclasses
import keyword
from dataclasses import fields, is_dataclass

from generator.ir.classes import ClassIndex, ModelClass
from generator.ir.model import SERVER_MODELS, Api, PyType
from generator.render.models import Models
from generator.render.modules import read_models

_SUFFIXES = ("Request", "Response")


def used_classes(api: Api) -> set[str]:
    """Every model class the IR names (`models.X` in any type)."""
    found: set[str] = set()
    seen: set[int] = set()

    def walk(value: object) -> None:
        if isinstance(value, PyType):
            module, _, name = value.name.partition(".")
            if module in ("models", SERVER_MODELS) and name:
                found.add(name)
            for inner in (*value.args, *value.union):
                walk(inner)
            return
        if isinstance(value, (str, int, float, bool)) or value is None:
            return
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, (tuple, list)):
            for item in value:
                walk(item)
        elif is_dataclass(value) and not isinstance(value, type):
            for item in fields(value):
                walk(getattr(value, item.name))

    walk(api)
    return found


def tidy(models: Models, used: set[str]) -> Models:
    """`models` without the split variants nothing reaches, single variants renamed to their
    schema's name. The same classes (`Models.classes`) when there is nothing to tidy; the
    code, read here, comes along for the split into modules."""
    variants = {
        path: names
        for path in {m.source_path for m in models.classes}
        if len(names := models.index.classes_at(path)) > 1
    }
    #: classes made for one operation (an inline body or answer): useless unless it uses them
    inline = {m.class_name for m in models.classes if m.source_path[:1] == ("paths",)}
    generic = {
        m.class_name: better
        for m in models.classes
        if (better := _meaningful(m)) is not None and better != m.class_name
    }
    if not variants and not inline and not generic:
        return models
    code = read_models(models.source)
    owner = code.owner()
    roots = set(used)
    for path, names in variants.items():  # a schema no operation uses keeps all its classes
        if path[:1] != ("paths",) and not any(n in used for n in names):
            roots.update(names)
    keep = code.reached(roots)
    candidates = inline.union(*variants.values())
    dropped = {name for name in candidates if name in owner and name not in keep}
    taken = set(owner) - dropped
    renames: dict[str, str] = {}
    for names in variants.values():
        left = [n for n in names if n not in dropped]
        if len(left) != 1:
            continue
        name = left[0]
        for suffix in _SUFFIXES:
            base = name.removesuffix(suffix)
            if base != name and base.isidentifier() and not keyword.iskeyword(base):
                if base not in taken:
                    renames[name] = base
                    taken.add(base)
                break
    for name, better in sorted(generic.items()):
        if name not in dropped and name not in renames and better not in taken:
            renames[name] = better
            taken.add(better)
    if not dropped and not renames:
        return dataclasses.replace(models, code=code)  # read once: the split reuses it
    tidied = code.renamed(dropped, renames)
    classes = tuple(
        ModelClass(renames.get(m.class_name, m.class_name), m.source_path)
        for m in models.classes
        if m.class_name not in dropped
    )
    return Models(
        source="\n".join(tidied.lines),
        index=ClassIndex(classes),
        notes=models.notes,
        code=tidied,
    )


#: path tokens that say where a schema sits, not what it is
_STRUCTURE = frozenset({"properties", "schema", "additionalProperties"})


def _meaningful(model: ModelClass) -> str | None:
    """A name for a class datamodel-code-generator named by number or by a generic suffix
    (`Success5`, `Field1`, `FieldModel`: clashes among property and parameter names), made
    of the component it sits in and the properties leading to it (`ErrorResponseSuccess`,
    `FulfillmentFieldsItem`). None for other classes, and for branches of a oneOf/anyOf/
    allOf, whose numbers are the branch order."""
    from generator.naming import class_name

    name, path = model.class_name, model.source_path
    numbered = name[-1:].isdigit()
    if not (numbered or (name.endswith("Model") and name != "Model")):
        return None
    if len(path) < 4 or path[0] != "components" or path[-2] in ("anyOf", "oneOf", "allOf"):
        return None
    words = [path[2]]
    for token in path[3:]:
        if token in _STRUCTURE:
            continue
        if token == "items":
            words.append("Item")
        elif token.isdigit() or token in ("anyOf", "oneOf", "allOf"):
            return None
        else:
            words.append(token)
    better = str(class_name(" ".join(words)))
    if not numbered and better == name:
        return None
    return better if better.isidentifier() and not keyword.iskeyword(better) else None

"""Inline schemas written identically in several operations become one shared model.

APIs often repeat a nested object schema verbatim in many operations (Stripe's spec repeats
2,153 of the 3,034 nested objects of its request bodies: the same `capability_param` 122
times). datamodel-code-generator makes a class of every occurrence, named after where it
sits (`CardPayments`, `Transfers`, ...), so a client has dozens of interchangeable classes
for one shape, and generation spends most of its time on them. Before generation, every
nested object schema of the operations (request bodies, answers, parameters) that occurs
twice or more, identical as JSON, is moved to `components/schemas` under one name and
referenced from each place: the same validation, one class.

The name is the schema's `title` when it has one, else the property (or parameter) it
first appears under; a name already taken gets a number. Identical means identical JSON
after its own nested duplicates were shared (innermost first). A schema holding
`$id`, `$anchor`, `$dynamicAnchor` or `$dynamicRef` is left in place: where it sits
decides what those mean.

Schemas under `components` are not moved: their classes keep the names they have.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from generator.naming import class_name

#: keywords whose meaning depends on where the schema is written
_PLACED = ("$id", "$anchor", "$dynamicAnchor", "$dynamicRef")
#: rounds of sharing, innermost duplicates first (deeper nesting is left as written)
_ROUNDS = 8


@dataclass(eq=False)
class _Site:
    holder: Any  # the dict or list holding the schema
    key: str | int
    hint: str
    text: str  # the schema as canonical JSON
    order: int  # position in document order (innermost first)
    inner: list[str]  # the texts of the nested object schemas within it


def share_repeated_inline_schemas(data: dict[str, Any]) -> list[str]:
    """Share, in `data` (a bundled spec, edited in place), every nested inline object
    schema of the operations written twice or more. Returns the names added to
    `components/schemas`, in order."""
    paths = data.get("paths")
    if not isinstance(paths, dict):
        return []
    components = data.setdefault("components", {})
    if not isinstance(components, dict):
        return []
    schemas = components.setdefault("schemas", {})
    if not isinstance(schemas, dict):
        return []
    taken = {str(k) for k in schemas} | {str(class_name(str(k))) for k in schemas}
    added: list[str] = []
    roots = list(_operation_schemas(paths))
    for _ in range(_ROUNDS):
        sites: list[_Site] = []
        for holder, key, hint in roots:
            _collect(holder, key, hint, sites, top=True)
        for name in added:
            _collect(schemas, name, name, sites, top=True)
        groups: dict[str, list[_Site]] = {}
        for site in sites:
            groups.setdefault(site.text, []).append(site)
        repeated = {text for text, found in groups.items() if len(found) > 1}
        innermost = [
            text
            for text in repeated
            if not any(inner in repeated for site in groups[text] for inner in site.inner)
        ]
        if not innermost:
            break
        for text in sorted(innermost, key=lambda t: groups[t][0].order):
            found = groups[text]
            schema = json.loads(text)
            name = _free(schema.get("title") or found[0].hint, taken)
            taken.add(name)
            schemas[name] = schema
            added.append(name)
            for site in found:
                site.holder[site.key] = {"$ref": f"#/components/schemas/{name}"}
    return added


def _free(hint: str, taken: set[str]) -> str:
    base = str(class_name(hint or "Shared"))
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}{number}"
    return name


def _operation_schemas(paths: dict[str, Any]) -> list[tuple[dict[str, Any], str, str]]:
    """(holder, key, hint) of every schema an operation writes inline: its request bodies,
    answers and parameters (path-level parameters too), in document order."""
    found: list[tuple[dict[str, Any], str, str]] = []

    def content(holder: Any, hint: str) -> None:
        if isinstance(holder, dict) and isinstance(holder.get("content"), dict):
            for media in holder["content"].values():
                if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                    found.append((media, "schema", hint))

    def parameters(items: Any) -> None:
        for parameter in items if isinstance(items, list) else ():
            if not isinstance(parameter, dict):
                continue
            hint = str(parameter.get("name", ""))
            if isinstance(parameter.get("schema"), dict):
                found.append((parameter, "schema", hint))
            content(parameter, hint)

    for item in paths.values():
        if not isinstance(item, dict):
            continue
        parameters(item.get("parameters"))
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            parameters(operation.get("parameters"))
            content(operation.get("requestBody"), "")
            answers = operation.get("responses")
            for answer in answers.values() if isinstance(answers, dict) else ():
                content(answer, "")
    return found


def _collect(holder: Any, key: str | int, hint: str, sites: list[_Site], *, top: bool) -> list[str]:
    """Every nested object schema under `holder[key]` (not that schema itself when `top`),
    innermost first; returns the texts of those found."""
    schema = holder[key]
    if not isinstance(schema, dict) or "$ref" in schema:
        return []
    inner: list[str] = []
    for word, value in schema.items():
        if word in ("properties", "patternProperties") and isinstance(value, dict):
            for name in value:
                inner.extend(_collect(value, name, str(name), sites, top=False))
        elif word in ("items", "additionalProperties", "not", "contains") and isinstance(
            value, dict
        ):
            below = f"{hint} item" if word == "items" else hint
            inner.extend(_collect(schema, word, below, sites, top=False))
        elif word in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
            for index in range(len(value)):
                inner.extend(_collect(value, index, hint, sites, top=False))
    if top or not _is_object(schema):
        return inner
    text = json.dumps(schema, sort_keys=True, ensure_ascii=False)
    if any(f'"{word}"' in text for word in _PLACED):
        return inner
    sites.append(_Site(holder, key, hint, text, len(sites), inner))
    return [*inner, text]


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (kind == "object" or (isinstance(kind, list) and "object" in kind)) or (
        kind is None and ("properties" in schema or "additionalProperties" in schema)
    )

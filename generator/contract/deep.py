"""Errors for values nested too deeply for jsonschema-rs to hand back.

jsonschema-rs judges a value of any depth, but listing its errors converts each error's
instance back to Python, which stops ("Recursion limit reached") at 255 levels: a typed field
holding JSON nested 300 deep would lose its real `wrong_type`. For such values (rare, and only
once jsonschema-rs has said the value is invalid) the errors come from the `jsonschema`
library instead, on the same converted document with the same OpenAPI additions (3.0
integers, `byte`), run in a thread with a stack deep enough for its recursion. Its errors are
presented with the attributes of jsonschema-rs errors, so `check` translates both alike.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.validators import extend

from generator.contract.compile import FORMATS, SchemaIndex
from generator.openapi.dialect import OAS30_INTEGER

#: stack and recursion room for values up to the depth orjson reads (1024)
STACK_BYTES = 512 * 1024 * 1024
RECURSION = 60_000

_FORMAT_CHECKER = FormatChecker()
for _name, _check in FORMATS.items():
    _FORMAT_CHECKER.checks(_name)(_check)  # type: ignore[type-var]


def _oas30_integer(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if value is True and isinstance(instance, (float, Decimal)):
        yield ValidationError(
            f"{instance!r} is not an integer: OpenAPI 3.0 integers are written without a "
            "fraction or exponent"
        )


_Validator: Any = extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {OAS30_INTEGER: _oas30_integer}
)


class _Kind:
    """The parts of a jsonschema-rs error kind `check` reads."""

    def __init__(self, name: str, **fields: Any) -> None:
        self.name = name
        for key, value in fields.items():
            setattr(self, key, value)


class _Error:
    def __init__(
        self,
        kind: _Kind,
        instance_path: list[str | int],
        schema_path: list[str],
        instance: Any,
        message: str,
    ) -> None:
        self.kind = kind
        self.instance_path = instance_path
        self.schema_path = schema_path
        self.instance = instance
        self.message = message


def _absolute(document: dict[str, Any], start: str, relative: deque[Any]) -> list[str]:
    """jsonschema's schema path (through `$ref` keywords) -> the absolute keyword location in
    the converted document, as jsonschema-rs reports it."""
    tokens = [t for t in start.split("/")[1:] if t] if start else []
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in tokens]
    node: Any = document
    for token in tokens:
        node = node[int(token)] if isinstance(node, list) else node.get(token)
    for raw in relative:
        token = str(raw)
        if token == "$ref" and isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target = urllib.parse.unquote(node["$ref"][1:])
            tokens = [t.replace("~1", "/").replace("~0", "~") for t in target.split("/")[1:]]
            node = document
            for part in tokens:
                node = node[int(part)] if isinstance(node, list) else node.get(part)
            continue
        tokens.append(token)
        if isinstance(node, list) and token.isdigit():
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node.get(token)
        else:
            node = None
    return tokens


def _convert(error: ValidationError, document: dict[str, Any], start: str) -> _Error:
    keyword = str(error.validator) if error.validator is not None else "falseSchema"
    value: Any = error.validator_value
    instance = error.instance
    fields: dict[str, Any] = {}
    if keyword == "required":
        match = re.match(r"(.*) is a required property$", error.message)
        fields["property"] = ast.literal_eval(match.group(1)) if match else "?"
    elif keyword in ("additionalProperties", "unevaluatedProperties"):
        schema = error.schema if isinstance(error.schema, dict) else {}
        declared = schema.get("properties") or {}
        patterns = list((schema.get("patternProperties") or {}).keys())
        fields["unexpected"] = [
            name
            for name in (instance if isinstance(instance, dict) else {})
            if name not in declared and not any(re.search(p, name) for p in patterns)
        ]
    elif keyword == "type":
        fields["types"] = [value] if isinstance(value, str) else list(value)
    elif keyword == "enum":
        fields["options"] = list(value)
    elif keyword == "const":
        fields["expected_value"] = value
    elif keyword == "format":
        fields["format"] = value
    elif keyword == "pattern":
        fields["pattern"] = value
    elif keyword == "multipleOf":
        fields["multiple_of"] = value
    elif keyword in ("anyOf", "oneOf"):
        branches: list[list[_Error]] = [[] for _ in value] if isinstance(value, list) else []
        for inner in error.context or ():
            index = inner.relative_schema_path[0]
            if isinstance(index, int) and index < len(branches):
                branches[index].append(_convert(inner, document, start))
        fields["context"] = branches
    else:
        fields["limit"] = value
    relative = deque(error.absolute_schema_path)
    if relative and relative[0] == "$ref":
        relative.popleft()  # the root's own `$ref` to `start`: every path begins with it
    return _Error(
        _Kind(keyword, **fields),
        list(error.absolute_path),
        _absolute(document, start, relative),
        instance,
        error.message,
    )


def errors(index: SchemaIndex, pointer: str, value: Any) -> list[Any]:
    """The errors of `value` against the schema at `pointer`, however deep the value."""
    document = index.converted.document
    root = dict(document)
    root["$ref"] = "#" + urllib.parse.quote(pointer, safe="/~")
    validator = _Validator(root, format_checker=_FORMAT_CHECKER)
    found: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            for error in validator.iter_errors(value):
                found.append(_convert(error, document, pointer))
        except BaseException as exc:  # reported by the caller's thread
            failure.append(exc)

    limit = sys.getrecursionlimit()
    size = threading.stack_size()
    try:
        sys.setrecursionlimit(max(limit, RECURSION))
        threading.stack_size(STACK_BYTES)
        worker = threading.Thread(target=run, name="apicontract-deep-errors")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return found

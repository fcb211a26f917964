"""Identifiers as types. Every name that reaches generated source is made here, once.

Spec text can hold anything: Python keywords, builtins, `../`, quotes, leading digits, non-ASCII.
These constructors turn it into names that are always valid, never shadow what generated code
uses, and are stable (the same input gives the same name on every run).
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from collections.abc import Iterable


class PythonIdentifier(str):
    """A snake_case name valid as a Python identifier (attribute, argument, function)."""

    __slots__ = ()


class ClassName(str):
    """A PascalCase name valid as a Python class name."""

    __slots__ = ()


class ModuleName(str):
    """A lower-case dotted-free name valid as a Python module or package name."""

    __slots__ = ()


# Names generated code relies on; an identifier from a spec must never shadow them.
_RESERVED = (
    set(keyword.kwlist)
    | set(keyword.softkwlist)
    | set(dir(builtins))
    | {
        "self",
        "cls",
        "body",
        "timeout",
        "extra_headers",
        "models",
        "annotations",
        "typing",
        "context",
    }
)

_CAMEL_BOUNDARY_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_BOUNDARY_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")


def _ascii_words(text: str) -> list[str]:
    """Split text into ASCII words: accents are dropped, other characters become separators
    (non-Latin letters are kept as `uXXXX` so different names stay different)."""
    decomposed = unicodedata.normalize("NFKD", text)
    chars: list[str] = []
    for char in decomposed:
        if char.isascii():
            chars.append(char)
        elif unicodedata.combining(char):
            continue
        elif char.isalnum():
            chars.append(f" u{ord(char):04x} ")
        else:
            chars.append(" ")
    spaced = "".join(chars)
    spaced = _CAMEL_BOUNDARY_1.sub(r"\1 \2", spaced)
    spaced = _CAMEL_BOUNDARY_2.sub(r"\1 \2", spaced)
    return [w for w in _NON_WORD.split(spaced) if w]


def identifier(text: str, *, reserved: Iterable[str] = ()) -> PythonIdentifier:
    """`createFulfillments` -> `create_fulfillments`; `class` -> `class_`; `2fa` -> `n2fa`."""
    words = [w.lower() for w in _ascii_words(text)]
    name = "_".join(words) or "value"
    if name[0].isdigit():
        name = "n" + name
    taken = _RESERVED | set(reserved)
    while name in taken or keyword.iskeyword(name):
        name += "_"
    return PythonIdentifier(name)


def class_name(text: str, *, reserved: Iterable[str] = ()) -> ClassName:
    """`fulfillment item` -> `FulfillmentItem`; keeps existing inner capitals."""
    words = _ascii_words(text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Model"
    if name[0].isdigit():
        name = "N" + name
    taken = _RESERVED | set(reserved)
    while name in taken:
        name += "_"
    return ClassName(name)


def module_name(text: str) -> ModuleName:
    """A package or module name: `zuora-v1` -> `zuora_v1`, `../x` -> `x`."""
    return ModuleName(identifier(text))


def model_class(text: str) -> ClassName:
    """A class name datamodel-code-generator chose, taken as it is (never re-derived: the IR
    must name exactly the class that exists). It may be non-ASCII, but must be an identifier
    Python keeps as written (NFKC-normalised) and no keyword."""
    if (
        not text.isidentifier()
        or keyword.iskeyword(text)
        or not unicodedata.is_normalized("NFKC", text)
    ):
        raise ValueError(f"not a usable class name: {text!r}")
    return ClassName(text)


def is_valid_identifier(text: str) -> bool:
    return text.isidentifier() and text.isascii() and not keyword.iskeyword(text)


def unique(names: Iterable[str], *, reserved: Iterable[str] = ()) -> list[str]:
    """Disambiguate repeated names deterministically: a, a -> a, a_2. A suffixed name never
    equals another name of the list or a reserved one (a, a, a_2 -> a, a_3, a_2)."""
    given = list(names)
    taken = set(given) | set(reserved)
    seen: set[str] = set()
    result: list[str] = []
    for name in given:
        if name not in seen:
            seen.add(name)
            result.append(name)
            continue
        count = 2
        while f"{name}_{count}" in taken:
            count += 1
        fresh = f"{name}_{count}"
        taken.add(fresh)
        seen.add(fresh)
        result.append(fresh)
    return result

"""RFC 6901 JSON pointers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_MISSING = object()


def escape(token: str | int) -> str:
    text = token if isinstance(token, str) else str(token)
    if "~" not in text and "/" not in text:
        return text
    return text.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + escape(t) for t in tokens)


def from_parts(parts: Iterable[str | int]) -> str:
    return join("", *parts)


def split(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {pointer!r}")
    return [unescape(t) for t in pointer[1:].split("/")]


def resolve(document: Any, pointer: str) -> Any:
    """Return the value at `pointer`, raising KeyError with the failing prefix if absent."""
    node = document
    walked = ""
    for token in split(pointer):
        walked = join(walked, token)
        if isinstance(node, dict):
            if token not in node:
                raise KeyError(walked)
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or (token != "0" and token.startswith("0")):
                raise KeyError(walked)
            index = int(token)
            if index >= len(node):
                raise KeyError(walked)
            node = node[index]
        else:
            raise KeyError(walked)
    return node


def parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0] if pointer else ""

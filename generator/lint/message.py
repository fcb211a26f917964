"""Validator messages made fit for one line of lint output.

jsonschema and openapi-spec-validator write the offending value into their messages, whole
(`{... three hundred lines ...} is not valid under any of the given schemas`), and some append
`Failed validating ... On instance ...` paragraphs. A finding's message keeps the first
paragraph on one line with every long value cut short; the untouched text goes to the
finding's `detail`, which `--format json` shows.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: longest value written out in full inside a message
VALUE_LIMIT = 60
#: longest message; what is longer is cut (the whole text stays in `detail`)
MESSAGE_LIMIT = 300

_NO_VALUE = object()
_SPACE = re.compile(r"\s+")


def clip(text: str, limit: int = VALUE_LIMIT) -> str:
    """`text`, or its start and an ellipsis when it is longer than `limit`."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(message: str, value: Any = _NO_VALUE) -> tuple[str, str]:
    """(short, detail): the first paragraph of `message` on one line, with `value` (the
    instance the validator complains about, when known) shortened wherever the message quotes
    it; `detail` is the original message when anything was cut, else ''."""
    first = message.strip().split("\n\n", 1)[0]
    short = _SPACE.sub(" ", first).strip()
    if value is not _NO_VALUE:
        for spelling in sorted(_spellings(value), key=len, reverse=True):
            if len(spelling) > VALUE_LIMIT and spelling in short:
                short = short.replace(spelling, clip(spelling))
    short = clip(short, MESSAGE_LIMIT)
    return short, ("" if short == message else message)


def _spellings(value: Any) -> set[str]:
    """How validators write a value: Python's repr (jsonschema), compact JSON with and without
    sorted keys (validators written in Rust)."""
    found = {repr(value)}
    for sort_keys in (False, True):
        try:
            found.add(
                json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)
            )
        except (TypeError, ValueError):
            pass
    return found

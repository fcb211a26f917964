"""JSON text -> value, keeping what the text said.

orjson parses nearly everything, fast. Two things it does not keep are kept here:

* integers beyond 64 bits: orjson turns `18446744073709551616` into a float (digits lost, and
  a float where the text had no fraction or exponent, which an OpenAPI 3.0 `integer` rejects)
  and refuses a 400-digit one. A text holding a number token of 19 or more digits is parsed
  again by the standard library's `json`, whose integers are exact. The scan for such tokens
  runs at memory speed; traffic readers skip it (`exact=False`) and the checker asks for the
  exact reading only for an exchange that has findings (`Exchange.exact`);
* numbers beyond the double range (`1e400`), which orjson refuses: the standard library parses
  them as `Decimal`, which the validators compare exactly.

Either way the JSON types stay as written: an integer literal is an `int`, a literal with a
fraction or exponent a `float` (or `Decimal`). `NaN` and `Infinity` are not JSON and are
refused. Text exchanged between systems MUST be UTF-8 (RFC 8259 section 8.1): a byte sequence
that is not is refused naming the first offending byte, not orjson's "surrogates not allowed".
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import orjson

#: digits -> "0", everything else -> "x": a run of 19 digits is then a plain substring search
_DIGITS = bytes(0x30 if 0x30 <= i <= 0x39 else 0x78 for i in range(256))
_RUN = b"0" * 19
#: what may stand before a number token (a run after anything else is inside a string, such
#: as a hex id; the rare string that looks like a number costs a slower parse, not a mistake)
_BEFORE_NUMBER = frozenset(b"[:, \t\r\n")


class JsonTextError(ValueError):
    """Text that is not JSON (or not UTF-8); `message` says what and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def utf8_problem(data: bytes) -> str | None:
    """Why `data` is not UTF-8 (the first bad byte and its offset), or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        return f"not UTF-8: byte 0x{bad.hex().upper()} at offset {exc.start} ({exc.reason})"
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _float(text: str) -> float | Decimal:
    value = float(text)
    return Decimal(text) if math.isinf(value) else value


def _stdlib(text: str | bytes) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_float)
    except RecursionError:
        raise JsonTextError("the JSON text is nested too deeply to read") from None
    except json.JSONDecodeError as exc:
        raise JsonTextError(f"{exc.msg}: line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # an integer longer than Python converts (sys.int_info)
        raise JsonTextError(str(exc)) from None


def loads(data: bytes | str, exact: bool = True) -> Any:
    """The value of a JSON text; JsonTextError says why there is none. With `exact=False`
    the scan for integers beyond 64 bits is left out (the caller reads the text again with
    `exact=True` when the verdict matters: see `has_long_integers`)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if isinstance(data, bytes) and (problem := utf8_problem(data)) is not None:
            raise JsonTextError(problem) from None
        if "number" in exc.msg:  # beyond the double range: the standard library reads it
            return _stdlib(data)
        raise JsonTextError(f"{exc.msg}: line {exc.lineno} column {exc.colno}") from None
    if exact and has_long_integers(data):
        return _stdlib(data)
    return value


def has_long_integers(data: bytes | str) -> bool:
    """Whether the text may hold an integer literal orjson does not keep exactly: runs of 19
    digits are found at memory speed (digits mapped to one byte, then a substring search),
    and a run counts when it starts a number token."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    shape = raw.translate(_DIGITS)
    found = shape.find(_RUN)
    while found >= 0:
        start = found
        while start > 0 and shape[start - 1] == 0x30:
            start -= 1
        if start > 0 and raw[start - 1] == 0x2D:  # a minus sign
            start -= 1
        if start == 0 or raw[start - 1] in _BEFORE_NUMBER:
            return True
        end = shape.find(b"x", found)
        if end < 0:
            return False
        found = shape.find(_RUN, end)
    return False

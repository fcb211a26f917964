"""The Jinja environment templates render in: strict, no autoescape (this is Python, not HTML),
and the only ways spec text may reach generated source are these filters:

* `py_str`  - any value as a Python literal (`repr()` of str/int/float/bool/None, recursively)
* `py_doc`  - text safe inside a triple-quoted docstring (backslashes, quotes, control chars)
* `py_comment` - text safe in a `#` comment (one line, no control characters)
* `ident`   - a value that must already be a valid identifier (raises otherwise)
"""

from __future__ import annotations

import keyword
import math
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2


class UnsafeIdentifierError(ValueError):
    pass


def py_str(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"  # repr() would give the bare names nan / inf
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(py_str(v) for v in value)
        return (
            f"({inner},)"
            if isinstance(value, tuple) and len(value) == 1
            else (f"({inner})" if isinstance(value, tuple) else f"[{inner}]")
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_str(k)}: {py_str(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"py_str cannot render {type(value).__name__}")


def py_doc(value: Any, indent: int = 0) -> str:
    """Text for the inside of a triple-double-quoted docstring: backslashes doubled, every quote
    escaped (so no run of quotes can close it), control, bidi-format and other non-printable
    characters and odd line breaks removed. Lines after the first are indented by `indent`
    spaces."""
    text = str(value or "").strip()
    cleaned = []
    for char in text:
        if char == "\n":
            cleaned.append("\n")
        elif char == "\t":
            cleaned.append("    ")
        elif not char.isprintable():
            # control, format (bidi overrides: "Trojan Source"), surrogate, private-use,
            # unassigned and separator characters other than the plain space
            cleaned.append(" ")
        else:
            cleaned.append(char)
    text = "".join(cleaned).replace("\\", "\\\\").replace('"', '\\"')
    lines = [line.rstrip() for line in text.split("\n")]
    pad = " " * indent
    return "\n".join([lines[0], *[(pad + line) if line else "" for line in lines[1:]]])


def py_comment(value: Any) -> str:
    text = " ".join(str(value or "").split())
    return "".join(c if c.isprintable() else " " for c in text)


def ident(value: Any) -> str:
    text = str(value)
    if not (text.isidentifier() and text.isascii()) or keyword.iskeyword(text):
        raise UnsafeIdentifierError(f"not a safe identifier: {text!r}")
    return text


def template_root() -> Path:
    """Templates ship inside the wheel as generator/templates; a source checkout has them at
    the repository root."""
    packaged = Path(str(files("generator"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_root())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(py_str=py_str, py_doc=py_doc, py_comment=py_comment, ident=ident)
    return env

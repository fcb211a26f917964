"""Reading spec values whose shape is not guaranteed: a spec may put anything anywhere, and the
lint rules report it; everyone else reads through these and treats a wrong shape as absent."""

from __future__ import annotations

from typing import Any


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    """`value` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []

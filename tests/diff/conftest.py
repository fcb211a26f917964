"""Builders for small spec pairs: one operation whose request body and 200 response carry the
schemas under test, written as real files so line numbers and `$ref`s behave as in a user's
repository."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.diff import Change, diff


def make_spec(
    request: Any = None,
    response: Any = None,
    *,
    version: str = "3.1.0",
    components: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    operation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": "makeThing",
        "parameters": parameters
        if parameters is not None
        else [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok"}},
    }
    if request is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": copy.deepcopy(request)}},
        }
    if response is not None:
        op["responses"]["200"]["content"] = {
            "application/json": {"schema": copy.deepcopy(response)}
        }
    if operation:
        op.update(copy.deepcopy(operation))
    spec: dict[str, Any] = {
        "openapi": version,
        "info": {"title": "things", "version": "1"},
        "paths": {"/things/{id}": {"post": op}},
    }
    if components:
        spec["components"] = {"schemas": copy.deepcopy(components)}
    return spec


class Pair:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def write(
        self, spec: dict[str, Any], name: str | None = None, *, as_json: bool = False
    ) -> Path:
        self.count += 1
        path = self.root / (name or f"spec{self.count}.{'json' if as_json else 'yaml'}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if as_json:
            path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        return path

    def changes(self, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
        return diff(str(self.write(old)), str(self.write(new))).changes

    def rules(self, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        return sorted(c.rule for c in self.changes(old, new))


@pytest.fixture
def pair(tmp_path: Path) -> Pair:
    return Pair(tmp_path)

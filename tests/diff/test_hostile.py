"""Specs built to hurt the diff: long allOf chains through $refs, allOf cycles, property
recursion. Each is reported (exit 2 naming the place) or compared, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CliRunner
from tests.diff.conftest import make_spec


def chain(length: int, leaf: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        f"A{i}": {"allOf": [{"$ref": f"#/components/schemas/A{i + 1}"}]} for i in range(length)
    }
    schemas[f"A{length}"] = leaf
    return make_spec(response={"$ref": "#/components/schemas/A0"}, components=schemas)


def write(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def test_a_long_allof_chain_is_compared_to_its_end(cli: CliRunner, tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", chain(60, {"type": "string"}))
    new = write(tmp_path / "new.json", chain(60, {"type": "integer"}))
    done = cli("diff", old, new)
    assert done.returncode == 1 and "response-type-widened" in done.stdout


def test_an_endless_allof_chain_is_reported_not_crashed(cli: CliRunner, tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", chain(600, {"type": "string"}))
    new = write(tmp_path / "new.json", chain(600, {"type": "integer"}))
    done = cli("diff", old, new)
    assert done.returncode == 2
    assert "nest more than 100 levels" in done.stderr and "/components/schemas/A" in done.stderr
    assert "Traceback" not in done.stderr


def test_allof_cycles_end(cli: CliRunner, tmp_path: Path) -> None:
    def spec(kind: str) -> dict[str, Any]:
        return make_spec(
            response={"$ref": "#/components/schemas/A"},
            components={
                "A": {
                    "allOf": [{"$ref": "#/components/schemas/B"}],
                    "properties": {"k": {"type": kind}},
                },
                "B": {"allOf": [{"$ref": "#/components/schemas/A"}]},
            },
        )

    done = cli(
        "diff",
        write(tmp_path / "a.json", spec("string")),
        write(tmp_path / "b.json", spec("integer")),
    )
    assert done.returncode == 1, done.stderr
    assert "response-type-widened" in done.stdout and "Traceback" not in done.stderr

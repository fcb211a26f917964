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


def test_deep_and_recursive_2020_keywords_end(cli: CliRunner, tmp_path: Path) -> None:
    """`not` inside `not` 2000 deep through $refs, a schema that recurses through
    not/then/contains, and a response alternative too large to spell out: compared, never a
    traceback."""

    def spec(kind: str) -> dict[str, Any]:
        schemas: dict[str, Any] = {
            f"N{i}": {"not": {"$ref": f"#/components/schemas/N{i + 1}"}} for i in range(2000)
        }
        schemas["N2000"] = {"type": kind}
        schemas["Node"] = {
            "type": "object",
            "properties": {"k": {"type": kind}},
            "not": {"$ref": "#/components/schemas/Node"},
            "if": {"required": ["k"]},
            "then": {"$ref": "#/components/schemas/Node"},
            "contains": {"$ref": "#/components/schemas/Node"},
        }
        schemas["Big"] = {
            "type": "object",
            "properties": {f"p{i}": {"type": "string"} for i in range(6000)},
        }
        return make_spec(
            request={
                "properties": {
                    "deep": {"$ref": "#/components/schemas/N0"},
                    "node": {"$ref": "#/components/schemas/Node"},
                }
            },
            response={"anyOf": [{"type": "integer"}, {"$ref": "#/components/schemas/Big"}]},
            components=schemas,
        )

    old, new = spec("string"), spec("integer")
    new["components"]["schemas"]["Big2"] = new["components"]["schemas"]["Big"]
    media = new["paths"]["/things/{id}"]["post"]["responses"]["200"]["content"]
    media["application/json"]["schema"]["anyOf"].append({"$ref": "#/components/schemas/Big2"})
    done = cli("diff", write(tmp_path / "old.json", old), write(tmp_path / "new.json", new))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    # 2000 nots: an even number, so the innermost type change reads as a request narrowing
    assert "breaking request-type-narrowed" in done.stdout
    assert "deep" + "(not)" * 2000 in done.stdout
    # the recursive Node's own `not` flips k's change into a negation narrowing
    assert "request-negation-narrowed" in done.stdout
    # the large duplicate is not spelled out, so it is judged a new alternative
    assert "response-variant-added" in done.stdout

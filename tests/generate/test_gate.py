"""What `generate` refuses, what it says it left out, and how it copes with its own limits."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.generate import build_package
from generator.render import models as render_models
from tests.conftest import ROOT, CliRunner

TYPO = """\
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      type: object
      properties:
        name: {type: strng}
        size: {type: integer}
"""


def test_a_schema_typo_is_refused_unless_forced(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "typo.yaml").write_text(TYPO)
    spec = "typo.yaml"
    refused = cli(
        "generate", spec, "--out", tmp_path / "out", "--package", "typo_pkg", cwd=tmp_path
    )
    assert refused.returncode == 1
    assert (
        f"{spec}:18:16: error schema-invalid: type 'strng' is not a JSON type; expected one of "
        "array, boolean, integer, number, object, string "
        "[/components/schemas/Thing/properties/name/type]"
    ) in refused.stdout
    assert "pass --force to generate anyway" in refused.stdout
    assert not (tmp_path / "out").exists()
    forced = cli(
        "generate",
        spec,
        "--out",
        tmp_path / "out",
        "--package",
        "typo_pkg",
        "--force",
        cwd=tmp_path,
    )
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "warning schema-invalid: type 'strng'" in forced.stdout
    assert "(generated anyway: --force)" in forced.stdout
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        models = importlib.import_module("typo_pkg.models")
        assert models.Thing(name="x", size=2).size == 2
    finally:
        sys.path.remove(str(tmp_path / "out"))
        for name in [n for n in sys.modules if n.split(".")[0] == "typo_pkg"]:
            del sys.modules[name]


def test_webhooks_and_callbacks_are_listed_as_not_generated(cli: CliRunner, tmp_path: Path) -> None:
    spec = ROOT / "tests/data/public/oai/webhook-example.yaml"
    done = cli("generate", spec, "--out", tmp_path / "out", "--package", "hooks")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "tests/data/public/oai/webhook-example.yaml:31:5: info not-generated: webhook POST "
        "newPet: the API calls you here; no client or server code is generated for it"
    ) in done.stdout
    client = (tmp_path / "out/hooks/client.py").read_text()
    assert "def list_pets(" in client and "new_pet" not in client


def test_a_model_generator_failure_falls_back_without_the_request_response_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """datamodel-code-generator's readOnly/writeOnly split has known upstream failures on some
    schemas; this simulates one (the split run raises) and checks the package is still made,
    with a warning naming the cause, instead of the spec being blamed."""
    real_run = render_models._run

    def failing_split(data: dict[str, Any], *, split: bool) -> Any:
        if split:
            raise render_models._GeneratorFailed("KeyError: 'ThingRequest'")
        return real_run(data, split=split)

    monkeypatch.setattr(render_models, "_run", failing_split)
    spec = tmp_path / "spec.yaml"
    # a readOnly property: the split is tried only where it would change something
    spec.write_text(
        TYPO.replace("strng", "string").replace(
            "{type: integer}", "{type: integer, readOnly: true}"
        )
    )
    result = build_package(spec, "fallback_pkg")
    assert result.ok and "models/__init__.py" in result.files
    (warning,) = [f for f in result.findings if f.rule == "generate-fallback"]
    assert warning.severity.value == "warning"
    assert "could not split request and response models (KeyError: 'ThingRequest')" in (
        warning.message
    )
    assert "class Thing(BaseModel)" in result.files["models/_thing.py"]

"""An inline schema written identically in several operations is one model class.

The real CLI generates a package from a spec that repeats a nested object in two request
bodies and an answer; the generated models are imported and used in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generator.render.shared import share_repeated_inline_schemas
from tests.conftest import CliRunner

GEO = {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}}
ADDRESS = {
    "type": "object",
    "title": "postal_address",
    "required": ["city"],
    "properties": {"city": {"type": "string", "minLength": 1}, "geo": GEO},
}
#: written twice, but placed: `$id` changes what references inside it mean
PLACED = {"$id": "https://example.test/tag", "type": "object", "properties": {"t": {}}}


def _body(properties: dict[str, object]) -> dict[str, object]:
    schema = {"type": "object", "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Shop", "version": "1"},
    "paths": {
        "/orders": {
            "post": {
                "operationId": "createOrder",
                "requestBody": _body({"ship_to": ADDRESS, "tag": PLACED, "note": {}}),
                "responses": {"204": {"description": "ok"}},
            }
        },
        "/returns": {
            "post": {
                "operationId": "createReturn",
                "requestBody": _body({"pick_up": ADDRESS, "tag": PLACED}),
                "responses": {
                    "200": {
                        "description": "where",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"where": GEO}}
                            }
                        },
                    }
                },
            }
        },
    },
}

PROBE = """
import json, sys
import pydantic
from shop import models

def shape(cls):
    return sorted(f.alias or n for n, f in cls.model_fields.items())

out = {"classes": sorted(models.__all__)}
out["address"] = [n for n in models.__all__ if shape(getattr(models, n)) == ["city", "geo"]]
out["geo"] = [n for n in models.__all__ if shape(getattr(models, n)) == ["lat", "lon"]]
order = [n for n in models.__all__ if "ship_to" in shape(getattr(models, n))][0]
back = [n for n in models.__all__ if "pick_up" in shape(getattr(models, n))][0]
one = getattr(models, order).model_validate({"ship_to": {"city": "Oslo", "geo": {"lat": 1}}})
two = getattr(models, back).model_validate({"pick_up": {"city": "Rome"}})
out["same_class"] = type(one.ship_to) is type(two.pick_up)
out["geo_type"] = type(one.ship_to.geo).__name__
try:
    getattr(models, back).model_validate({"pick_up": {"city": ""}})
except pydantic.ValidationError as exc:
    out["error"] = [list(e["loc"]) for e in exc.errors()]
print(json.dumps(out))
"""


def test_repeated_inline_schemas_share_one_class(cli: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "shop.json"
    spec.write_text(json.dumps(SPEC), "utf-8")
    done = cli("generate", spec, "--out", "out", "--package", "shop", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    out = json.loads(probe.stdout)
    # one class for the address, named after its title, and one for the point, named after
    # the property it first appears under; the same class in both bodies
    assert out["address"] == ["PostalAddress"], out["classes"]
    assert out["geo"] == ["Geo"], out["classes"]
    assert out["same_class"] is True
    assert out["geo_type"] == "Geo"
    # the shared schema keeps its constraints
    assert out["error"] == [["pick_up", "city"]]


def test_sharing_goes_innermost_first_and_leaves_placed_schemas() -> None:
    """The point is shared first, then the addresses (identical once their points are one
    reference); the schema with `$id` stays written where it is, twice; top-level bodies and
    schemas under `components` are never moved."""
    data = json.loads(json.dumps(SPEC))
    assert share_repeated_inline_schemas(data) == ["Geo", "PostalAddress"]
    shared = data["components"]["schemas"]
    assert shared["PostalAddress"]["properties"]["geo"] == {"$ref": "#/components/schemas/Geo"}
    orders = data["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]
    returns = data["paths"]["/returns"]["post"]["requestBody"]["content"]["application/json"]
    assert orders["schema"]["properties"]["ship_to"] == {
        "$ref": "#/components/schemas/PostalAddress"
    }
    assert returns["schema"]["properties"]["pick_up"] == {
        "$ref": "#/components/schemas/PostalAddress"
    }
    assert orders["schema"]["properties"]["tag"] == PLACED
    assert returns["schema"]["properties"]["tag"] == PLACED
    # run again: nothing left to share, and names already taken get a number
    assert share_repeated_inline_schemas(data) == []
    again = json.loads(json.dumps(SPEC))
    again["components"] = {"schemas": {"PostalAddress": {"type": "string"}}}
    assert share_repeated_inline_schemas(again) == ["Geo", "PostalAddress2"]

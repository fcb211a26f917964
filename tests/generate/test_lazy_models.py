"""Importing a generated package builds no model it does not use.

Measured by behaviour, never by time: a fresh interpreter imports the committed
`generated/zuora_quickstart` package, makes a client and one real call through an httpx mock
transport, and reports after each step which model classes exist (their module was loaded) and
which pydantic has built (`__pydantic_complete__`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, sys
import httpx, pydantic

def state(package):
    names = set(sys.modules[package + ".models"].__all__)
    loaded, built = set(), set()
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(package + ".models."):
            continue
        for name, value in vars(module).items():
            if (
                name in names
                and isinstance(value, type)
                and issubclass(value, pydantic.BaseModel)
                and value.__module__ == module_name
            ):
                loaded.add(name)
                if value.__pydantic_complete__:
                    built.add(name)
    return {"loaded": sorted(loaded), "built": sorted(built)}

steps = {}
import zuora_quickstart
steps["import"] = state("zuora_quickstart")
from zuora_quickstart import Client, models
steps["from"] = state("zuora_quickstart")

def handler(request):
    return httpx.Response(200, json={"data": [{"id": "f-1", "state": "booked"}], "next_page": None})

client = Client(
    server="sandbox", token="t", http_client=httpx.Client(transport=httpx.MockTransport(handler))
)
steps["client"] = state("zuora_quickstart")
page = client.list_fulfillments()
steps["call"] = state("zuora_quickstart")
steps["returned"] = type(page).__name__
steps["all"] = sorted(models.__all__)
steps["dir"] = sorted(set(models.__all__) - set(dir(models)))
try:
    models.NoSuchModel
except AttributeError as exc:
    steps["missing"] = str(exc)
print(json.dumps(steps))
"""


def probe() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT / "generated",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "generated")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_import_builds_no_model_and_one_call_builds_only_its_answer() -> None:
    steps = probe()
    everything = steps["all"]
    assert isinstance(everything, list) and len(everything) > 20
    for step in ("import", "from", "client"):
        seen = steps[step]
        assert isinstance(seen, dict)
        assert seen["built"] == [], step
        # at most the 202 answer's model the client names as a class attribute
        assert set(seen["loaded"]) <= {"AsyncAccepted"}, step
    call = steps["call"]
    assert isinstance(call, dict)
    assert steps["returned"] == "FulfillmentList"
    # the answer and the one fulfillment it holds are built, nothing else: a model refers to
    # the models of other modules lazily, so their validators are built (and their modules
    # imported) only when a value needs them
    assert call["built"] == ["Fulfillment", "FulfillmentList"]
    assert len(call["loaded"]) < len(everything) / 4
    assert "FulfillmentItem" not in call["loaded"]
    assert steps["dir"] == []  # dir(models) names every model, loaded or not
    assert "NoSuchModel" in str(steps["missing"])


NESTED = """
import json, sys
import pydantic
from zuora_quickstart import models

out = {}
one = {"id": "f-1", "quantity": 2, "created_time": "2024-01-02T03:04:05Z"}
page = models.FulfillmentList.model_validate({"next_page": None, "data": [one]})
item = page.data[0]
out["item_type"] = type(item).__name__
out["item_is_model"] = isinstance(item, models.Fulfillment)
out["dump"] = page.model_dump(mode="json", exclude_none=True)
out["json"] = json.loads(page.model_dump_json(exclude_none=True))
try:
    models.FulfillmentList.model_validate({"next_page": None, "data": [{"quantity": "many"}]})
except pydantic.ValidationError as exc:
    out["error"] = [list(e["loc"]) for e in exc.errors()]
# an instance is taken as it is, as pydantic takes a model instance
again = models.FulfillmentList(next_page=None, data=[item])
out["same"] = again.data[0] is item
out["schema_item"] = models.FulfillmentList.model_json_schema()["properties"]["data"]["items"]
out["query_public"] = sorted(n for n in (*models.__all__, *dir(models)) if "Parameters" in n)
from zuora_quickstart.models import _server
out["query_server"] = _server.FulfillmentsGetParametersQuery.__name__
print(json.dumps(out))
"""


def test_lazy_references_validate_and_serialize_like_real_ones() -> None:
    """A model of another module, referenced lazily, is validated by its own model (errors
    keep their full location), dumped with the caller's options, and taken as it is when it
    is already an instance. Server-only models stay out of the public names."""
    done = subprocess.run(
        [sys.executable, "-c", NESTED],
        cwd=ROOT / "generated",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "generated")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["item_type"] == "Fulfillment" and out["item_is_model"] is True
    expected = {"data": [{"id": "f-1", "quantity": 2.0, "created_time": "2024-01-02T03:04:05Z"}]}
    assert out["dump"] == expected
    assert out["json"] == expected
    assert out["error"] == [["data", 0, "quantity"]]
    assert out["same"] is True
    assert out["schema_item"] == {"type": "object", "title": "Fulfillment"}
    # query parameter models are the generated server's: not public names of `models`
    assert out["query_public"] == []
    assert out["query_server"] == "FulfillmentsGetParametersQuery"

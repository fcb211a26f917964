"""`apicontract serve SPEC` for any spec, as a user runs it: a real process on 127.0.0.1,
real HTTP, every answer checked against the spec by the contract engine.

The public specs are the OpenAPI Initiative's petstore examples (tests/data/public/petstore,
Apache-2.0, see its LICENSE.md)."""

from __future__ import annotations

import json
import re
import signal
import textwrap
from pathlib import Path

import httpx
import pytest

from generator.contract import Contract
from tests.fake.conftest import ROOT
from tests.fake.test_serve_cli import Served

PETSTORE = ROOT / "tests" / "data" / "public" / "petstore"


def _checked(contract: Contract, problems: list[str]) -> httpx.Client:
    def hook(response: httpx.Response) -> None:
        response.read()
        result = contract.check_httpx(response.request, response)
        problems.extend(
            f"{response.request.method} {response.request.url} -> {response.status_code}: {f}"
            for f in result.findings
            if f.location != "request"  # bad requests are sent on purpose
        )

    return httpx.Client(event_hooks={"response": [hook]}, timeout=10)


def test_petstore_expanded_is_stateful(tmp_path: Path) -> None:
    spec = PETSTORE / "petstore-expanded.yaml"
    served = Served(spec, cache=tmp_path / "cache")
    problems: list[str] = []
    try:
        with _checked(Contract.load(spec), problems) as http:
            url = served.url
            assert http.get(f"{url}/pets").json() == []
            rex = http.post(f"{url}/pets", json={"name": "rex", "tag": "dog"})
            assert rex.status_code == 200
            made = rex.json()
            assert made["name"] == "rex" and made["tag"] == "dog"
            assert isinstance(made["id"], int)  # the id field's type (integer, int64)
            other = http.post(f"{url}/pets", json={"name": "tom"}).json()
            assert other["id"] != made["id"]
            assert http.get(f"{url}/pets/{made['id']}").json() == made
            assert http.get(f"{url}/pets").json() == [made, other]
            assert [p["name"] for p in http.get(f"{url}/pets", params={"limit": 1}).json()] == [
                "rex"
            ]
            assert http.delete(f"{url}/pets/{made['id']}").status_code == 204
            gone = http.get(f"{url}/pets/{made['id']}")
            # the spec documents failures only as `default` (an Error {code, message})
            assert gone.status_code == 404
            assert gone.json()["code"] == 404 and "id" in gone.json()["message"]
            assert http.delete(f"{url}/pets/12345").status_code == 404
            refused = http.post(f"{url}/pets", json={"tag": "no name"})
            assert refused.status_code in (400, 422)
            assert http.get(f"{url}/pets/not-a-number").status_code in (400, 422)
    finally:
        assert served.stop(signal.SIGTERM) == 0
    assert not problems, "\n".join(problems)


def test_petstore_client_chosen_ids_and_created_without_body(tmp_path: Path) -> None:
    """petstore.yaml: POST /pets takes a whole Pet (id included) and answers 201 without a
    body; the pet is then found under the id the client gave."""
    spec = PETSTORE / "petstore.yaml"
    served = Served(spec, cache=tmp_path / "cache")
    problems: list[str] = []
    try:
        with _checked(Contract.load(spec), problems) as http:
            created = http.post(f"{served.url}/pets", json={"id": 7, "name": "kit"})
            assert created.status_code == 201 and created.content == b""
            assert http.get(f"{served.url}/pets/7").json() == {"id": 7, "name": "kit"}
            assert http.get(f"{served.url}/pets").json() == [{"id": 7, "name": "kit"}]
            assert http.get(f"{served.url}/pets/8").status_code == 404
    finally:
        served.stop(signal.SIGTERM)
    assert not problems, "\n".join(problems)


UNANSWERABLE = textwrap.dedent(
    """\
    openapi: 3.1.0
    info: {title: odd, version: "1"}
    paths:
      /report:
        get:
          operationId: getReport
          responses:
            "200":
              description: a PDF-ish report nobody gave an example of
              content:
                application/xml: {}
      /status:
        get:
          operationId: getStatus
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema:
                    type: object
                    required: [state, since]
                    properties:
                      state: {type: string, enum: [green, red]}
                      since: {type: string, format: date-time}
                  example: {state: red, since: "2020-01-01T00:00:00Z"}
      /numbers:
        get:
          operationId: getNumbers
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema:
                    type: array
                    minItems: 2
                    items: {type: integer, minimum: 10, multipleOf: 5}
    """
)


def test_examples_generated_data_and_501_listed_at_start(tmp_path: Path) -> None:
    spec = tmp_path / "odd.yaml"
    spec.write_text(UNANSWERABLE, "utf-8")
    served = Served(spec, cache=tmp_path / "cache")
    try:
        status = httpx.get(f"{served.url}/status")
        assert status.status_code == 200
        assert status.json() == {"state": "red", "since": "2020-01-01T00:00:00Z"}  # example
        numbers = httpx.get(f"{served.url}/numbers").json()  # made from the schema
        assert len(numbers) >= 2 and all(n >= 10 and n % 5 == 0 for n in numbers)
        report = httpx.get(f"{served.url}/report")
        assert report.status_code == 501
        assert "getReport" in report.text and "GET /report" in report.text
    finally:
        served.stop(signal.SIGTERM)
    # start-up named it before any request came
    assert "1 operation cannot be answered" in served.stderr
    assert "getReport (GET /report)" in served.stderr
    assert "getStatus" not in served.stderr


def test_a_style_on_another_styles_spec_answers_without_5xx(tmp_path: Path) -> None:
    """`--style v1` on the Quickstart spec: v1's handlers fit none of its operations, so the
    generic fake answers them, conforming, where 500s were answered before."""
    spec = ROOT / "specs" / "quickstart" / "fulfillments.yaml"
    served = Served(spec, "--style", "v1", "--db", tmp_path / "f.db", cache=tmp_path / "c")
    problems: list[str] = []
    try:
        with _checked(Contract.load(spec), problems) as http:
            auth = {"Authorization": "Bearer t"}
            body = {
                "order_line_item_id": "8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a",
                "fulfillment_date": "2025-01-02",
                "quantity": 1,
            }
            made = http.post(f"{served.url}/fulfillments", json=body, headers=auth)
            assert made.status_code < 300, made.text
            listed = http.get(f"{served.url}/fulfillments", headers=auth)
            assert listed.status_code == 200
    finally:
        served.stop(signal.SIGTERM)
    assert not problems, "\n".join(problems)


def test_generated_server_without_a_handler_answers_501_naming_it(tmp_path: Path) -> None:
    """A generated server whose handlers lack a method answers 501 naming the operation, and
    one whose handler raises NotImplementedError too (not a misleading 500)."""
    import importlib
    import sys

    from tests.conftest import LiveServer

    sys.path.insert(0, str(ROOT / "generated"))
    try:
        server = importlib.import_module("zuora_quickstart.server")
    finally:
        sys.path.remove(str(ROOT / "generated"))

    class Partial:
        async def get_fulfillment(self, request: object) -> object:
            raise NotImplementedError("not written yet")

    with LiveServer(server.create_app(Partial())) as live:
        auth = {"Authorization": "Bearer t"}
        missing = httpx.get(f"{live.url}/fulfillments", headers=auth)
        assert missing.status_code == 501
        text = json.dumps(missing.json())
        assert "listFulfillments" in text and "list_fulfillments" in text
        raised = httpx.get(f"{live.url}/fulfillments/abc", headers=auth)
        assert raised.status_code == 501
        assert "getFulfillment" in raised.text and "not written yet" in raised.text


@pytest.mark.parametrize("name", ["petstore.yaml", "petstore-expanded.yaml"])
def test_public_specs_serve_without_unanswerable_operations(tmp_path: Path, name: str) -> None:
    served = Served(PETSTORE / name, cache=tmp_path / "cache")
    served.stop(signal.SIGTERM)
    assert "cannot be answered" not in served.stderr


PAGED = textwrap.dedent(
    """\
    openapi: 3.1.0
    info: {title: users, version: "1"}
    paths:
      /users:
        get:
          operationId: listUsers
          parameters:
            - {name: cursor, in: query, schema: {type: string}}
            - {name: page_size, in: query, schema: {type: integer, minimum: 1, maximum: 50}}
          responses:
            "200":
              description: a page
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_page]
                    properties:
                      data: {type: array, items: {$ref: "#/components/schemas/User"}}
                      next_page: {type: [string, "null"]}
            "400": {$ref: "#/components/responses/Problem"}
        post:
          operationId: createUser
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/NewUser"}
          responses:
            "201":
              description: created
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/User"}
            "422": {$ref: "#/components/responses/Problem"}
      /users/{user_id}:
        parameters:
          - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
        get:
          operationId: getUser
          responses:
            "200":
              description: the user
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/User"}
            "404": {$ref: "#/components/responses/Problem"}
        patch:
          operationId: updateUser
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    name: {type: string, minLength: 1}
                    email: {type: string, format: email}
                  additionalProperties: false
          responses:
            "200":
              description: the user
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/User"}
            "404": {$ref: "#/components/responses/Problem"}
      /users/{user_id}/keys:
        parameters:
          - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
        post:
          operationId: addKey
          responses:
            "201":
              description: a key
              content:
                application/json:
                  schema:
                    type: object
                    required: [key_id]
                    properties:
                      key_id: {type: string, pattern: "^K[0-9]{6}$"}
        get:
          operationId: listKeys
          responses:
            "200":
              description: keys
              content:
                application/json:
                  schema:
                    type: array
                    items:
                      type: object
                      properties:
                        key_id: {type: string}
      /users/{user_id}/keys/{key_id}:
        parameters:
          - {name: user_id, in: path, required: true, schema: {type: string}}
          - {name: key_id, in: path, required: true, schema: {type: string}}
        delete:
          operationId: deleteKey
          responses:
            "204": {description: gone}
            "404": {$ref: "#/components/responses/Problem"}
    components:
      responses:
        Problem:
          description: a problem
          content:
            application/json:
              schema:
                type: object
                required: [title, status]
                properties:
                  title: {type: string}
                  status: {type: integer}
      schemas:
        NewUser:
          type: object
          required: [name]
          properties:
            name: {type: string, minLength: 1}
            email: {type: string, format: email}
          additionalProperties: false
        User:
          type: object
          required: [id, name, created_at]
          properties:
            id: {type: string, format: uuid, readOnly: true}
            name: {type: string}
            email: {type: string, format: email}
            created_at: {type: string, format: date-time, readOnly: true}
    """
)


def test_uuid_ids_pagination_patch_and_nested_resources(tmp_path: Path) -> None:
    spec = tmp_path / "users.yaml"
    spec.write_text(PAGED, "utf-8")
    served = Served(spec, cache=tmp_path / "cache")
    problems: list[str] = []
    try:
        with _checked(Contract.load(spec), problems) as http:
            url = served.url
            made = [http.post(f"{url}/users", json={"name": f"u{n}"}).json() for n in range(5)]
            assert all(re.fullmatch(r"[0-9a-f-]{36}", m["id"]) for m in made)
            assert len({m["id"] for m in made}) == 5
            first = http.get(f"{url}/users", params={"page_size": 2}).json()
            assert [u["name"] for u in first["data"]] == ["u0", "u1"]
            assert first["next_page"]
            second = http.get(f"{url}/users", params={"page_size": 2, "cursor": first["next_page"]})
            assert [u["name"] for u in second.json()["data"]] == ["u2", "u3"]
            last = http.get(
                f"{url}/users", params={"page_size": 2, "cursor": second.json()["next_page"]}
            )
            assert [u["name"] for u in last.json()["data"]] == ["u4"]
            assert last.json()["next_page"] is None
            assert http.get(f"{url}/users", params={"cursor": "forged"}).status_code == 400
            changed = http.patch(f"{url}/users/{made[0]['id']}", json={"email": "a@b.example"})
            assert changed.json()["name"] == "u0" and changed.json()["email"] == "a@b.example"
            assert http.get(f"{url}/users/{made[0]['id']}").json() == changed.json()
            missing = http.get(f"{url}/users/00000000-0000-4000-8000-00000000ffff")
            assert missing.status_code == 404 and missing.json()["status"] == 404
            refused = http.post(f"{url}/users", json={"name": "", "colour": "red"})
            assert refused.status_code == 422 and set(refused.json()) >= {"title", "status"}
            key = http.post(f"{url}/users/{made[1]['id']}/keys").json()
            assert re.fullmatch(r"K[0-9]{6}", key["key_id"])
            assert http.get(f"{url}/users/{made[1]['id']}/keys").json() == [key]
            assert http.get(f"{url}/users/{made[2]['id']}/keys").json() == []  # per parent
            gone = http.delete(f"{url}/users/{made[1]['id']}/keys/{key['key_id']}")
            assert gone.status_code == 204
            assert http.get(f"{url}/users/{made[1]['id']}/keys").json() == []
    finally:
        served.stop(signal.SIGTERM)
    assert not problems, "\n".join(problems)


def test_db_is_said_to_be_unused_by_the_generic_fake(tmp_path: Path) -> None:
    served = Served(PETSTORE / "petstore.yaml", "--db", tmp_path / "x.db", cache=tmp_path / "cache")
    served.stop(signal.SIGTERM)
    assert "keeps its state in memory" in served.stderr and "x.db" in served.stderr
    assert not (tmp_path / "x.db").exists()

"""Which operation an exchange reached, through servers written at every level OpenAPI allows:
the document's, a path item's and an operation's, each with `{variables}`. Through the CLI, as a
user gating recorded traffic runs it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.conftest import CliRunner

SPEC = """
openapi: 3.0.3
info: {title: servers, version: '1'}
servers:
  - url: https://{region}.example.com/{version}
    variables:
      region: {default: eu, enum: [eu, us]}
      version: {default: v2}
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'204': {description: none}}
  /files/{id}:
    servers:
      - url: https://{shard}.files.example.com/store
        variables: {shard: {default: s1}}
    parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
    get:
      operationId: getFile
      responses: {'204': {description: none}}
    put:
      operationId: putFile
      servers:
        - url: https://upload.example.com/raw/{bucket}
          variables: {bucket: {default: b1}}
      responses: {'204': {description: none}}
"""


def test_servers_at_every_level_choose_the_operation(cli: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(SPEC))
    requests = [
        ("GET", "https://us.example.com/v9/things/1"),  # 0: document server, any version
        ("GET", "https://us.example.com/v9/things/one"),  # 1: wrong_type
        ("GET", "https://s2.files.example.com/store/files/2"),  # 2: the path item's server
        ("GET", "https://s2.files.example.com/store/files/two"),  # 3: wrong_type
        ("PUT", "https://upload.example.com/raw/b7/files/3"),  # 4: the operation's server
        ("PUT", "https://upload.example.com/raw/b7/files/three"),  # 5: wrong_type
        # the path item's servers replace the document's: /v2 is not a prefix of /files
        ("GET", "https://eu.example.com/v2/files/4"),  # 6
        # and the operation's replace the path item's: /store is not a prefix of /files
        ("PUT", "https://s2.files.example.com/store/files/5"),  # 7
    ]
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text(
        "".join(json.dumps({"request": {"method": m, "url": u}}) + "\n" for m, u in requests)
    )
    done = cli("check", spec, traffic, "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert (report["exchanges"], report["conforming"]) == (8, 3)
    assert [
        (f["exchange"], f["operation"], f["kind"], f["pointer"]) for f in report["findings"]
    ] == [
        (1, "getThing", "wrong_type", "/id"),
        (3, "getFile", "wrong_type", "/id"),
        (5, "putFile", "wrong_type", "/id"),
        (6, None, "undocumented_operation", ""),
        (7, None, "undocumented_operation", ""),
    ]

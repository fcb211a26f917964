"""One spec-loading policy for `check`, `Contract.load` and the pytest plugin: relative refs
from the spec's folder, nothing outside it, the network only for `--allow-remote HOST`; a
refusal (or a spec the validator cannot use) is exit 2 with file:line and the rule id, before
any exchange is read. The hostile specs are in tests/spec_policy.py."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from generator.report.check.json_report import report_schema
from tests.conftest import CliRunner
from tests.spec_policy import (
    BAD_STATE,
    SECRET,
    RefServer,
    Variants,
    line_of,
    make_variants,
    ref_server,
)

pytest_plugins = ["pytester"]
BEARER = (("Authorization", "Bearer t"),)


@pytest.fixture
def server() -> Iterator[RefServer]:
    yield from ref_server()


@pytest.fixture
def specs(tmp_path: Path, server: RefServer) -> Variants:
    return make_variants(tmp_path / "specs", server)


@pytest.fixture
def traffic(tmp_path: Path) -> Path:
    path = tmp_path / "traffic.jsonl"
    path.write_text(json.dumps(BAD_STATE) + "\n", "utf-8")
    return path


# -- check ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_check_refuses_a_file_ref_outside_the_folder(
    cli: CliRunner, specs: Variants, traffic: Path, fmt: str
) -> None:
    done = cli("check", specs.secret, traffic, "--format", fmt)
    assert done.returncode == 2, done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert done.stdout == ""
    line = line_of(specs.secret, specs.secret_file.as_uri())
    assert f"{specs.secret}:{line}:" in done.stderr
    assert "error ref-outside-root:" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_fetches_only_from_an_allowed_host(
    cli: CliRunner, specs: Variants, traffic: Path, server: RefServer
) -> None:
    refused = cli("check", specs.remote, traffic)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    line = line_of(specs.remote, server.url)
    assert f"{specs.remote}:{line}:" in refused.stderr
    assert "error ref-remote-refused:" in refused.stderr
    assert "--allow-remote 127.0.0.1" in refused.stderr
    assert server.hits == [], "a refused reference must not touch the network"

    allowed = cli("check", specs.remote, traffic, "--allow-remote", "127.0.0.1")
    assert server.hits == ["/parts.json"]
    assert allowed.returncode == 1, allowed.stdout + allowed.stderr  # the remote enum is used
    assert "not_in_enum" in allowed.stdout and "cancelled" in allowed.stdout


def test_check_reads_a_spec_split_over_files(
    cli: CliRunner, specs: Variants, traffic: Path
) -> None:
    done = cli("check", specs.sibling, traffic, "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    jsonschema.validate(report, report_schema())
    (finding,) = report["findings"]
    assert finding["kind"] == "not_in_enum" and finding["actual"] == "cancelled"
    assert finding["schema_pointer"] == "parts.json#/FulfillmentState/enum"
    text = cli("check", specs.sibling, traffic)
    assert "[parts.json#/FulfillmentState/enum]" in text.stdout
    assert "No base URI" not in text.stdout + text.stderr


def test_check_jobs_workers_follow_the_same_policy(
    cli: CliRunner, specs: Variants, tmp_path: Path, server: RefServer
) -> None:
    many = tmp_path / "many.jsonl"
    many.write_text((json.dumps(BAD_STATE) + "\n") * 600, "utf-8")
    done = cli("check", specs.remote, many, "--jobs", "2", "--allow-remote", "127.0.0.1")
    assert done.returncode == 1, done.stderr
    assert "600 exchanges, 0 conforming, 600 findings" in done.stdout
    sibling = cli("check", specs.sibling, many, "--jobs", "2")
    assert "600 exchanges, 0 conforming, 600 findings" in sibling.stdout


def test_a_spec_the_validator_cannot_compile_is_refused_before_any_exchange(
    cli: CliRunner, tmp_path: Path, traffic: Path
) -> None:
    """An invalid regex: one finding at its line, exit 2, and no "checker failed" finding per
    exchange."""
    spec = tmp_path / "api.yaml"
    spec.write_text(
        textwrap.dedent(
            """\
            openapi: 3.1.0
            info: {title: t, version: "1"}
            paths:
              /fulfillments/{id}:
                get:
                  operationId: getFulfillment
                  parameters:
                    - {name: id, in: path, required: true, schema: {type: string}}
                  responses:
                    "200":
                      description: ok
                      content:
                        application/json:
                          schema: {$ref: "#/components/schemas/Thing"}
                    "404":
                      description: missing
                      content:
                        application/json:
                          schema: {$ref: "#/components/schemas/Thing"}
            components:
              schemas:
                Thing:
                  type: object
                  properties:
                    code: {type: string, pattern: "(unclosed"}
            """
        ),
        "utf-8",
    )
    many = tmp_path / "many.jsonl"
    many.write_text((json.dumps(BAD_STATE) + "\n") * 50, "utf-8")
    done = cli("check", spec, many)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if " error " in line]
    assert len(errors) == 1, done.stderr
    assert f"{spec}:25:" in errors[0] and "schema-uncompilable" in errors[0]
    assert "[/components/schemas/Thing/properties/code/pattern]" in errors[0]


def test_an_unresolvable_ref_is_refused_with_every_finding(
    cli: CliRunner, tmp_path: Path, traffic: Path
) -> None:
    spec = tmp_path / "api.json"
    data = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/fulfillments/{id}": {
                "get": {
                    "parameters": [{"$ref": "#/components/parameters/Missing"}],
                    "responses": {"200": {"$ref": "gone.yaml#/Answer"}},
                }
            }
        },
    }
    spec.write_text(json.dumps(data, indent=1), "utf-8")
    done = cli("check", spec, traffic)
    assert done.returncode == 2
    assert done.stderr.count("error ref-unresolved:") == 2, done.stderr
    assert "(2 problems; nothing was read)" in done.stderr


# -- empty traffic -------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["", "\n\n", '{"log": {"version": "1.2", "entries": []}}'])
def test_check_on_empty_traffic_exits_2_unless_allowed(
    cli: CliRunner, tmp_path: Path, content: str
) -> None:
    spec = "specs/quickstart/fulfillments.yaml"
    empty = tmp_path / "empty.har"
    empty.write_text(content, "utf-8")
    done = cli("check", spec, empty)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"no exchanges in {empty}" in done.stderr
    report = tmp_path / "report.json"
    kept = cli("check", spec, empty, "--format", "json", "--output", report)
    assert kept.returncode == 2 and not report.exists()  # a refused run writes no report
    allowed = cli("check", spec, empty, "--allow-empty")
    assert allowed.returncode == 0, allowed.stderr
    assert "0 exchanges" in allowed.stdout


def test_one_empty_file_among_several_is_named(
    cli: CliRunner, tmp_path: Path, traffic: Path
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    done = cli("check", "specs/quickstart/fulfillments.yaml", traffic, empty)
    assert done.returncode == 2
    assert f"no exchanges in {empty}" in done.stderr and str(traffic) not in done.stderr


# -- Contract.load -------------------------------------------------------------------------------
def test_library_load_follows_the_policy(specs: Variants, server: RefServer) -> None:
    from generator.contract import Contract
    from generator.contract.exchange import Request, Response
    from generator.findings import InputError, UnusableSpec

    with pytest.raises(UnusableSpec) as refused:
        Contract.load(specs.secret)
    assert [f.rule for f in refused.value.findings] == ["ref-outside-root"]
    assert SECRET not in str(refused.value)
    assert isinstance(refused.value, InputError)  # what callers already catch

    with pytest.raises(UnusableSpec) as remote:
        Contract.load(specs.remote)
    assert [f.rule for f in remote.value.findings] == ["ref-remote-refused"]
    assert remote.value.findings[0].line == line_of(specs.remote, server.url)
    assert server.hits == []
    allowed = Contract.load(specs.remote, allow_remote=["127.0.0.1"])
    assert server.hits == ["/parts.json"]

    for contract in (allowed, Contract.load(specs.sibling)):
        result = contract.check_pair(
            Request(method="GET", url="/fulfillments/abc", headers=BEARER),
            Response(status=200, headers=(("Content-Type", "application/json"),), body={}),
        )
        assert result.conforms, result.findings
        result = contract.check_pair(
            Request(method="GET", url="/fulfillments/abc", headers=BEARER),
            Response(
                status=200,
                headers=(("Content-Type", "application/json"),),
                body={"state": "x"},
            ),
        )
        assert [f.kind.value for f in result.findings] == ["not_in_enum"], result.findings


def test_the_validator_never_fetches_by_itself(specs: Variants) -> None:
    """The second wall: even a reference the bundler did not rewrite is refused by the
    retriever jsonschema-rs is given."""
    from generator.contract import Contract
    from generator.contract.compile import SchemaIndex

    contract = Contract.load(specs.sibling)
    converted = contract.response_schemas.converted
    converted.document["components"]["schemas"]["Sneaky"] = {"$ref": "file:///etc/passwd"}
    index = SchemaIndex(converted)
    failed = index.compile("/components/schemas/Sneaky")
    assert failed is not None
    assert "never fetches file:///etc/passwd" in failed[1]


# -- the pytest plugin ---------------------------------------------------------------------------
INNER_TEST = """
import httpx, pytest

def test_bad_state(apicontract):
    response = httpx.Response(
        200,
        json={{"id": "abc", "state": "cancelled"}},
        request=httpx.Request("GET", "http://127.0.0.1:9/fulfillments/abc",
                              headers={{"Authorization": "Bearer t"}}),
    )
    result = apicontract.load({spec!r}).check(response)
    assert [f.kind.value for f in result.findings] == ["not_in_enum"]
    assert result.findings[0].schema_pointer.endswith("FulfillmentState/enum")
"""


def test_plugin_follows_the_policy(
    pytester: pytest.Pytester, specs: Variants, server: RefServer
) -> None:
    plugin = ("-p", "generator.pytest_plugin", "-p", "no:cacheprovider")
    pytester.makepyfile(
        test_secret=INNER_TEST.format(spec=str(specs.secret)),
        test_remote=INNER_TEST.format(spec=str(specs.remote)),
        test_sibling=INNER_TEST.format(spec=str(specs.sibling)),
    )
    first = pytester.runpytest_subprocess(*plugin)
    output = first.stdout.str() + first.stderr.str()
    first.assert_outcomes(passed=1, failed=2)  # the multi-file spec works
    assert "ref-outside-root" in output and SECRET not in output
    line = line_of(specs.secret, specs.secret_file.as_uri())
    assert f"{specs.secret}:{line}:" in output
    assert "ref-remote-refused" in output
    assert server.hits == []

    allowed = pytester.runpytest_subprocess(
        *plugin, "--apicontract-allow-remote", "127.0.0.1", "test_remote.py"
    )
    allowed.assert_outcomes(passed=1)
    assert server.hits == ["/parts.json"]
    pytester.makeini("[pytest]\napicontract_allow_remote =\n    127.0.0.1\n")
    pytester.runpytest_subprocess(*plugin, "test_remote.py").assert_outcomes(passed=1)

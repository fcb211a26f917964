"""What lint reports, through the real CLI: one line per finding, every violation of an example,
findings inside `$ref`'d schemas at their real place, and the allOf trap.

The specs under specs/ are small reproductions of what lint met on Zuora's published Quickstart
spec (3.3 MB, not in the repository)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import ROOT, CliRunner

SPECS = Path(__file__).parent / "specs"
LINE = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|info) "
    r"(?P<rule>[a-z0-9-]+): (?P<msg>.+) \[(?P<pointer>[^\]\n]*)\]$"
)
SUMMARY = re.compile(r"^\d+ files? checked.*: \d+ errors?, \d+ warnings?, \d+ info$")


def _lines(stdout: str) -> list[re.Match[str]]:
    """Every line of a text report, which must be findings and one summary line."""
    lines = stdout.splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    matches = [LINE.match(line) for line in lines[:-1]]
    assert all(matches), [line for line, m in zip(lines, matches, strict=False) if not m]
    return [m for m in matches if m]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_one_line_per_finding_values_cut_short_detail_in_json(cli: CliRunner) -> None:
    spec = SPECS / "long_values.yaml"
    text = cli("lint", _rel(spec))
    assert text.returncode == 1
    found = _lines(text.stdout)
    assert text.stdout.count("\n") == len(found) + 1
    by_pointer = {m["pointer"]: m for m in found}
    # the OpenAPI meta-schema's "not valid under any of the schemas listed in the 'oneOf'"
    # (with the whole object quoted) becomes the reason, at the value that causes it
    where = by_pointer["/paths/~1reports/get/parameters/0/in"]
    assert (where["line"], where["col"]) == ("11", "11")
    assert where["msg"] == "'quer' is not one of ['path', 'query', 'header', 'cookie']"
    assert by_pointer["/paths/~1reports/get/responses/200"]["msg"] == (
        "'description' is a required property"
    )
    example = by_pointer["/paths/~1reports/get/responses/201/content/application~1json/example"]
    assert example["rule"] == "example-invalid"
    assert "{'alpha': 'the first of several properties in an object w..." in example["msg"]
    assert "the third of them" not in text.stdout
    assert "Failed validating" not in text.stdout and "On instance" not in text.stdout

    answer = cli("lint", "--format", "json", _rel(spec)).stdout
    assert cli("lint", "--format", "json", _rel(spec)).stdout == answer  # cached: same detail
    document = json.loads(answer)
    findings = {f["pointer"]: f for f in document["findings"]}
    assert len(findings) == len(found)
    full = findings["/paths/~1reports/get/responses/201/content/application~1json/example"]
    assert "'charlie': 'the third of them'} is not of type 'string'" in full["detail"]
    structural = findings["/paths/~1reports/get/parameters/0/in"]
    assert "Failed validating" in structural["detail"] and '"in":"quer"' in structural["detail"]
    assert structural["message"] == where["msg"]


def test_findings_in_referenced_schemas_have_their_real_place(cli: CliRunner) -> None:
    spec = SPECS / "ref_schema" / "api.yaml"
    result = cli("lint", _rel(spec))
    assert result.returncode == 1
    found = [(m["file"], m["line"], m["col"], m["pointer"]) for m in _lines(result.stdout)]
    assert found == [
        (_rel(spec), "22", "11", "/components/schemas/Thing/properties/name/type"),
        (_rel(spec.parent / "parts.yaml"), "6", "7", "/Part/properties/size/minimum"),
    ]
    assert ":1:1:" not in result.stdout
    # 3.0's own list of types (no 'null'), and each problem once
    assert "'strin' is not one of ['array', 'boolean', 'integer', 'number'" in result.stdout


def test_every_violation_of_an_example_is_reported_at_its_value(cli: CliRunner) -> None:
    spec = SPECS / "example_violations.yaml"
    result = cli("lint", _rel(spec))
    assert result.returncode == 1  # errors; the warning alone would not fail
    found = _lines(result.stdout)
    example = "/paths/~1orders/post/requestBody/content/application~1json/example"
    errors = [m for m in found if m["rule"] == "example-invalid"]
    assert [(m["line"], m["col"], m["pointer"].removeprefix(example)) for m in errors] == [
        ("15", "15", "/number"),
        ("18", "20", "/custom_objects/1/id"),
        ("19", "29", "/custom_objects/2/size"),
        ("20", "19", "/custom_objects/3"),
        ("21", "38", "/custom_objects/4/colour"),
        ("22", "20", "/custom_objects/5/id"),
        ("22", "27", "/custom_objects/5/size"),
    ]
    # grouped under their example: consecutive, each naming its place among them and the schema
    assert all(m["msg"].endswith(f"{n} of 7 in this example)") for n, m in enumerate(errors, 1))
    assert all("(schema /components/schemas/Order;" in m["msg"] for m in errors)
    assert "'size' is a required property" in errors[3]["msg"]
    assert "property 'colour' is not allowed here" in errors[4]["msg"]
    assert "-1 is less than the minimum of 0" in errors[6]["msg"]
    assert result.stdout.splitlines()[-1].endswith(": 7 errors, 1 warning, 0 info")
    rows = [i for i, m in enumerate(found) if m["rule"] == "example-invalid"]
    assert rows == list(range(rows[0], rows[0] + 7))

    document = json.loads(cli("lint", "--format", "json", _rel(spec)).stdout)
    assert [f["rule"] for f in document["findings"]].count("example-invalid") == 7


def test_an_example_beside_a_ref_is_checked_as_a_warning_in_3_0(
    cli: CliRunner, tmp_path: Path
) -> None:
    spec = SPECS / "example_violations.yaml"
    found = [m for m in _lines(cli("lint", _rel(spec)).stdout) if m["sev"] == "warning"]
    assert [(m["line"], m["col"], m["rule"], m["pointer"]) for m in found] == [
        (
            "49",
            "21",
            "example-beside-ref-invalid",
            "/components/schemas/Shipment/properties/order/example/number",
        )
    ]
    assert "beside a $ref (ignored by OpenAPI 3.0)" in found[0]["msg"]
    # alone it is a warning: exit 0
    alone = tmp_path / "beside.yaml"
    text = spec.read_text()
    alone.write_text(
        text[: text.index("paths:")] + "paths: {}\n" + text[text.index("components:") :]
    )
    only = cli("lint", alone)
    assert only.returncode == 0, only.stdout
    assert only.stdout.splitlines()[-1].endswith(": 0 errors, 1 warning, 0 info")
    # in 3.1 keywords beside a $ref apply: the same example is an ordinary error
    alone.write_text(alone.read_text().replace("openapi: 3.0.3", "openapi: 3.1.0"))
    newer = _lines(cli("lint", alone).stdout)
    assert [(m["rule"], m["sev"]) for m in newer] == [("example-invalid", "error")]


def test_the_allof_trap_is_an_error_at_the_allof(cli: CliRunner) -> None:
    spec = SPECS / "allof_closed_member.yaml"
    result = cli("lint", _rel(spec))
    assert result.returncode == 1
    found = _lines(result.stdout)
    assert [(m["line"], m["col"], m["rule"], m["sev"], m["pointer"]) for m in found] == [
        (
            "39",
            "7",
            "allof-closed-member",
            "error",
            "/components/schemas/FulfillmentCreateRequest/allOf",
        ),
        ("55", "7", "allof-closed-member", "error", "/components/schemas/Unsatisfiable/allOf"),
    ]
    assert "those properties can never be sent" in found[0]["msg"]
    assert "/components/schemas/FulfillmentCreate refuses 'processing_options'" in found[0]["msg"]
    assert "no object satisfies it ('document_date' required)" in found[1]["msg"]


def test_the_allof_trap_fix_in_3_1_is_clean(cli: CliRunner, tmp_path: Path) -> None:
    """Closing the combination with unevaluatedProperties on the combining schema is right."""
    spec = tmp_path / "fixed.yaml"
    spec.write_text(
        "openapi: 3.1.0\n"
        "info: {title: fixed, version: '1'}\n"
        "paths: {}\n"
        "components:\n"
        "  schemas:\n"
        "    Base:\n"
        "      type: object\n"
        "      properties: {a: {type: string}}\n"
        "    Extended:\n"
        "      unevaluatedProperties: false\n"
        "      allOf:\n"
        "        - $ref: '#/components/schemas/Base'\n"
        "        - properties: {b: {type: string}}\n"
        "    Trapped:\n"
        "      allOf:\n"
        "        - $ref: '#/components/schemas/Base'\n"
        "          unevaluatedProperties: false\n"
        "        - properties: {b: {type: string}}\n"
    )
    found = _lines(cli("lint", spec).stdout)
    assert [(m["rule"], m["pointer"]) for m in found] == [
        ("allof-closed-member", "/components/schemas/Trapped/allOf")
    ]
    assert "close the combination with unevaluatedProperties: false here" in found[0]["msg"]

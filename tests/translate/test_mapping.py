"""The mapping file is checked against both specs: whatever a spec gains that the mapping
neither maps nor lists as one-sided is a finding on the mapping file, with its line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.contract.check import Contract
from generator.findings import InputError
from generator.translate.mapping import DEFAULT_MAPPING, Mapping, validate
from tests.conftest import ROOT

SPECS = ROOT / "specs"


def test_the_shipped_mapping_agrees_with_both_specs() -> None:
    mapping = Mapping.load()
    assert DEFAULT_MAPPING == SPECS / "v1-quickstart.mapping.yaml"
    assert validate(mapping) == []


def test_every_operation_of_both_specs_is_mapped_or_one_sided() -> None:
    mapping = Mapping.load()
    for style in ("v1", "quickstart"):
        contract = Contract.load(mapping.styles[style].spec)
        covered = {e.operation for op in mapping.operations for e in op.sources(style)}
        covered |= {e.endpoint.operation for e in mapping.one_sided_operations.get(style, ())}
        spec_ops = {op.operation_id for op in contract.operations.operations}
        assert spec_ops == covered, style


def copy_specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    shutil.copytree(SPECS, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


QS = "quickstart/fulfillments.yaml"
V1 = "v1/fulfillments.yaml"
Change = Callable[[Path], None]

CHANGES: dict[str, tuple[str, str, str, str]] = {
    # name: (spec, old text, new text, expected message part)
    "quickstart property": (
        QS,
        "        location:\n          type: string\n          description: Place the fulfillment "
        "was made from or to.\n    FulfillmentPatchRequest:",
        "        location:\n          type: string\n          description: Place the fulfillment "
        "was made from or to.\n        warehouse_code:\n          type: string\n"
        "    FulfillmentPatchRequest:",
        "the Quickstart schema Fulfillment has /warehouse_code, which this object neither maps "
        "nor lists as one-sided",
    ),
    "nested v1 property": (
        V1,
        "        collectPayment:\n",
        "        applyCredit:\n          type: boolean\n        collectPayment:\n",
        "the v1 schema CreateFulfillmentsRequest has /processingOptions/applyCredit",
    ),
    "enum value": (
        QS,
        "        - canceled\n",
        "        - canceled\n        - on_hold\n",
        "the Quickstart enum of /state is",
    ),
    "header": (
        V1,
        "        - $ref: '#/components/parameters/ZuoraVersion'\n",
        "        - $ref: '#/components/parameters/ZuoraVersion'\n"
        "        - {name: X-Request-Priority, in: header, schema: {type: string}}\n",
        "v1 createFulfillments takes header 'X-Request-Priority', which is neither mapped nor "
        "one-sided",
    ),
    "query parameter": (
        QS,
        "        - $ref: '#/components/parameters/Async'\n",
        "        - $ref: '#/components/parameters/Async'\n"
        "        - {name: dry_run, in: query, schema: {type: boolean}}\n",
        "Quickstart createFulfillment takes query parameter 'dry_run'",
    ),
    "status": (
        QS,
        "        '504':\n          $ref: '#/components/responses/GatewayTimeout'\n"
        "  /fulfillments/bulk_create:",
        "        '504':\n          $ref: '#/components/responses/GatewayTimeout'\n"
        "        '409':\n          $ref: '#/components/responses/BadRequest'\n"
        "  /fulfillments/bulk_create:",
        "Quickstart createFulfillment documents status 409, which is neither mapped nor one-sided",
    ),
    "operation renamed": (
        V1,
        "    put:\n      operationId: updateFulfillmentItem\n",
        "    put:\n      operationId: changeFulfillmentItem\n",
        "PUT /v1/fulfillment-items/{id} is 'changeFulfillmentItem' in the v1 spec",
    ),
    "property removed": (
        V1,
        "        paidAmount:\n          type: number\n",
        "        paidAmountX:\n          type: number\n",
        "/paidAmount is in none of the v1 schemas CreateFulfillmentsResponse",
    ),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_spec_change_the_mapping_does_not_cover_is_a_finding(name: str, tmp_path: Path) -> None:
    spec, old, new, message = CHANGES[name]
    folder = copy_specs(tmp_path)
    assert validate(Mapping.load(folder / "v1-quickstart.mapping.yaml")) == []
    edit(folder / spec, old, new)
    findings = validate(Mapping.load(folder / "v1-quickstart.mapping.yaml"))
    assert findings, name
    assert any(message in f.message for f in findings), [f.message for f in findings]
    for finding in findings:
        assert finding.file.endswith("v1-quickstart.mapping.yaml") and finding.line > 1
        assert finding.rule == "mapping-mismatch"


def test_a_malformed_mapping_is_an_input_error_with_its_line(tmp_path: Path) -> None:
    folder = copy_specs(tmp_path)
    path = folder / "v1-quickstart.mapping.yaml"
    edit(path, "      fulfillmentType: {to: type, enum: fulfillmentType}\n",
         "      fulfillmentType: {to: type, enum: fulfillmentType, rename: true}\n")  # fmt: skip
    with pytest.raises(InputError) as caught:
        Mapping.load(path)
    finding = caught.value.finding
    assert finding.rule == "mapping-invalid" and "unknown keys ['rename']" in finding.message
    line = path.read_text().splitlines()[finding.line - 1]
    assert "fulfillmentType" in line


def test_a_mapping_may_not_name_a_spec_outside_its_folder(tmp_path: Path) -> None:
    folder = copy_specs(tmp_path)
    path = folder / "v1-quickstart.mapping.yaml"
    edit(path, "spec: v1/fulfillments.yaml", "spec: ../../etc/passwd")
    with pytest.raises(InputError, match="the spec must lie beside the mapping"):
        Mapping.load(path)


def test_the_wheel_ships_the_mapping_beside_the_specs() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"specs" = "generator/specs"' in pyproject  # specs/ (mapping included) in the wheel
    assert DEFAULT_MAPPING.parent.name == "specs"

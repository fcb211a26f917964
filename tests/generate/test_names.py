"""Model names are the spec's: no doubled split suffixes, no classes nothing uses (checked on
the committed packages of the shipped specs, which are generated from them)."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

SPLIT_SUFFIX = re.compile(r"(Request|Response)(Request|Response)$")


def exported(package: str) -> list[str]:
    tree = ast.parse((ROOT / "generated" / package / "models" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            value = ast.literal_eval(node.value)
            assert isinstance(value, list)
            return value
    raise AssertionError("no __all__")


def test_schema_names_are_kept_without_doubled_suffixes() -> None:
    v1, quickstart = exported("zuora_v1"), exported("zuora_quickstart")
    for names in (v1, quickstart):
        assert [n for n in names if SPLIT_SUFFIX.search(n)] == []
    # a request-only schema keeps its name; an answer-only schema too
    assert {"CreateFulfillmentsRequest", "GetFulfillmentResponse"} <= set(v1)
    assert {"FulfillmentList", "Fulfillment", "FulfillmentItemList"} <= set(quickstart)
    # the split's variants nothing uses are gone
    assert not {"FulfillmentListRequest", "FulfillmentBulkCreateResponseRequest"} & set(quickstart)
    assert not {"V1FulfillmentsKeyGetResponseRequest"} & set(v1)
    # no numbered or generic names where the spec says where the class sits
    assert not {"Success5", "Field1", "FieldModel"} & (set(v1) | set(quickstart))
    assert "ErrorResponseSuccess" in v1
    # (these two sit in the query parameters only: defined, but not public names)
    defined = set(
        re.findall(
            r"^class (\w+)",
            "\n".join(
                p.read_text()
                for p in (ROOT / "generated" / "zuora_quickstart" / "models").glob("*.py")
            ),
            re.MULTILINE,
        )
    )
    assert {"FulfillmentFieldsItem", "FulfillmentItemFieldsItem"} <= defined - set(quickstart)
    # a schema used both ways keeps both classes (readOnly fields only in the answer)
    assert {"FulfillmentRequest", "FulfillmentResponse"} <= set(v1)


def test_client_names_only_models_that_exist() -> None:
    for package in ("zuora_v1", "zuora_quickstart"):
        names = set(exported(package))
        client = (ROOT / "generated" / package / "client.py").read_text()
        used = set(re.findall(r"\bmodels\.(\w+)", client))
        assert used and used <= names, used - names

"""A method a path does not serve: 405 with `Allow`, in the error shape of the spec, and
documented there for every operation of that path, so a contract check of the answer (taken
as an answer to each documented operation of the path) finds nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import yaml

from generator.contract import Contract
from generator.fake.app import SHIPPED

METHODS = ("get", "put", "post", "delete", "patch")
SAMPLE = {"{key}": "F-00000001", "{id}": "x", "{fulfillment_id}": "x",
          "{fulfillment_item_id}": "x"}  # fmt: skip


def _concrete(path: str) -> str:
    for placeholder, value in SAMPLE.items():
        path = path.replace(placeholder, value)
    return path


def _served(paths: dict[str, Any], path: str) -> set[str]:
    """The methods the spec serves at `path`. OpenAPI matches a literal path before templated
    ones, so `/fulfillments/bulk_create` serves only its own methods (it is not also a
    fulfillment id to `/fulfillments/{fulfillment_id}`)."""
    if path in paths:
        return {m for m in METHODS if m in paths[path]}
    methods: set[str] = set()
    for template, item in paths.items():
        pattern = re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {m for m in METHODS if m in item}
    return methods


@pytest.mark.parametrize("style", ["v1", "quickstart"])
def test_wrong_method_answers_a_documented_405(
    serve: Any, contracts: dict[str, Contract], style: str
) -> None:
    spec = yaml.safe_load(SHIPPED[style].read_text("utf-8"))
    contract = contracts[style]
    raw = serve(style).http()
    checked = 0
    for template, item in spec["paths"].items():
        documented = [m for m in METHODS if m in item]
        for operation in (item[m] for m in documented):
            assert "405" in operation["responses"], f"{template}: 405 undocumented"
        path = _concrete(template)
        served = _served(spec["paths"], path)
        for wrong in (m for m in METHODS if m not in served):
            answer = raw.request(wrong.upper(), path)
            assert answer.status_code == 405, (wrong, template, answer.text)
            allowed = {m.strip().lower() for m in answer.headers["allow"].split(",")}
            assert allowed - {"head"} == served, (wrong, template, allowed)
            body = answer.json()
            if style == "v1":
                assert body["success"] is False and body["reasons"][0]["code"] == 53100045
            else:
                assert body["type"] == "method_not_allowed"
            for method in served:  # the answer as one of the operations served at this path
                request = httpx.Request(method.upper(), answer.request.url)
                as_documented = httpx.Response(
                    405, headers=answer.headers, content=answer.content, request=request
                )
                findings = [
                    f
                    for f in contract.check_httpx(request, as_documented).findings
                    if f.location != "request"
                ]
                assert findings == [], (method, template, findings)
            checked += 1
    assert checked >= 8

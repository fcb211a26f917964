"""Property tests: bodies generated from one style's schema (schemathesis' JSON Schema
generator, a pinned test dependency) translate into bodies the other style's schema accepts,
and translate back to the same JSON, except for what the translator reported as having no
counterpart and what the mapping lists as lossy.

"Accepts" is checked with the contract engine's own validators on the target spec as it is.
A body that cannot be given in the other style at all (a Quickstart answer trimmed by
`fields[]` lacks what v1 requires) must be left out with a reason, never translated into
something the target rejects.
"""

from __future__ import annotations

import datetime
import os
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.jsonschema.builder import build

from generator.contract.check import Contract
from generator.contract.exchange import NO_BODY
from generator.load import pointer as jp
from generator.translate import Translator
from generator.translate.mapping import STYLES, Style, other

EXAMPLES = int(os.environ.get("TRANSLATE_EXAMPLES", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FORMATS = {
    "date": st.dates().map(str),
    "date-time": st.datetimes(timezones=st.just(datetime.UTC)).map(
        lambda d: d.isoformat(timespec="seconds")
    ),
}
#: cases where almost no generated body can exist in the other style, and why
MOSTLY_LEFT_OUT = {
    ("getFulfillment", "quickstart", 200): "v1 requires orderLineItemId of exactly 32 "
    "characters, fulfillmentDate and quantity; every Quickstart answer property is optional",
    ("createFulfillments", "quickstart", 201): "v1 requires each new fulfillment's id and "
    "number; Quickstart's answer may leave them out",
    ("createFulfillment", "quickstart", 201): "as for the bulk create",
    ("createFulfillmentItems", "quickstart", 201): "",
    ("createFulfillmentItem", "quickstart", 201): "v1 requires each new item's id",
    ("createFulfillmentItems", "v1", None): "Quickstart names the parent by number only; v1 "
    "items may name it by id alone",
    ("createFulfillments", "quickstart", None): "v1 requires orderLineItemId of exactly 32 "
    "characters, which Quickstart does not constrain",
    ("createFulfillment", "quickstart", None): "as for the bulk create",
}


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.load()


def _cases() -> Iterator[tuple[str, Style, int | None]]:
    """(source operationId, source style, source status or None for the request body)."""
    engine = Translator.load()
    for opmap in engine.m.operations:
        for style in STYLES:
            for endpoint in opmap.sources(style):
                op = _spec_op(engine.contracts[style], endpoint.operation)
                if op.body:
                    yield endpoint.operation, style, None
                for rmap in opmap.responses:
                    spec = op.responses.get(str(rmap.status[style]))
                    if spec is not None and spec.content:
                        yield endpoint.operation, style, rmap.status[style]
                if endpoint is opmap.endpoints[style]:
                    yield endpoint.operation, style, 400


def _spec_op(contract: Contract, operation: str) -> Any:
    return next(op for op in contract.operations.operations if op.operation_id == operation)


def _schema_pointer(contract: Contract, operation: str, status: int | None) -> str:
    op = _spec_op(contract, operation)
    content = op.body if status is None else op.responses[str(status)].content
    pointer = content[0].schema_pointer
    assert pointer is not None
    return str(pointer)


def _strategy(contract: Contract, pointer: str, request: bool) -> st.SearchStrategy[Any]:
    index = contract.request_schemas if request else contract.response_schemas
    document = {k: v for k, v in index.converted.document.items() if k != "$schema"}
    schema = {**document, "$ref": "#" + urllib.parse.quote(pointer, safe="/~")}
    return build(schema, draft=jsonschema_rs.Draft202012, formats=FORMATS)


def _without(value: Any, pointers: list[str]) -> Any:
    """`value` without the values at `pointers` (deepest first), and without empty objects
    that only led to removed or absent values."""
    import copy

    value = copy.deepcopy(value)
    for pointer in sorted(set(pointers), key=lambda p: -p.count("/")):
        tokens = jp.split(pointer)
        if not tokens:
            return {}
        try:
            parent = jp.resolve(value, jp.from_parts(tokens[:-1]))
        except KeyError:
            continue
        if isinstance(parent, dict):
            parent.pop(tokens[-1], None)
    return _prune_empty(value)


def _prune_empty(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _prune_empty(item)
            if item == {} and not key.endswith(("_fields", "Fields")):
                continue  # an empty intermediate object carries nothing
            out[key] = item
        return out
    if isinstance(value, list):
        return [_prune_empty(v) for v in value]
    return value


def _wrapped(translator: Translator, operation: str, style: Style, body: Any) -> Any:
    """A single create's body as its bulk form (what a round trip through v1 gives back)."""
    endpoint = translator._endpoint(operation, style)
    if endpoint.wrap is None or not isinstance(body, dict):
        return body
    keep = {k: v for k, v in body.items() if k in endpoint.wrap.keep}
    return {endpoint.wrap.into: [{k: v for k, v in body.items() if k not in keep}], **keep}


@pytest.mark.slow
@pytest.mark.parametrize(("operation", "style", "status"), list(_cases()))
def test_bodies_translate_into_valid_bodies_and_back(
    translator: Translator, operation: str, style: Style, status: int | None
) -> None:
    to = other(style)
    source_contract = translator.contracts[style]
    strategy = _strategy(source_contract, _schema_pointer(source_contract, operation, status),
                         request=status is None)  # fmt: skip
    stats: Counter[str] = Counter()

    @SETTINGS
    @given(strategy)
    def run(body: Any) -> None:
        there = translator.body(operation, to, body, response=status)
        if any(p.left_out for p in there.problems):
            # never something the target rejects: left out, with the reason and where
            assert there.body is NO_BODY
            [why] = [p for p in there.problems if p.left_out]
            assert "would not conform" in why.message or "no counterpart" in why.message
            stats["left out"] += 1
            return
        target = translator.contracts[to]
        target_op = translator.operation(operation).endpoints[to].operation
        if status is None:
            pointer = _schema_pointer(target, target_op, None)
            validator = target.request_schemas.validator(pointer)
        else:
            assert there.status is not None
            if there.body is NO_BODY:  # a 204: nothing to validate, nothing to carry
                stats["translated"] += 1
                return
            pointer = _schema_pointer(target, target_op, there.status)
            validator = target.response_schemas.validator(pointer)
        errors = [e.message for e in validator.iter_errors(there.body)]
        assert errors == [], (body, there.body)
        back = translator.body(target_op, style, there.body, response=there.status)
        assert not any(p.left_out for p in back.problems), back.problems
        dropped = [ptr for p in there.problems for ptr in p.pointers] + there.lossy
        # (problems about a single create point into the body sent, not its bulk form)
        expected = _prune_empty(_wrapped(translator, operation, style, _without(body, dropped)))
        if (
            status is not None
            and style == "v1"
            and isinstance(body, dict)
            and body.get("success") is False
        ):
            expected = _without(body, dropped)  # a business error is an error both ways
        got = _without(back.body, dropped)
        assert got == expected, (body, there.body, back.body, there.problems)
        stats["translated"] += 1
        if not there.problems and not there.lossy:
            stats["exact"] += 1

    run()
    if (operation, style, status) not in MOSTLY_LEFT_OUT:
        assert stats["translated"] > 0, stats

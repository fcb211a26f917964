"""The `apicontract_fake` pytest fixture as a user writes tests with it: inner test files run
by pytester in a subprocess, with the plugin and the generated clients, against real fakes
on 127.0.0.1."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import ROOT

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "generator.pytest_plugin")
PETSTORE = ROOT / "tests" / "data" / "public" / "petstore" / "petstore-expanded.yaml"

HEAD = f"""
import sys
import httpx
sys.path.insert(0, {str(ROOT / "generated")!r})
from zuora_quickstart import Client, models

PETSTORE = {str(PETSTORE)!r}

NEW = {{"order_line_item_id": "8ad085e287142db601872469b9ec0944",
        "fulfillment_date": "2025-01-02", "quantity": 1}}
"""


def _run(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=textwrap.dedent(HEAD) + textwrap.dedent(body))
    return pytester.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider", "-W", "error")


def test_a_retry_test_with_the_generated_client_passes(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        def test_get_is_retried_through_two_503s(apicontract_fake):
            fake = apicontract_fake(style="quickstart")
            with Client(fake.url, token="t") as api:
                made = api.create_fulfillment(models.FulfillmentCreateRequest(**NEW))
                fake.fail(method="GET", path="/fulfillments/{fulfillment_id}", status=503,
                          times=2, headers={"Retry-After": "0"})
                got = api.get_fulfillment(made.id)
            assert got.id == made.id
            gets = [r for r in fake.requests if r["method"] == "GET"]
            assert [r["status"] for r in gets] == [503, 503, 200]
            assert gets[0]["headers"]["authorization"] == "Bearer REDACTED"

        def test_a_dropped_connection_is_retried(apicontract_fake):
            fake = apicontract_fake(style="quickstart")
            fake.fail(method="GET", path="/fulfillments", reset_connection=True)
            with Client(fake.url, token="t") as api:
                assert api.list_fulfillments().data == []
            assert [r["status"] for r in fake.requests] == [None, 200]
        """,
    )
    result.assert_outcomes(passed=2)


def test_an_off_spec_request_fails_the_test_with_the_diff(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        def test_sends_a_string_quantity(apicontract_fake):
            fake = apicontract_fake(style="quickstart")
            answer = httpx.post(fake.url + "/fulfillments", headers={"Authorization": "Bearer t"},
                                json={**NEW, "quantity": "two"})
            assert answer.status_code == 400  # what the real API answers; the test goes on

        def test_off_spec_on_a_public_spec(apicontract_fake):
            fake = apicontract_fake(spec=PETSTORE)
            httpx.post(fake.url + "/pets", json={"tag": "no name"})
        """,
    )
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    assert "POST" in text and "/fulfillments" in text and "does not conform" in text
    assert "/quantity" in text and "two" in text
    assert "/name" in text  # the pet without its required name


def test_each_test_gets_a_fresh_fake(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        SEEN = []

        def test_one(apicontract_fake):
            fake = apicontract_fake(style="quickstart")
            with Client(fake.url, token="t") as api:
                api.create_fulfillment(models.FulfillmentCreateRequest(**NEW))
                assert len(api.list_fulfillments().data) == 1
            SEEN.append(fake.url)

        def test_two(apicontract_fake):
            fake = apicontract_fake(style="quickstart")
            with Client(fake.url, token="t") as api:
                assert api.list_fulfillments().data == []
            assert fake.requests and fake.url not in SEEN

        def test_reset_and_two_fakes_in_one_test(apicontract_fake):
            first = apicontract_fake(spec=PETSTORE)
            second = apicontract_fake(spec=PETSTORE)
            assert httpx.post(first.url + "/pets", json={"name": "rex"}).status_code == 200
            assert httpx.get(second.url + "/pets").json() == []
            first.reset()
            assert httpx.get(first.url + "/pets").json() == []
            assert [r["path"] for r in first.requests] == ["/pets"]
        """,
    )
    result.assert_outcomes(passed=3)

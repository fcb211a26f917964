"""A user's script against the generated Zuora Quickstart client (generated/zuora_quickstart),
checked with `mypy --strict` by test_client_typing.py. Correct calls must pass with the exact
types `assert_type` names; every line marked `# E: <code>` must be refused with that error
code (among any others mypy adds), and no other line may be refused. Both clients, both
`async_` overloads, a path parameter, a body, the `iter_` method and the `TypedDict` of
keyword arguments are covered.
"""

from __future__ import annotations

from typing import assert_type

from zuora_quickstart import models
from zuora_quickstart._runtime import Accepted
from zuora_quickstart.client import AsyncClient, Client, CreateFulfillmentArgs


def sync_calls(client: Client, body: models.FulfillmentCreateRequest) -> None:
    assert_type(client.create_fulfillment(body), models.Fulfillment)
    assert_type(client.create_fulfillment(body, async_=None), models.Fulfillment)
    assert_type(
        client.create_fulfillment(
            body,
            async_=False,
            fields=["id"],
            page_size=10,
            zuora_entity_ids=None,
            idempotency_key="key-1",
            track_id="trace-1",
            extra_headers={"x-note": "1"},
            timeout=2.5,
        ),
        models.Fulfillment,
    )
    assert_type(client.create_fulfillment(body, async_=True), Accepted[models.AsyncAccepted])
    assert_type(client.create_fulfillment(body=body, async_=True), Accepted[models.AsyncAccepted])
    assert_type(client.get_fulfillment("F-1", expand=["fulfillment_items"]), models.Fulfillment)
    assert_type(client.get_fulfillment(fulfillment_id="F-1"), models.Fulfillment)
    assert_type(client.list_fulfillments(cursor=None, page_size=5), models.FulfillmentList)
    assert_type(client.delete_fulfillment("F-1"), None)
    for item in client.iter_list_fulfillments(page_size=5, max_pages=2, filter_=["state.EQ:x"]):
        assert_type(item, models.Fulfillment)
    options: CreateFulfillmentArgs = {"fields": ["id"], "timeout": 2.0}
    assert_type(client.create_fulfillment(body, **options), models.Fulfillment)
    queued = client.create_fulfillment(body, async_=True, **options)
    assert_type(queued, Accepted[models.AsyncAccepted])

    client.create_fulfillment(body, feilds=["id"])  # E: call-overload
    client.create_fulfillment(body, page_size="10")  # E: call-overload
    client.create_fulfillment(body, async_="yes")  # E: call-overload
    client.create_fulfillment(body, timeout="soon")  # E: call-overload
    client.create_fulfillment()  # E: call-overload
    client.create_fulfillment({"quantity": 1})  # E: call-overload
    client.get_fulfillment("F-1", page_sise=1)  # E: call-arg
    client.get_fulfillment("F-1", page_size="1")  # E: arg-type
    client.get_fulfillment("F-1", idempotency_key="k")  # E: call-arg
    client.get_fulfillment(1)  # E: arg-type
    client.get_fulfillment()  # E: call-arg
    client.get_fulfillment("F-1", ["id"])  # E: call-arg
    client.iter_list_fulfillments(cursor="c")  # E: call-arg
    client.list_fulfillments(max_pages=1)  # E: call-arg
    client.list_fulfillments(sort="created_time.desc")  # E: arg-type
    accepted: models.Fulfillment = client.create_fulfillment(body, async_=True)  # E: assignment
    created: Accepted[models.AsyncAccepted] = client.create_fulfillment(body)  # E: assignment
    listed: models.Fulfillment = client.list_fulfillments()  # E: assignment
    bad_options: CreateFulfillmentArgs = {"cursor": "c"}  # E: typeddict-unknown-key
    del accepted, created, listed, bad_options


async def async_calls(client: AsyncClient, body: models.FulfillmentCreateRequest) -> None:
    assert_type(await client.create_fulfillment(body), models.Fulfillment)
    created = await client.create_fulfillment(body, async_=False, page_size=3)
    assert_type(created, models.Fulfillment)
    assert_type(
        await client.create_fulfillment(body, async_=True, track_id="t"),
        Accepted[models.AsyncAccepted],
    )
    assert_type(await client.get_fulfillment("F-1", fields=["id"]), models.Fulfillment)
    assert_type(await client.list_fulfillments(cursor="c"), models.FulfillmentList)
    async for item in client.iter_list_fulfillments(max_pages=1):
        assert_type(item, models.Fulfillment)

    await client.create_fulfillment(body, feilds=["id"])  # E: call-overload
    await client.create_fulfillment(body, page_size="10")  # E: call-overload
    await client.get_fulfillment("F-1", page_sise=1)  # E: call-arg
    await client.get_fulfillment("F-1", expand="x")  # E: arg-type
    client.iter_list_fulfillments(cursor="c")  # E: call-arg
    wrong: models.Fulfillment = await client.create_fulfillment(body, async_=True)  # E: assignment
    queued: Accepted[models.AsyncAccepted] = await client.create_fulfillment(body)  # E: assignment
    not_awaited: models.Fulfillment = client.get_fulfillment("F-1")  # E: assignment
    del wrong, queued, not_awaited

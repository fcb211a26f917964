"""schemathesis hooks for `test_schemathesis.py` (loaded through `SCHEMATHESIS_HOOKS`).

Two things the specs say in words that a schema cannot, taught to the fuzzer:

* `content-encoding: gzip` means the body is gzip-compressed JSON (both specs). A generated
  request that picks the header has its JSON body compressed when it is sent, as a real
  client's would be (a serializer: the case itself keeps the JSON value, so schemathesis's
  own checks still judge it); otherwise the fake would rightly refuse a valid-looking request.
* An `Idempotency-Key` names one logical request: a schema-valid request gets a key of its
  own (a fresh uuid4) instead of the spec's example or a short generated string that earlier
  requests already used with other bodies (their replay and refusal are the fake's own tests'
  business). Schema-violating requests keep theirs, it may be what they violate.
* Refusals the specs document as business rules of valid-looking requests (Quickstart answers
  each with 400 and a documented error code; v1 answers its own with HTTP 200
  `success: false`, which schemathesis already accepts):
  - `invalid_state`: the fulfillment lifecycle (only forward, only an `accepted` one can be
    deleted, fields frozen once booked), described in the spec's introduction;
  - `invalid_parameter` on `cursor`: a cursor this API did not issue;
  - `invalid_parameter` on `filter[]` / `sort[]`: a condition or sort key on a field the
    objects do not have, or an operator that is not supported;
  - an `Idempotency-Key` already used with a different request (Quickstart
    `idempotency_key_reused`, v1 reason 53100050), which the fuzzer does when it reuses the
    spec's example key.
  Only "schema-valid request rejected" (ST202) failures with exactly these answers are
  dropped; every other check and every other answer still fails the run.
"""

from __future__ import annotations

import gzip
import json
import os
import uuid
from typing import Any

import schemathesis
from schemathesis.transport.serialization import serialize_json

#: (error code, parameter or None for any) of the documented business-rule refusals
DOCUMENTED_REFUSALS = frozenset(
    {
        ("invalid_state", None),
        ("invalid_parameter", "cursor"),
        ("invalid_parameter", "filter[]"),
        ("invalid_parameter", "sort[]"),
        ("idempotency_key_reused", None),
        (53100050, None),
    }
)


def _coding(case: Any) -> str | None:
    for name, value in (case.headers or {}).items():
        if name.lower() == "content-encoding":
            return str(value)
    return None


@schemathesis.serializer("application/json")
def json_maybe_gzip(ctx: Any, value: Any) -> bytes:
    """The bytes schemathesis's own JSON serializer sends, gzip-compressed under
    `content-encoding: gzip`."""
    payload = serialize_json(value)
    if "json" in payload:
        data = json.dumps(payload["json"], allow_nan=False).encode()
    else:
        data = bytes(payload["data"])
    return gzip.compress(data) if _coding(ctx.case) == "gzip" else data


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if case.meta is None or case.meta.generation.mode.is_negative or not case.headers:
        return case
    for name in case.headers:
        if name.lower() == "idempotency-key":
            case.headers = {**case.headers, name: str(uuid.uuid4())}
            break
    return case


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False (drop the failure) only for a documented refusal of a schema-valid request."""
    if getattr(failure, "code", None) != "ST202" or response.status_code != 400:
        return True
    try:
        body = json.loads(response.content)
        errors = body.get("errors", body.get("reasons"))  # Quickstart / v1 error bodies
        refusals = {(e["code"], e.get("parameter")) for e in errors}
    except (ValueError, KeyError, TypeError, AttributeError):
        return True
    documented = {
        (code, parameter)
        for code, parameter in refusals
        if (code, parameter) in DOCUMENTED_REFUSALS or (code, None) in DOCUMENTED_REFUSALS
    }
    if not refusals or documented != refusals:
        return True
    log = os.environ.get("APICONTRACT_DROPPED_LOG")
    if log:  # the test reports what was dropped
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps([case.operation.label, sorted(map(str, refusals))]) + "\n")
    return False

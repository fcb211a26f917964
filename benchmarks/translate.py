"""Benchmark `apicontract translate` (v1 -> Quickstart) on deterministic v1 traffic.

    .venv/bin/python benchmarks/translate.py [--exchanges 3000]

Builds JSONL under benchmarks/.data/ (creates of two fulfillments with their answers, reads,
updates and business errors, in turn) and measures in the same run, wall clock of the whole
command:

* the floor: `orjson.loads` + `orjson.dumps` of every line (reading and writing JSON);
* jq (the named peer, when installed): a hand-written jq program renaming the create bodies'
  fields, what one would script without the tool (no checking, no reporting);
* `apicontract check` of the same file against the v1 spec (the engine translate runs twice per
  exchange: it checks every translation against the target spec);
* `apicontract translate --to quickstart`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"
HOST = "https://rest.apisandbox.zuora.com"
AUTH = {"Authorization": "Bearer redacted"}

JQ = r"""
if .request.method == "POST" then
  .request.url |= sub("/v1/fulfillments$"; "/v2/fulfillments/bulk_create")
  | .request.body |= {data: [.fulfillments[] | {order_line_item_id: .orderLineItemId,
      fulfillment_date: .fulfillmentDate, quantity: .quantity,
      type: (.fulfillmentType // "Delivery" | ascii_downcase), location: .fulfillmentLocation,
      custom_fields: .customFields}]}
else . end
"""


def corpus(count: int) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for n in range(count):
        fid = f"{n:032x}"
        kind = n % 4
        if kind == 0:
            body = {"fulfillments": [
                {"orderLineItemId": f"{n + 7:032x}", "fulfillmentDate": "2024-03-14",
                 "quantity": 2, "fulfillmentType": "Delivery", "fulfillmentLocation": "Reno",
                 "carrier": "UPS", "excludeItemBillingFromRevenueAccounting": True,
                 "customFields": {"priority__c": "High"},
                 "fulfillmentItems": [{"itemIdentifier": f"SN-{n}"}]},
                {"orderLineItemId": f"{n + 9:032x}", "fulfillmentDate": "2024-03-15",
                 "quantity": 1},
            ]}  # fmt: skip
            answer = {"success": True, "fulfillments": [
                {"id": fid, "fulfillmentNumber": f"F-{n:08d}"},
                {"id": f"{n + 1:032x}", "fulfillmentNumber": f"F-{n + 1:08d}"}]}  # fmt: skip
            lines.append({"request": {"method": "POST", "url": f"{HOST}/v1/fulfillments",
                                      "headers": AUTH, "body": body},
                          "response": {"status": 200, "body": answer}})  # fmt: skip
        elif kind == 1:
            fulfillment = {"id": fid, "fulfillmentNumber": f"F-{n:08d}",
                           "orderLineItemId": f"{n + 7:032x}", "fulfillmentDate": "2024-03-14",
                           "quantity": 2, "fulfillmentType": "Return", "state": "Booked",
                           "customFields": {}}  # fmt: skip
            answer = {"success": True, "fulfillment": fulfillment}
            lines.append({"request": {"method": "GET", "url": f"{HOST}/v1/fulfillments/{fid}",
                                      "headers": AUTH},
                          "response": {"status": 200, "body": answer}})  # fmt: skip
        elif kind == 2:
            change = {"state": "Booked", "carrier": "DHL"}
            lines.append({"request": {"method": "PUT", "url": f"{HOST}/v1/fulfillments/{fid}",
                                      "headers": AUTH, "body": change},
                          "response": {"status": 200, "body": {"success": True}}})  # fmt: skip
        else:
            error = {"success": False, "reasons": [{"code": 53100320, "message": "not editable"}]}
            lines.append({"request": {"method": "PUT", "url": f"{HOST}/v1/fulfillments/{fid}",
                                      "headers": AUTH, "body": {"quantity": 3}},
                          "response": {"status": 200, "body": error}})  # fmt: skip
    return lines


def timed(argv: list[str], stdout: Path | None = None) -> float:
    start = time.perf_counter()
    with open(stdout or "/dev/null", "wb") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{argv[:3]} failed with exit {done.returncode}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exchanges", type=int, default=3000)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    source = DATA / "translate-v1.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in corpus(args.exchanges)))
    size = source.stat().st_size
    print(f"{args.exchanges} exchanges, {size / 1e6:.1f} MB of v1 JSONL")

    start = time.perf_counter()
    with source.open("rb") as lines:
        for line in lines:
            orjson.dumps(orjson.loads(line))
    floor = time.perf_counter() - start
    cli = [sys.executable, "-m", "generator"]
    rows = [("floor: orjson loads + dumps", floor)]
    if shutil.which("jq"):
        rows.append(("jq (renames create bodies only)", timed(["jq", "-c", JQ, str(source)])))
    rows.append(("apicontract check (v1)",
                 timed([*cli, "check", "specs/v1/fulfillments.yaml", str(source)])))  # fmt: skip
    out = DATA / "translate-qs.jsonl"
    translate = timed([*cli, "translate", "--to", "quickstart", str(source), "--output", str(out)])
    rows.append(("apicontract translate --to quickstart", translate))
    print(f"{'what':<42} {'seconds':>8} {'exchanges/s':>12} {'translate / it':>15}")
    for name, seconds in rows:
        print(f"{name:<42} {seconds:>8.2f} {args.exchanges / seconds:>12.0f} "
              f"{translate / seconds:>15.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

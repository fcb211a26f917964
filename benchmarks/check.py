"""Benchmark `apicontract check` on a deterministic Quickstart bulk_create corpus.

    .venv/bin/python benchmarks/check.py [--payloads 2000] [--skip-rss] [--skip-openapi-core]

Builds about 36 MB of JSONL (2,000 exchanges, each a bulk_create request and its 201 answer;
one in ten carries defects) under benchmarks/.data/, then measures in the same run:

* the floor: `orjson.loads` of every line (reading JSON cannot be avoided);
* jsonschema-rs alone validating the same request bodies (the engine's validator);
* the whole `apicontract check` CLI run, --jobs 1 and --jobs 2;
* openapi-core (installed into the venv on demand) on a sample, extrapolated to the corpus;
* peak RSS of `apicontract check` on a 10 MB and a 1 GB traffic file (flat memory).

Goals (issue 4): the whole check run at most 2x the orjson floor, at least 100x faster than
openapi-core, RSS flat between 10 MB and 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"
SPEC = ROOT / "specs" / "quickstart" / "fulfillments.yaml"
PYTHON = sys.executable
STATES = ["accepted", "booked", "sent_to_billing", "complete", "canceled"]


def fulfillment(rng: random.Random, defect: bool) -> dict[str, object]:
    item: dict[str, object] = {
        "order_line_item_id": f"{rng.getrandbits(128):032x}",
        "fulfillment_date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "quantity": rng.randint(1, 500),
        "type": rng.choice(["delivery", "return"]),
        "state": rng.choice(STATES),
        "carrier": rng.choice(["UPS", "FedEx", "DHL", "USPS"]),
        "tracking_number": f"1Z{rng.getrandbits(48):012X}",
        "description": "shipment " + " ".join(rng.choice("abcdefgh") * 5 for _ in range(20)),
        "external_id": f"ext-{rng.getrandbits(32)}",
        "custom_fields": {
            "priority__c": rng.choice(["low", "high"]),
            "batch__c": rng.randint(1, 9),
        },
        "items": [
            {
                "description": f"serial {n}",
                "fulfillment_item_number": f"SN-{rng.getrandbits(40):010x}",
            }
            for n in range(rng.randint(1, 3))
        ],
    }
    if defect:
        item["quantity"] = "many"
        item["colour"] = "red"
    return item


def build_corpus(path: Path, payloads: int, target_mb: float) -> None:
    rng = random.Random(20261122)
    per_payload = max(1, int(target_mb * 1024 * 1024 / payloads / 660))
    with path.open("w", encoding="utf-8") as out:
        for index in range(payloads):
            defect = index % 10 == 9
            data = [fulfillment(rng, defect and n == 0) for n in range(per_payload)]
            request = {
                "method": "POST",
                "url": "https://rest.apisandbox.zuora.com/v2/fulfillments/bulk_create",
                "headers": {"Content-Type": "application/json", "Authorization": "Bearer t"},
                "body": {"data": data},
            }
            answer = [
                {"id": f"{rng.getrandbits(128):032x}", "state": "accepted"}
                for _ in range(per_payload)
            ]
            response = {
                "status": 201,
                "headers": {"Content-Type": "application/json"},
                "body": {"data": answer, "invoice_numbers": [], "credit_memo_numbers": []},
            }
            out.write(json.dumps({"request": request, "response": response}) + "\n")


def timed(label: str, fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds:8.3f} s", flush=True)
    return seconds


def run_cli(corpus: Path, jobs: int) -> None:
    done = subprocess.run(
        [
            PYTHON,
            "-m",
            "generator",
            "check",
            str(SPEC),
            str(corpus),
            "--format",
            "json",
            "--jobs",
            str(jobs),
            "--output",
            os.devnull,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"apicontract check failed: {done.stderr}")


def peak_rss_mb(corpus: Path) -> float:
    code = (
        "import resource, subprocess, sys, os\n"
        "subprocess.run([sys.executable, '-m', 'generator', 'check', sys.argv[1], sys.argv[2],"
        " '--format', 'json', '--output', os.devnull])\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", code, str(SPEC), str(corpus)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def grow(source: Path, target: Path, size_mb: int) -> None:
    if target.exists() and target.stat().st_size >= size_mb * 1024 * 1024:
        return
    lines = source.read_bytes().splitlines(keepends=True)
    written = 0
    with target.open("wb") as out:
        while written < size_mb * 1024 * 1024:
            for line in lines:
                out.write(line)
                written += len(line)
                if written >= size_mb * 1024 * 1024:
                    break


PEER_SCRIPT = """
import json, sys, time
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest
spec, corpus, sample = sys.argv[1], sys.argv[2], int(sys.argv[3])
api = OpenAPI.from_file_path(spec)
with open(corpus, encoding="utf-8") as handle:
    lines = [next(handle) for _ in range(sample)]
def request_of(line):
    body = json.loads(line)["request"]["body"]
    return MockRequest("https://rest.apisandbox.zuora.com", "post", "/v2/fulfillments/bulk_create",
                       headers={"Content-Type": "application/json", "Authorization": "Bearer t"},
                       data=json.dumps(body), content_type="application/json")
api.validate_request(request_of(lines[0]))  # proves the setup reaches body validation
verdicts = {"valid": 0, "invalid": 0}
start = time.perf_counter()
for line in lines:
    try:
        api.validate_request(request_of(line))
        verdicts["valid"] += 1
    except OpenAPIError:
        verdicts["invalid"] += 1
print(json.dumps({"seconds": time.perf_counter() - start, "verdicts": verdicts}))
"""


def openapi_core_seconds(corpus: Path, sample: int) -> tuple[float, int, dict[str, int]]:
    """openapi-core runs in its own venv under .data/ (it pins older validators than ours)."""
    venv = DATA / "peer-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print("  (creating benchmarks/.data/peer-venv with openapi-core for the comparison)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "openapi-core"],
            check=True,
            capture_output=True,
        )
    done = subprocess.run(
        [str(python), "-c", PEER_SCRIPT, str(SPEC), str(corpus), str(sample)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    return float(result["seconds"]), sample, dict(result["verdicts"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--payloads", type=int, default=2000)
    parser.add_argument("--megabytes", type=float, default=36.0)
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--skip-openapi-core", action="store_true")
    parser.add_argument("--openapi-core-sample", type=int, default=200)
    args = parser.parse_args()

    DATA.mkdir(exist_ok=True)
    corpus = DATA / f"bulk-create-{args.payloads}.jsonl"
    if not corpus.exists():
        build_corpus(corpus, args.payloads, args.megabytes)
    size_mb = corpus.stat().st_size / 1024 / 1024
    print(f"corpus: {corpus.relative_to(ROOT)}: {args.payloads} exchanges, {size_mb:.1f} MB")

    import orjson

    from generator.contract import Contract
    from generator.contract.operations import OperationIndex  # noqa: F401 - same engine

    raw = corpus.read_bytes().splitlines()
    floor = timed(
        "orjson.loads of every line, kept (floor)", lambda: [orjson.loads(x) for x in raw]
    )

    def parse_and_drop() -> None:
        for line in raw:
            orjson.loads(line)

    lean = timed("orjson.loads of every line, dropped", parse_and_drop)

    contract = Contract.load(SPEC)
    op, _, _ = contract.operations.match("POST", "/fulfillments/bulk_create")
    assert op is not None and op.body[0].schema_pointer is not None
    validator = contract.request_schemas.validator(op.body[0].schema_pointer)
    bodies = [orjson.loads(x)["request"]["body"] for x in raw]
    rs = timed(
        "jsonschema-rs is_valid on the request bodies",
        lambda: [validator.is_valid(b) for b in bodies],
    )

    cli1 = timed("apicontract check (CLI, --jobs 1)", lambda: run_cli(corpus, 1))
    cli2 = timed("apicontract check (CLI, --jobs 2)", lambda: run_cli(corpus, 2))
    best = min(cli1, cli2)

    print()
    print(f"  throughput: {args.payloads / best:,.0f} exchanges/s, {size_mb / best:,.1f} MB/s")
    print(
        f"  ratio to orjson floor: {best / floor:.2f}x  (goal: <= 2x); "
        f"{best / lean:.1f}x parsing without keeping the values"
    )
    print(f"  jsonschema-rs alone: {rs:.3f} s")
    if not args.skip_openapi_core:
        seconds, count, verdicts = openapi_core_seconds(corpus, args.openapi_core_sample)
        estimate = seconds / count * args.payloads
        print(
            f"  openapi-core: {seconds:.2f} s for {count} exchanges {verdicts} -> "
            f"{estimate:.1f} s estimated for the corpus"
        )
        print(f"  speed-up over openapi-core: {estimate / best:,.0f}x  (goal: >= 100x)")
    if not args.skip_rss:
        small = DATA / "rss-10mb.jsonl"
        large = DATA / "rss-1gb.jsonl"
        grow(corpus, small, 10)
        grow(corpus, large, 1024)
        rss_small = peak_rss_mb(small)
        rss_large = peak_rss_mb(large)
        print(
            f"  peak RSS: {rss_small:.0f} MB on 10 MB, {rss_large:.0f} MB on 1 GB "
            f"(ratio {rss_large / rss_small:.2f}; goal: flat)"
        )


if __name__ == "__main__":
    main()

"""Benchmark `apicontract check` on a deterministic Quickstart bulk_create corpus.

    .venv/bin/python benchmarks/check.py [--payloads 2000] [--skip-rss] [--skip-openapi-core]
                                         [--skip-dask]

Builds about 36 MB of JSONL (2,000 exchanges, each a bulk_create request and its 201 answer;
one in ten carries defects) under benchmarks/.data/, then measures in the same run:

* the floor: `orjson.loads` of every line (reading JSON cannot be avoided);
* jsonschema-rs alone validating the same request bodies (the engine's validator);
* the whole `apicontract check` CLI run, --jobs 1 and --jobs 2, from compiled bytecode as an
  installed package runs (this environment may set PYTHONDONTWRITEBYTECODE; the runs do not);
* openapi-core (a test dependency; installed into a venv under .data/ when this environment
  lacks it) validating the same requests and their responses, on a sample extrapolated to the
  corpus, plus its start-up (imports and loading the spec), as the CLI's time includes its own;
  and both per exchange once started (the CLI's start-up measured on a one-exchange file);
* peak RSS of `apicontract check` on a 10 MB and a 1 GB traffic file (flat memory);
* Dask (issue 16): the CLI with `--dask local --jobs 1` and `--jobs 2`; then, on clusters
  already running (startup excluded), the check itself with 1 and 2 workers, the overhead of
  one piece of work (the same corpus cut into 4 MiB and 64 KiB pieces, and Dask's own
  round trip for an empty task), and the client's CPU per exchange; from those, a written
  estimate for 1 TB of traffic a day on a 32-worker cluster.

The figures before the Dask rows are wall-clock time and CPU time (user + system). On a
shared machine wall clock swings with the load of others; CPU time measures the work each tool
does, so the ratios are given in both. The speed-up over openapi-core: wall clock of the
faster of --jobs 1 and --jobs 2 (using the cores a user has), and CPU time of --jobs 1 (the
same single core).

Goals (issues 4 and 12): the whole check run at most 2x the orjson floor, at least 100x faster
than openapi-core, RSS flat between 10 MB and 1 GB. Issue 16: close to 2x from 1 to 2 workers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Timing:
    wall: float
    cpu: float


def timed(label: str, fn: Callable[[], object]) -> Timing:
    """Run `fn` once: wall clock, and CPU time of this process and the children it waited
    for."""
    cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN) - cpu
    print(f"  {label:<48} {wall:8.3f} s wall {cpu:8.3f} s cpu", flush=True)
    return Timing(wall, cpu)


def _bytecode_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_cli(corpus: Path, jobs: int, *extra: str) -> None:
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
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=_bytecode_env(),
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"apicontract check failed: {done.stderr}")


def peak_rss_mb(corpus: Path, *extra: str) -> float:
    """Peak RSS of one `apicontract check` process (with --dask tcp://..., the client alone:
    the workers belong to a cluster started elsewhere)."""
    code = (
        "import resource, subprocess, sys, os\n"
        "subprocess.run([sys.executable, '-m', 'generator', 'check', sys.argv[1], sys.argv[2],"
        " '--format', 'json', '--output', os.devnull, *sys.argv[3:]])\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", code, str(SPEC), str(corpus), *extra],
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
import time
setup_cpu, setup_start = time.process_time(), time.perf_counter()
import json, sys, warnings
warnings.simplefilter("ignore")
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse
spec, corpus, sample = sys.argv[1], sys.argv[2], int(sys.argv[3])
api = OpenAPI.from_file_path(spec)
with open(corpus, encoding="utf-8") as handle:
    exchanges = [json.loads(next(handle)) for _ in range(sample)]
def pair(exchange):
    sent, answer = exchange["request"], exchange["response"]
    request = MockRequest("https://rest.apisandbox.zuora.com", "post",
                          "/v2/fulfillments/bulk_create", headers=sent["headers"],
                          data=json.dumps(sent["body"]).encode(),
                          content_type="application/json")
    response = MockResponse(json.dumps(answer["body"]).encode(), answer["status"],
                            answer["headers"], "application/json")
    return request, response
api.validate_request(pair(exchanges[0])[0])  # proves the setup reaches body validation
setup = {"wall": time.perf_counter() - setup_start, "cpu": time.process_time() - setup_cpu}
verdicts = {"valid": 0, "invalid": 0}
cpu, start = time.process_time(), time.perf_counter()
for exchange in exchanges:
    request, response = pair(exchange)
    try:
        api.validate_request(request)
        api.validate_response(request, response)
        verdicts["valid"] += 1
    except OpenAPIError:
        verdicts["invalid"] += 1
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "setup": setup, "verdicts": verdicts}))
"""


def _peer_python() -> str:
    """This interpreter when it has openapi-core (the test extras), else a venv of its own."""
    found = subprocess.run([PYTHON, "-c", "import openapi_core"], capture_output=True, check=False)
    if found.returncode == 0:
        return PYTHON
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
    return str(python)


def openapi_core_seconds(corpus: Path, sample: int) -> tuple[Timing, Timing, int, dict[str, int]]:
    """openapi-core's time for `sample` exchanges, its start-up (imports, loading the spec;
    reading the sample excluded), the sample size and its verdicts."""
    done = subprocess.run(
        [_peer_python(), "-c", PEER_SCRIPT, str(SPEC), str(corpus), str(sample)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    loop = Timing(float(result["seconds"]), float(result["cpu"]))
    setup = Timing(float(result["setup"]["wall"]), float(result["setup"]["cpu"]))
    return loop, setup, sample, dict(result["verdicts"])


def _cluster(workers: int) -> tuple[Any, Any]:
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.CRITICAL,
    )
    return cluster, Client(cluster, set_as_default=False)


def _workers_cpu(client: Any) -> float:
    """CPU seconds the cluster's worker processes have used so far."""

    def used() -> float:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    return float(sum(client.run(used).values()))


def _dask_check(client: Any, corpus: Path, piece: int) -> dict[str, float]:
    """The corpus checked on a running cluster. The plan starts with a 64 KiB piece, and the
    clock starts when its results arrive: connecting, shipping the spec and compiling it on
    every worker are then behind, and `seconds` is the check of the rest of the corpus
    (`megabytes`) in `piece`-sized pieces. `workers_cpu` is the CPU the workers' checking
    threads spent on all pieces; `total` is the whole run's wall clock."""
    import dataclasses

    from generator.contract.distributed import Stats, iter_results_dask
    from generator.contract.partition import plan_partitions
    from generator.contract.run import load_contract

    contract = load_contract(SPEC)
    plan = plan_partitions([str(corpus)], piece)
    head = plan[0]
    tiny = dataclasses.replace(head, end=min(head.end, 64 << 10))
    plan = [
        tiny,
        dataclasses.replace(head, number=1, start=tiny.end, first=False),
        *(dataclasses.replace(p, number=p.number + 1) for p in plan[1:]),
    ]
    stats = Stats()
    start = time.perf_counter()
    results = iter_results_dask(contract, plan, client.scheduler.address, stats=stats)
    exchanges = 1
    next(results)
    while stats.pieces < 1:  # the rest of the tiny piece
        next(results)
        exchanges += 1
    first = time.perf_counter()
    exchanges += sum(1 for _ in results)
    end = time.perf_counter()
    return {
        "seconds": end - first,
        "workers_cpu": stats.worker_cpu,
        "exchanges": exchanges,
        "pieces": len(plan) - 1,
        "megabytes": (corpus.stat().st_size - tiny.end) / 1e6,
        "total": end - start,
    }


def _client_cpu(corpus: Path, piece: int) -> float:
    """CPU seconds per exchange of the client's own work, measured without a cluster: taking
    each piece's pickled result in, numbering its exchanges, and writing the JSON report."""
    import pickle

    from generator.contract.partition import Reassembly, check_partition, plan_partitions
    from generator.contract.run import load_contract
    from generator.report.check import Counts, make_reporter

    contract = load_contract(SPEC)
    plan = plan_partitions([str(corpus)], piece)
    pickled = [pickle.dumps(check_partition(contract, part)) for part in plan]
    counts = Counts()
    start = time.process_time()
    with open(os.devnull, "w", encoding="utf-8") as out:
        reporter = make_reporter("json", out, spec=str(SPEC))
        reassembly = Reassembly(contract)
        for part, data in zip(plan, pickled, strict=True):
            for result in reassembly.results(part, pickle.loads(data)):
                counts.add(result)
                reporter.add(result)
        reporter.finish(counts)
    return (time.process_time() - start) / counts.exchanges


def _noop(value: int) -> int:
    return value


def _round_trip(client: Any, tasks: int = 2000) -> float:
    """Seconds per task for Dask alone: submit, run an empty task, gather, release."""
    start = time.perf_counter()
    futures = client.map(_noop, range(tasks), pure=False)
    client.gather(futures)
    del futures
    return (time.perf_counter() - start) / tasks


def dask_rows(corpus: Path, payloads: int, repeat: int) -> None:
    """The Dask rows; runs on a running cluster are repeated and the best kept."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("  (Dask rows skipped: pip install 'apicontract[dask]')")
        return
    megabytes = corpus.stat().st_size / 1e6  # decimal MB from here on
    print()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Dask (issue 16); MB = 10^6 bytes; corpus {megabytes:.1f} MB; "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the start"
    )
    cli_rows = {}
    for workers in (1, 2):
        cli_rows[workers] = timed(
            f"apicontract check (CLI, --dask local --jobs {workers})",
            lambda w=workers: run_cli(corpus, w, "--dask", "local", "--partition-size", "4MiB"),
        ).wall
    big, small = 4 << 20, 64 << 10
    runs: dict[int, dict[str, float]] = {}
    per_piece = empty = 0.0
    for workers in (1, 2):
        cluster, client = _cluster(workers)
        try:
            tries = [_dask_check(client, corpus, big) for _ in range(repeat)]
            run = runs[workers] = min(tries, key=lambda t: t["seconds"])
            assert run["exchanges"] == payloads, (run, payloads)
            label = f"check on a running {workers}-worker cluster (best of {repeat})"
            print(
                f"  {label:<44} {run['seconds']:8.3f} s  ({run['megabytes']:.1f} MB in "
                f"{run['pieces']:.0f} pieces of 4 MiB once the spec is compiled; "
                f"{run['megabytes'] / run['seconds']:.1f} MB/s; workers' CPU "
                f"{run['workers_cpu']:.2f} s)"
            )
            if workers == 1:
                fine = min(
                    (_dask_check(client, corpus, small) for _ in range(repeat)),
                    key=lambda t: t["seconds"],
                )
                label = "the same in 64 KiB pieces"
                print(
                    f"  {label:<44} {fine['seconds']:8.3f} s  ({fine['pieces']:.0f} pieces; "
                    f"workers' CPU {fine['workers_cpu']:.2f} s)"
                )
                more = fine["pieces"] - run["pieces"]
                per_piece = max(0.0, (fine["seconds"] - run["seconds"]) / more)
                empty = _round_trip(client)
        finally:
            client.close()
            cluster.close()
    one, two = runs[1], runs[2]
    per_cpu = one["megabytes"] / one["workers_cpu"]  # MB a worker checks per CPU second
    client_per_exchange = _client_cpu(corpus, big)
    print()
    print(
        f"  speed-up from 1 to 2 workers on the check work: "
        f"{one['seconds'] / two['seconds']:.2f}x wall clock (goal: close to 2x; meaningful "
        f"only on otherwise idle cores); the workers' checking threads used "
        f"{one['workers_cpu']:.2f} s and {two['workers_cpu']:.2f} s of CPU "
        f"({two['workers_cpu'] / one['workers_cpu']:.2f}x: 1.00x is linear scaling)"
    )
    print(
        "  local cluster startup, spec compilation and shutdown in the CLI: "
        f"{cli_rows[1] - one['seconds']:.1f} s (1 worker), "
        f"{cli_rows[2] - two['seconds']:.1f} s (2)"
    )
    print(
        f"  per worker: {one['megabytes'] / one['seconds']:.1f} MB/s wall clock, {per_cpu:.1f} "
        f"MB per CPU second; per piece (64 KiB vs 4 MiB pieces, 1 worker): "
        f"{per_piece * 1000:.1f} ms; Dask's own round trip for an empty task "
        f"{empty * 1000:.2f} ms; the client's own work (unpickling, numbering, the JSON report) "
        f"{client_per_exchange * 1e6:.1f} us of CPU per exchange"
    )
    estimate_tb_a_day(per_cpu, per_piece, client_per_exchange, corpus.stat().st_size / payloads)


def estimate_tb_a_day(
    per_worker_mb: float,
    per_piece_s: float,
    client_s_per_exchange: float,
    bytes_per_exchange: float,
) -> None:
    """A written estimate for 1 TB a day on 32 workers, from the figures measured above:
    the workers' time (check work plus per-piece overhead, spread over 32) against the one
    client's (its CPU per exchange); the slower of the two sets the pace."""
    workers, piece_mb, total_mb = 32, 64 * 1.048576, 1e6  # 64 MiB pieces; 1 TB = 10^6 MB
    pieces = total_mb / piece_mb
    piece_seconds = piece_mb / per_worker_mb + per_piece_s
    wall = pieces * piece_seconds / workers
    overhead = per_piece_s / piece_seconds
    needed = total_mb / 86400

    def client(size: float) -> float:
        return total_mb * 1e6 / size * client_s_per_exchange

    here = client(bytes_per_exchange)
    small = client(2000)
    print()
    print("  Estimate: 1 TB of traffic a day on a 32-worker cluster")
    print(
        f"    1 TB a day is {needed:.1f} MB/s on average. One worker checks {per_worker_mb:.1f} "
        f"MB per CPU second here, so 32 workers with a core each check "
        f"{workers * per_worker_mb:,.0f} MB/s: 1 TB in 64 MiB pieces ({pieces:,.0f} pieces of "
        f"{piece_seconds:.2f} s, {per_piece_s * 1000:.1f} ms of it per-piece overhead, "
        f"{overhead:.1%}) is {wall / 60:.0f} minutes of the workers' time."
    )
    print(
        f"    The client is one process: at {client_s_per_exchange * 1e6:.1f} us of CPU per "
        f"exchange it takes in {1 / client_s_per_exchange:,.0f} exchanges/s. With this corpus's "
        f"{bytes_per_exchange / 1000:.1f} kB exchanges, 1 TB is "
        f"{total_mb * 1e6 / bytes_per_exchange / 1e6:.0f} million exchanges and "
        f"{here / 60:.0f} minutes of client time; with 2 kB gateway-log exchanges, 500 million "
        f"and {small / 60:.0f} minutes, when the client, not the workers, sets the pace."
    )
    pace = max(wall, here)
    print(
        f"    So a day's terabyte takes about {pace / 60:.0f} minutes ({pace / 864:.1f}% of the "
        f"day) at this corpus's exchange size and {max(wall, small) / 60:.0f} minutes "
        f"({max(wall, small) / 864:.1f}%) at 2 kB: 32 workers are far more than 1 TB a day "
        f"needs ({needed / per_worker_mb:.2f} of a worker's core on average), and leave room "
        "for peaks, retries and slower storage."
    )
    print(
        "    Not measured here: the workers' speed on small exchanges (this corpus's are large; "
        "per-exchange costs weigh more on 2 kB ones), reading from object storage (each "
        f"worker needs about {per_worker_mb:.0f} MB/s from it), the network between workers "
        "and client, and a remote scheduler (here it shares the client's process)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--payloads", type=int, default=2000)
    parser.add_argument("--megabytes", type=float, default=36.0)
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--skip-openapi-core", action="store_true")
    parser.add_argument("--openapi-core-sample", type=int, default=200)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--dask-repeat", type=int, default=3)
    args = parser.parse_args()

    DATA.mkdir(exist_ok=True)
    corpus = DATA / f"bulk-create-{args.payloads}.jsonl"
    if not corpus.exists():
        build_corpus(corpus, args.payloads, args.megabytes)
    size_mb = corpus.stat().st_size / 1024 / 1024
    print(f"corpus: {corpus.relative_to(ROOT)}: {args.payloads} exchanges, {size_mb:.1f} MB")

    import orjson

    from generator.contract import Contract

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

    warm = DATA / "one-line.jsonl"
    warm.write_bytes(raw[0] + b"\n")
    run_cli(warm, 1)  # writes the bytecode an installed package has
    start_up = timed("apicontract check (CLI, one exchange: start-up)", lambda: run_cli(warm, 1))
    cli1 = timed("apicontract check (CLI, --jobs 1)", lambda: run_cli(corpus, 1))
    cli2 = timed("apicontract check (CLI, --jobs 2)", lambda: run_cli(corpus, 2))
    best = min(cli1.wall, cli2.wall)

    print()
    print(f"  throughput: {args.payloads / best:,.0f} exchanges/s, {size_mb / best:,.1f} MB/s")
    print(
        f"  ratio to orjson floor: {best / floor.wall:.2f}x wall, "
        f"{cli1.cpu / floor.cpu:.2f}x cpu (goal: <= 2x); "
        f"{best / lean.wall:.1f}x parsing without keeping the values"
    )
    print(f"  jsonschema-rs alone: {rs.wall:.3f} s")
    if not args.skip_openapi_core:
        peer, setup, count, verdicts = openapi_core_seconds(corpus, args.openapi_core_sample)
        scale = args.payloads / count
        whole = Timing(setup.wall + peer.wall * scale, setup.cpu + peer.cpu * scale)
        print(
            f"  openapi-core: {peer.wall:.2f} s wall, {peer.cpu:.2f} s cpu for {count} "
            f"exchanges {verdicts}, start-up {setup.wall:.2f} s -> {whole.wall:.1f} s wall, "
            f"{whole.cpu:.1f} s cpu estimated for the corpus"
        )
        print(
            f"  speed-up over openapi-core: {whole.wall / best:,.0f}x wall, "
            f"{whole.cpu / cli1.cpu:,.0f}x cpu, start-up included on both sides  "
            "(goal: >= 100x)"
        )
        ours = max(cli1.cpu - start_up.cpu, 1e-9) / max(args.payloads - 1, 1)
        print(
            f"  per exchange once started: {ours * 1e3:.3f} ms cpu, openapi-core "
            f"{peer.cpu / count * 1e3:.2f} ms: {peer.cpu / count / ours:,.0f}x"
        )
    if not args.skip_dask:
        dask_rows(corpus, args.payloads, args.dask_repeat)
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
        if not args.skip_dask:
            cluster, client = _cluster(2)
            try:
                where = ("--dask", client.scheduler.address, "--partition-size", "16MiB")
                dask_small = peak_rss_mb(small, *where)
                dask_large = peak_rss_mb(large, *where)
            finally:
                client.close()
                cluster.close()
            print(
                f"  peak RSS of the --dask client: {dask_small:.0f} MB on 10 MB, "
                f"{dask_large:.0f} MB on 1 GB (ratio {dask_large / dask_small:.2f}; goal: flat)"
            )


if __name__ == "__main__":
    main()

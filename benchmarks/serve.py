"""Benchmark the fake (`apicontract serve`) against Stoplight Prism mocking the same spec.

    .venv/bin/python benchmarks/serve.py [--seconds 10] [--connections 32]

Both servers get the same load in the same run: 32 concurrent keep-alive connections, each
looping over a create / get / patch mix on the Quickstart spec for a fixed time. Prints
requests/s and p50/p99 latency for each, and the ratios. Prism comes from the npm registry
(`@stoplight/prism-cli`, installed under benchmarks/.data/prism); without npm it is skipped
with a message.

Goals (issue 5): at least Prism's throughput, and p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"
SPEC = ROOT / "specs" / "quickstart" / "fulfillments.yaml"
AUTH = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
BODY = {
    "order_line_item_id": "8ad085e287142db601872469b9ec0944",
    "fulfillment_date": "2024-03-01",
    "quantity": 2,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/fulfillments", headers=AUTH, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not come up")


async def worker(
    client: httpx.AsyncClient, until: float, latencies: list[float], errors: list[int]
) -> None:
    while time.perf_counter() < until:
        start = time.perf_counter()
        created = await client.post("/fulfillments", json=BODY)
        latencies.append(time.perf_counter() - start)
        if created.status_code >= 500:
            errors.append(created.status_code)
        ident = created.json().get("id", "missing") if created.status_code < 300 else "missing"
        start = time.perf_counter()
        got = await client.get(f"/fulfillments/{ident}")
        latencies.append(time.perf_counter() - start)
        if got.status_code >= 500:
            errors.append(got.status_code)
        start = time.perf_counter()
        patched = await client.patch(f"/fulfillments/{ident}", json={"carrier": "UPS"})
        latencies.append(time.perf_counter() - start)
        if patched.status_code >= 500:
            errors.append(patched.status_code)


async def load(url: str, seconds: float, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, headers=AUTH, limits=limits, timeout=30) as client:
        until = time.perf_counter() + seconds
        start = time.perf_counter()
        await asyncio.gather(
            *(worker(client, until, latencies, errors) for _ in range(connections))
        )
        elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "errors": len(errors),
    }


def start(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def prism_binary() -> Path | None:
    prism = DATA / "prism" / "node_modules" / ".bin" / "prism"
    if prism.exists():
        return prism
    if shutil.which("npm") is None:
        return None
    (DATA / "prism").mkdir(parents=True, exist_ok=True)
    print("  (installing @stoplight/prism-cli from the npm registry)")
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "@stoplight/prism-cli"],
        cwd=DATA / "prism",
        capture_output=True,
        text=True,
    )
    return prism if done.returncode == 0 and prism.exists() else None


def report(name: str, result: dict[str, float]) -> None:
    print(
        f"  {name:<10} {result['rps']:9,.0f} req/s   p50 {result['p50']:6.2f} ms   "
        f"p99 {result['p99']:7.2f} ms   {int(result['requests']):,} requests, "
        f"{int(result['errors'])} 5xx"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--db",
        default=str(DATA / "serve-bench.db"),
        help="the fake's SQLite file (`:memory:` leaves out the disk)",
    )
    args = parser.parse_args()
    print(f"load: {args.connections} connections, create/get/patch mix, {args.seconds:g} s each")

    port = free_port()
    fake = start(
        [
            sys.executable,
            "-m",
            "generator",
            "serve",
            str(SPEC),
            "--db",
            args.db,
            "--port",
            str(port),
        ]
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url)
        ours = asyncio.run(load(url, args.seconds, args.connections))
    finally:
        stop(fake)
        if args.db != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(args.db + suffix).unlink(missing_ok=True)
    report("apicontract", ours)

    prism = prism_binary()
    if prism is None:
        print("  prism: skipped (npm or the @stoplight/prism-cli package is unavailable)")
        return
    port = free_port()
    mock = start(
        [
            str(prism),
            "mock",
            str(SPEC),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--errors",
            "false",
        ]
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url)
        theirs = asyncio.run(load(url, args.seconds, args.connections))
    finally:
        stop(mock)
    report("prism", theirs)
    print()
    print(f"  throughput vs prism: {ours['rps'] / theirs['rps']:.2f}x  (goal: >= 1x)")
    print(f"  p99: {ours['p99']:.2f} ms  (goal: < 20 ms)")


if __name__ == "__main__":
    main()

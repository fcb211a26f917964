"""Benchmark the fake (`apicontract serve`) against Stoplight Prism mocking the same spec.

    .venv/bin/python benchmarks/serve.py [--seconds 10] [--connections 32]

Both servers get the same load in the same run: 32 concurrent keep-alive connections over a
create / get / patch mix on the Quickstart spec for a fixed time, driven by wrk when it
is installed (`apt-get install wrk`) and by an httpx load generator otherwise. Prints
requests/s and p50/p99 latency for each, the answers by status, and the ratios. Prism comes
from the npm registry (`@stoplight/prism-cli`, installed under benchmarks/.data/prism);
without npm it is skipped with a message.

The requests spread over 64 bearer tokens per load thread: the fake limits each token to
10,000 requests a minute (its RateLimit-* headers), and past that it would only be measuring
its 429 answers. Any 429 or 5xx in a run is reported.

Goals (issue 5): at least Prism's throughput, and p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from _npm import npm_binary  # benchmarks/ is on sys.path when this script runs

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"
SPEC = ROOT / "specs" / "quickstart" / "fulfillments.yaml"
AUTH = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
TOKENS = 64
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
    client: httpx.AsyncClient,
    until: float,
    latencies: list[float],
    statuses: dict[int, int],
    number: int,
) -> None:
    auth = {"Authorization": f"Bearer bench-{number % TOKENS}"}
    while time.perf_counter() < until:
        start = time.perf_counter()
        created = await client.post("/fulfillments", json=BODY, headers=auth)
        latencies.append(time.perf_counter() - start)
        statuses[created.status_code] = statuses.get(created.status_code, 0) + 1
        ident = created.json().get("id", "missing") if created.status_code < 300 else "missing"
        start = time.perf_counter()
        got = await client.get(f"/fulfillments/{ident}", headers=auth)
        latencies.append(time.perf_counter() - start)
        statuses[got.status_code] = statuses.get(got.status_code, 0) + 1
        start = time.perf_counter()
        patched = await client.patch(
            f"/fulfillments/{ident}", json={"carrier": "UPS"}, headers=auth
        )
        latencies.append(time.perf_counter() - start)
        statuses[patched.status_code] = statuses.get(patched.status_code, 0) + 1


async def load(url: str, seconds: float, connections: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, headers=AUTH, limits=limits, timeout=30) as client:
        until = time.perf_counter() + seconds
        start = time.perf_counter()
        await asyncio.gather(
            *(worker(client, until, latencies, statuses, n) for n in range(connections))
        )
        elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "statuses": statuses,
    }


WRK_SCRIPT = """
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  n = 0
  counts = {}
  ids = {}     -- ids of fulfillments this thread created (the last 1,000)
  known = 0
end
local body = '{"order_line_item_id":"8ad085e287142db601872469b9ec0944",' ..
             '"fulfillment_date":"2024-03-01","quantity":2}'
request = function()
  n = n + 1
  local h = {["Authorization"] = "Bearer bench-" .. id .. "-" .. (n % TOKENS),
             ["Content-Type"] = "application/json"}
  if n % 3 == 1 or known == 0 then return wrk.format("POST", "/fulfillments", h, body) end
  local target = "/fulfillments/" .. ids[(n % math.min(known, 1000)) + 1]
  if n % 3 == 2 then return wrk.format("GET", target, h) end
  return wrk.format("PATCH", target, h, '{"carrier":"UPS"}')
end
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 201 then
    local created = body:match('"id"%s*:%s*"(%w+)"')
    if created then
      ids[(known % 1000) + 1] = created
      known = known + 1
    end
  end
end
done = function(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do
      io.write(string.format("status %d %d\\n", status, count))
    end
  end
end
""".replace("TOKENS", str(TOKENS))


def load_wrk(url: str, seconds: float, connections: int) -> dict[str, Any]:
    """The same mix driven by wrk (C, from Debian's packages): a load generator that is not
    itself the bottleneck. GET and PATCH target fulfillments the same thread created (their ids
    are read from the 201 answers), so every request does real work."""
    script = DATA / "mix.lua"
    script.write_text(WRK_SCRIPT)
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout

    def millis(label: str) -> float:
        found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    statuses: dict[int, int] = {}
    for status, count in re.findall(r"^status (\d+) (\d+)$", out, re.MULTILINE):
        statuses[int(status)] = statuses.get(int(status), 0) + int(count)
    return {
        "requests": float(total.group(1)) if total else 0.0,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": millis("50%"),
        "p99": millis("99%"),
        "statuses": statuses,
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
    return npm_binary("prism", "@stoplight/prism-cli", "prism")


def drive(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """wrk when it is installed (Debian package `wrk`), else the Python load generator, whose
    own ceiling (a few hundred requests/s on 2 cores) then caps both servers alike."""
    if shutil.which("wrk") and not args.python_load:
        return load_wrk(url, args.seconds, args.connections)
    return asyncio.run(load(url, args.seconds, args.connections))


def report(name: str, result: dict[str, Any]) -> None:
    statuses: dict[int, int] = result["statuses"]
    shown = ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items()))
    print(
        f"  {name:<11} {result['rps']:9,.0f} req/s   p50 {result['p50']:6.2f} ms   "
        f"p99 {result['p99']:7.2f} ms   {int(result['requests']):,} requests ({shown})"
    )
    refused = sum(n for status, n in statuses.items() if status == 429 or status >= 500)
    if refused:
        print(f"  {'':<11} warning: {refused:,} answers were 429 or 5xx")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--python-load",
        action="store_true",
        help="use the Python load generator even when wrk is installed",
    )
    parser.add_argument(
        "--db",
        default=str(DATA / "serve-bench.db"),
        help="the fake's SQLite file (`:memory:` leaves out the disk)",
    )
    args = parser.parse_args()
    tool = "wrk" if shutil.which("wrk") and not args.python_load else "httpx (Python)"
    print(
        f"load: {tool}, {args.connections} connections, create/get/patch mix, "
        f"{args.seconds:g} s each"
    )

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
        ours = drive(url, args)
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
        theirs = drive(url, args)
    finally:
        stop(mock)
    report("prism", theirs)
    print()
    print(f"  throughput vs prism: {ours['rps'] / theirs['rps']:.2f}x  (goal: >= 1x)")
    print(f"  p99: {ours['p99']:.2f} ms  (goal: < 20 ms)")


if __name__ == "__main__":
    main()

"""Benchmark how long a fresh fake takes per test: what the `apicontract_fake` pytest fixture
does for each test (build the app over a fresh in-memory store, serve it with uvicorn on a
free port of 127.0.0.1 in a background thread, answer the first request, stop), against
peers started the same way in the same run.

    .venv/bin/python benchmarks/fake_fixture.py [--repeat 30] [--skip-prism]

Rows:

* `apicontract_fake(style="quickstart")` and `apicontract_fake(spec=petstore-expanded)`:
  `first` is the first fake of the process (the spec is loaded, its server package generated
  or read from the cache and imported, its plan and validators built: paid once per test
  session), `per test` the median of the following ones (what every further test pays);
* `bare uvicorn`: a FastAPI app with one route, same server and thread, same first request:
  the floor for any fake served over real HTTP on this stack;
* `prism`: Stoplight Prism (`prism mock SPEC`) started as a process per test, the common
  alternative for a mock of an OpenAPI spec (from the npm registry, installed under
  benchmarks/.data/prism; skipped with a message when npm is unavailable).

Prints milliseconds and the ratio of each fake's per-test time to bare uvicorn and to Prism.
Goal (issue 15): per test well under 100 ms, so a fresh fake per test is affordable.
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _npm import npm_binary  # benchmarks/ is on sys.path when this script runs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.fake.app import SHIPPED, build_app  # noqa: E402
from generator.fake.serve import ThreadServer  # noqa: E402

PETSTORE = ROOT / "tests" / "data" / "public" / "petstore" / "petstore-expanded.yaml"
AUTH = {"Authorization": "Bearer bench"}
#: one client for every run (as a test module would have): its own set-up is not the fake's
CLIENT = httpx.Client(timeout=30)


def fixture_once(spec: Path, style: str | None, path: str) -> float:
    """Seconds from nothing to a fake's first answer, and its stop (as the fixture does)."""
    started = time.perf_counter()
    app = build_app(spec, style, ":memory:")  # type: ignore[arg-type]
    server = ThreadServer(app).start()
    answer = CLIENT.get(server.url + path, headers=AUTH)
    assert answer.status_code == 200, answer.text
    server.stop()
    return time.perf_counter() - started


def bare_once() -> float:
    from fastapi import FastAPI

    started = time.perf_counter()
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    server = ThreadServer(app).start()
    assert CLIENT.get(server.url + "/ping").status_code == 200
    server.stop()
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prism_once(prism: Path) -> float:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(prism), "mock", str(PETSTORE), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if CLIENT.get(f"http://127.0.0.1:{port}/pets", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.005)
        else:
            raise RuntimeError("prism did not answer within 60 s")
        return time.perf_counter() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def measure(run: Callable[[], float], repeat: int) -> tuple[float, float]:
    first = run()
    rest = [run() for _ in range(repeat)]
    return first, statistics.median(rest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--skip-prism", action="store_true")
    args = parser.parse_args()
    rows: dict[str, tuple[float, float]] = {}
    rows["apicontract_fake quickstart"] = measure(
        lambda: fixture_once(SHIPPED["quickstart"], "quickstart", "/fulfillments"), args.repeat
    )
    rows["apicontract_fake petstore"] = measure(
        lambda: fixture_once(PETSTORE, None, "/pets"), args.repeat
    )
    rows["bare uvicorn"] = measure(bare_once, args.repeat)
    prism = None if args.skip_prism else npm_binary("prism", "@stoplight/prism-cli", "prism")
    if prism is not None:
        rows["prism (petstore)"] = measure(lambda: prism_once(prism), max(3, args.repeat // 10))
    print(f"{'what':32} {'first':>10} {'per test':>10}")
    for name, (first, median) in rows.items():
        print(f"{name:32} {first * 1000:8.1f}ms {median * 1000:8.1f}ms")
    bare = rows["bare uvicorn"][1]
    for name in ("apicontract_fake quickstart", "apicontract_fake petstore"):
        ours = rows[name][1]
        line = f"{name}: {ours / bare:.2f}x bare uvicorn"
        if prism is not None:
            line += f", {ours / rows['prism (petstore)'][1]:.3f}x prism"
        print(line)
    if prism is None and not args.skip_prism:
        print("prism: skipped (npm or the @stoplight/prism-cli package is unavailable)")
    worst = max(rows[n][1] for n in rows if n.startswith("apicontract"))
    verdict = "met" if worst < 0.1 else "NOT met"
    print(f"goal: per test under 100 ms: {verdict} ({worst * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""How fast is `apicontract diff`, beside Atlassian's `openapi-diff` (npm) on the same pairs?

    .venv/bin/python benchmarks/diff.py                # Zuora v1, GitHub, Stripe
    .venv/bin/python benchmarks/diff.py --only zuora --repeat 5
    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/diff.py --skip-peer
                                                       # another version of apicontract

A plain script that prints numbers; it is not part of the test suite.

Each pair is a spec and an edited copy of it: the first path removed (operation-removed, breaking),
one value appended to the first enum of components/schemas (a new enum value) and every `maxLength`
of that schema lowered by one. Both sides are written as JSON, so neither tool pays for YAML. The
large specs come from openapi-spec-validator 0.9.0's sdist (test data), fetched with pip into
benchmarks/.data/ by the same code as benchmarks/generate.py. The peer is `openapi-diff` from the
npm registry, installed under benchmarks/.data/openapi-diff; without npm it is skipped with a
message. Figures are the wall clock of a subprocess, best of --repeat, and for apicontract also its
CPU time (user + system, best of --repeat), which a machine busy with other work disturbs far less;
"found" is what each tool reported (apicontract: breaking changes; openapi-diff: its exit code, 1
meaning it found breaking differences). openapi-diff reads OpenAPI 3.0 and Swagger 2.0 only, so it
is run on 3.0 specs. `--skip-peer` times apicontract alone: with PYTHONPATH pointing at another
checkout (the subprocess inherits it), the same pairs time that version, for a before/after
comparison in the same conditions.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import generate as generate_bench  # benchmarks/generate.py (its folder is on sys.path)
import yaml
from _npm import npm_binary

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"
WORK = DATA / "diff"
APICONTRACT = Path(sys.executable).with_name("apicontract")


def load(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=loader)
    assert isinstance(data, dict)
    return data


def edit(spec: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    new = copy.deepcopy(spec)
    done: list[str] = []
    first = next(iter(new.get("paths") or {}), None)
    if first is not None:
        del new["paths"][first]
        done.append(f"removed path {first}")
    for name, schema in ((new.get("components") or {}).get("schemas") or {}).items():
        enum = _first_enum(schema)
        if enum is not None:
            enum.append("zz_added_by_benchmark")
            done.append(f"enum value added in {name}")
            lowered = _lower_max_length(schema)
            if lowered:
                done.append(f"{lowered} maxLength lowered in {name}")
            break
    return new, done


def _first_enum(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        if isinstance(value.get("enum"), list) and all(isinstance(v, str) for v in value["enum"]):
            return value["enum"]  # type: ignore[no-any-return]
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _first_enum(child)
        if found is not None:
            return found
    return None


def _lower_max_length(value: Any) -> int:
    count = 0
    if isinstance(value, dict):
        if isinstance(value.get("maxLength"), int) and value["maxLength"] > 1:
            value["maxLength"] -= 1
            count += 1
        for child in value.values():
            count += _lower_max_length(child)
    elif isinstance(value, list):
        for child in value:
            count += _lower_max_length(child)
    return count


def peer_binary() -> Path | None:
    return npm_binary("openapi-diff", "openapi-diff@0.24.1", "openapi-diff")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], repeat: int, timeout: float) -> tuple[float, float, int | None, str]:
    """Best wall clock and best CPU time (user + system of the subprocess) over `repeat` runs:
    on a machine shared with other work the CPU time moves far less than the wall clock."""
    best, best_cpu, code, output = float("inf"), float("inf"), None, ""
    for _ in range(repeat):
        started, cpu = time.perf_counter(), _children_cpu()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return float("inf"), float("inf"), None, "timeout"
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, _children_cpu() - cpu)
        code, output = done.returncode, done.stdout + done.stderr
    return best, best_cpu, code, output


def pairs(only: set[str], timeout: float) -> list[tuple[str, Path]]:
    wanted: list[tuple[str, Path]] = []
    if "zuora" in only:
        wanted.append(("zuora-v1", ROOT / "specs" / "v1" / "fulfillments.yaml"))
    large = [s for s in generate_bench.LARGE if s.name in only]
    if large:
        generate_bench.fetch(timeout)
    for spec in large:
        path, why = generate_bench.extract(spec)
        if path is None:
            print(f"  {spec.name}: skipped ({why})")
        else:
            wanted.append((spec.name, path))
    return wanted


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--only", action="append", default=[], help="zuora, github, stripe")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180, help="per run, seconds")
    parser.add_argument("--skip-peer", action="store_true", help="time apicontract only")
    args = parser.parse_args()
    only = {n for item in args.only for n in item.split(",") if n} or {"zuora", "github", "stripe"}
    WORK.mkdir(parents=True, exist_ok=True)
    peer = None if args.skip_peer else peer_binary()
    if peer is None and not args.skip_peer:
        print("  openapi-diff: skipped (npm or the openapi-diff package is unavailable)")
    busy = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {busy:.1f} at the start; best of {args.repeat}")
    print(
        f"{'pair':<10} {'edits':<44} {'apicontract':>12} {'cpu':>8} {'found':>9} "
        f"{'openapi-diff':>13} {'found':>9} {'ratio':>6}"
    )
    for name, source in pairs(only, args.timeout):
        spec = load(source)
        new, edits = edit(spec)
        old_path, new_path = WORK / f"{name}-old.json", WORK / f"{name}-new.json"
        old_path.write_text(json.dumps(spec, default=str), encoding="utf-8")
        new_path.write_text(json.dumps(new, default=str), encoding="utf-8")
        ours, ours_cpu, code, output = timed(
            [str(APICONTRACT), "diff", str(old_path), str(new_path), "--format", "json"],
            args.repeat,
            args.timeout,
        )
        try:
            found = str(json.loads(output)["summary"]["breaking"]) + " brk"
        except (ValueError, KeyError):
            found = f"exit {code}"
        theirs_text, their_found, ratio = "-", "-", "-"
        if peer is not None and str(spec.get("openapi", "")).startswith("3.0"):
            theirs, _, their_code, _ = timed(
                [str(peer), str(old_path), str(new_path)], args.repeat, args.timeout
            )
            if their_code is None:
                theirs_text, their_found = f">{args.timeout:.0f} s", "timeout"
            elif their_code in (0, 1):
                theirs_text, their_found = f"{theirs:.2f} s", f"exit {their_code}"
                ratio = f"{ours / theirs:.2f}"
            else:  # a crash (node aborts with -6 when its heap runs out)
                theirs_text, their_found = f"{theirs:.2f} s", f"crash {their_code}"
        print(
            f"{name:<10} {'; '.join(edits)[:44]:<44} {ours:>10.2f} s {ours_cpu:>6.2f} s {found:>9} "
            f"{theirs_text:>13} {their_found:>9} {ratio:>6}"
        )


if __name__ == "__main__":
    main()

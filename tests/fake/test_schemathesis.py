"""schemathesis (a pinned test dependency) fuzzes the live fake of both specs with every check
and every phase, stateful included, and must report no failure.

What the specs say only in words (a gzip body under `content-encoding: gzip`, one request per
`Idempotency-Key`, the business rules whose refusals they document) is taught to schemathesis
by `schemathesis_hooks.py`; the bearer token by `schemathesis.toml`. Slow: about 2 minutes for
Quickstart and 1 for v1 on one core (`pytest -m "not slow"` skips it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.fake.conftest import ROOT
from tests.fake.test_serve_cli import Served

SPECS = {"quickstart": "specs/quickstart/fulfillments.yaml", "v1": "specs/v1/fulfillments.yaml"}
HERE = Path(__file__).parent
PHASES = ("Examples", "Coverage", "Fuzzing", "Stateful")


@pytest.mark.slow
@pytest.mark.parametrize("style", sorted(SPECS))
def test_schemathesis_finds_no_failure(tmp_path: Path, style: str) -> None:
    served = Served(
        "--style", style, "--db", tmp_path / "fake.db", "--token", "t", cache=tmp_path / "cache"
    )  # fmt: skip
    dropped = tmp_path / "dropped.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "SCHEMATHESIS_HOOKS": "tests.fake.schemathesis_hooks",
        "APICONTRACT_DROPPED_LOG": str(dropped),
        "NO_COLOR": "1",
    }
    try:
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                SPECS[style],
                "--url",
                served.url,
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                "20",
                "--seed",
                "20261122",
                # the seed alone decides what is sent: no examples replayed from earlier runs
                # kept in the working copy's .hypothesis/ (a clean clone has none)
                "--generation-database",
                "none",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
        )
    finally:
        served.stop(signal.SIGTERM)
    output = done.stdout
    refusals = Counter(dropped.read_text("utf-8").splitlines()) if dropped.exists() else Counter()
    report = output[-6000:] + done.stderr[-2000:] + f"\ndocumented refusals: {refusals}"
    assert done.returncode == 0, report
    summary = output.split("SUMMARY")[-1]
    for phase in PHASES:  # every phase ran and passed: none skipped as "not applicable"
        assert f"✅ {phase}" in summary, report
    cases = summary.split("Test cases:")[-1]
    assert " passed" in cases and "failed" not in cases and "unique failures" not in cases, report
    # the dropped refusals are only the documented ones, and not what most cases met
    for line in refusals:
        operation, kinds = json.loads(line)
        assert operation and kinds, line
    generated = int(cases.split("generated")[0].split()[-1])
    assert generated >= 500 and sum(refusals.values()) < generated / 10, report


PUBLIC = {
    "petstore-expanded": "tests/data/public/petstore/petstore-expanded.yaml",
    "petstore": "tests/data/public/petstore/petstore.yaml",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_schemathesis_finds_no_failure_on_a_public_spec(tmp_path: Path, name: str) -> None:
    """The generic fake (`serve SPEC` of a spec it has no rules for) under every check and
    every phase, stateful included (schemathesis infers the links from the resources), with
    no hooks: the public specs say nothing in words it would need to be taught."""
    served = Served(PUBLIC[name], cache=tmp_path / "cache")
    try:
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                PUBLIC[name],
                "--url",
                served.url,
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                "30",
                "--seed",
                "20261202",
                "--generation-database",
                "none",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "NO_COLOR": "1"},
        )
    finally:
        served.stop(signal.SIGTERM)
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    summary = done.stdout.split("SUMMARY")[-1]
    # the petstores carry no examples: that phase has nothing to send, every other one ran
    assert "⏭  Examples" in summary or "✅ Examples" in summary, report
    for phase in PHASES[1:]:
        assert f"✅ {phase}" in summary, report
    cases = summary.split("Test cases:")[-1]
    assert " passed" in cases and "failed" not in cases and "unique failures" not in cases, report
    assert int(cases.split("generated")[0].split()[-1]) >= 200, report

"""schemathesis (a pinned test dependency) fuzzes the live fake for both specs with its
response-conformance and status-code checks, and must report no failure."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake.conftest import ROOT
from tests.fake.test_serve_cli import Served

SPECS = {"quickstart": "specs/quickstart/fulfillments.yaml", "v1": "specs/v1/fulfillments.yaml"}


@pytest.mark.parametrize("style", sorted(SPECS))
def test_schemathesis_finds_no_failure(tmp_path: Path, style: str) -> None:
    served = Served(SPECS[style], "--db", tmp_path / "fake.db", cache=tmp_path / "cache")
    try:
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                SPECS[style],
                "--url",
                served.url,
                "--checks",
                "response_schema_conformance,status_code_conformance",
                "--max-examples",
                "10",
                "--seed",
                "20261122",
                "--header",
                "Authorization: Bearer t",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        served.stop(signal.SIGTERM)
    summary = done.stdout[-3000:]
    assert done.returncode == 0, summary + done.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary.split("Test cases:")[-1], summary

"""`check` shows progress on a terminal for any long run (loading the spec included), never on
a pipe or in a file, and never garbles the report it shares a terminal with.

Driven through the real CLI on pseudo-terminals; APICONTRACT_PROGRESS_AFTER=0 makes every run
"long" (the default is one second)."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

QS = str(ROOT / "specs" / "quickstart" / "fulfillments.yaml")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="needs pseudo-terminals"
)


@pytest.fixture
def traffic(tmp_path: Path) -> Path:
    lines = []
    for index in range(400):
        body = {
            "order_line_item_id": f"8ad0{index}",
            "fulfillment_date": "2024-03-01",
            "quantity": "2" if index % 50 == 0 else 2,
        }
        request = {
            "method": "POST",
            "url": "https://rest.apisandbox.zuora.com/v2/fulfillments",
            "headers": {"content-type": "application/json", "authorization": "Bearer x"},
            "body": body,
        }
        lines.append(json.dumps({"request": request}))
    path = tmp_path / "traffic.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _env(tmp_path: Path, after: str = "0") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(
        APICONTRACT_CACHE_DIR=str(tmp_path / "cache"),
        APICONTRACT_PROGRESS_AFTER=after,
        COLUMNS="120",
    )
    return env


def _run(args: list[str], env: dict[str, str], *, stdout_tty: bool, stderr_tty: bool) -> dict:
    """Run the CLI with stdout and/or stderr on one pseudo-terminal; returns what each got."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=follower if stdout_tty else subprocess.PIPE,
        stderr=follower if stderr_tty else subprocess.PIPE,
        env=env,
    )
    os.close(follower)
    terminal = b""
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: the other end is closed
                    break
                if not chunk:
                    break
                terminal += chunk
            elif process.poll() is not None:
                break
        out, err = process.communicate(timeout=120)
    finally:
        os.close(leader)
    return {
        "code": process.returncode,
        "terminal": terminal.decode("utf-8", "replace"),
        "stdout": (out or b"").decode(),
        "stderr": (err or b"").decode(),
    }


def _report_lines(text: str) -> list[str]:
    """What a reader sees once the transient progress line is gone: report lines only."""
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        shown = ANSI.sub("", raw.split("\r")[-1]).rstrip()
        if shown and "checking traffic" not in shown and "loading the spec" not in shown:
            lines.append(shown)
    return lines


def test_progress_and_report_share_a_terminal(tmp_path: Path, traffic: Path) -> None:
    piped = subprocess.run(
        [sys.executable, "-m", "generator", "check", QS, str(traffic)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**_env(tmp_path), "NO_COLOR": "1"},
        check=False,
    )
    seen = _run(["check", QS, str(traffic)], _env(tmp_path), stdout_tty=True, stderr_tty=True)
    assert seen["code"] == piped.returncode == 1
    terminal = seen["terminal"]
    assert "loading the spec" in terminal  # before the first exchange is checked
    assert "checking traffic" in terminal
    assert re.search(r"\d+ exchanges, \d+ findings", ANSI.sub("", terminal))
    # every report line arrives whole, in order, and the progress line is gone at the end
    assert _report_lines(terminal) == [line for line in piped.stdout.splitlines() if line]
    assert ANSI.sub("", terminal).rstrip().endswith("400 exchanges, 392 conforming, 8 findings")


def test_never_on_a_pipe(tmp_path: Path, traffic: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "generator", "check", QS, str(traffic)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == ""
    assert "\x1b" not in done.stdout and "checking traffic" not in done.stdout
    assert done.stdout.rstrip().endswith("400 exchanges, 392 conforming, 8 findings")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_report_in_a_file_progress_on_the_terminal(tmp_path: Path, traffic: Path, fmt: str) -> None:
    report = tmp_path / f"report.{fmt}"
    args = ["check", QS, str(traffic), "--format", fmt, "--output", str(report)]
    seen = _run(args, _env(tmp_path), stdout_tty=False, stderr_tty=True)
    assert seen["code"] == 1
    assert "checking traffic" in seen["terminal"]
    assert seen["stdout"] == ""
    text = report.read_text()
    assert "\x1b" not in text and "checking traffic" not in text
    if fmt == "json":
        assert json.loads(text)["exchanges"] == 400


def test_report_piped_progress_on_the_terminal(tmp_path: Path, traffic: Path) -> None:
    seen = _run(
        ["check", QS, str(traffic), "--format", "json"],
        _env(tmp_path),
        stdout_tty=False,
        stderr_tty=True,
    )
    assert seen["code"] == 1
    assert "checking traffic" in seen["terminal"]
    assert json.loads(seen["stdout"])["conforming"] == 392


def test_short_runs_show_nothing(tmp_path: Path, traffic: Path) -> None:
    seen = _run(
        ["check", QS, str(traffic)], _env(tmp_path, after="600"), stdout_tty=True, stderr_tty=True
    )
    assert seen["code"] == 1
    assert "checking traffic" not in seen["terminal"]
    assert "loading the spec" not in seen["terminal"]

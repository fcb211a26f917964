"""`apicontract check --dask`: the real CLI in a subprocess against Dask clusters on this
machine. Reports equal a local run's byte for byte (JUnit's elapsed time aside); each worker
compiles the spec once; the client keeps a bounded number of pieces in flight; and a worker
killed mid-run loses no exchange and counts none twice."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, CliRunner
from tests.contract.test_check_cli import QS_BAD, QS_GOOD, QS_TEAPOT, jsonl
from tests.contract.test_partition import mixed_traffic

pytestmark = pytest.mark.dask

QS = "specs/quickstart/fulfillments.yaml"
FORMATS = ("text", "json", "junit", "github", "sarif", "html")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two single-threaded worker processes (with nannies, which restart a killed worker)
    and a scheduler in this process."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.CRITICAL,
        ) as local,
        Client(local, set_as_default=False) as client,
    ):
        client.wait_for_workers(2)
        yield client


def address(client: Any) -> str:
    return str(client.scheduler.address)


def same_report(fmt: str, text: str) -> str:
    return re.sub(r' time="[0-9.]+"', ' time="T"', text) if fmt == "junit" else text


def test_reports_equal_a_local_run_in_every_format(
    cli: CliRunner, cluster: Any, tmp_path: Path
) -> None:
    sources = mixed_traffic(tmp_path)  # d.jsonl is empty: --allow-empty, or both refuse it
    refused = [
        cli("check", QS, *sources, *dask)
        for dask in ((), ("--dask", address(cluster), "--partition-size", "300B"))
    ]
    for done in refused:
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr.startswith(f"apicontract check: no exchanges in {sources[3]} ")
    assert refused[0].stdout == refused[1].stdout
    for fmt in FORMATS:
        local = cli("check", QS, *sources, "--format", fmt, "--allow-empty")
        assert local.returncode == 1, local.stderr
        spread = cli(
            "check", QS, *sources, "--format", fmt, "--allow-empty",
            "--dask", address(cluster), "--partition-size", "300B",
        )  # fmt: skip
        assert (spread.returncode, spread.stderr) == (1, ""), spread.stderr
        assert same_report(fmt, spread.stdout) == same_report(fmt, local.stdout), fmt


def test_a_spec_split_over_files_reaches_the_workers(
    cli: CliRunner, cluster: Any, tmp_path: Path
) -> None:
    api = tmp_path / "api"
    (api / "schemas").mkdir(parents=True)
    (api / "schemas" / "thing.yaml").write_text(
        "Thing:\n  type: object\n  required: [name]\n  additionalProperties: false\n"
        "  properties:\n    name: {type: string, maxLength: 5}\n"
    )
    (api / "root.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: things, version: '1'}\npaths:\n  /things:\n"
        "    post:\n      operationId: makeThing\n      requestBody:\n        content:\n"
        "          application/json:\n            schema: {$ref: 'schemas/thing.yaml#/Thing'}\n"
        "      responses:\n        '201': {description: made}\n"
    )
    traffic = tmp_path / "t.jsonl"
    bodies = [{"name": "ok"}, {"name": "far too long"}, {"colour": 1}] * 5
    traffic.write_text(
        jsonl(*({"request": {"method": "POST", "url": "/things", "body": b}} for b in bodies))
    )
    from generator.contract.distributed import SpecBundle
    from generator.contract.run import load_contract

    bundle = SpecBundle.of(load_contract(api / "root.yaml"))
    assert bundle.root == "root.yaml"
    assert sorted(bundle.files) == ["root.yaml", "schemas/thing.yaml"]
    copy = bundle.write(tmp_path / "copy")
    assert copy == tmp_path / "copy" / "root.yaml"
    for name in bundle.files:
        assert (tmp_path / "copy" / name).read_bytes() == (api / name).read_bytes()
    local = cli("check", api / "root.yaml", traffic, "--format", "json")
    assert local.returncode == 1, local.stderr
    spread = cli(
        "check", api / "root.yaml", traffic, "--format", "json",
        "--dask", address(cluster), "--partition-size", "100B",
    )  # fmt: skip
    assert (spread.returncode, spread.stderr) == (1, "")
    assert spread.stdout == local.stdout


def test_local_cluster_globs_and_urls(cli: CliRunner, tmp_path: Path) -> None:
    sources = mixed_traffic(tmp_path)
    expected = cli("check", QS, *sources, "--format", "json", "--allow-empty")
    url = Path(sources[-1]).as_uri()  # file:// through fsspec
    pattern = str(tmp_path / "[abcd].*")  # a.jsonl b.har c.har d.jsonl (empty), sorted
    done = cli(
        "check", QS, pattern, url, "--format", "json", "--output", tmp_path / "r.json",
        "--dask", "local", "--jobs", "2", "--partition-size", "1KB", "--allow-empty",
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (1, ""), done.stderr
    report = (tmp_path / "r.json").read_text()
    url_named = expected.stdout.replace(json.dumps(sources[-1])[1:-1], url)
    assert report == url_named
    # the same patterns and URLs work without Dask
    plain = cli("check", QS, pattern, url, "--format", "json", "--allow-empty")
    assert plain.stdout == report


def test_each_worker_compiles_the_spec_once(cli: CliRunner, cluster: Any, tmp_path: Path) -> None:
    traffic = tmp_path / "t.jsonl"
    traffic.write_text(jsonl(*[QS_BAD, QS_GOOD, QS_TEAPOT] * 40))

    def compiles() -> int:
        from generator.contract import distributed

        return distributed.COMPILES

    before = cluster.run(compiles)
    done = cli(
        "check", QS, traffic, "--dask", address(cluster), "--partition-size", "2KB",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stdout.endswith("120 exchanges, 40 conforming, 240 findings\n")
    after = cluster.run(compiles)
    assert traffic.stat().st_size > 20 * 2000  # dozens of pieces...
    assert {worker: after[worker] - before.get(worker, 0) for worker in after} == {
        worker: 1 for worker in after
    }  # ...and one compilation per worker


def test_the_client_streams_a_bounded_window(cluster: Any, tmp_path: Path) -> None:
    from generator.contract.distributed import Stats, iter_results_dask
    from generator.contract.partition import plan_partitions
    from generator.contract.run import load_contract

    traffic = tmp_path / "t.jsonl"
    traffic.write_text(jsonl(*[QS_BAD, QS_GOOD] * 100))
    contract = load_contract(QS)
    plan = plan_partitions([str(traffic)], 1500)
    assert len(plan) > 40
    stats = Stats()
    results = iter_results_dask(contract, plan, address(cluster), window=3, stats=stats)
    first = next(results)
    assert first.index == 0 and stats.pieces == 1  # streamed: the first piece, not the run
    rest = list(results)
    assert [r.index for r in [first, *rest]] == list(range(200))
    assert stats.pieces == len(plan) and stats.most_in_flight == 3


@pytest.mark.slow
def test_a_killed_worker_loses_and_doubles_nothing(
    cluster: Any, tmp_path: Path, cache_dir: Path
) -> None:
    traffic = tmp_path / "t.jsonl"
    traffic.write_text(jsonl(*[QS_BAD, QS_GOOD] * 1500))
    report = tmp_path / "report.json"
    pids = cluster.run(os.getpid)
    env = {**os.environ, "APICONTRACT_CACHE_DIR": str(cache_dir)}
    command = [
        sys.executable, "-m", "generator", "check", QS, str(traffic), "--format", "json",
        "--output", str(report), "--dask", address(cluster), "--partition-size", "40KB",
    ]  # fmt: skip
    run = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)

    def processing(dask_scheduler: Any) -> dict[str, list[str]]:
        return {
            worker.address: [str(task.key) for task in worker.processing]
            for worker in dask_scheduler.workers.values()
        }

    killed: tuple[str, str] | None = None
    deadline = time.monotonic() + 120
    while killed is None and run.poll() is None and time.monotonic() < deadline:
        for worker, keys in cluster.run_on_scheduler(processing).items():
            ours = [key for key in keys if key.startswith("apicontract-check-")]
            if ours:
                os.kill(pids[worker], signal.SIGKILL)  # the worker process, mid-task
                killed = (worker, ours[0])
                break
        time.sleep(0.01)
    _, errors = run.communicate(timeout=300)
    assert killed is not None, "no piece was ever seen running"
    assert run.returncode == 1, errors

    def story(dask_scheduler: Any, key: str = killed[1]) -> list[tuple[str, str]]:
        return [(str(event[1]), str(event[2])) for event in dask_scheduler.story(key)]

    transitions = cluster.run_on_scheduler(story)
    assert transitions.count(("processing", "memory")) == 1, transitions
    assert ("processing", "released") in transitions  # lost with its worker, then run again

    local = subprocess.run(
        [*command[:8], "--output", str(tmp_path / "local.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert local.returncode == 1, local.stderr
    assert report.read_text() == (tmp_path / "local.json").read_text()
    data = json.loads(report.read_text())
    assert data["exchanges"] == 3000 and data["conforming"] == 1500
    assert sorted({f["exchange"] for f in data["findings"]}) == list(range(0, 3000, 2))


def test_what_cannot_run_on_dask_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    traffic = tmp_path / "t.jsonl"
    traffic.write_text(jsonl(QS_GOOD))
    cases = [
        (["-", "--dask", "local"], "<stdin>: cannot be read by a Dask cluster; give files"),
        (
            [traffic, "--dask", "tcp://127.0.0.1:9", "--jobs", "2"],
            "--jobs sets the workers of --dask local; a cluster has its own",
        ),
        ([traffic, "--dask", "yarn"], "--dask yarn: expected local or tcp://HOST:PORT"),
        ([traffic, "--partition-size", "1MB"], "--partition-size applies to --dask runs"),
        ([tmp_path / "none-*.jsonl"], f"{tmp_path / 'none-*.jsonl'}: matches no file"),
    ]
    for args, message in cases:
        done = cli("check", QS, *args, stdin="")
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr == f"apicontract check: {message}\n", done.stderr


def test_an_unreachable_scheduler_is_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    traffic = tmp_path / "t.jsonl"
    traffic.write_text(jsonl(QS_GOOD))
    done = cli("check", QS, traffic, "--dask", "tcp://127.0.0.1:9", timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "apicontract check: cannot reach the Dask scheduler at tcp://127.0.0.1:9"
    )
    assert "Traceback" not in done.stderr and not (tmp_path / "r.json").exists()


def test_without_dask_installed_the_message_says_what_to_install(tmp_path: Path) -> None:
    traffic = tmp_path / "t.jsonl"
    traffic.write_text(jsonl(QS_GOOD))
    hide = (
        "import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
        "from generator.cli import main; raise SystemExit(main())"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide, "check", QS, str(traffic), "--dask", "local"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("apicontract check: --dask needs Dask and distributed (")
    assert done.stderr.rstrip().endswith("pip install 'apicontract[dask]'")


def test_the_loading_policy_holds_on_the_workers(
    cli: CliRunner, cluster: Any, tmp_path: Path
) -> None:
    """A network `$ref` is refused before any piece is sent; `--allow-remote` reaches the
    workers, which fetch the allowed host themselves; a file outside the folder never leaks;
    an empty recording is exit 2 on Dask too."""
    from tests.spec_policy import BAD_STATE, SECRET, RefServer, make_variants

    server = RefServer()
    try:
        specs = make_variants(tmp_path / "specs", server)
        traffic = tmp_path / "t.jsonl"
        traffic.write_text((json.dumps(BAD_STATE) + "\n") * 20, "utf-8")
        on_dask = ("--dask", address(cluster), "--partition-size", "300B")

        refused = cli("check", specs.remote, traffic, *on_dask)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "error ref-remote-refused:" in refused.stderr and refused.stdout == ""
        assert server.hits == []

        allowed = cli("check", specs.remote, traffic, *on_dask, "--allow-remote", "127.0.0.1")
        assert allowed.returncode == 1, allowed.stdout + allowed.stderr
        assert "20 exchanges, 0 conforming, 20 findings" in allowed.stdout
        # the client once, then each worker that compiles the spec
        assert len(server.hits) >= 2 and set(server.hits) == {"/parts.json"}, server.hits

        secret = cli("check", specs.secret, traffic, *on_dask)
        assert secret.returncode == 2, secret.stdout + secret.stderr
        assert "error ref-outside-root:" in secret.stderr
        assert SECRET not in secret.stdout + secret.stderr

        empty = tmp_path / "empty.jsonl"
        empty.write_text("", "utf-8")
        nothing = cli("check", QS, empty, *on_dask)
        assert nothing.returncode == 2, nothing.stdout + nothing.stderr
        assert f"no exchanges in {empty}" in nothing.stderr
        assert cli("check", QS, empty, *on_dask, "--allow-empty").returncode == 0
    finally:
        server.close()

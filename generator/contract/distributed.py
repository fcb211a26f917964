"""`apicontract check --dask local|tcp://HOST:PORT`: the check spread over a Dask cluster.

    results = iter_results_dask(contract, plan, "local", workers=2)

The client cuts the traffic into pieces (generator.contract.partition), ships the spec to the
workers once (a worker plugin: each worker, and any worker that joins or restarts, compiles it
once when it starts), and keeps a bounded number of pieces in flight. Results come back one
piece at a time, in input order, and are released as soon as they are reported, so the
client's memory holds a piece, not the run. A piece is a pure function of its byte range, so
when a worker dies the scheduler simply runs its pieces again elsewhere: nothing is lost or
counted twice, since the client takes exactly one result per piece.

`local` starts a LocalCluster on this machine (one single-threaded worker process per job);
`tcp://...` uses a running scheduler, whose workers need apicontract installed and must be
able to open the traffic (a shared path, or a URL such as s3://).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from distributed import Client, Future, LocalCluster, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from generator.contract.check import Contract
from generator.contract.findings import ExchangeResult
from generator.contract.partition import (
    ClusterError,
    Partition,
    PartitionResult,
    Reassembly,
    check_partition,
)
from generator.contract.traffic import TrafficError, display_name

#: seconds to keep trying a scheduler that does not answer
CONNECT_TIMEOUT = 10
#: contracts compiled on this worker process, by plugin name
_CONTRACTS: dict[str, Contract] = {}
#: how many times this process compiled a spec (tests read it through client.run)
COMPILES = 0

__all__ = ["COMPILES", "SpecBundle", "Stats", "iter_results_dask"]


class PieceError(Exception):
    """A worker could not read its piece: args are (source, message), so it pickles."""


@dataclass(frozen=True)
class SpecBundle:
    """The spec and every local file its `$ref`s reach, as bytes, relative to its folder."""

    root: str
    files: dict[str, bytes] = field(repr=False)

    @classmethod
    def of(cls, contract: Contract) -> SpecBundle:
        workspace = contract.bundle.original  # the files as written, not the bundle
        base = workspace.root_dir
        files: dict[str, bytes] = {}
        root = ""
        for uri, document in workspace.documents.items():
            if not uri.startswith("file:"):
                continue
            path = Path(url2pathname(urlsplit(uri).path))
            relative = path.resolve().relative_to(base).as_posix()
            files[relative] = document.text.encode("utf-8")
            if document is workspace.root:
                root = relative
        return cls(root, files)

    def write(self, folder: Path) -> Path:
        """The files under `folder` (never outside it); returns the root spec's path."""
        for relative, data in self.files.items():
            target = (folder / relative).resolve()
            if not target.is_relative_to(folder.resolve()):
                raise ValueError(f"{relative}: outside the spec's folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return folder / self.root


class ContractPlugin(WorkerPlugin):
    """Compiles the spec once when a worker starts (or joins, or restarts)."""

    def __init__(self, name: str, bundle: SpecBundle, allow_remote: tuple[str, ...] = ()) -> None:
        self.name = name
        self.bundle = bundle
        #: hosts the spec's `$ref`s may be fetched from (the loading policy holds on workers)
        self.allow_remote = allow_remote
        self.folder: Path | None = None

    def setup(self, worker: Any) -> None:
        global COMPILES
        from generator.contract.run import load_contract

        self.folder = Path(tempfile.mkdtemp(prefix="apicontract-spec-"))
        path = self.bundle.write(self.folder)
        _CONTRACTS[self.name] = load_contract(path, self.allow_remote)
        COMPILES += 1

    def teardown(self, worker: Any) -> None:
        _CONTRACTS.pop(self.name, None)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def check_piece(plugin: str, part: Partition) -> PartitionResult:
    """The task: one piece checked against the worker's compiled spec."""
    contract = _CONTRACTS.get(plugin)
    if contract is None:
        worker = get_worker()
        raise RuntimeError(f"the spec is not compiled on worker {worker.address}")
    try:
        return check_partition(contract, part)
    except TrafficError as exc:
        raise PieceError(exc.source, exc.message) from None


def _connect(address: str, workers: int) -> tuple[Client, LocalCluster | None]:
    if address == "local":
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # its HTTP server always runs: no fixed port
            silence_logs=logging.CRITICAL,  # failures reach the client as exceptions
        )
        try:
            return Client(cluster, set_as_default=False), cluster
        except BaseException:
            cluster.close()
            raise
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False), None
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


@dataclass
class Stats:
    """What the run did, for tests and benchmarks."""

    pieces: int = 0
    most_in_flight: int = 0
    threads: int = 0
    #: CPU seconds the workers' checking threads spent on the pieces
    worker_cpu: float = 0.0


def iter_results_dask(
    contract: Contract,
    plan: Sequence[Partition],
    address: str,
    *,
    workers: int = 1,
    window: int | None = None,
    stats: Stats | None = None,
    allow_remote: tuple[str, ...] = (),
    seen: dict[str, int] | None = None,
) -> Iterator[ExchangeResult]:
    """Every exchange of `plan` checked on the cluster at `address` ("local" starts one with
    `workers` processes), in input order. At most `window` pieces are in flight (default:
    twice the cluster's threads, at least 4); `seen`, when given, counts the exchanges read
    from each source (by display name), as a local run does. Raises ClusterError or
    TrafficError."""
    stats = stats if stats is not None else Stats()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    client, cluster = _connect(address, workers)
    run = uuid.uuid4().hex[:12]
    plugin = f"apicontract-{run}"
    pending: deque[tuple[Partition, Future[PartitionResult]]] = deque()
    try:
        try:
            client.register_plugin(
                ContractPlugin(plugin, SpecBundle.of(contract), allow_remote), name=plugin
            )
        except Exception as exc:
            raise ClusterError(
                f"the workers cannot load the spec ({type(exc).__name__}: {exc}); "
                "they need apicontract installed"
            ) from None
        stats.threads = sum(client.nthreads().values())
        limit = window if window is not None else max(4, 2 * stats.threads)
        reassembly = Reassembly(contract)
        parts = iter(plan)

        def submit() -> None:
            part = next(parts, None)
            if part is not None:
                key = f"apicontract-check-{run}-{part.number}"
                pending.append((part, client.submit(check_piece, plugin, part, key=key)))
                stats.most_in_flight = max(stats.most_in_flight, len(pending))

        for _ in range(limit):
            submit()
        while pending:
            part, future = pending.popleft()
            try:
                piece: PartitionResult = future.result()
            except PieceError as exc:
                raise TrafficError(*exc.args) from None
            except Exception as exc:
                raise ClusterError(
                    f"the cluster failed on {part.source} (bytes {part.start}-{part.end}): "
                    f"{type(exc).__name__}: {exc}"
                ) from None
            future.release()
            del future
            submit()
            stats.pieces += 1
            stats.worker_cpu += piece.cpu
            if seen is not None:
                name = display_name(part.source)
                seen[name] = seen.get(name, 0) + piece.items
            yield from reassembly.results(part, piece)
    finally:
        if pending:
            client.cancel([future for _, future in pending])
            pending.clear()
        try:
            client.unregister_worker_plugin(plugin)
        except Exception:  # workers gone or plugin never registered: nothing to undo
            pass
        client.close()
        if cluster is not None:
            cluster.close()

"""The streaming runner behind `apicontract check`: traffic files -> results -> a report, in
constant memory, in input order, on one process, several (`--jobs`), or a Dask cluster
(`--dask`, generator.contract.distributed).

    counts = Counts()
    for result in iter_results("specs/v1/fulfillments.yaml", ["traffic.har"], jobs=4,
                               counts=counts):
        ...
    counts.findings

`iter_results` fails early (before yielding anything) when the spec or a traffic file cannot be
read; `run_check` is the whole command: results written as a report, the counts returned.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, TextIO, cast

from generator.contract.check import Contract
from generator.contract.exchange import Exchange, InvalidInput
from generator.contract.findings import ContractFinding, ExchangeResult, Kind, Part
from generator.contract.partition import DEFAULT_PARTITION_SIZE, ClusterError
from generator.contract.sources import expand_sources
from generator.contract.traffic import (
    RawItem,
    TrafficError,
    check_sources,
    decode,
    display_name,
    read_raw,
)
from generator.findings import Finding, InputError, Severity, UnusableSpec
from generator.report.check import Counts, make_reporter
from generator.report.output import OutputError, isatty, open_report

BATCH_SIZE = 256
PROGRESS_AFTER = 1.0  # seconds
_ABOVE_EVERY = 0.1  # seconds between prints of report lines above the progress line

__all__ = [
    "BATCH_SIZE",
    "CheckError",
    "Counts",
    "check_one",
    "invalid_result",
    "iter_results",
    "load_contract",
    "run_check",
]


class CheckError(Exception):
    """The run cannot happen or finish (exit code 2): the message names the file."""


# -- one exchange ------------------------------------------------------------------------------
def load_contract(path: str | Path, allow_remote: Sequence[str] = ()) -> Contract:
    """Contract.load, also turning a document the compiler cannot make sense of into an
    InputError (exit 2) rather than a traceback. Lint the spec for everything else."""
    contract_or_error: Contract
    try:
        contract_or_error = Contract.load(path, allow_remote=allow_remote)
    except InputError:
        raise
    except Exception as exc:
        message = f"not a usable OpenAPI document ({type(exc).__name__}: {exc})"
        raise InputError(
            Finding(str(path), 1, 1, "", Severity.ERROR, "openapi-version", message)
        ) from None
    return contract_or_error


def invalid_result(item: InvalidInput) -> ExchangeResult:
    """A malformed line or entry as a result with one invalid_input finding."""
    finding = ContractFinding(
        exchange=item.index,
        operation=None,
        location="request",
        part=Part.OPERATION,
        pointer="",
        kind=Kind.INVALID_INPUT,
        expected=item.extra.get("expected", "an HTTP exchange"),
        actual=item.line,
        message=item.message,
        schema_pointer="",
    )
    where = str(item.extra.get("where") or item.source or "input")
    return ExchangeResult(item.index, "", where, None, None, [finding])


def check_one(contract: Contract, item: Exchange | InvalidInput) -> ExchangeResult:
    """Check one exchange; a malformed one, or one the engine fails on, becomes a finding and
    the run goes on."""
    if isinstance(item, InvalidInput):
        return invalid_result(item)
    try:
        return contract.check(item)
    except Exception as exc:  # an engine bug must not end a long run
        request = item.request
        finding = ContractFinding(
            item.index,
            None,
            "request",
            Part.OPERATION,
            "",
            Kind.OTHER,
            "a checkable exchange",
            None,
            f"the checker failed on this exchange ({type(exc).__name__}: {exc})",
            "",
        )
        status = item.response.status if item.response else None
        return ExchangeResult(
            item.index, request.method.upper(), request.url, None, status, [finding]
        )


# -- many exchanges ----------------------------------------------------------------------------
def iter_results(
    contract_path: str | Path,
    sources: Sequence[str],
    jobs: int = 1,
    *,
    counts: Counts | None = None,
    batch_size: int = BATCH_SIZE,
    contract: Contract | None = None,
    allow_remote: Sequence[str] = (),
    seen: dict[str, int] | None = None,
) -> Iterator[ExchangeResult]:
    """Every exchange of `sources` (HAR or JSONL files or URLs, `-` for stdin) checked
    against the spec, in input order. `jobs` > 1 spreads the checking over that many
    processes (0: one per CPU). `counts`, when given, is kept up to date as results are
    yielded, and so is `seen`, the number of exchanges read so far from each source (by
    display name); `contract`, when given, is `contract_path` already loaded;
    `allow_remote` names the hosts the spec's `$ref`s may be fetched from.

    Raises InputError (spec) or TrafficError (a source) right away, before anything is read,
    when an input cannot be opened; TrafficError later if a source fails while being read.
    """
    if contract is None:
        contract = load_contract(contract_path, allow_remote)
    check_sources(sources)
    items = read_raw(sources)
    if seen is not None:
        items = _tallied(items, seen)
    if jobs == 0:
        jobs = os.cpu_count() or 1
    if jobs <= 1:
        results: Iterator[ExchangeResult] = (check_one(contract, decode(i)) for i in items)
    else:
        results = _parallel(str(contract_path), tuple(allow_remote), items, jobs, batch_size)
    return results if counts is None else _counted(results, counts)


def _tallied(items: Iterable[RawItem], seen: dict[str, int]) -> Iterator[RawItem]:
    for item in items:
        seen[item.source] = seen.get(item.source, 0) + 1
        yield item


def _counted(results: Iterator[ExchangeResult], counts: Counts) -> Iterator[ExchangeResult]:
    try:
        for result in results:
            counts.add(result)
            yield result
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()


_WORKER_CONTRACT: Contract | None = None


def _init_worker(contract_path: str, allow_remote: tuple[str, ...]) -> None:
    global _WORKER_CONTRACT
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
    _WORKER_CONTRACT = load_contract(contract_path, allow_remote)


def _check_batch(items: list[RawItem]) -> list[ExchangeResult]:
    contract = _WORKER_CONTRACT
    assert contract is not None, "worker not initialised"
    return [check_one(contract, decode(item)) for item in items]


def _pool_context() -> Any:
    if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    return None


def _parallel(
    contract_path: str,
    allow_remote: tuple[str, ...],
    items: Iterable[RawItem],
    jobs: int,
    batch_size: int,
) -> Iterator[ExchangeResult]:
    """Batches go to `jobs` processes, at most 2 * jobs of them in flight; results come back
    in input order. The parent only cuts the input; workers parse and check."""
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_pool_context(),
        initializer=_init_worker,
        initargs=(contract_path, allow_remote),
    )
    pending: deque[Future[list[ExchangeResult]]] = deque()
    source = iter(items)
    try:
        while batch := list(islice(source, batch_size)):
            pending.append(pool.submit(_check_batch, batch))
            while len(pending) >= 2 * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# -- the command -------------------------------------------------------------------------------
def spec_error(exc: InputError) -> str:
    if isinstance(exc, UnusableSpec):
        count = len(exc.findings)
        head = (
            f"{exc.finding.file}: the spec cannot be used for checking "
            f"({count} problem{'s' if count != 1 else ''}; nothing was read):"
        )
        return "\n".join([head, *(f.render() for f in exc.findings)])
    finding = exc.finding
    where = finding.file
    if (finding.line, finding.column) != (1, 1):
        where += f":{finding.line}:{finding.column}"
    return f"{where}: {finding.message}"


def _color_wanted(stream: TextIO) -> bool:
    return isatty(stream) and not os.environ.get("NO_COLOR")


class _Progress:
    """Progress of a `check` run on a terminal: never on a pipe or in a file.

    It appears once the run has lasted `after` seconds, whatever the run is doing then (loading
    and compiling the spec, reading traffic, checking), and is gone when the run ends. When the
    report itself goes to the same terminal, its lines are printed above the progress line
    (through `above`), so the two never garble each other."""

    def __init__(self, stream: TextIO | None, after: float) -> None:
        self.stream = stream
        self.lock = threading.RLock()
        self.phase = "loading the spec"
        self.counts = Counts()
        self.progress: Any = None
        self.task: Any = None
        self.stopped = stream is None
        self.at_line_start = True
        self.timer: threading.Timer | None = None
        self.writers: list[_AboveProgress] = []
        if stream is not None:
            self._schedule(after)

    def _schedule(self, delay: float) -> None:
        self.timer = threading.Timer(delay, self._start)
        self.timer.daemon = True
        self.timer.start()

    def _start(self) -> None:
        with self.lock:
            if self.stopped or self.progress is not None:
                return
            if not self.at_line_start:  # the report is half-way through a line: wait for it
                self._schedule(0.05)
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.fields[phase]}"),
                BarColumn(),
                TextColumn("{task.completed} exchanges, {task.fields[findings]} findings"),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self.task = self.progress.add_task(
                "check",
                total=None,
                phase=self.phase,
                completed=self.counts.exchanges,
                findings=self.counts.findings,
            )
            self.progress.start()

    @property
    def active(self) -> bool:
        return self.progress is not None

    def set_phase(self, phase: str) -> None:
        with self.lock:
            self.phase = phase
            if self.progress is not None:
                self.progress.update(self.task, phase=phase)

    def update(self, counts: Counts) -> None:
        if self.stopped:
            return
        self.counts = counts
        if self.progress is not None:
            self.progress.update(self.task, completed=counts.exchanges, findings=counts.findings)

    def above(self, out: TextIO) -> TextIO:
        """`out`, written above the progress line while it is shown."""
        return cast(TextIO, _AboveProgress(self, out))

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            if self.timer is not None:
                self.timer.cancel()
            if self.progress is not None:
                for writer in self.writers:
                    writer.print_above()
                self.progress.stop()
                self.progress = None


class _AboveProgress(io.TextIOBase):
    """A report stream sharing its terminal with the progress line: while the line is shown,
    complete lines are printed above it (ANSI colours kept); otherwise writes pass through."""

    def __init__(self, progress: _Progress, out: TextIO) -> None:
        self.progress = progress
        self.out = out
        self.pending = ""
        self.printed = 0.0
        progress.writers.append(self)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self.progress.lock:
            if not self.progress.active:
                self._drain()
                self.out.write(text)
            else:
                self.pending += text
                if time.monotonic() - self.printed >= _ABOVE_EVERY:
                    self.print_above()
            if text:
                self.progress.at_line_start = (self.pending or text).endswith("\n")
        return len(text)

    def print_above(self) -> None:
        """Print the complete lines held so far above the progress line: a few times a second,
        as one block (each print redraws the progress line)."""
        complete, newline, self.pending = self.pending.rpartition("\n")
        self.printed = time.monotonic()
        if newline and self.progress.progress is not None:
            from rich.text import Text

            self.progress.progress.console.print(
                Text.from_ansi(complete),
                soft_wrap=True,
                highlight=False,
                markup=False,
                emoji=False,
            )

    def _drain(self) -> None:
        if self.pending:
            self.out.write(self.pending)
            self.pending = ""

    def flush(self) -> None:
        with self.progress.lock:
            if not self.progress.active:
                self._drain()
            self.out.flush()


def _same_terminal(one: Any, other: Any) -> bool:
    try:
        return os.path.samestat(os.fstat(one.fileno()), os.fstat(other.fileno()))
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return False


def _progress_after() -> float:
    """Seconds before the progress line appears (APICONTRACT_PROGRESS_AFTER, default 1)."""
    raw = os.environ.get("APICONTRACT_PROGRESS_AFTER", "")
    try:
        return max(0.0, float(raw)) if raw else PROGRESS_AFTER
    except ValueError:
        return PROGRESS_AFTER


def _dask_results(
    contract: Contract,
    sources: Sequence[str],
    address: str,
    jobs: int | None,
    partition_size: int,
    allow_remote: Sequence[str] = (),
    seen: dict[str, int] | None = None,
) -> Iterator[ExchangeResult]:
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise CheckError(
            f"--dask needs Dask and distributed ({exc}): pip install 'apicontract[dask]'"
        ) from None
    from generator.contract.distributed import iter_results_dask
    from generator.contract.partition import plan_partitions

    if address != "local" and not address.startswith(("tcp://", "tls://")):
        raise CheckError(f"--dask {address}: expected local or tcp://HOST:PORT")
    if address != "local" and jobs is not None:
        raise CheckError("--jobs sets the workers of --dask local; a cluster has its own")
    workers = jobs if jobs else (os.cpu_count() or 1)
    plan = plan_partitions(sources, partition_size)
    return iter_results_dask(
        contract, plan, address, workers=workers, allow_remote=tuple(allow_remote), seen=seen
    )


def run_check(
    spec: str | Path,
    sources: Sequence[str],
    *,
    fmt: str = "text",
    jobs: int | None = None,
    output: str | None = None,
    dask: str | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    allow_remote: Sequence[str] = (),
    allow_empty: bool = False,
) -> Counts:
    """`apicontract check`: check every exchange, write the report to `output` (atomically) or
    stdout, and return the counts. `jobs` processes here (default 1), or a Dask cluster at
    `dask` ("local": one started here with `jobs` workers, default one per CPU). Raises
    CheckError when an input cannot be read, the cluster fails, or the report cannot be
    written."""
    from generator.report.check.annotate import spec_locator

    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    counts = Counts()
    seen: dict[str, int] = {}
    to_terminal = output is None and isatty(stdout)
    # progress is diagnostic output: only when stderr is a terminal. When the report goes to
    # that same terminal, both are drawn through stdout, the report above the progress line.
    shared = to_terminal and isatty(stderr) and _same_terminal(stdout, stderr)
    shown_on = stdout if shared else stderr if isatty(stderr) else None
    progress = _Progress(shown_on, _progress_after())
    results: Iterator[ExchangeResult] | None = None
    try:
        try:
            contract = load_contract(spec, allow_remote)
        except InputError as exc:
            raise CheckError(spec_error(exc)) from None
        for problem in contract.problems:  # what the spec gets wrong, once, before any exchange
            print(problem.render(), file=stderr)
        files = expand_sources(sources)
        if dask is not None:
            check_sources(files)
            results = _counted(
                _dask_results(contract, files, dask, jobs, partition_size, allow_remote, seen),
                counts,
            )
        else:
            results = iter_results(
                spec,
                files,
                1 if jobs is None else jobs,
                counts=counts,
                contract=contract,
                allow_remote=allow_remote,
                seen=seen,
            )
        progress.set_phase("checking traffic")
        with open_report(output, fmt, stdout) as out:
            writer = progress.above(out) if shared else out
            reporter = make_reporter(
                fmt,
                writer,
                spec=str(spec),
                color=output is None and _color_wanted(stdout),
                locate=spec_locator(contract),
            )
            for result in results:
                reporter.add(result)
                progress.update(counts)
            progress.stop()
            reporter.finish(counts)
            writer.flush()
            names = list(dict.fromkeys(map(display_name, files)))
            empty = [name for name in names if not seen.get(name)]
            if empty and not allow_empty:
                raise CheckError(
                    f"no exchanges in {', '.join(empty)} (an empty recording; "
                    "pass --allow-empty to accept it)"
                )
    except TrafficError as exc:
        raise CheckError(str(exc)) from None
    except (OutputError, ClusterError) as exc:
        raise CheckError(str(exc)) from None
    finally:
        progress.stop()
        close = getattr(results, "close", None)
        if close is not None:
            close()
    return counts

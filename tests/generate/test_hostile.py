"""Hostile specs: spec text never becomes code.

Every spec under `hostile/` puts attacker-style text where a spec allows text: triple quotes,
backslashes, newlines followed by statements, Jinja syntax, control and bidi characters, Python
keywords and builtins as names, `../` and absolute paths as names, non-ASCII names, leading
digits and names that collide after normalisation. `@MARKER@` in a spec is replaced by a file
path the test watches: if any payload ever ran, that file would exist.

For each spec the real CLI generates a package (in a subprocess, with its own working folder,
temporary folder and cache), and the test proves: exit 0; every generated file compiles; the
package imports (client, models and, with FastAPI, the server) in a fresh interpreter and every
name its annotations use resolves, without running anything; no file appears anywhere but in
the output package; `ruff check --isolated` is clean; no invisible character reaches the source.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliRunner

HOSTILE = Path(__file__).resolve().with_name("hostile")
CORPUS = sorted(p.name for p in HOSTILE.iterdir() if p.suffix in (".yaml", ".json"))
PACKAGE = "pkg"
HAS_FASTAPI = importlib.util.find_spec("fastapi") is not None
#: what one generated package holds (server.py and its runtime only when its template exists)
EXPECTED_FILES = {
    ".apicontract-manifest.json",
    "__init__.py",
    "_runtime.py",
    "client.py",
    "models",
    "py.typed",
}
#: places a `../` or absolute name could reach if it were ever used as a path
OUTSIDE = [Path("/abs"), Path("/evil"), Path("/etc/passwd.py"), ROOT / "evil", ROOT.parent / "evil"]

MINIMAL = """\
openapi: 3.1.0
info: {title: minimal, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
components:
  schemas:
    Thing: {type: object, properties: {name: {type: string}}}
"""

# Imports the package in a fresh interpreter and touches everything that is evaluated lazily:
# every annotation of every client method and keyword-argument `TypedDict` (so a name that
# does not exist fails here), a client instance, and the server app when FastAPI is installed.
IMPORT_CHECK = textwrap.dedent(
    """
    import importlib.util, inspect, pathlib, typing
    import pkg, pkg.client, pkg.models
    for cls in (pkg.client.Client, pkg.client.AsyncClient):
        for name, member in vars(cls).items():
            if inspect.isfunction(member):
                typing.get_type_hints(member)
    for value in vars(pkg.client).values():
        if typing.is_typeddict(value):  # the keyword arguments of each operation
            typing.get_type_hints(value)
    client = pkg.client.Client(base_url="http://localhost:9")
    for name, member in vars(pkg.client.Client).items():
        if inspect.isfunction(member) and not name.startswith("_"):
            # an operation named like an attribute the runtime sets would be shadowed by it
            assert inspect.ismethod(getattr(client, name)), name
    client.close()
    for value in vars(pkg.models).values():
        if isinstance(value, type) and value.__module__ == "pkg.models":
            if hasattr(value, "model_fields"):
                assert isinstance(value.model_fields, dict)
    if importlib.util.find_spec("fastapi") and pathlib.Path("pkg/server.py").is_file():
        import pkg.server
        pkg.server.create_app(object())
        print("server imported")
    print("import ok")
    """
)


# -- helpers -------------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under `root` (not following symlinks): files by content digest, folders and
    symlinks by kind and target."""
    entries: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in dirs:
            path = base / name
            rel = path.relative_to(root).as_posix()
            entries[rel] = f"link:{os.readlink(path)}" if path.is_symlink() else "dir"
        for name in files:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                entries[rel] = f"link:{os.readlink(path)}"
            else:
                entries[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def outside_state() -> dict[Path, bool]:
    return {p: p.exists() for p in OUTSIDE}


def isolated_env(root: Path, **extra: str) -> dict[str, str]:
    (root / "tmp").mkdir(exist_ok=True)
    return {
        **os.environ,
        "APICONTRACT_CACHE_DIR": str(root / "cache"),
        "NO_COLOR": "1",
        "TMPDIR": str(root / "tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def run_cli(root: Path, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The real CLI, as `cli` runs it, but with the working folder, temporary folder and cache
    all inside `root`, so the snapshot of `root` sees every file it could write."""
    (root / "work").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=root / "work",
        capture_output=True,
        text=True,
        timeout=180,
        env=isolated_env(root, **env),
    )


def import_package(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = isolated_env(root)
    env["PYTHONPATH"] = str(out)
    return subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def ruff_check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "."],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def python_files(package: Path) -> Iterator[Path]:
    return iter(sorted(package.glob("*.py")))


# -- the corpus, generated once ------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    root: Path
    out: Path
    marker: Path
    generate: subprocess.CompletedProcess[str]
    imported: subprocess.CompletedProcess[str] | None
    written: set[str]  # entries of `root` the generation changed
    touched_by_import: set[str]  # entries of `root` the import changed
    outside_before: dict[Path, bool]
    outside_after: dict[Path, bool]

    @property
    def package(self) -> Path:
        return self.out / PACKAGE


def _prepare(name: str, root: Path) -> Path:
    """The spec with its marker pointing into `root` (which the payloads must never create)."""
    for folder in ("spec", "out", "work", "tmp"):
        (root / folder).mkdir()
    text = (HOSTILE / name).read_text("utf-8")
    spec = root / "spec" / name
    spec.write_text(text.replace("@MARKER@", str(root / "PWNED")), "utf-8")
    return spec


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    roots = {name: tmp_path_factory.mktemp(Path(name).stem) for name in CORPUS}
    specs = {name: _prepare(name, roots[name]) for name in CORPUS}
    before = {name: snapshot(roots[name]) for name in CORPUS}
    outside_before = outside_state()

    def generate(name: str) -> subprocess.CompletedProcess[str]:
        root = roots[name]
        return run_cli(root, "generate", specs[name], "--out", root / "out", "--package", PACKAGE)

    with ThreadPoolExecutor(max_workers=len(CORPUS)) as pool:
        generated = dict(zip(CORPUS, pool.map(generate, CORPUS), strict=True))
    middle = {name: snapshot(roots[name]) for name in CORPUS}

    def do_import(name: str) -> subprocess.CompletedProcess[str] | None:
        if generated[name].returncode != 0:
            return None
        return import_package(roots[name], roots[name] / "out")

    with ThreadPoolExecutor(max_workers=len(CORPUS)) as pool:
        imported = dict(zip(CORPUS, pool.map(do_import, CORPUS), strict=True))
    outside_after = outside_state()
    return {
        name: Outcome(
            name=name,
            root=roots[name],
            out=roots[name] / "out",
            marker=roots[name] / "PWNED",
            generate=generated[name],
            imported=imported[name],
            written=changed(before[name], middle[name]),
            touched_by_import=changed(middle[name], snapshot(roots[name])),
            outside_before=outside_before,
            outside_after=outside_after,
        )
        for name in CORPUS
    }


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS) >= 6, CORPUS
    for name in CORPUS:
        text = (HOSTILE / name).read_text("utf-8")
        assert text.startswith(("#", "{")), f"{name}: say what the spec attacks"


@pytest.mark.parametrize("name", CORPUS)
def test_generates(corpus: dict[str, Outcome], name: str) -> None:
    outcome = corpus[name]
    result = outcome.generate
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    files = {p.name for p in outcome.package.iterdir()}
    assert EXPECTED_FILES <= files <= EXPECTED_FILES | {"server.py", "_server_runtime.py"}, files
    assert ("server.py" in files) == ("_server_runtime.py" in files), files


@pytest.mark.parametrize("name", CORPUS)
def test_every_file_compiles(corpus: dict[str, Outcome], name: str) -> None:
    package = corpus[name].package
    for path in python_files(package):
        source = path.read_text("utf-8")
        ast.parse(source, str(path))
        # `compile` also catches what the parser lets through: duplicate arguments, a
        # `nonlocal` at module level, `return` outside a function...
        compile(source, str(path), "exec", dont_inherit=True)


@pytest.mark.parametrize("name", CORPUS)
def test_no_invisible_characters(corpus: dict[str, Outcome], name: str) -> None:
    """Control and bidi-format characters ("Trojan Source") only ever appear escaped."""
    for path in python_files(corpus[name].package):
        for number, line in enumerate(path.read_text("utf-8").split("\n"), 1):
            bad = sorted({f"U+{ord(c):04X}" for c in line if not c.isprintable()})
            assert not bad, f"{path.name}:{number}: {bad}"


@pytest.mark.parametrize("name", CORPUS)
def test_import_runs_nothing(corpus: dict[str, Outcome], name: str) -> None:
    outcome = corpus[name]
    imported = outcome.imported
    assert imported is not None, "not generated"
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "import ok" in imported.stdout
    if HAS_FASTAPI and (outcome.package / "server.py").is_file():
        assert "server imported" in imported.stdout
    assert not outcome.marker.exists(), "a payload from the spec ran"
    assert not outcome.touched_by_import, sorted(outcome.touched_by_import)


@pytest.mark.parametrize("name", CORPUS)
def test_writes_only_the_package(corpus: dict[str, Outcome], name: str) -> None:
    outcome = corpus[name]
    allowed = ("out/pkg/", "cache/")
    strays = sorted(
        entry
        for entry in outcome.written
        if entry not in ("out/pkg", "cache") and not entry.startswith(allowed)
    )
    assert not strays, f"files written outside the package: {strays}"
    assert not outcome.marker.exists()
    assert not any((outcome.root / "tmp").iterdir()), "temporary files left behind"
    assert not any((outcome.root / "work").iterdir()), "files written in the working folder"
    assert sorted(p.name for p in outcome.out.iterdir()) == [PACKAGE]
    assert not (outcome.root.parent / "evil").exists()
    assert outcome.outside_after == outcome.outside_before


@pytest.mark.parametrize("name", CORPUS)
def test_ruff_clean(corpus: dict[str, Outcome], name: str) -> None:
    result = ruff_check(corpus[name].out)
    assert result.returncode == 0, result.stdout + result.stderr


SHADOWING_CALLS = textwrap.dedent(
    """
    import httpx, pkg.client
    seen = []
    pages = [{"data": [{"a": "1"}], "next_page": "c2"}, {"data": [{"a": "2"}], "next_page": None}]
    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=pages[len(seen) - 1])
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = pkg.client.Client(base_url="http://test", http_client=http)
    items = client.iter_list_items(cursor="mine", cast_="c", result_="r", max_pages_=7)
    assert [item.a for item in items] == ["1", "2"]
    first, second = seen
    assert first.headers["Cursor"] == second.headers["Cursor"] == "mine"
    assert dict(first.url.params) == {"cast": "c", "result": "r", "max_pages": "7"}
    assert dict(second.url.params) == {"cast": "c", "result": "r", "max_pages": "7", "cursor": "c2"}
    print("calls ok")
    """
)


def test_names_that_shadow_generated_code_still_work(corpus: dict[str, Outcome]) -> None:
    """Parameters named like the locals of a generated method (`cast`, `result`, `max_pages`)
    and a header that normalises to the pagination cursor's name: a real paginated call sends
    each value to its own wire name."""
    outcome = corpus["shadowing_31.yaml"]
    env = isolated_env(outcome.root)
    env["PYTHONPATH"] = str(outcome.out)
    done = subprocess.run(
        [sys.executable, "-c", SHADOWING_CALLS],
        cwd=outcome.out,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "calls ok" in done.stdout


def operations(client_source: str) -> dict[str, tuple[str, str]]:
    """operationId -> (method name, return annotation) of the synchronous `Client`: each
    method hands the runtime the `Operation` a module-level `_op_<name>()` builds."""
    found: dict[str, tuple[str, str]] = {}
    tree = ast.parse(client_source)
    ids: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("_op_"):
            built = next(
                c
                for c in ast.walk(node)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                if c.func.id == "Operation"
            )
            operation_id = built.args[3]
            assert isinstance(operation_id, ast.Constant)
            ids[node.name] = str(operation_id.value)
    client = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Client")
    for node in client.body:
        if not isinstance(node, ast.FunctionDef) or node.returns is None:
            continue
        for call in ast.walk(node):
            # `_op_<name>().request(...)`: the call the method makes
            if (
                isinstance(call, ast.Attribute)
                and call.attr == "request"
                and isinstance(call.value, ast.Call)
                and isinstance(call.value.func, ast.Name)
                and call.value.func.id in ids
            ):
                found[ids[call.value.func.id]] = (node.name, ast.unparse(node.returns))
    return found


def keyword_names(tree: ast.Module, method: ast.FunctionDef) -> list[str]:
    """Every argument name of `method`, the keys of its `**kwargs: Unpack[...]` included
    (the `TypedDict` and its bases in the module)."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    names = [a.arg for a in (*method.args.args, *method.args.kwonlyargs)]
    pending = []
    if method.args.kwarg is not None and method.args.kwarg.annotation is not None:
        annotation = method.args.kwarg.annotation
        assert isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Name)
        pending.append(annotation.slice.id)
    while pending:
        typed = classes.get(pending.pop())
        if typed is None:  # RequestOptions, from the runtime
            names += ["extra_headers", "timeout"]
            continue
        pending += [b.id for b in typed.bases if isinstance(b, ast.Name)]
        names += [
            f.target.id
            for f in typed.body
            if isinstance(f, ast.AnnAssign) and isinstance(f.target, ast.Name)
        ]
    return names


def test_names_that_collide_after_normalisation_stay_apart(corpus: dict[str, Outcome]) -> None:
    source = (corpus["unicode_names_30.yaml"].package / "client.py").read_text("utf-8")
    found = operations(source)
    names = [name for name, _ in found.values()]
    assert len(names) == len(set(names)) == 10, found
    # an operation that is already called `foo_bar_2` keeps that name; the others step around it
    assert found["fooBar"][0] == "foo_bar"
    assert found["foo_bar_2"][0] == "foo_bar_2"
    assert {found[o][0] for o in ("foo_bar", "FooBar", "foo-bar")} == {
        "foo_bar_3",
        "foo_bar_4",
        "foo_bar_5",
    }
    assert found["2fa"] == ("n2fa", "models.Field2fa")
    assert found["créerObjet"] == ("creer_objet", "models.Größe")
    # equal schemas whose names collide share one class, and the method still returns it
    assert found["foo-bar"][1] == "models.FooBar"
    creer = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and node.name == "creer_objet"
    )
    arguments = keyword_names(ast.parse(source), creer)
    assert len(arguments) == len(set(arguments))
    assert {"a_b", "a_b_2", "a_b_3", "a_b_4", "n2fa"} <= set(arguments)


def test_keywords_become_safe_names(corpus: dict[str, Outcome]) -> None:
    found = operations((corpus["keywords_31.yaml"].package / "client.py").read_text("utf-8"))
    assert {o: found[o][0] for o in ("class", "import", "None", "__init__", "print")} == {
        "class": "class_",
        "import": "import_",
        "None": "none",
        "__init__": "init",
        "print": "print_",
    }
    # names the runtime client already has: methods it must not replace or be hidden by
    for operation_id in ("close", "_request", "baseUrl", "maxRetries", "trackId", "_servers"):
        assert found[operation_id][0].endswith("_"), found[operation_id]


# -- specs that must be refused ------------------------------------------------------------------

NFKC_COLLISION = """\
openapi: 3.1.0
info: {title: nfkc, version: "1"}
paths: {}
components:
  schemas:
    \uff26\uff55\uff4c\uff4c:
      type: object
      properties:
        \uff46\uff55\uff4c\uff4c: {type: string}
        full: {type: string}
    Full: {type: object, properties: {x: {type: string}}}
"""

LONE_SURROGATE = (
    '{"openapi": "3.1.0", "info": {"title": "s", "version": "1"}, "paths": {},'
    ' "components": {"schemas": {"S": {"type": "string", "enum": ["\\ud800", "b"]}}}}'
)


@pytest.mark.parametrize(
    ("file_name", "text", "expected"),
    [
        ("nfkc.yaml", NFKC_COLLISION, "NFKC"),
        ("surrogate.json", LONE_SURROGATE, "surrogate"),
    ],
)
def test_names_python_would_rewrite_are_refused(
    tmp_path: Path, file_name: str, text: str, expected: str
) -> None:
    """Python NFKC-normalises identifiers: a full-width `Full` and `Full` would silently be one
    class. Such specs (and text no UTF-8 source can hold) are refused with a finding, not
    miscompiled."""
    spec = tmp_path / file_name
    spec.write_text(text, "utf-8")
    before = snapshot(tmp_path)
    result = run_cli(tmp_path, "generate", spec, "--out", tmp_path / "out", "--package", PACKAGE)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error generate-failed" in result.stdout
    assert expected in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()
    assert {e for e in changed(before, snapshot(tmp_path)) if not e.startswith("cache")} <= {
        "tmp",
        "work",
    }


# -- where output may go -------------------------------------------------------------------------


@dataclass
class Minimal:
    """One small spec, generated once: later runs with the same package name are answered from
    the warm cache, so each test below costs a fraction of a generation."""

    spec: Path
    cache: Path

    def env(self) -> dict[str, str]:
        return {"APICONTRACT_CACHE_DIR": str(self.cache)}


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> Minimal:
    root = tmp_path_factory.mktemp("minimal")
    spec = root / "minimal.yaml"
    spec.write_text(MINIMAL, "utf-8")
    found = Minimal(spec, root / "cache")
    result = run_cli(root, "generate", spec, "--out", root / "warm", "--package", PACKAGE)
    assert result.returncode == 0, result.stdout + result.stderr
    return found


def generate_minimal(
    cli: CliRunner, minimal: Minimal, out: Path, *args: str, package: str = PACKAGE
) -> subprocess.CompletedProcess[str]:
    return cli(
        "generate", minimal.spec, "--out", out, "--package", package, *args, env=minimal.env()
    )


@pytest.mark.parametrize(
    "name", ["../evil", "..", "../../evil", "a/b", "..\\win", "/abs", "class", "évil", "", "a.b"]
)
def test_package_name_is_checked_before_any_path_is_built(tmp_path: Path, name: str) -> None:
    from generator.write import UnsafeOutputError, package_dir

    with pytest.raises(UnsafeOutputError):
        package_dir(tmp_path / "out", name)


def test_package_names_that_leave_the_output_folder_are_refused(
    cli: CliRunner, tmp_path: Path, minimal: Minimal
) -> None:
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    absolute = tmp_path / "absolute_target"
    names = ["../evil", str(absolute)]
    before = snapshot(tmp_path)
    outside_before = outside_state()
    for name in names:
        result = generate_minimal(cli, minimal, out, package=name)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert "not a Python identifier" in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
    assert not changed(before, snapshot(tmp_path)), "something was written"
    assert not absolute.exists()
    assert not (tmp_path / "deep" / "evil").exists()
    assert outside_state() == outside_before


def test_symlinked_package_folder_is_refused(
    cli: CliRunner, tmp_path: Path, minimal: Minimal
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / PACKAGE).symlink_to(elsewhere, target_is_directory=True)
    for extra in ((), ("--check",)):
        result = generate_minimal(cli, minimal, out, *extra)
        assert result.returncode == 2, (extra, result.stdout, result.stderr)
        assert "outside" in result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert not any(elsewhere.iterdir()), "wrote through the symlink"


def test_symlinked_file_in_the_package_is_not_written_through(
    cli: CliRunner, tmp_path: Path, minimal: Minimal
) -> None:
    out = tmp_path / "out"
    victim = tmp_path / "victim.py"
    victim.write_text("original = True\n", "utf-8")
    result = generate_minimal(cli, minimal, out)
    assert result.returncode == 0, result.stdout + result.stderr
    (out / PACKAGE / "client.py").unlink()
    (out / PACKAGE / "client.py").symlink_to(victim)
    result = generate_minimal(cli, minimal, out)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refusing" in result.stderr
    assert victim.read_text("utf-8") == "original = True\n"


def test_a_refused_target_means_nothing_is_written(
    cli: CliRunner, tmp_path: Path, minimal: Minimal
) -> None:
    """Every target is checked before the first is written: a symlink where the last file goes
    refuses the run, and the files that come before it in the package stay as they were."""
    out = tmp_path / "out"
    assert generate_minimal(cli, minimal, out).returncode == 0
    victim = tmp_path / "victim.py"
    victim.write_text("original = True\n", "utf-8")
    package = out / PACKAGE
    last = max(p.name for p in package.glob("*.py"))
    (package / last).unlink()
    (package / last).symlink_to(victim)
    changed_spec = tmp_path / "changed.yaml"  # an extra operation: client.py and more change
    changed_spec.write_text(
        MINIMAL.replace(
            "components:",
            "  /others:\n    get:\n      operationId: listOthers\n"
            "      responses: {'204': {description: none}}\ncomponents:",
        ),
        "utf-8",
    )
    before = snapshot(tmp_path / "out")
    done = cli("generate", changed_spec, "--out", out, "--package", PACKAGE, env=minimal.env())
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"refusing to write through {package / last}" in done.stderr
    assert "nothing written" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not changed(before, snapshot(tmp_path / "out")), "a refused run wrote files"
    assert victim.read_text("utf-8") == "original = True\n"


def test_a_refused_package_stops_every_package_of_the_run(
    cli: CliRunner, tmp_path: Path, minimal: Minimal
) -> None:
    """Two specs in one run, the second's package folder a symlink out of the output folder:
    the first package is not written either."""
    first = tmp_path / "api" / "first.yaml"
    second = tmp_path / "api" / "second.yaml"
    first.parent.mkdir()
    first.write_text(MINIMAL, "utf-8")
    second.write_text(MINIMAL, "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "api_second").symlink_to(elsewhere, target_is_directory=True)
    done = cli("generate", first, second, "--out", out, env=minimal.env())
    assert done.returncode == 2, done.stdout + done.stderr
    assert "resolves outside" in done.stderr and "nothing written" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["api_second"]
    assert not any(elsewhere.iterdir())


def test_tampered_manifest_cannot_remove_files_outside(
    cli: CliRunner, tmp_path: Path, minimal: Minimal
) -> None:
    """The manifest names the files to clean up; one edited to name `../x` or `/x` must not
    make the generator delete anything outside the package."""
    import json

    out = tmp_path / "out"
    result = generate_minimal(cli, minimal, out)
    assert result.returncode == 0, result.stdout + result.stderr
    victims = [tmp_path / "victim.txt", out / "victim.txt"]
    for victim in victims:
        victim.write_text("keep me\n", "utf-8")
    manifest = out / PACKAGE / ".apicontract-manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    data["files"].update(
        {"../victim.txt": "0" * 64, "../../victim.txt": "0" * 64, str(victims[0]): "0" * 64}
    )
    manifest.write_text(json.dumps(data), "utf-8")
    result = generate_minimal(cli, minimal, out)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refusing to write file name" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for victim in victims:
        assert victim.read_text("utf-8") == "keep me\n", victim


# -- spec text never chooses an import -------------------------------------------------------------

#: every module a generated file may import: the standard library modules the templates and
#: runtimes use, the libraries generated code needs (httpx, pydantic; FastAPI and its
#: multipart parser for servers), and the package's own modules. A module a spec names (os,
#: subprocess, pickle, ctypes, importlib...) is never among them; a template that needs
#: another harmless module adds it here.
ALLOWED_IMPORTS = frozenset(
    {
        "__future__",
        "asyncio",
        "base64",
        "binascii",
        "collections",
        "collections.abc",
        "contextlib",
        "copy",
        "dataclasses",
        "datetime",
        "decimal",
        "email.utils",
        "enum",
        "functools",
        "gzip",
        "hashlib",
        "hmac",
        "io",
        "ipaddress",
        "itertools",
        "json",
        "logging",
        "math",
        "mimetypes",
        "random",
        "re",
        "secrets",
        "string",
        "threading",
        "time",
        "types",
        "typing",
        "urllib.parse",
        "uuid",
        "warnings",
        "zlib",
        "pydantic",
        "httpx",
        "fastapi",
        "fastapi.middleware.gzip",
        "starlette.exceptions",
        "starlette.requests",
        "starlette.responses",
        "starlette.routing",
        "starlette.types",
        # FastAPI's own form parser, which the server runtime reads multipart bodies with
        "python_multipart",
        "python_multipart.exceptions",
        "python_multipart.multipart",
    }
)
#: builtins datamodel-code-generator may import under another name (a field called `int`
#: would otherwise shadow the type); nothing that runs code
SAFE_BUILTINS = frozenset(
    {"bool", "bytes", "dict", "float", "frozenset", "int", "list", "object", "set", "str", "tuple"}
)
#: the hostile specs that carry keys naming Python code, and those keys
PYTHON_KEYS = {
    "x_python_type_31.yaml": ("x-python-type",),
    "x_python_import_30.yaml": ("x-python-import",),
    "custom_type_path_31.yaml": ("customTypePath",),
    "custom_base_path_30.yaml": ("customBasePath",),
    "x_python_type_named_like_keywords_30.yaml": ("x-python-type", "customBasePath"),
}


def imports_outside_allow_list(path: Path) -> list[str]:
    """Every import in `path` (at any depth: a function-level import counts too) of a module
    not in ALLOWED_IMPORTS; relative imports stay inside the generated package."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # `from . import x`, `from ._runtime import y`
                continue
            names = [node.module or ""]
            if node.module == "builtins":  # `from builtins import int as int_aliased`
                names = [f"builtins.{a.name}" for a in node.names if a.name not in SAFE_BUILTINS]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("__import__", "eval", "exec")
        ):
            names = [f"{node.func.id}()"]
        else:
            continue
        bad.extend(
            f"{path.name}:{node.lineno}: {name}" for name in names if name not in ALLOWED_IMPORTS
        )
    return bad


@pytest.mark.parametrize("name", CORPUS)
def test_imports_only_the_allow_list(corpus: dict[str, Outcome], name: str) -> None:
    files = list(python_files(corpus[name].package))
    assert files
    bad = [entry for path in files for entry in imports_outside_allow_list(path)]
    assert not bad, bad


@pytest.mark.parametrize(
    "package", sorted(p.parent.name for p in (ROOT / "generated").glob("*/__init__.py"))
)
def test_shipped_packages_import_only_the_allow_list(package: str) -> None:
    files = sorted((ROOT / "generated" / package).glob("*.py"))
    assert files
    bad = [entry for path in files for entry in imports_outside_allow_list(path)]
    assert not bad, bad


@pytest.mark.parametrize("name", sorted(PYTHON_KEYS))
def test_keys_naming_python_are_removed_with_a_warning_each(
    corpus: dict[str, Outcome], name: str
) -> None:
    """One warning per key, at the line the key is written on, with its JSON pointer and the
    rule id; nothing the spec names reaches the code, and a property merely named like the
    keyword keeps its field."""
    outcome = corpus[name]
    keys = PYTHON_KEYS[name]
    spec = outcome.root / "spec" / name
    lines = spec.read_text("utf-8").splitlines()
    written_on = {
        number
        for number, line in enumerate(lines, 1)
        if not line.lstrip().startswith("#")
        and any(f" {key}:" in line or f"{{{key}:" in line or f", {key}:" in line for key in keys)
        and "description: an ordinary property" not in line
    }
    assert written_on, "the spec carries the key"
    warnings = [
        line for line in outcome.generate.stdout.splitlines() if "python-extension-removed" in line
    ]
    reported = set()
    for line in warnings:
        where, _, rest = line.partition(": warning python-extension-removed: ")
        assert rest, line
        file, number, _column = where.rsplit(":", 2)
        assert Path(file).name == name
        assert rest.endswith("]") and "/" in rest.rsplit("[", 1)[1], line  # the JSON pointer
        reported.add(int(number))
    assert written_on <= reported, (sorted(written_on), warnings)
    models = _models_source(outcome.package)
    for module in ("os", "subprocess", "shutil", "pickle", "ctypes", "importlib", "socket"):
        assert f"import {module}" not in models and f"from {module} " not in models, module
    if name == "custom_type_path_31.yaml":
        assert 'alias="customTypePath"' in models  # the property named so is a field still


def test_python_keys_are_removed_in_sibling_files_too(cli: CliRunner, tmp_path: Path) -> None:
    """A key in a file the spec `$ref`s is found and reported at that file's line."""
    (tmp_path / "api.yaml").write_text(
        MINIMAL.replace('"#/components/schemas/Thing"', '"parts.yaml#/Thing"'), "utf-8"
    )
    (tmp_path / "parts.yaml").write_text(
        "Thing:\n  type: object\n  properties:\n"
        "    run: {type: string, x-python-type: os.system}\n",
        "utf-8",
    )
    done = cli("generate", "api.yaml", "--out", "out", "--package", PACKAGE, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "parts.yaml:4:25: warning python-extension-removed: `x-python-type` names Python code"
        in done.stdout
    ), done.stdout
    assert "[/Thing/properties/run/x-python-type]" in done.stdout
    models = _models_source(tmp_path / "out" / PACKAGE)
    assert "class Thing(BaseModel)" in models and "system" not in models


def _models_source(package: Path) -> str:
    """The source of every model module of a generated package, in order (not the
    `models/__init__.py` and `models/_lazy.py` the templates write, which load modules on
    first use through importlib)."""
    return "\n".join(
        module.read_text("utf-8")
        for module in sorted((package / "models").rglob("*.py"))
        if module.name not in ("__init__.py", "_lazy.py")
    )

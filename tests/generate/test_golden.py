"""Golden records: the committed generated/ tree is exactly what the shipped specs produce, and
it is clean (ruff, mypy --strict). After an intended change, `apicontract generate` (or
`python3 dev.py run`) regenerates the goldens."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, CliRunner

PACKAGES = ("zuora_v1", "zuora_quickstart")


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".mypy_cache" not in p.parts
    }


def test_committed_output_matches_a_fresh_generation(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("generate", "--out", tmp_path / "out", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    for package in PACKAGES:
        fresh = tree(tmp_path / "out" / package)
        committed = tree(ROOT / "generated" / package)
        assert sorted(fresh) == sorted(committed), package
        for name in fresh:
            assert fresh[name] == committed[name], (
                f"generated/{package}/{name} is stale: run apicontract generate"
            )


def test_check_mode_reports_up_to_date(cli: CliRunner) -> None:
    result = cli("generate", "--check")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        "generated/zuora_v1: up to date with specs/v1/fulfillments.yaml",
        "generated/zuora_quickstart: up to date with specs/quickstart/fulfillments.yaml",
    ]


def test_second_run_comes_from_cache(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = cli("generate", "--out", out)
    assert first.returncode == 0 and "from cache" not in first.stdout
    second = cli("generate", "--out", out)
    assert second.returncode == 0
    assert second.stdout.count("unchanged (from cache in ") == 2
    assert filecmp.dircmp(out / "zuora_v1", ROOT / "generated" / "zuora_v1").diff_files == []


def test_generated_code_is_ruff_clean() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    for args in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        done = subprocess.run([ruff, *args, "generated"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_generated_code_passes_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *PACKAGES],
        cwd=ROOT / "generated",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_generated_packages_import_without_apicontract(tmp_path: Path) -> None:
    """The package needs only httpx and pydantic: apicontract itself is not importable here."""
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('generator', 'datamodel_code_generator', 'jinja2'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import zuora_v1, zuora_quickstart\n"
        "c = zuora_quickstart.Client(server='sandbox', token='t')\n"
        "print(c.base_url)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT / "generated", capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "https://rest.apisandbox.zuora.com/v2"


def test_spec_with_broken_ref_generates_nothing(cli: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      operationId: getA\n      responses:\n        '200':\n          description: ok\n"
        "          content: {application/json: {schema: {$ref: '#/components/schemas/Nope'}}}\n"
    )
    result = cli("generate", spec, "--out", tmp_path / "out", "--package", "pkg")
    assert result.returncode == 1
    assert "error ref-unresolved:" in result.stdout
    assert not (tmp_path / "out").exists()


def test_config_names_packages(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    spec = tmp_path / "api" / "shop.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: Shop, version: '1'}\npaths:\n  /ping:\n    get:\n"
        "      operationId: ping\n      responses:\n        '204': {description: pong}\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.apicontract]\noutput = "build/gen"\n\n'
        '[[tool.apicontract.specs]]\npath = "api/shop.yaml"\npackage = "shop_client"\n'
    )
    result = cli("generate", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("build/gen/shop_client: 9 written")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import shop_client, inspect; "
            "print(inspect.signature(shop_client.Client.ping).return_annotation)",
        ],
        cwd=tmp_path / "build" / "gen",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
    bad = tmp_path / "pyproject.toml"
    bad.write_text('[tool.apicontract]\n[[tool.apicontract.specs]]\npackage = "x"\n')
    broken = cli("generate", cwd=tmp_path)
    assert broken.returncode == 2 and "needs a `path` string" in broken.stderr

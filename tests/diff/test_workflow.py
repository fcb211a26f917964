"""The regeneration workflow a team wires into CI: the pre-commit hooks this repository offers
run the real commands and fail when they should."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

HOOKS: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def run_hook(hook_id: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    hook = next(h for h in HOOKS if h["id"] == hook_id)
    argv = shlex.split(hook["entry"])
    assert argv[0] == "apicontract"  # the console script the package installs
    script = Path(sys.executable).with_name("apicontract")
    return subprocess.run(
        [str(script), *argv[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "APICONTRACT_CACHE_DIR": str(cache)},
    )


def test_hooks_are_well_formed() -> None:
    assert [h["id"] for h in HOOKS] == ["apicontract-lint", "apicontract-generate-check"]
    for hook in HOOKS:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python" and hook["pass_filenames"] is False


def test_hooks_pass_on_this_repository(tmp_path: Path) -> None:
    for hook in HOOKS:
        done = run_hook(hook["id"], ROOT, tmp_path)
        assert done.returncode == 0, (hook["id"], done.stdout, done.stderr)


def test_hooks_fail_on_a_broken_spec_and_on_stale_output(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "specs", project / "specs")
    shutil.copytree(ROOT / "generated", project / "generated")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    cache = tmp_path / "cache"
    assert run_hook("apicontract-generate-check", project, cache).returncode == 0
    models = project / "generated" / "zuora_quickstart" / "models.py"
    models.write_text(models.read_text() + "\n# edited by hand\n")
    stale = run_hook("apicontract-generate-check", project, cache)
    assert stale.returncode == 1 and "out of date" in stale.stdout
    spec = project / "specs" / "quickstart" / "fulfillments.yaml"
    spec.write_text(spec.read_text().replace("      operationId: listFulfillments\n", "", 1))
    linted = run_hook("apicontract-lint", project, cache)
    assert linted.returncode == 1 and "operation-id-missing" in linted.stdout
    assert "specs/quickstart/fulfillments.yaml:" in linted.stdout

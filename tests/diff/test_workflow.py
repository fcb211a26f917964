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
    models = project / "generated" / "zuora_quickstart" / "models" / "__init__.py"
    models.write_text(models.read_text() + "\n# edited by hand\n")
    stale = run_hook("apicontract-generate-check", project, cache)
    assert stale.returncode == 1 and "out of date" in stale.stdout
    spec = project / "specs" / "quickstart" / "fulfillments.yaml"
    spec.write_text(spec.read_text().replace("      operationId: listFulfillments\n", "", 1))
    linted = run_hook("apicontract-lint", project, cache)
    assert linted.returncode == 1 and "operation-id-missing" in linted.stdout
    assert "specs/quickstart/fulfillments.yaml:" in linted.stdout


def _ci_diff_step() -> str:
    """The shell of README's CI recipe step that runs `apicontract diff`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = readme.split("## In CI", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    steps = yaml.safe_load(recipe)["jobs"]["contract"]["steps"]
    (script,) = [s["run"] for s in steps if "apicontract diff" in s.get("run", "")]
    return str(script).replace("${{ github.base_ref }}", "main")


def test_the_readme_ci_recipe_fails_a_breaking_pull_request(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    spec = repo / "specs" / "quickstart" / "fulfillments.yaml"
    spec.parent.mkdir(parents=True)
    shutil.copy(ROOT / "specs" / "quickstart" / "fulfillments.yaml", spec)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    git("update-ref", "refs/remotes/origin/main", "HEAD")  # what actions/checkout fetches
    # the pull request: a new spec (nothing to compare with) and a harmless change
    shutil.copytree(ROOT / "specs" / "v1", repo / "specs" / "v1")
    text = spec.read_text()
    spec.write_text(
        text.replace("        - canceled\n", "        - canceled\n        - on_hold\n", 1)
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["APICONTRACT_CACHE_DIR"] = str(tmp_path / "cache")

    def step() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", _ci_diff_step()], cwd=repo, env=env, capture_output=True, text=True
        )

    done = step()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "::warning file=specs/quickstart/fulfillments.yaml,line=" in done.stdout
    # now a breaking one: page_size may no longer reach 99
    spec.write_text(spec.read_text().replace("        maximum: 99\n", "        maximum: 50\n", 1))
    done = step()
    assert done.returncode == 1
    assert "::error file=specs/quickstart/fulfillments.yaml,line=" in done.stdout

"""The small messages a newcomer meets first, driven through the real CLI in a subprocess."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliRunner

SPEC = ROOT / "specs" / "v1" / "fulfillments.yaml"


def test_misspelt_option_gets_the_commands_own_usage_and_a_suggestion(cli: CliRunner) -> None:
    result = cli("lint", "--fromat", "json")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: apicontract lint ")
    assert "apicontract lint: error: unrecognized arguments: --fromat" in result.stderr
    assert "(did you mean --format?)" in result.stderr
    assert result.stdout == ""


def test_unknown_option_before_the_command_stays_the_top_level_one(cli: CliRunner) -> None:
    result = cli("--verbose", "lint")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: apicontract [-h]")
    assert "unrecognized arguments: --verbose" in result.stderr


@pytest.mark.parametrize(
    ("command", "option"),
    [("lint", "--format"), ("check", "--format"), ("diff", "--format"), ("serve", "--host")],
)
def test_every_option_has_help(cli: CliRunner, command: str, option: str) -> None:
    result = cli(command, "--help")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(option))
    # the help text follows on the option's line or on the next, indented
    block = " ".join(lines[start : start + 2])
    described = block.split(option, 1)[1]
    assert len(described.split()) >= 4, block


def test_diff_shows_gits_own_message_for_an_unknown_revision(cli: CliRunner) -> None:
    result = cli("diff", "git:NOPE:x", SPEC, cwd=ROOT)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "apicontract diff: git:NOPE:x: fatal: invalid object name 'NOPE'."
    )
    assert "git failed" not in result.stderr


def test_diff_names_a_revision_that_is_no_commit(cli: CliRunner) -> None:
    tree = subprocess.run(
        ["git", "rev-parse", "HEAD^{tree}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    result = cli("diff", f"git:{tree}:specs/v1/fulfillments.yaml", SPEC, cwd=ROOT)
    assert result.returncode == 2
    assert f"'{tree}' names no commit" in result.stderr


def test_serve_given_a_directory_says_so(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("serve", tmp_path, "--db", ":memory:", "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"apicontract serve: {tmp_path}: is a directory, expected a spec file"
    )


def test_serve_synopsis_says_a_spec_is_needed_even_for_a_proxy(cli: CliRunner) -> None:
    usage = cli("serve", "--help").stdout
    assert usage.startswith("usage: apicontract serve (SPEC | --style {v1,quickstart,both})")
    assert "[--proxy UPSTREAM [--record FILE]]" in usage.splitlines()[0]
    result = cli("serve", "--proxy", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "give the SPEC to check the proxied traffic against, or --style" in result.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[tool.apicontract]\n\n[[tool.apicontract.spec]]\npath = "specs/a/api.yaml"\n',
            "pyproject.toml:3: unknown key `tool.apicontract.spec`: did you mean `specs`? "
            "(valid keys: output, specs)",
        ),
        (
            '[tool.apicontract]\nouput = "out"\n',
            "pyproject.toml:2: unknown key `tool.apicontract.ouput`: did you mean `output`?",
        ),
        (
            '[tool.apicontract]\n[[tool.apicontract.specs]]\npath = "specs/a/api.yaml"\n'
            'pakage = "api"\n',
            "pyproject.toml:4: unknown key `tool.apicontract.specs[0].pakage`: "
            "did you mean `package`? (valid keys: path, package, conventions)",
        ),
        (
            '[tool.apicontract]\ncolour = "blue"\n',
            "pyproject.toml:2: unknown key `tool.apicontract.colour`: (valid keys: output, specs)",
        ),
    ],
)
@pytest.mark.parametrize("command", ["lint", "generate"])
def test_unknown_config_keys_are_errors_naming_the_closest_valid_one(
    cli: CliRunner, tmp_path: Path, toml: str, message: str, command: str
) -> None:
    (tmp_path / "specs" / "a").mkdir(parents=True)
    (tmp_path / "specs" / "a" / "api.yaml").write_bytes(SPEC.read_bytes())
    (tmp_path / "pyproject.toml").write_text(toml)
    result = cli(command, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert "no spec given" not in result.stderr
    assert not (tmp_path / "generated").exists()


def test_a_cached_answer_says_which_cache_it_came_from(
    cli: CliRunner, tmp_path: Path, cache_dir: Path
) -> None:
    project = tmp_path / "clone"
    (project / "specs" / "a").mkdir(parents=True)
    (project / "specs" / "a" / "api.yaml").write_bytes(SPEC.read_bytes())
    first = cli("lint", cwd=project)
    assert first.returncode == 0 and "cache" not in first.stdout
    second = cli("lint", cwd=project)
    assert f"(1 unchanged, from cache in {cache_dir})" in second.stdout
    generated = cli("generate", cwd=project)
    assert generated.returncode == 0 and "cache" not in generated.stdout
    # a second clone of the same project: answered from the same per-user cache, which says so
    other = tmp_path / "other-clone"
    (other / "specs" / "a").mkdir(parents=True)
    (other / "specs" / "a" / "api.yaml").write_bytes(SPEC.read_bytes())
    again = cli("generate", cwd=other)
    assert again.returncode == 0
    written = sum(1 for p in (other / "generated" / "a_api").rglob("*") if p.is_file())
    assert again.stdout.strip() == (
        f"generated/a_api: {written} written, 0 removed, 0 unchanged (from cache in {cache_dir})"
    )


def test_the_cache_under_home_is_named_with_a_tilde(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "specs" / "a").mkdir(parents=True)
    (tmp_path / "specs" / "a" / "api.yaml").write_bytes(SPEC.read_bytes())
    home = tmp_path / "home"
    env = {"HOME": str(home), "APICONTRACT_CACHE_DIR": str(home / ".cache" / "apicontract")}
    cli("lint", cwd=tmp_path, env=env)
    second = cli("lint", cwd=tmp_path, env=env)
    assert "(1 unchanged, from cache in ~/.cache/apicontract)" in second.stdout


def test_serve_stops_cleanly_on_sigterm_sent_as_soon_as_it_prints_its_url(
    tmp_path: Path,
) -> None:
    """A script starting the fake reads the URL line and may stop it right away: the signal
    handlers are in place before that line is printed (exit 0, not killed by the signal)."""
    import os
    import signal
    import sys

    env = {**os.environ, "APICONTRACT_CACHE_DIR": str(tmp_path / "cache")}
    command = ["serve", "--style", "quickstart", "--db", ":memory:", "--port", "0"]
    for _ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", *command],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert process.stdout is not None
        assert "listening on http://127.0.0.1:" in process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()

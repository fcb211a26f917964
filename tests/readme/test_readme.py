"""Every `console` and `python` block of README.md runs as written, so README and behaviour
cannot drift apart.

Each block runs in a fresh copy of the project (its files as committed: specs, generated
packages, test data; no `.venv`, no `.git`), with a fresh apicontract cache, the test's Python
environment first on PATH (as `. .venv/bin/activate` does), from the project's root:

* `console` blocks: each `$ COMMAND` runs in bash; the lines up to the next `$` are its output
  (stdout and stderr together), compared line by line. A line `...` stands for any number of
  lines. A command ending in `# from DIR` runs in DIR, as the comment tells a reader. `$ cat
  FILE` of a file that does not exist yet shows an input the example starts from: the file is
  written with the lines shown (of one that exists, it is an ordinary command).
* `python` blocks run with `PYTHONPATH=generated`, as the README says; a block defining
  `test_` functions runs under pytest (the apicontract plugin is installed with the package).
* A block that talks to `127.0.0.1:4010` gets the fake started the way the README's `serve`
  example starts it, on a free port written in place of 4010 (`fake=v1` for the v1 style).

Markers, in an HTML comment on the line before a block (invisible on GitHub):

* `<!-- readme-test: skip: REASON -->`: an illustrative block, not run (the reason is required).
* `<!-- readme-test: server -->`: the command keeps running (a server): once its output shows
  the lines given, it is stopped with SIGTERM and must exit 0. Its port 4010 becomes a free one.
* `<!-- readme-test: fake=v1 -->`: the fake to start for this block, when not Quickstart.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

README = ROOT / "README.md"
RUNNABLE = ("console", "python")
FAKE_PORT = "4010"
_FENCE = re.compile(r"^(`{3,})([\w+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->\s*$")
_FROM = re.compile(r"\s+#\s*from\s+(\S+?)/?\s*$")
_CAT = re.compile(r"^cat\s+([\w./-]+)\s*$")
_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "*.db*"
)


@dataclass
class Block:
    language: str
    line: int  # of the opening fence, 1-based
    text: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.language}-line{self.line}"


def read_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        options: dict[str, str] = {}
        back = index - 1
        while back >= 0 and lines[back].strip():
            marker = _MARKER.match(lines[back].strip())
            if not marker:
                break
            options.update(_options(marker.group(1)))
            back -= 1
        end = index + 1
        while end < len(lines) and lines[end].rstrip() != opening.group(1):
            end += 1
        body = "\n".join(lines[index + 1 : end]) + "\n"
        blocks.append(Block(opening.group(2), index + 1, body, options))
        index = end + 1
    return blocks


def _options(text: str) -> dict[str, str]:
    if text.startswith("skip"):
        return {"skip": text[4:].lstrip(": ").strip()}
    found = {}
    for word in text.split():
        key, _, value = word.partition("=")
        found[key] = value
    return found


BLOCKS = read_blocks(README.read_text("utf-8"))
CASES = [b for b in BLOCKS if b.language in RUNNABLE and "skip" not in b.options]


def test_readme_has_runnable_examples_and_every_opt_out_says_why() -> None:
    assert len(CASES) >= 8
    for block in BLOCKS:
        if "skip" in block.options:
            assert block.options["skip"], f"README.md:{block.line}: skip needs a reason"
        known = {"skip", "server", "fake"}
        assert set(block.options) <= known, f"README.md:{block.line}: {block.options}"


# -- the project copy and its environment -----------------------------------------------------
@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=_COPY_IGNORE, symlinks=True)
    return copy


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APICONTRACT_", "PYTEST_", "COV_")) and k != "PYTHONPATH"
    }
    environment.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        APICONTRACT_CACHE_DIR=str(tmp_path / "cache"),
        NO_COLOR="1",
        COLUMNS="100",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return environment


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


# -- console blocks ---------------------------------------------------------------------------
def commands(block: Block) -> Iterator[tuple[str, list[str]]]:
    command: str | None = None
    output: list[str] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, output
            command, output = line[2:], []
        elif command is not None:
            output.append(line.rstrip())
    if command is not None:
        yield command, output


def matches(expected: list[str], actual: list[str]) -> bool:
    """`actual` is `expected`, where a line `...` stands for any number of lines."""
    expected, actual = _trimmed(expected), _trimmed(actual)
    if "..." not in expected:
        return expected == actual
    segments: list[list[str]] = [[]]
    for line in expected:
        if line == "...":
            segments.append([])
        else:
            segments[-1].append(line)
    first, *middle, last = segments
    if actual[: len(first)] != first or (last and actual[len(actual) - len(last) :] != last):
        return False
    position = len(first)
    end = len(actual) - len(last)
    for segment in middle:
        while position + len(segment) <= end and actual[position : position + len(segment)] != (
            segment
        ):
            position += 1
        if position + len(segment) > end:
            return False
        position += len(segment)
    return position <= end


def _trimmed(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _where(command: str, project: Path) -> tuple[str, Path]:
    found = _FROM.search(command)
    if not found:
        return command, project
    return command[: found.start()], project / found.group(1)


def run_console(block: Block, project: Path, env: dict[str, str]) -> None:
    for command, expected in commands(block):
        shell, cwd = _where(command, project)
        given = _CAT.match(shell)
        if given and not (cwd / given.group(1)).exists():
            (cwd / given.group(1)).write_text("\n".join(_trimmed(expected)) + "\n")
            continue
        done = subprocess.run(
            ["bash", "-c", shell],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        actual = done.stdout.splitlines()
        assert "Traceback" not in done.stdout, done.stdout
        assert matches(expected, actual), (
            f"README.md:{block.line}: `{command}` printed (exit {done.returncode}):\n"
            + done.stdout
            + "\nwhere the README shows:\n"
            + "\n".join(expected)
        )


class Server:
    """A README command that keeps running, until its output shows the expected lines."""

    def __init__(self, command: str, cwd: Path, env: dict[str, str]) -> None:
        self.command = command
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []

    def wait_for(self, expected: list[str], timeout: float = 60) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        expected = _trimmed(expected)
        while not matches(expected, self.lines[: len(expected)]) or len(self.lines) < len(expected):
            assert time.monotonic() < deadline, f"`{self.command}` printed {self.lines}"
            line = self.process.stdout.readline()
            assert line, f"`{self.command}` ended (exit {self.process.wait()}): {self.lines}"
            self.lines.append(line.rstrip("\n"))
        assert matches(expected, self.lines), self.lines

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:  # pragma: no cover - a server ignoring SIGTERM
                self.process.kill()


def run_server_block(block: Block, project: Path, env: dict[str, str]) -> None:
    text = block.text.replace(FAKE_PORT, _free_port())
    for command, expected in commands(Block(block.language, block.line, text)):
        shell, cwd = _where(command, project)
        server = Server(shell, cwd, env)
        try:
            server.wait_for(expected)
        finally:
            code = server.stop()
        assert code == 0, f"README.md:{block.line}: SIGTERM ended `{command}` with exit {code}"


def fake_command(block: Block) -> str:
    """The README's own way of starting the fake (its `serve` example)."""
    for candidate in BLOCKS:
        if "server" in candidate.options:
            for command, _ in commands(candidate):
                if command.startswith("apicontract serve"):
                    style = block.options.get("fake")
                    return re.sub(r"--style \S+", f"--style {style}", command) if style else command
    raise AssertionError("the README has no `apicontract serve` example marked as a server")


# -- python blocks ----------------------------------------------------------------------------
def run_python(block: Block, project: Path, env: dict[str, str]) -> None:
    source = project / f"readme_example_line{block.line}.py"
    source.write_text(block.text)
    runner = ["-m", "pytest", "-q", "-p", "no:cacheprovider"] if "def test_" in block.text else []
    done = subprocess.run(
        [sys.executable, *runner, source.name],
        cwd=project,
        env={**env, "PYTHONPATH": "generated"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (
        f"README.md:{block.line}: the example failed:\n{done.stdout}\n{done.stderr}"
    )
    if runner:
        assert re.search(r"\b[1-9]\d* passed\b", done.stdout), done.stdout


# -- the test ---------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("block", CASES, ids=[b.id for b in CASES])
def test_readme_example_runs_as_written(block: Block, project: Path, env: dict[str, str]) -> None:
    if "server" in block.options:
        run_server_block(block, project, env)
        return
    fake: Server | None = None
    if f"127.0.0.1:{FAKE_PORT}" in block.text:
        port = _free_port()
        block = Block(block.language, block.line, block.text.replace(FAKE_PORT, port))
        fake = Server(fake_command(block).replace(FAKE_PORT, port), project, env)
        style = block.options.get("fake") or "quickstart"
        fake.wait_for([f"apicontract fake ({style}) listening on http://127.0.0.1:{port}"])
    try:
        if block.language == "console":
            run_console(block, project, env)
        else:
            run_python(block, project, env)
    finally:
        if fake is not None:
            assert fake.stop() == 0


# -- pre-commit and versions ------------------------------------------------------------------
def _precommit_configs() -> list[tuple[Block, dict[str, object]]]:
    found = []
    for block in BLOCKS:
        if block.language == "yaml" and "repos:" in block.text:
            found.append((block, yaml.safe_load(block.text)))
    return found


def test_readme_precommit_hooks_exist_and_local_ones_run(
    project: Path, env: dict[str, str]
) -> None:
    offered = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {hook["id"]: hook for hook in offered}
    configs = _precommit_configs()
    assert len(configs) == 2
    ran = 0
    for block, config in configs:
        for repo in config["repos"]:  # type: ignore[index]
            for hook in repo["hooks"]:
                assert hook["id"] in by_id, f"README.md:{block.line}: unknown hook {hook['id']}"
                if repo["repo"] != "local":
                    # a placeholder, a full SHA, or a release tag that exists: never a made-up tag
                    rev = str(repo["rev"])
                    assert re.fullmatch(r"<[^>]+>|[0-9a-f]{40}", rev) or rev in _tags(), rev
                    continue
                assert hook["entry"] == by_id[hook["id"]]["entry"]
                assert hook["language"] in ("system", "python")
                done = subprocess.run(
                    shlex.split(hook["entry"]),
                    cwd=project,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                assert done.returncode == 0, done.stdout + done.stderr
                ran += 1
    assert ran == len(by_id)


def _tags() -> list[str]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        return []
    listed = subprocess.run(
        [git, "tag", "--list", "v*"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return listed.stdout.split()


def test_release_tags_match_the_version_they_release() -> None:
    """`apicontract --version` is pyproject's version; every `v*` tag (an annotated one)
    points at a commit whose pyproject.toml has that version, as README's Versions says."""
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = subprocess.run(
        [sys.executable, "-m", "generator", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == f"apicontract {version}"
    git = shutil.which("git") or "git"
    for tag in _tags():
        kind = subprocess.run(
            [git, "cat-file", "-t", tag], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert kind == "tag", f"{tag} is a lightweight tag; releases are annotated"
        toml = subprocess.run(
            [git, "show", f"{tag}:pyproject.toml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert tomllib.loads(toml)["project"]["version"] == tag.removeprefix("v"), tag


# -- the harness itself ------------------------------------------------------------------------
def test_matching_with_ellipsis() -> None:
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "...", "d"], ["a", "d"])
    assert not matches(["a", "...", "d"], ["a", "b"])
    assert matches(["a", "...", "c", "...", "e"], ["a", "b", "c", "d", "e"])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert matches(["a", ""], ["a"])


def test_blocks_and_markers_are_read() -> None:
    text = (
        "<!-- readme-test: skip: only a sketch -->\n```python\nx = 1\n```\n\n"
        "<!-- readme-test: server -->\n```console\n$ run\nout\n```\n"
    )
    first, second = read_blocks(text)
    assert (first.language, first.line, first.text, first.options) == (
        "python",
        2,
        "x = 1\n",
        {"skip": "only a sketch"},
    )
    assert second.options == {"server": ""}
    assert list(commands(second)) == [("run", ["out"])]
    assert _where("apicontract lint a.yaml   # from tests/lint/corpus/", Path("/p")) == (
        "apicontract lint a.yaml",
        Path("/p/tests/lint/corpus"),
    )

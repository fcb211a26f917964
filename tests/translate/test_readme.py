"""README's worked example for `translate` really runs: every `$ cat` of an input creates it,
every `$ cat` of an output must show exactly what the commands wrote, and every `$ apicontract`
command prints exactly the lines shown."""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.conftest import ROOT, CliRunner


def _example() -> list[tuple[str, list[str]]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `apicontract translate", 1)[1].split("\n### ", 1)[0]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            steps[-1][1].append(line)
    return steps


def test_the_readme_translate_example_runs_as_shown(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    steps = _example()
    assert [command.split()[0] for command, _ in steps].count("apicontract") == 3
    for command, shown in steps:
        argv = shlex.split(command)
        if argv[0] == "cat":
            path = tmp_path / argv[1]
            if path.exists():  # an output: exactly as shown
                assert path.read_text().splitlines() == shown, command
            else:  # an input the example starts from
                path.write_text("\n".join(shown) + "\n")
            continue
        assert argv[0] == "apicontract"
        done = cli(*argv[1:], cwd=tmp_path)
        printed = (done.stdout + done.stderr).splitlines()
        assert printed == shown, (command, done.stdout, done.stderr)
        assert done.returncode == (
            1 if "problems" in shown[-1] and "0 problems" not in shown[-1] else 0
        )

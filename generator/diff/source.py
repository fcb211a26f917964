"""Open the two sides of a diff: a spec file, or `git:REV:PATH` for a spec as it was at a git
revision (PATH is relative to the repository root, as in `git show REV:PATH`).

For a git revision the YAML and JSON files of the spec's folder are read from the repository
(`git ls-tree` and `git cat-file`, nothing is checked out) into a temporary folder, so `$ref`s
to sibling files resolve as they did at that revision.
The files are shown to the user as `git:REV:PATH`.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from generator.diff.schema import DiffInputError
from generator.findings import InputError
from generator.load.workspace import Workspace
from generator.openapi.dialect import is_swagger2, version_problem

GIT_PREFIX = "git:"
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")
_GIT_TIMEOUT = 60


def is_git_source(source: str) -> bool:
    return source.startswith(GIT_PREFIX) and not Path(source).exists()


@contextlib.contextmanager
def open_spec(source: str, allow_remote: tuple[str, ...] = ()) -> Iterator[Workspace]:
    """The spec named by `source`, loaded under the usual `$ref` policy. Raises
    DiffInputError (exit code 2) when it cannot be read."""
    if is_git_source(source):
        with _from_git(source) as (path, display):
            yield _open(path, display, allow_remote)
    else:
        yield _open(Path(source), source, allow_remote)


def _open(path: Path, display: str, allow_remote: tuple[str, ...]) -> Workspace:
    try:
        workspace = Workspace.open(path, display, allow_remote)
    except InputError as exc:
        raise DiffInputError(exc.finding.render()) from None
    if is_swagger2(workspace.root.data):
        raise DiffInputError(
            f"{display}: Swagger 2.0 is not compared; convert it to OpenAPI 3 first"
        )
    problem = version_problem(workspace.root)
    if problem is not None:
        raise DiffInputError(problem.render())
    return workspace


def _git(args: list[str], source: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, timeout=_GIT_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise DiffInputError(f"{source}: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise DiffInputError(f"{source}: git took longer than {_GIT_TIMEOUT} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffInputError(f"{source}: {reason[-1] if reason else 'git failed'}")
    return done.stdout


@contextlib.contextmanager
def _from_git(source: str) -> Iterator[tuple[Path, str]]:
    rev, sep, path = source[len(GIT_PREFIX) :].partition(":")
    if not sep or not rev or not path:
        raise DiffInputError(f"{source}: expected git:REV:PATH, e.g. git:origin/main:specs/a.yaml")
    if rev.startswith("-"):
        raise DiffInputError(f"{source}: a revision cannot start with '-'")
    spec = PurePosixPath(path.lstrip("/"))
    if ".." in spec.parts:
        raise DiffInputError(f"{source}: PATH may not contain '..'")
    # cat-file first: for an unknown revision or path it is the git command that says why
    # ("invalid object name 'NOPE'"), where `rev-parse --verify --quiet` says nothing at all
    _git(["cat-file", "-e", f"{rev}:{spec.as_posix()}"], source)
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], source)
    except DiffInputError:
        raise DiffInputError(f"{source}: {rev!r} names no commit") from None
    folder = spec.parent.as_posix()
    listing = ["ls-tree", "-r", "-z", "--full-tree", rev]
    if folder != ".":
        listing += ["--", folder]
    blobs: list[tuple[str, str]] = []
    for entry in _git(listing, source).split(b"\0"):
        meta, _, name = entry.decode("utf-8", "surrogateescape").partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == "blob" and name.endswith(_SPEC_SUFFIXES):
            blobs.append((fields[2], name))
    contents = _cat_blobs([sha for sha, _ in blobs], source)
    with tempfile.TemporaryDirectory(prefix="apicontract-diff-") as tmp:
        root = Path(tmp).resolve()
        for (_, name), data in zip(blobs, contents, strict=True):
            target = (root / name).resolve()
            if not target.is_relative_to(root):
                continue  # a name git should never hold; never write outside the folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield root / spec, f"{GIT_PREFIX}{rev}:{spec.as_posix()}"


def _cat_blobs(shas: list[str], source: str) -> list[bytes]:
    """The contents of the given blobs, read through one `git cat-file --batch`."""
    if not shas:
        return []
    try:
        done = subprocess.run(
            ["git", "cat-file", "--batch"],
            input="".join(f"{sha}\n" for sha in shas).encode(),
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        raise DiffInputError(f"{source}: cannot read files from git: {exc}") from None
    out, position, result = done.stdout, 0, []
    for _ in shas:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        if len(header) != 3:
            raise DiffInputError(f"{source}: git could not read {header[0].decode()}")
        size = int(header[2])
        result.append(out[end + 1 : end + 1 + size])
        position = end + 1 + size + 1
    return result

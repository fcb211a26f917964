"""The one atomic writer every output goes through: whole or nothing, with open()'s mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from generator.atomic import atomic_text, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic_text(target) as out:
        out.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_new_files_get_the_umask_mode_and_existing_ones_keep_theirs(tmp_path: Path) -> None:
    old_umask = os.umask(0o027)
    try:
        fresh = tmp_path / "fresh.txt"
        write_text(fresh, "x", durable=False)
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o640  # not mkstemp's 0600
    finally:
        os.umask(old_umask)
    kept = tmp_path / "kept.txt"
    kept.write_text("a")
    kept.chmod(0o604)
    write_text(kept, "b\r\nc")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604
    assert kept.read_bytes() == b"b\r\nc"

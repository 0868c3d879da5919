"""Outputs are all-or-nothing and never touch files feeder did not create."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feeder.errors import FeederError
from feeder.output import write_files


def test_writes_every_file_and_keeps_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("planner's notes")
    write_files(tmp_path, {"a.csv": "x\n1\n", "b.json": b"{}"})
    assert (tmp_path / "a.csv").read_text() == "x\n1\n"
    assert (tmp_path / "b.json").read_bytes() == b"{}"
    assert (tmp_path / "notes.txt").read_text() == "planner's notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.json", "notes.txt"]


def test_interrupted_write_leaves_previous_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"a.csv": "old a", "b.csv": "old b"})
    real_replace = os.replace
    calls = []

    def fail_on_second(src: str, dst: str) -> None:
        calls.append(dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail_on_second)
    with pytest.raises(KeyboardInterrupt):
        write_files(tmp_path, {"a.csv": "new a", "b.csv": "new b"})
    monkeypatch.setattr(os, "replace", real_replace)
    assert (tmp_path / "a.csv").read_text() == "old a"
    assert (tmp_path / "b.csv").read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"], "temporary files left behind"


@pytest.mark.parametrize("name", ["../escape.csv", "/etc/passwd", "sub/dir.csv", ".."])
def test_names_cannot_escape_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(FeederError, match="plain file names"):
        write_files(tmp_path / "out", {name: "x"})
    assert not (tmp_path / "escape.csv").exists()

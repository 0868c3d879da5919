"""Outputs are published as one set, survive kill -9, and never replace files feeder did not write."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feeder.io.output
from feeder.cli import main
from feeder.design import design
from feeder.errors import FeederError, InternalError
from feeder.io.output import (
    COMMIT,
    MANIFEST,
    STAGING_PREFIX,
    guard_csv,
    one_publication,
    recover,
    write_files,
)
from feeder.io.tables import PLAIN_NUMBER, read_text_table
from feeder.sample import sample_path

REPO = Path(__file__).resolve().parents[1]
NCES = REPO / "tests" / "fixtures" / "nces"


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != MANIFEST)


def test_writes_every_file_and_keeps_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("planner's notes")
    write_files(tmp_path, {"a.csv": "x\n1\n", "b.json": b"{}"})
    assert (tmp_path / "a.csv").read_text() == "x\n1\n"
    assert (tmp_path / "b.json").read_bytes() == b"{}"
    assert (tmp_path / "notes.txt").read_text() == "planner's notes"
    assert visible(tmp_path) == ["a.csv", "b.json", "notes.txt"]


def test_interrupted_write_leaves_previous_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"a.csv": "old a", "b.csv": "old b"})
    real_replace = os.replace
    calls: list[str] = []

    def fail_before_commit(src: str, dst: str) -> None:
        calls.append(str(dst))
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail_before_commit)
    with pytest.raises(KeyboardInterrupt):
        write_files(tmp_path, {"a.csv": "new a", "b.csv": "new b"})
    monkeypatch.setattr(os, "replace", real_replace)
    assert calls, "the commit was never attempted"
    assert (tmp_path / "a.csv").read_text() == "old a"
    assert (tmp_path / "b.csv").read_text() == "old b"
    write_files(tmp_path, {"c.csv": "c"})
    assert visible(tmp_path) == ["a.csv", "b.csv", "c.csv"], "temporary files left behind"


def test_a_kill_after_the_commit_point_is_rolled_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between two renames of a committed set: the next publication finishes it."""
    write_files(tmp_path, {"a.csv": "old a", "b.csv": "old b"})
    real_replace = os.replace
    calls: list[str] = []

    def crash_on_second_rename(src: str, dst: str) -> None:
        calls.append(str(dst))
        if len(calls) == 3:  # journal, a.csv, then b.csv
            raise SystemExit("killed")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_second_rename)
    with pytest.raises(SystemExit):
        write_files(tmp_path, {"a.csv": "new a", "b.csv": "new b"})
    monkeypatch.setattr(os, "replace", real_replace)
    assert (tmp_path / COMMIT).exists()
    recover(tmp_path)
    assert (tmp_path / "a.csv").read_text() == "new a"
    assert (tmp_path / "b.csv").read_text() == "new b"
    assert visible(tmp_path) == ["a.csv", "b.csv"]


def test_retired_files_go_only_with_the_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier plan's page is deleted by the publication that replaces its set: a kill
    before the commit point leaves the old set whole (page included), and one after it is
    rolled forward, deletion included."""
    write_files(tmp_path, {"index.html": "old", "cohort-a.html": "old a", "cohort-b.html": "old b"})
    real_replace = os.replace

    def fail_before_commit(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail_before_commit)
    with pytest.raises(KeyboardInterrupt):
        write_files(tmp_path, {"index.html": "new", "cohort-a.html": "new a"}, retire=["cohort-b.html"])
    assert (tmp_path / "cohort-b.html").read_text() == "old b", "a page of the old set went before the commit"
    calls: list[str] = []

    def crash_after_commit(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:  # the journal's rename (the commit point), then the first file
            raise SystemExit("killed")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_after_commit)
    with pytest.raises(SystemExit):
        write_files(tmp_path, {"index.html": "new", "cohort-a.html": "new a"}, retire=["cohort-b.html"])
    monkeypatch.setattr(os, "replace", real_replace)
    assert (tmp_path / "cohort-b.html").exists()
    recover(tmp_path)
    assert visible(tmp_path) == ["cohort-a.html", "index.html"]
    assert (tmp_path / "index.html").read_text() == "new"
    assert "cohort-b.html" not in json.loads((tmp_path / MANIFEST).read_text())["files"]


@pytest.mark.parametrize("name", ["../escape.csv", "/etc/passwd", "sub/dir.csv", "..", MANIFEST])
def test_names_cannot_escape_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(FeederError, match="plain file names"):
        write_files(tmp_path / "out", {name: "x"})
    assert not (tmp_path / "escape.csv").exists()


def test_foreign_files_of_the_same_name_are_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "portfolios.csv").write_text("school_id,portfolio\nA,hand-drawn\n")
    with pytest.raises(FeederError, match="not written by feeder"):
        write_files(tmp_path, {"portfolios.csv": "school_id,portfolio\nA,1\n", "other.json": "{}"})
    assert (tmp_path / "portfolios.csv").read_text() == "school_id,portfolio\nA,hand-drawn\n"
    assert visible(tmp_path) == ["portfolios.csv"], "nothing of the refused set may be written"
    write_files(tmp_path, {"portfolios.csv": "new\n"}, force=True)
    assert (tmp_path / "portfolios.csv").read_text() == "new\n"


def test_a_file_feeder_wrote_and_the_planner_edited_is_theirs(tmp_path: Path) -> None:
    write_files(tmp_path, {"a.csv": "x\n1\n"})
    write_files(tmp_path, {"a.csv": "x\n2\n"})  # feeder's own file: replaced freely
    (tmp_path / "a.csv").write_text("x\nedited\n")
    with pytest.raises(FeederError, match="changed since"):
        write_files(tmp_path, {"a.csv": "x\n3\n"})
    assert (tmp_path / "a.csv").read_text() == "x\nedited\n"


def test_one_publication_spans_folders_and_writes_nothing_on_error(tmp_path: Path) -> None:
    tables, maps = tmp_path / "tables", tmp_path / "maps"
    with pytest.raises(RuntimeError), one_publication():
        write_files(tables, {"t.csv": "t\n"})
        assert not (tables / "t.csv").exists(), "written before the set was complete"
        raise RuntimeError("a later step failed")
    assert not (tables / "t.csv").exists()
    with one_publication():
        write_files(tables, {"t.csv": "t\n"})
        write_files(maps, {"index.html": "<p>"})
    assert (tables / "t.csv").read_text() == "t\n" and (maps / "index.html").read_text() == "<p>"


def refused(capsys: pytest.CaptureFixture, *args: object) -> str:
    """Run the CLI, expect exit 2 with exactly one error line, return that line."""
    code = main([str(arg) for arg in args])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    return lines[0]


def test_a_failed_run_leaves_no_folder_it_created(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`feeder run` made its tables and maps folders, then the disk was full: both folders, and the
    parent made for them, must go again."""
    quick = functools.partial(design, effort="quick")  # the search's length is not what is tested
    monkeypatch.setattr(sys.modules["feeder.design"], "design", quick)  # `feeder.design` may be the function

    def disk_full(path: Path, data: bytes, mode: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(feeder.io.output, "write_bytes", disk_full)
    new = tmp_path / "new"
    line = refused(capsys, "run", sample_path(), "--out", new / "tables", "--maps", new / "maps")
    assert "No space left on device" in line
    assert list(tmp_path.iterdir()) == [], "an empty folder was left behind"


def test_an_output_folder_inside_a_file_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--maps notes.txt/deep/maps` was found only when publishing, after the whole design."""

    def no_design(*args: object, **kwargs: object) -> None:
        raise AssertionError("the design ran before the options were checked")

    monkeypatch.setattr(sys.modules["feeder.design"], "design", no_design)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    maps = tmp_path / "notes.txt" / "deep" / "maps"
    line = refused(capsys, "run", sample_path(), "--out", tmp_path / "tables", "--maps", maps)
    assert (
        line
        == f"error: --maps {maps}: {tmp_path / 'notes.txt'} is a file, so no folder can be made inside it"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    ("failure", "code", "message"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device"),
            2,
            "cannot write outputs (No space left on device)",
        ),
        (KeyboardInterrupt(), 130, "interrupted: outputs already on disk are complete; nothing half-written"),
    ],
    ids=["disk full", "Ctrl-C"],
)
def test_a_write_that_fails_removes_only_the_empty_folders_feeder_made(
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
    code: int,
    message: str,
) -> None:
    """A disk full or Ctrl-C while the files are written: a folder feeder made for them is removed
    again, one the planner made (even empty) stays, with what was in it."""

    def fail(path: Path, data: bytes, mode: int) -> None:
        raise failure

    monkeypatch.setattr(feeder.io.output, "write_bytes", fail)
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir()
    theirs.mkdir()
    (theirs / "notes.txt").write_text("planner's notes")
    for out in (tmp_path / "new" / "alignment", mine, theirs):
        assert main(["align", str(sample_path()), "--out", str(out)]) == code
        assert capsys.readouterr().err.strip().splitlines()[-1].endswith(message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "theirs"]
    assert list(mine.iterdir()) == [] and visible(theirs) == ["notes.txt"]
    assert (theirs / "notes.txt").read_text() == "planner's notes"


@contextlib.contextmanager
def never_made(folders: object) -> Iterator[None]:
    """Stands in for `folders_made`: should a regression let the root through, it fails the test
    instead of writing a plan into /."""
    raise AssertionError(f"about to write into {folders}")
    yield


@pytest.mark.parametrize(
    "command",
    [
        ["run", "{sample}", "--out", "/"],
        ["run", "{sample}", "--maps", "//"],
        ["design", "{sample}", "--out", "/usr/.."],
        ["map", "{sample}", "--out", "{root_link}"],
        ["report", "{sample}", "--out", "/tmp/.."],
        ["align", "{sample}", "--out", "/"],
        ["bound", "{sample}", "--out", "/"],
        ["compare", "{sample}", "{plan}", "{plan}", "--out", "/"],
        ["alternatives", "{sample}", "--out", "/"],
        ["infer", "{sample}", "--out", "/"],
        ["import-nces", "{nces}", "--district", "5199999", "--out", "/"],
    ],
    ids=lambda command: f"{command[0]} {command[-2]} {command[-1]}",
)
def test_the_file_system_root_is_never_an_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """`--out /` scattered a plan's files among the system's folders: refused in one line naming
    the option and a fix, before any work (a regression must not write there: folders are never made)."""
    monkeypatch.setattr(feeder.io.output, "folders_made", never_made)
    (tmp_path / "root").symlink_to("/")
    values = {
        "sample": sample_path(),
        "plan": sample_path() / "schools.csv",  # its `portfolio` column is today's plan
        "nces": NCES / "directory.csv",
        "root_link": tmp_path / "root",
    }
    option, folder = command[-2], command[-1].format(**values)
    line = refused(capsys, *(part.format(**values) for part in command))
    example = "maps" if option == "--maps" else "plan"
    assert line == (
        f"error: {option} {folder}: is the root of the file system; give a folder of its own for the "
        f"outputs (e.g. {option} {example})"
    )


def test_python_callers_cannot_publish_into_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """`feeder.render_maps(plan, "/")` and the like get the same refusal as the command line."""
    monkeypatch.setattr(feeder.io.output, "folders_made", never_made)
    with pytest.raises(FeederError, match="is the root of the file system"):
        write_files(Path("/"), {"portfolios.csv": "school_id,portfolio\n"})


def test_an_empty_folder_name_is_refused() -> None:
    with pytest.raises(FeederError, match="output folder is empty"):
        write_files("", {"a.csv": "x"})


@given(
    st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8), min_size=1, max_size=5)
)
@settings(max_examples=150, deadline=None)
def test_formula_cells_are_defused_and_read_back_unchanged(tmp_path_factory, cells: list[str]) -> None:
    folder = tmp_path_factory.mktemp("csv")
    text = pd.DataFrame({"school_id": cells, "n": range(len(cells))}).to_csv(index=False, lineterminator="\n")
    write_files(folder, {"t.csv": text}, force=True)
    written = (folder / "t.csv").read_text()
    for line in written.splitlines():
        first_cell = line.split(",")[0]
        if line.startswith(("=", "+", "-", "@")):
            assert PLAIN_NUMBER.match(first_cell), f"formula reaches a spreadsheet: {line!r}"
    back = read_text_table(folder / "t.csv")
    assert back["school_id"].tolist() == [c.strip() for c in cells]


def test_nan_never_reaches_a_json_output(tmp_path: Path) -> None:
    with pytest.raises(InternalError, match="NaN"):
        write_files(tmp_path, {"scorecard.json": json.dumps({"cohesion": float("nan")})})
    assert visible(tmp_path) == []


def test_numbers_are_not_mistaken_for_formulas() -> None:
    text = "school_id,delta\n-5,-3.5\n=1+1,+2\n"
    assert guard_csv(text) == "school_id,delta\n-5,-3.5\n'=1+1,+2\n"
    assert guard_csv("a,b\nx,1\n") == "a,b\nx,1\n"


PUBLISHER = """
import os, sys, time
from pathlib import Path
from feeder.io.output import one_publication, write_files
real_replace = os.replace
def slow_replace(source, target):  # widen the rename phase so random kills land in it often
    time.sleep(0.004)
    real_replace(source, target)
os.replace = slow_replace
root, generation = Path(sys.argv[1]), int(sys.argv[2])
while True:
    generation += 1
    body = f"{generation}\\n" + "x,y\\n" * 20_000
    with one_publication():
        write_files(root / "tables", {f"t{i}.csv": body for i in range(6)})
        write_files(root / "maps", {f"m{i}.html": body for i in range(12)})
    (root / "done").write_text(str(generation))
"""


def generations(root: Path) -> set[str]:
    return {
        p.read_text().split("\n", 1)[0]
        for folder in ("tables", "maps")
        for p in (root / folder).glob("[tm]*")
    }


def test_kill_9_at_random_moments_leaves_one_complete_set(tmp_path: Path) -> None:
    """Real processes publishing two folders in a loop, killed at random; every state is one set."""
    rng = random.Random(16)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for trial in range(5):
        root = tmp_path / f"trial{trial}"
        process = subprocess.Popen([sys.executable, "-c", PUBLISHER, str(root), "0"], env=env)
        deadline = time.monotonic() + 20
        while not (root / "done").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait()
        seen = generations(root)
        committed = (root / "maps" / COMMIT).exists() or (root / "tables" / COMMIT).exists()
        assert len(seen) == 1 or committed, f"mixed sets {seen} without a commit record"
        for folder in ("tables", "maps"):
            recover(root / folder)
        assert len(generations(root)) == 1, "a committed set was not rolled forward"
        assert (
            len(list((root / "tables").glob("t*.csv"))) == 6 and len(list((root / "maps").glob("m*"))) == 12
        )
        write_files(root / "tables", {"t0.csv": "next\n"})
        leftovers = [
            p for f in ("tables", "maps") for p in (root / f).iterdir() if p.name.startswith(STAGING_PREFIX)
        ]
        assert not [p for p in leftovers if p.parent.name == "tables"], "staging left after the next run"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every output of a run but run.json (which records the seconds taken)."""
    return {
        f"{folder}/{p.name}": p.read_bytes()
        for folder in ("tables", "maps")
        for p in sorted((root / folder).iterdir())
        if p.is_file() and p.name not in ("run.json", MANIFEST)
    }


def test_kill_9_during_feeder_run_keeps_tables_and_maps_together(tmp_path: Path, lcps_path: Path) -> None:
    """`feeder run` killed at random moments: tables and maps stay from one and the same run."""
    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def command(seed: int) -> list[str]:
        return [sys.executable, "-m", "feeder.cli", "run", str(lcps_path), "--seed", str(seed),
                "--out", "tables", "--maps", "maps"]  # fmt: skip

    work, other = tmp_path / "work", tmp_path / "other"
    for folder, seed in ((work, 1), (other, 2)):
        folder.mkdir()
        subprocess.run(command(seed), cwd=folder, env=env, check=True, capture_output=True)
    references = [snapshot(work), snapshot(other)]
    assert references[0] != references[1]
    for trial in range(3):
        process = subprocess.Popen(command(2 - trial % 2), cwd=work, env=env, stdout=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        for folder in ("tables", "maps"):
            recover(work / folder)
        assert snapshot(work) in references, "tables and maps from different runs (or incomplete)"

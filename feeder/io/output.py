"""Publishing outputs as one set: a run leaves the complete old files or the complete new ones.

`write_files` (one folder) and `publish` (several folders at once) are the only way feeder
writes. A publication:

1. locks every target folder (flock on the folder itself, so a killed run never leaves a
   stale lock) — two runs into one folder are serialized, never interleaved;
2. finishes or discards what an earlier, killed publication left (see `recover`);
3. refuses to replace a file feeder did not write: each folder keeps `.feeder-manifest.json`
   (name → SHA-256 of what feeder wrote); a same-named file missing from it, or changed
   since, is the planner's and stays untouched unless `force`;
4. stages every new file in a hidden folder inside its target (same filesystem), then
   commits by one atomic rename of a journal, and only then renames the staged files into
   place (with Ctrl-C held back). A kill before the journal leaves the old set; a kill after
   it is rolled forward by the next publication into any of the folders.

A publication that fails or is interrupted before its commit removes again the folders it
created that stayed empty (a folder that existed before is never removed). The root of the
file system is never an output folder.

Inside `one_publication()`, writes are collected and published together when the block
ends (how `feeder run` commits its tables and maps as one set). A publication may also
retire files feeder wrote earlier (an earlier plan's cohort pages): they are deleted after
the commit point, with the renames, so a kill never leaves an old set missing a page.

CSV outputs are guarded against spreadsheet formula injection: a text cell starting with
= + - @ (or a tab / carriage return) is written with a leading apostrophe, which
`feeder.io.tables.read_text_table` removes again, so ids survive a round trip.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import sys
from collections.abc import Collection, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from feeder.errors import FeederError, InternalError, OptionError

PUBLIC_MODE = 0o666
MANIFEST = ".feeder-manifest.json"
COMMIT = ".feeder-commit.json"
STAGING_PREFIX = ".feeder-staging-"
JOURNAL = "journal.json"
LEGACY_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FILE_SUFFIXES = (".csv", ".json", ".geojson", ".html", ".pdf", ".xlsx", ".xls", ".png", ".txt", ".zip")
MAYBE_FORMULA = re.compile(r'(^|,|\n)"?[=+\-@\t\r]')
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

Contents = Mapping[str, str | bytes]


@dataclass
class Collected:
    """What the writes inside a `one_publication()` block will publish together."""

    files: dict[Path, dict[str, str | bytes]] = field(default_factory=dict)
    retired: dict[Path, set[str]] = field(default_factory=dict)


pending: ContextVar[Collected | None] = ContextVar("pending", default=None)


def write_files(
    folder: Path | str, files: Contents, *, force: bool = False, retire: Collection[str] = ()
) -> list[Path]:
    """Publish `files` (plain file name → content) into `folder` as one set; return the paths.

    retire: names of files feeder wrote there before that the new set no longer has;
    they are deleted together with the commit.
    """
    if str(folder).strip() == "":
        raise FeederError("the output folder is empty; name a folder (e.g. --out plan)")
    return publish({Path(folder): files}, force=force, retire={Path(folder): retire})


def publish(
    sets: Mapping[Path, Contents],
    *,
    force: bool = False,
    retire: Mapping[Path, Collection[str]] | None = None,
) -> list[Path]:
    """Publish several folders' files as one set (all old or all new, even under kill -9).

    All contents are rendered by the caller first, so a failure while computing never
    leaves a partial set. Inside `one_publication()` the files are only collected.
    """
    targets = resolved_sets(sets)
    retired: dict[Path, set[str]] = {}
    for folder, names in (retire or {}).items():
        real = Path(os.path.realpath(folder))
        retired[real] = {name for name in names if name not in targets.get(real, {})}
    collected = pending.get()
    if collected is not None:
        for folder, files in targets.items():
            collected.files.setdefault(folder, {}).update(files)
        for folder, names in retired.items():
            collected.retired.setdefault(folder, set()).update(names)
        return [folder / name for folder, files in targets.items() for name in files]
    try:
        for folder, files in targets.items():  # refuse before creating any folder: nothing written
            if folder.is_dir() and not (folder / COMMIT).exists():
                refuse_foreign(folder, files, force=force)
        with folders_made(targets), locked(sorted(targets)):
            for folder in targets:
                recover(folder)
            for folder, files in targets.items():
                refuse_foreign(folder, files, force=force)
            commit(stage(targets, retired))
    except OSError as error:
        where = error.filename or ", ".join(str(folder) for folder in targets)
        raise FeederError(f"{where}: cannot write outputs ({error.strerror})") from None
    return [folder / name for folder, files in targets.items() for name in files]


@contextlib.contextmanager
def one_publication(*, force: bool = False) -> Iterator[None]:
    """Collect every write inside the block and publish them together when it ends without error."""
    if pending.get() is not None:
        raise InternalError("one_publication() blocks do not nest")
    collected = Collected()
    token = pending.set(collected)
    try:
        yield
    finally:
        pending.reset(token)
    if collected.files:
        publish(collected.files, force=force, retire=collected.retired)


def resolved_sets(sets: Mapping[Path, Contents]) -> dict[Path, dict[str, str | bytes]]:
    """Check names and folders (none is created yet); key by the real path so symlinked folders merge."""
    targets: dict[Path, dict[str, str | bytes]] = {}
    for folder, files in sets.items():
        for name in files:
            if Path(name).name != name or name in ("", ".", "..") or name.startswith(".feeder"):
                raise FeederError(f"refusing to write '{name}': output names must be plain file names")
        if Path(folder).exists() and not Path(folder).is_dir():
            raise FeederError(f"{folder}: exists and is not a folder; choose a folder for the outputs")
        if file_system_root(Path(folder)):
            raise FeederError(
                f"{folder}: is the root of the file system; give the outputs a folder of their own"
            )
        real = Path(os.path.realpath(folder))
        merged = targets.setdefault(real, {})
        for name, content in files.items():
            if name.lower().endswith((".json", ".geojson")):
                refuse_non_finite_json(name, content)
            merged[name] = guard_csv(content) if name.lower().endswith(".csv") else content
    return targets


def check_output_folder(folder: Path, *, option: str, example: str = "plan") -> None:
    """Refuse an output folder that names a file or the file system's root before any work: a typed
    `--out flows.csv` would otherwise become a folder called flows.csv, found only when the district
    is read, and `--out /` would scatter the plan's files among the system's folders."""
    path = Path(folder)
    if file_system_root(path):
        raise OptionError(
            f"{option} {folder}: is the root of the file system; give a folder of its own for the outputs "
            f"(e.g. {option} {example})"
        )
    if path.exists() and not path.is_dir():
        raise OptionError(f"{option} {folder}: is a file; {option} names the folder feeder writes into")
    inside_file = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), None)
    if inside_file is not None:
        raise OptionError(f"{option} {folder}: {inside_file} is a file, so no folder can be made inside it")
    if not path.exists() and path.suffix.lower() in FILE_SUFFIXES:
        raise OptionError(
            f"{option} {folder}: looks like a file name, but {option} names the folder feeder writes its "
            f"files into (e.g. {option} {path.parent})"
        )


def file_system_root(folder: Path) -> bool:
    """True for `/` however it is spelled (`/..`, a link to it) or a drive's root."""
    real = Path(os.path.realpath(folder))
    return real.parent == real


@contextlib.contextmanager
def folders_made(folders: Collection[Path]) -> Iterator[None]:
    """Create the folders and their missing parents; when the block fails or is interrupted, remove
    again those created here that stayed empty (nothing half-written is left behind, not even an
    empty folder). rmdir removes only empty folders, and only ones this call made are tried."""
    created: list[Path] = []
    try:
        for folder in folders:
            for path in [*reversed(folder.parents), folder]:
                if path.is_dir():
                    continue
                try:
                    path.mkdir()
                except FileExistsError:
                    continue  # made meanwhile by another process (or a file: the next level says so)
                except OSError as error:
                    raise FeederError(
                        f"{folder}: cannot create the output folder ({error.strerror})"
                    ) from None
                created.append(path)
        yield
    except BaseException:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                path.rmdir()
        raise


@contextlib.contextmanager
def locked(folders: list[Path]) -> Iterator[None]:
    """Hold an exclusive lock on each folder (sorted, so two runs never deadlock)."""
    with contextlib.ExitStack() as stack:
        for folder in folders:
            handle = os.open(folder, os.O_RDONLY)
            stack.callback(os.close, handle)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(
                    f"waiting for another feeder command writing into {folder} ...",
                    file=sys.stderr,
                    flush=True,
                )
                fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def recover(folder: Path) -> None:
    """Finish a committed publication a kill interrupted; discard uncommitted staging and old temp files."""
    journal = folder / COMMIT
    if journal.exists():
        roll_forward(journal)
    for entry in folder.iterdir():
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir():
            reference = read_json(entry / JOURNAL)
            commit_file = Path(str(reference.get("commit", ""))) if reference else None
            if commit_file is not None and commit_file.is_file():
                roll_forward(commit_file)
            shutil.rmtree(entry, ignore_errors=True)
        elif LEGACY_TEMPORARY.match(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)


def roll_forward(journal: Path) -> None:
    """Apply a committed journal's remaining renames, then remove its staging folders and itself."""
    record = read_json(journal) or {}
    moves = [(Path(staged), Path(target)) for staged, target in record.get("moves", [])]
    with sigint_held():
        for staged, target in moves:
            if staged.exists():
                os.replace(staged, target)
        for retired in record.get("retire", []):
            Path(retired).unlink(missing_ok=True)
        for staging in dict.fromkeys(staged.parent for staged, _ in moves):
            if staging.parent != journal.parent:
                shutil.rmtree(staging, ignore_errors=True)
        for staging in dict.fromkeys(staged.parent for staged, _ in moves):
            shutil.rmtree(staging, ignore_errors=True)
        for folder in record.get("emptied", []):
            with contextlib.suppress(OSError):  # a file feeder did not write keeps its folder
                Path(folder).rmdir()
        journal.unlink(missing_ok=True)


def feeder_files(folder: Path) -> set[str]:
    """The names feeder's manifest lists in `folder` that hold no planner's file: unchanged since
    feeder wrote them, or deleted since (the files a later publication may retire)."""
    return {name for name, sha in read_manifest(folder).items() if not changed(folder / name, sha)}


def changed(target: Path, sha: str | None) -> bool:
    """Whether `target` exists and is not the file feeder wrote with digest `sha` (None: never wrote it)."""
    return target.exists() and (not target.is_file() or sha != digest(target.read_bytes()))


def refuse_foreign(folder: Path, files: Contents, *, force: bool) -> None:
    """Refuse to replace a file feeder did not write (absent from the manifest, or changed since)."""
    if force:
        return
    manifest = read_manifest(folder)
    for name in sorted(files):
        target = folder / name
        if target.is_dir():
            raise FeederError(f"{target}: is a folder; feeder will not replace it with a file")
        if changed(target, manifest.get(name)):
            raise FeederError(
                f"{target}: this file was not written by feeder (or was changed since); "
                "refusing to replace it: move it away or choose another output folder"
            )


def stage(targets: Mapping[Path, Mapping[str, str | bytes]], retired: Mapping[Path, set[str]]) -> Path:
    """Write every file and each folder's new manifest into hidden staging folders; return the journal
    (the renames to make, then the retired files to delete, then the folders they emptied).

    A folder that gets no file and whose every file feeder wrote is retired (an earlier run's
    plan folder) loses its manifest too, and is removed when nothing else is left in it; the
    first folder, which holds the commit file, always stays."""
    token = secrets.token_hex(6)
    folders = sorted(targets)
    commit_file = folders[0] / COMMIT
    moves: list[tuple[str, str]] = []
    gone = [str(folder / name) for folder in sorted(retired) for name in sorted(retired[folder])]
    emptied: list[str] = []
    stagings: list[Path] = []
    mode = PUBLIC_MODE & ~current_umask()
    try:
        for folder in folders:
            manifest = read_manifest(folder)
            for name in retired.get(folder, ()):
                manifest.pop(name, None)
            if folder != folders[0] and retired.get(folder) and not manifest and not targets[folder]:
                gone.append(str(folder / MANIFEST))
                emptied.append(str(folder))
                continue
            staging = folder / f"{STAGING_PREFIX}{token}"
            staging.mkdir()
            stagings.append(staging)
            for name, content in targets[folder].items():
                data = content.encode("utf-8") if isinstance(content, str) else content
                write_bytes(staging / name, data, mode)
                manifest[name] = digest(data)
                moves.append((str(staging / name), str(folder / name)))
            write_bytes(staging / MANIFEST, manifest_bytes(manifest), mode)
            moves.append((str(staging / MANIFEST), str(folder / MANIFEST)))
        record = json.dumps(
            {"token": token, "commit": str(commit_file), "moves": moves, "retire": gone, "emptied": emptied}
        ).encode()
        for staging in stagings:
            write_bytes(staging / JOURNAL, record, mode)
    except OSError as error:
        for staging in stagings:
            shutil.rmtree(staging, ignore_errors=True)
        raise FeederError(
            f"{error.filename or folders[0]}: cannot write outputs ({error.strerror})"
        ) from None
    except BaseException:
        for staging in stagings:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return stagings[0] / JOURNAL


def commit(journal: Path) -> None:
    """The commit point: the journal's atomic rename; then the renames it lists."""
    commit_file = journal.parent.parent / COMMIT
    with sigint_held():
        try:
            os.replace(journal, commit_file)
        except OSError as error:
            shutil.rmtree(journal.parent, ignore_errors=True)
            raise FeederError(f"{commit_file.parent}: cannot write outputs ({error.strerror})") from None
        roll_forward(commit_file)


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Hold Ctrl-C back while renaming (delivered right after), so a set is never half-renamed."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def guard_csv(content: str | bytes) -> str | bytes:
    """Prefix `'` to text cells a spreadsheet would run as a formula; other content is left byte-identical."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    if not MAYBE_FORMULA.search(text):
        return content
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not any(formula_like(cell) for row in rows for cell in row):
        return content
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([["'" + cell if formula_like(cell) else cell for cell in row] for row in rows])
    guarded = buffer.getvalue()
    return guarded.encode("utf-8") if isinstance(content, bytes) else guarded


def refuse_non_finite_json(name: str, content: str | bytes) -> None:
    """Strict JSON only: a NaN or Infinity reaching an output is a bug, never written."""

    def reject(token: str) -> None:
        raise InternalError(f"{name} would hold {token}; a computation produced a non-finite number")

    try:
        json.loads(content, parse_constant=reject)
    except ValueError as error:
        raise InternalError(f"{name} is not valid JSON ({error})") from None


def formula_like(cell: str) -> bool:
    """A text cell starting like a formula; numbers such as -3.5 are numbers, not formulas."""
    return cell.startswith(FORMULA_START) and not PLAIN_NUMBER.match(cell)


def write_bytes(path: Path, data: bytes, mode: int) -> None:
    with open(path, "wb") as stream:
        stream.write(data)
    os.chmod(path, mode)


def read_manifest(folder: Path) -> dict[str, str]:
    record = read_json(folder / MANIFEST)
    files = record.get("files") if record else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def manifest_bytes(files: Mapping[str, str]) -> bytes:
    record = {"written_by": "feeder", "files": dict(sorted(files.items()))}
    return (json.dumps(record, indent=2) + "\n").encode()


def read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def current_umask() -> int:
    """The process umask (outputs should be as readable as any other file the user writes)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask

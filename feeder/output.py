"""Writing outputs atomically: a run leaves either the old files or the complete new ones.

Each file is written to a temporary name in the same folder and renamed into place
(rename is atomic on one filesystem). Files feeder did not create are never touched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from feeder.errors import FeederError

PUBLIC_MODE = 0o666


def current_umask() -> int:
    """The process umask (mkstemp creates 0600 files; outputs should be as readable as any other)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files(folder: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write every file of `files` (name → content) into `folder`, all-or-nothing.

    All contents are rendered by the caller before this is called, so a failure while
    computing never leaves a partial set. Names must be plain file names: a name that
    would escape the folder is refused.
    """
    folder = Path(folder)
    for name in files:
        if Path(name).name != name or name in ("", ".", ".."):
            raise FeederError(f"refusing to write '{name}': output names must be plain file names")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FeederError(f"{folder}: cannot create the output folder ({error.strerror})") from None
    staged: list[tuple[Path, Path]] = []
    try:
        for name, content in files.items():
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, PUBLIC_MODE & ~current_umask())
            staged.append((Path(temporary), folder / name))
        for temporary, target in staged:
            os.replace(temporary, target)
    except OSError as error:
        raise FeederError(f"{folder}: cannot write outputs ({error.strerror})") from None
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return [target for _, target in staged]

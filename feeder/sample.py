"""Where the bundled sample district lives, wherever feeder is installed from."""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).parent / "sample"
REPOSITORY = Path(__file__).resolve().parent.parent / "data" / "sample"


def sample_path() -> Path:
    """The sample district folder: the copy shipped in the package, else the repository's."""
    for folder in (PACKAGED, REPOSITORY):
        if (folder / "schools.csv").exists():
            return folder
    raise FileNotFoundError("the bundled sample district is missing from this installation")

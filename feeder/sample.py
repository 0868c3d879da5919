"""Where the bundled sample district lives, wherever feeder is installed from.

`feeder/sample_district` is a link to the repository's `data/sample/`, so an editable
install reads the committed files and a built wheel carries a copy of them.
"""

from __future__ import annotations

from pathlib import Path

from feeder.errors import FeederError

SAMPLE = Path(__file__).parent / "sample_district"


def sample_path() -> Path:
    """The sample district folder shipped with feeder."""
    if not (SAMPLE / "schools.csv").exists():
        raise FeederError(f"{SAMPLE}: the bundled sample district is missing from this installation")
    return SAMPLE

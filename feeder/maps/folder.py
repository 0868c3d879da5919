"""A maps folder that always shows one plan: cohort pages of an earlier plan are removed.

After a run writes its pages, every other `cohort-*.html` in the folder that carries
feeder's signature (feeder.maps.stamp) is a page of an earlier plan and is deleted;
files without the signature (a planner's notes, pages made by hand) are never touched.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feeder.errors import FeederError
from feeder.maps import render_maps
from feeder.maps.stamp import GENERATOR
from feeder.plan import Plan

SIGNATURE_BYTES = 4096


def publish_maps(
    plan: Plan, folder: Path, *, broken_edges: pd.DataFrame | None = None, banner: str | None = None
) -> list[Path]:
    """Render the plan's maps into `folder`, then remove the cohort pages feeder wrote for another plan."""
    written = render_maps(plan, folder, broken_edges=broken_edges, banner=banner)
    current = {path.name for path in written}
    for page in sorted(Path(folder).glob("cohort-*.html")):
        if page.name not in current and written_by_feeder(page):
            try:
                page.unlink()
            except OSError as error:
                raise FeederError(
                    f"{page}: cannot remove this stale cohort page ({error.strerror})"
                ) from None
    return written


def written_by_feeder(page: Path) -> bool:
    """True when the page's head carries feeder's signature."""
    try:
        with page.open(encoding="utf-8", errors="replace") as stream:
            return GENERATOR in stream.read(SIGNATURE_BYTES)
    except OSError:
        return False

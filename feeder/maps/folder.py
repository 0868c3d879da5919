"""A maps folder that always shows one plan: cohort pages of an earlier plan are removed.

Every `cohort-*.html` in the folder that carries feeder's signature (feeder.maps.stamp)
and that the new plan does not have is a page of an earlier plan: it is deleted as part
of the publication that writes the new pages (feeder.io.output), after its commit point.
Files without the signature (a planner's notes, pages made by hand) are never touched.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feeder.maps import render_maps
from feeder.maps.stamp import GENERATOR
from feeder.plan import Plan

SIGNATURE_BYTES = 4096


def publish_maps(
    plan: Plan, folder: Path, *, broken_edges: pd.DataFrame | None = None, banner: str | None = None
) -> list[Path]:
    """Render the plan's maps into `folder`; the cohort pages feeder wrote for another plan
    are deleted in the same publication (a page the new plan also has is simply replaced)."""
    signed = [page.name for page in sorted(Path(folder).glob("cohort-*.html")) if written_by_feeder(page)]
    return render_maps(plan, folder, broken_edges=broken_edges, banner=banner, retire=signed)


def written_by_feeder(page: Path) -> bool:
    """True when the page's head carries feeder's signature."""
    try:
        with page.open(encoding="utf-8", errors="replace") as stream:
            return GENERATOR in stream.read(SIGNATURE_BYTES)
    except OSError:
        return False

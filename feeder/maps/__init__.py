"""Maps of a plan a district can put in front of its board, readable with no network.

`render_maps` writes `index.html` (the district overview) and one `cohort-<name>.html`
per portfolio into a folder, each page self-contained: Leaflet, the data and the
styles are inside the file; only the optional street base map is fetched online.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from feeder.io.output import write_files
from feeder.maps.features import draw
from feeder.maps.model import build_model
from feeder.maps.pages import INDEX, cohort_page, overview_page
from feeder.maps.stamp import stamp
from feeder.plan import Plan

__all__ = ["cohort_file_names", "render_maps"]

SLUG_LENGTH = 60


def render_maps(
    plan: Plan,
    out_dir: str | Path,
    *,
    broken_edges: pd.DataFrame | None = None,
    banner: str | None = None,
    retire: Collection[str] = (),
) -> list[Path]:
    """Write the overview and every cohort map of `plan` into `out_dir`; return the paths written.

    broken_edges: feeder edges where a program stops (from_id, to_id, students, family,
    value_from), drawn as the "Broken program pathways" layer when given. banner: a note
    shown on every page (estimated flows). retire: pages of an earlier plan to delete in the
    same publication (maps/folder.py).
    """
    model = build_model(plan, broken_edges)
    drawing = draw(model)
    links = cohort_file_names(sorted(model.colours))
    pages = {INDEX: overview_page(model, drawing, links)}
    pages.update({links[name]: cohort_page(model, drawing, name) for name in sorted(links)})
    return write_files(
        Path(out_dir), {name: stamp(page, banner=banner) for name, page in pages.items()}, retire=retire
    )


def cohort_file_names(portfolios: list[str]) -> dict[str, str]:
    """Portfolio → `cohort-<slug>.html`: ASCII letters, digits and dashes only, unique."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for portfolio in portfolios:
        base = slug(portfolio)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        names[portfolio] = f"cohort-{candidate}.html"
    return names


def slug(text: str) -> str:
    """A file-name-safe form of a portfolio name ('North / East' → 'north-east')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_LENGTH].strip("-")
    return cleaned or "portfolio"

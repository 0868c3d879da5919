"""Where a district's flows came from, named the same way in every output.

`District.flows_source` says it in detail ("boundaries.geojson (weighted by overlap
area)"); outputs a district shares carry one of five plain labels instead, and every
label but `flows.csv` means the flows are an estimate that planners must read as such.
"""

from __future__ import annotations

from feeder.district import District

FLOWS_FILE = "flows.csv"
ENROLLMENT = "enrollment records"
ASSIGNMENTS = "assignments"
BOUNDARIES = "boundaries"
ROUGH = "sites (rough estimate)"
LABELS = (FLOWS_FILE, ENROLLMENT, ASSIGNMENTS, BOUNDARIES, ROUGH)

# (word in District.flows_source, label); the first match wins.
KEYWORDS = (
    ("flows.csv", FLOWS_FILE),
    ("enrollment", ENROLLMENT),
    ("assignments", ASSIGNMENTS),
    ("boundaries", BOUNDARIES),
    ("rough", ROUGH),
    ("nearest", ROUGH),
)


def flows_label(district: District) -> str:
    """One of LABELS for the district's flows; an unrecognised source counts as a rough estimate."""
    source = district.flows_source.lower()
    return next((label for word, label in KEYWORDS if word in source), ROUGH)


def is_estimated(district: District) -> bool:
    """True unless the flows were read from flows.csv as given."""
    return flows_label(district) != FLOWS_FILE


def estimate_note(district: District) -> str | None:
    """The sentence every shared output carries when flows are estimated, else None (no commas: CSV-safe)."""
    if not is_estimated(district):
        return None
    label = flows_label(district)
    detail = "" if district.flows_source == label else f" ({district.flows_source})"
    note = (
        f"Flows are estimated from {label}{detail} and not counted in flows.csv: "
        "cohesion and split schools and the feeder diagrams are estimates too."
    )
    if label == ENROLLMENT and district.min_cell > 0:  # the rule of feeder.privacy
        note += (
            f" Student counts of 1-{district.min_cell - 1} are shown as <{district.min_cell} and other "
            f"counts rounded to the nearest {district.min_cell} to keep small groups private."
        )
    return note


def with_flows_source(card: dict, district: District) -> dict:
    """The scorecard with `flows_source` added (a copy; the scorecard itself stays a pure metric table)."""
    return {**card, "flows_source": flows_label(district)}

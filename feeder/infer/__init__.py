"""Flows inferred when a district has no flows.csv, from the best source it has.

In order: student enrollment records (`records.py`), then planning-unit assignments,
attendance boundaries, and as a rough estimate the school sites (`sources.py`). Only
`feeder.district.load_district` calls in here; every output labels the flows' source.
"""

from feeder.infer.sources import (
    ASSIGNMENTS_SOURCE,
    BOUNDARIES_SOURCE,
    RECORDS_SOURCE,
    ROUGH_SOURCE,
    Inferred,
    flows_csv,
    infer_district,
    infer_flows,
)

__all__ = [
    "ASSIGNMENTS_SOURCE",
    "BOUNDARIES_SOURCE",
    "RECORDS_SOURCE",
    "ROUGH_SOURCE",
    "Inferred",
    "flows_csv",
    "infer_district",
    "infer_flows",
]

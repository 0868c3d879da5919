"""Flows inferred from attendance boundaries, planning units or school sites (FORMAT.md)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from feeder.errors import FeederError


def infer_flows(folder: Path, schools: gpd.GeoDataFrame, warnings: list[str]) -> tuple[pd.DataFrame, str]:
    """Return (flows, source) for a folder without flows.csv."""
    raise FeederError(f"{folder}: no flows.csv in this folder")

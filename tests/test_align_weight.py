"""`--align-weight` keeps continued program pathways inside cohorts, at a cost in cohesion it reports."""

from __future__ import annotations

import json
from pathlib import Path

from feeder.alignment import pathway_weights
from feeder.cli import main
from feeder.design import design
from feeder.district import load_district
from feeder.spec import DesignSpec

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def pathway_students_inside(district, plan) -> float:
    flows = district.internal_flows()
    portfolio = plan.assignment
    inside = portfolio.loc[flows["from_id"]].to_numpy() == portfolio.loc[flows["to_id"]].to_numpy()
    return float(pathway_weights(district).to_numpy()[inside].sum())


def test_align_weight_keeps_more_pathway_students_together() -> None:
    district = load_district(SAMPLE)
    weights = pathway_weights(district)
    plain = design(district, spec=DesignSpec(within_region=True))
    aligned = design(district, flow_weights=5.0 * weights, spec=DesignSpec(within_region=True))
    assert weights.sum() > 0
    assert pathway_students_inside(district, aligned) >= pathway_students_inside(district, plain)


def test_cli_records_align_weight_and_refuses_negative(tmp_path: Path, capsys) -> None:
    assert main(["design", str(SAMPLE), "--out", str(tmp_path / "a"), "--align-weight", "2"]) == 0
    card = json.loads((tmp_path / "a" / "scorecard.json").read_text())
    assert card["provenance"]["align_weight"] == 2.0
    assert main(["design", str(SAMPLE), "--out", str(tmp_path / "b"), "--align-weight", "-1"]) == 2
    assert (
        capsys.readouterr().err.strip().splitlines()[-1]
        == "error: --align-weight -1 must be a number, 0 or more"
    )
    assert not (tmp_path / "b").exists()
